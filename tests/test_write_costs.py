"""Writes cost a bounded number of SQL statements, and their rules still hold.

An incident's edit, a claim added and a publication each go through the API as their users
do. The domain's check constraints are evaluated in Python from their declarations
(``incidents.validation``), so a write asks the database no ``SELECT 1`` per constraint,
opens no savepoint per check and reads no row twice; the database still refuses what
breaks them, and the user still gets an error on the field.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import CheckConstraint
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import services
from incidents.models import Claim, Incident, Status
from incidents.validation import CheckedRow, _columns, _compiled, check_constraint_error
from tests.conftest import incident_fields

API = "/api/v1"

# Targets of the write path (issue: PATCH and add-claim <= 25 statements; publish its own).
# PostgreSQL reads a document's perpetrators, victim groups and outside ids in one statement,
# and its places and actors in another (SQLite: one each). Of each write: the session, the
# user, the user's permissions (one statement) and the incident; the write's own statements;
# then its document.
_SQLITE_EXTRA = 2  # the document's parts: one statement each on SQLite
PATCH_STATEMENTS = 14
CLAIM_STATEMENTS = 19
# Publishing also adds the incident to the statistics' sums: its state read (locked), then
# one upsert of the sums' rows it is in on PostgreSQL (on SQLite, which holds no constraint
# of one row a key: the rows read, then an update and an insert; incidents.readmodel.statsums);
# its map cell summed again (one statement on PostgreSQL, three on SQLite).
PUBLISH_STATEMENTS = 17


def _bound(bound: int, extra_on_sqlite: int = _SQLITE_EXTRA) -> int:
    return bound if connection.vendor == "postgresql" else bound + extra_on_sqlite


def _statements(context: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in context.captured_queries]


def _assert_lean(sql: list[str], bound: int, what: str) -> None:
    listing = "\n".join(sql)
    assert len(sql) <= bound, f"{what}: {len(sql)} statements (bound {bound}):\n{listing}"
    # The one savepoint is the service's transaction (inside the test's own transaction).
    assert sum(s.startswith("SAVEPOINT") for s in sql) <= 1, listing
    assert not any('"_check"' in s for s in sql), "a constraint was asked of the database"


@pytest.fixture
def located_incident(gazetteer_loaded, source, researcher) -> Incident:
    """A draft with a claim, its governorate and district found by the gazetteer."""
    incident = services.incident_create(
        user=researcher,
        claims=[{"source": source, "killed_min": 12, "quote": "At least 12 people were killed."}],
        **incident_fields(),
    )
    assert incident.governorate_id is not None and incident.district_id is not None
    return incident


def test_patching_a_title_takes_few_statements(client, researcher, located_incident):
    client.force_login(researcher)
    url = f"{API}/incidents/{located_incident.public_id}/"
    etag = client.get(url)["ETag"]
    entries = located_incident.history.count()
    with CaptureQueriesContext(connection) as context:
        answer = client.patch(
            url,
            {"title": "Shelling of the market"},
            content_type="application/json",
            HTTP_IF_MATCH=etag,
        )
    assert answer.status_code == 200, answer.content
    assert answer.json()["title"] == "Shelling of the market"
    _assert_lean(_statements(context), _bound(PATCH_STATEMENTS), "PATCH title")
    stored = Incident.objects.get(pk=located_incident.pk)
    assert stored.title == "Shelling of the market" and stored.version == int(etag.strip('"')) + 1
    assert stored.history.count() == entries + 1  # one entry for the one edit


def test_adding_a_claim_takes_few_statements(client, researcher, located_incident, news_source):
    client.force_login(researcher)
    url = f"{API}/incidents/{located_incident.public_id}/"
    etag = client.get(url)["ETag"]
    body = {"source": "news-article", "killed_min": 15, "quote": "Fifteen were killed."}
    with CaptureQueriesContext(connection) as context:
        answer = client.post(
            f"{url}claims/", body, content_type="application/json", HTTP_IF_MATCH=etag
        )
    assert answer.status_code == 201, answer.content
    killed = answer.json()["killed"]
    # "At least 12" beside "15": the range starts at 12 and, as no source gave a ceiling
    # ("15" with no maximum reads as at least 15), stays open above.
    assert (killed["low"], killed["high"], killed["high_open"]) == (12, None, True)
    _assert_lean(_statements(context), _bound(CLAIM_STATEMENTS), "add a claim")


def test_publishing_takes_few_statements(client, reviewer, located_incident):
    client.force_login(reviewer)
    url = f"{API}/incidents/{located_incident.public_id}/"
    etag = client.get(url)["ETag"]
    with CaptureQueriesContext(connection) as context:
        answer = client.post(f"{url}publish/", HTTP_IF_MATCH=etag)
    assert answer.status_code == 200, answer.content
    _assert_lean(_statements(context), _bound(PUBLISH_STATEMENTS, 6), "publish")
    assert (
        client.get(f"{API}/map/?zoom=6&bbox=35.5,32.3,42.5,37.4").json()["totals"]["incidents"] == 1
    )


def test_an_edit_still_sees_what_another_writer_saved_without_a_new_version(located_incident):
    # The editor's copy is not read again when the row is still the one it read; a save
    # that left the version alone (figures reconciled again) moved updated_at, so the
    # edit reads the row afresh instead of writing the old figures back.
    stale = Incident.objects.get(pk=located_incident.pk)
    Claim.objects.filter(incident=located_incident).update(killed_min=30)
    services.incident_recompute_figures(
        incident=Incident.objects.get(pk=located_incident.pk), user=None
    )
    services.incident_update(incident=stale, user=None, expected_version=stale.version, title="New")
    stored = Incident.objects.get(pk=located_incident.pk)
    assert stored.title == "New" and stored.killed_low == 30


# --- the rules, in Python, still give field errors ----------------------------------------


def test_a_published_incident_cleared_of_its_point_is_a_field_error_in_the_api(
    client, reviewer, located_incident
):
    services.incident_publish(incident=located_incident, user=reviewer)
    client.force_login(reviewer)
    url = f"{API}/incidents/{located_incident.public_id}/"
    answer = client.patch(
        url,
        {"latitude": None, "longitude": None},
        content_type="application/json",
        HTTP_IF_MATCH=client.get(url)["ETag"],
    )
    assert answer.status_code == 400
    assert answer.json() == {"latitude": ["A published incident needs a location."]}
    assert Incident.objects.get(pk=located_incident.pk).latitude == 35.36


def test_a_published_incident_cleared_of_its_point_is_a_field_error_in_the_admin(
    client, reviewer, located_incident, source
):
    from tests.test_admin import _form

    services.incident_publish(incident=located_incident, user=reviewer)
    client.force_login(reviewer)
    claim = located_incident.claims.get()
    claims = [
        {"id": claim.pk, "incident": located_incident.pk, "killed_min": "12", "quote": claim.quote}
    ]
    response = client.post(
        reverse("admin:incidents_incident_change", args=[located_incident.pk]),
        _form(
            source,
            claims,
            latitude="",
            longitude="",
            expected_version=Incident.objects.get(pk=located_incident.pk).version,
        ),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors.get("latitude") == ["A published incident needs a location."], errors
    assert Incident.objects.get(pk=located_incident.pk).latitude == 35.36


def test_a_blank_title_through_a_service_is_an_error_on_the_title(located_incident):
    with pytest.raises(ValidationError) as raised:
        services.incident_update(
            incident=located_incident, user=None, expected_version=None, title=""
        )
    assert "title" in raised.value.message_dict


def test_a_governorate_that_is_not_one_is_refused_without_reading_it_again(
    located_incident, django_assert_num_queries
):
    # The district in hand is checked against the key's limit_choices_to in Python.
    located_incident.governorate = located_incident.district
    with django_assert_num_queries(0), pytest.raises(ValidationError) as raised:
        located_incident.full_clean(exclude=["public_id"])
    assert set(raised.value.message_dict) == {"governorate"}


def test_a_key_given_by_id_is_still_looked_up(located_incident):
    located_incident.episode_id = 987_654
    with pytest.raises(ValidationError) as raised:
        located_incident.full_clean(exclude=["public_id"])
    assert set(raised.value.message_dict) == {"episode"}


# --- Python and the database agree on every declared check constraint -------------------


# Values at and beyond the edge of each rule, NULL included.
_EDGES = {
    "latitude": [None, -90, 91, 35.4],
    "longitude": [None, 180.01, 36.0],
    "killed_low": [None, -1, 0, 12],
    "killed_best": [None, 5, 12],
    "killed_high": [None, 12, 40],
    "figure_rule": ["range_of_claims", "manual"],
    "figure_rationale": ["", "x"],
    "status": [Status.DRAFT, Status.PUBLISHED, Status.RETRACTED, Status.MERGED],
    "retraction_reason": ["", "why"],
    "date_start": [dt.date(2025, 3, 7)],
    "date_end": [dt.date(2025, 3, 6), dt.date(2025, 3, 7)],
    "title": ["", "t"],
    "version": [0, 1],
    "merged_into": [None, 1],
    "civilians": [None, -1, 0],
}


def _agree(row, model, constraint, label) -> None:
    in_python = not check_constraint_error(row, model, constraint, exclude=())
    try:
        constraint.validate(model, row)  # Django asks the database
        in_database = True
    except ValidationError:
        in_database = False
    assert in_python == in_database, (constraint.name, label)


def test_python_and_the_database_agree_on_every_check_constraint(incident):
    """Every combination of edge values of the columns each rule reads."""
    assert issubclass(Incident, CheckedRow) and issubclass(Claim, CheckedRow)
    row = Incident.objects.get(pk=incident.pk)
    checked = 0
    for model, constraints in row.get_constraints():
        for constraint in constraints:
            if not isinstance(constraint, CheckConstraint):
                continue
            fields = {f.name: f for f in _columns(_compiled(model, constraint.condition))}
            names = sorted(fields)
            for values in itertools.product(*(_EDGES.get(n, [None, 0, 1]) for n in names)):
                variant = dict(zip(names, values, strict=True))
                for name, value in variant.items():
                    setattr(row, fields[name].attname, value)
                _agree(row, model, constraint, variant)
                checked += 1
            row = Incident.objects.get(pk=incident.pk)
    assert checked > 100


@pytest.mark.parametrize(
    "values",
    [
        {"killed_min": -1},
        {"killed_min": 10, "killed_max": 5},
        {"killed_min": None, "killed_max": 5},
        {"killed_min": 5, "killed_max": None},
        {"quote": ""},
        {"children": -3},
        {"children": None},
    ],
)
def test_python_and_the_database_agree_on_claims(incident, values):
    claim = incident.claims.get()
    for name, value in values.items():
        setattr(claim, name, value)
    for model, constraints in claim.get_constraints():
        for constraint in constraints:
            if isinstance(constraint, CheckConstraint):
                _agree(claim, model, constraint, values)


# --- what a write no longer reads twice -----------------------------------------------------


def _patch(client, incident: Incident, body: dict) -> list[str]:
    url = f"{API}/incidents/{incident.public_id}/"
    etag = client.get(url)["ETag"]
    with CaptureQueriesContext(connection) as context:
        answer = client.patch(url, body, content_type="application/json", HTTP_IF_MATCH=etag)
    sql = _statements(context)  # before the next request, which empties the log
    assert answer.status_code == 200, answer.content
    assert answer.json() == client.get(url).json()  # the answer is the document as stored
    return sql


def test_an_edit_reads_its_incident_once_and_joins_nothing_to_it(
    client, researcher, located_incident
):
    client.force_login(researcher)
    sql = _patch(client, located_incident, {"title": "Shelling of the market"})
    written = next(i for i, s in enumerate(sql) if s.startswith("UPDATE"))
    answered = max(i for i, s in enumerate(sql) if s.startswith(("INSERT", "RELEASE")))
    reads = [
        s for s in sql[:answered] if s.startswith("SELECT") and 'FROM "incidents_incident"' in s
    ]
    # The incident read by the view, without its places and episode joined; nothing else
    # reads its row before the answer (the statistics take it from the editor's copy).
    assert len(reads) == 1 and " JOIN " not in reads[0], reads
    assert sql.index(reads[0]) < written
    assert not any("FOR UPDATE" in s for s in sql), "the row was read again, locked"
    # A save that moves updated_at outdates the kept document by its stamp alone.
    assert not any(s.startswith("DELETE") and "incidentdocument" in s for s in sql)
    # The history's copy of the victim groups reads the links alone, without the incident's
    # row joined to each (the document of the answer may join the groups for their slugs).
    links = [s for s in sql if 'FROM "incidents_incident_victim_groups"' in s]
    assert links and all('JOIN "incidents_incident" ' not in s for s in links), links


def test_a_users_permissions_take_one_statement(client, researcher):
    from django.contrib.auth.models import Permission

    researcher.user_permissions.add(Permission.objects.get(codename="delete_incident"))
    user = type(researcher).objects.get(pk=researcher.pk)
    with CaptureQueriesContext(connection) as context:
        granted = user.get_all_permissions()
    assert len(context.captured_queries) == 1
    assert {"incidents.delete_incident", "incidents.change_incident"} <= granted
    assert "incidents.publish_incident" not in granted  # a researcher's group has not it


def test_published_edits_keep_the_sums_exact_when_the_row_is_not_read_again(
    client, reviewer, located_incident
):
    from tests.test_statistics import _assert_exact

    services.incident_publish(incident=located_incident, user=reviewer)
    client.force_login(reviewer)
    _assert_exact()
    # What the sums read unchanged: nothing to add, nothing read.
    sql = _patch(client, located_incident, {"title": "Shelling of the market"})
    assert not any("publishedstatisticssum" in s for s in sql)
    _assert_exact()
    # What they read changed: the difference added.
    sql = _patch(client, located_incident, {"date_start": "2025-02-01", "event_type": "airstrike"})
    assert any("publishedstatisticssum" in s for s in sql)
    _assert_exact()


def test_a_save_of_some_fields_still_outdates_the_kept_document(client, reviewer, located_incident):
    from incidents.models import IncidentDocument
    from incidents.readmodel import documentcache

    documentcache.page_json([located_incident.pk])
    assert IncidentDocument.objects.filter(incident=located_incident).exists()
    located_incident.title = "Shelling of the market"
    located_incident.save(update_fields=["title"])  # updated_at left as it was
    assert not IncidentDocument.objects.filter(incident=located_incident).exists()
    body = documentcache.page_json([located_incident.pk])
    assert b"Shelling of the market" in body


@pytest.mark.django_db(transaction=True)
def test_the_publication_generation_moves_on_in_one_statement():
    from incidents.models import PublicationGeneration
    from incidents.readmodel import generation

    PublicationGeneration.objects.all().delete()
    with CaptureQueriesContext(connection) as context:
        assert generation._increment() == 1  # the row made
    assert generation._increment() == 2
    assert len(context.captured_queries) == 1
    assert PublicationGeneration.objects.get().value == 2

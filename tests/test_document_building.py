"""Documents built afresh are exactly what the earlier way built (``tests/document_reference``),
byte for byte as served, on the seed, on generated data and on incidents that show every
part a document has: confidential claims, several perpetrators whose names sort differently
by code point than by a language's collation, victim groups, outside ids of both data sets.
And however many incidents a page has, it is read in a fixed, small number of statements.
"""

from __future__ import annotations

import orjson
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from incidents import services
from incidents.models import (
    Actor,
    Attribution,
    ExternalRecord,
    Incident,
    Source,
    SourceKind,
    Status,
    VictimGroup,
)
from incidents.readmodel.representation import JSON_OPTIONS, documents
from mapping.models import Place
from tests import document_reference
from tests.conftest import incident_fields


def _all_ids() -> list[int]:
    return list(
        Incident.objects.exclude(status=Status.MERGED)
        .order_by("-date_start", "-pk")
        .values_list("pk", flat=True)
    )


def _same_as_the_reference(ids: list[int]) -> None:
    built = orjson.dumps(documents(ids), option=JSON_OPTIONS)
    expected = orjson.dumps(document_reference.documents(ids), option=JSON_OPTIONS)
    assert orjson.loads(built) == orjson.loads(expected)  # a readable difference first
    assert built == expected


@pytest.fixture
def every_part(db, reviewer, source) -> list[int]:
    """Incidents showing every part of a document, some several times."""
    secret = Source.objects.create(
        slug="secret", headline="Witness", kind=SourceKind.WITNESS_TESTIMONY, confidential=True
    )
    other = Source.objects.create(
        slug="other",
        headline="Another report",
        kind=SourceKind.NEWS_ARTICLE,
        url="https://a.example",
    )
    # "Zeta" < "alpha" < "Émile" by code point; a language's collation orders them otherwise.
    actors = [
        Actor.objects.create(slug=slug, name=name, name_ar=name_ar)
        for slug, name, name_ar in [
            ("b-alpha", "alpha", "ألفا"),
            ("a-zeta", "Zeta", "زيتا"),
            ("c-emile", "Émile", ""),
            ("d-alpha", "alpha", ""),
        ]
    ]
    groups = [
        VictimGroup.objects.create(slug=slug, name=slug.title())
        for slug in ("women", "Children", "aid-workers")
    ]
    place = Place.objects.order_by("pk").first()
    made = []
    for n in range(3):
        incident = services.incident_create(
            user=reviewer,
            claims=[
                {"source": source, "killed_min": n, "quote": f"{n} killed."},
                {"source": secret, "killed_min": n + 5, "quote": "Secret."},
                {
                    "source": other,
                    "killed_min": n + 1,
                    "killed_max": n + 3,
                    "approximate": True,
                    "children": 1,
                    "perpetrator": actors[n],
                    "perpetrator_text": "gunmen",
                    "quote": "Around a few.",
                },
            ],
            attributions=[{"actor": actor} for actor in actors[n:]],
            victim_groups=groups[n:],
            **incident_fields(title=f"Incident {n}", place=place),
        )
        made.append(incident)
    for dataset, external_id in [("ucdp", "9"), ("acled", "SYR2"), ("acled", "SYR1")]:
        ExternalRecord.objects.create(incident=made[0], dataset=dataset, external_id=external_id)
    ExternalRecord.objects.create(incident=made[1], dataset="ucdp", external_id="10")
    services.incident_publish(incident=made[0], user=reviewer)
    Incident.objects.filter(pk=made[1].pk).update(figures_include_confidential=True)
    assert Attribution.objects.filter(incident=made[0]).count() == 4
    return [incident.pk for incident in made]


def test_documents_with_every_part_are_the_references(every_part):
    _same_as_the_reference(every_part)
    _same_as_the_reference(list(reversed(every_part)))
    document = documents(every_part[:1])[0]
    perpetrators = [p["actor"] for p in document["perpetrators"]]
    assert perpetrators == ["a-zeta", "b-alpha", "d-alpha", "c-emile"]
    assert document["victim_groups"] == ["Children", "aid-workers", "women"]
    assert [c["source"]["slug"] for c in document["claims"]] == ["monitor-report", "other"]


def test_documents_of_the_seed_are_the_references(seeded):
    ids = _all_ids()
    assert len(ids) > 5
    _same_as_the_reference(ids)


def test_documents_of_generated_data_are_the_references(transactional_db, reviewer):
    from bench.generate import generate

    generate(300, seed=5, batch=100)
    ids = _all_ids()
    assert len(ids) > 200
    _same_as_the_reference(ids)


def test_a_page_is_read_in_a_fixed_number_of_statements(every_part, seeded):
    """Three on PostgreSQL (the incidents; their claims; the rest, with the names they
    show); one a part elsewhere. Never one per incident, nor one per kind of name."""
    ids = _all_ids()
    with CaptureQueriesContext(connection) as few:
        documents(ids[:2])
    with CaptureQueriesContext(connection) as many:
        documents(ids)
    assert len(many) == len(few) == (3 if connection.vendor == "postgresql" else 7)


def _prepared() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


def test_a_connection_prepares_the_pages_statements_once(transactional_db, seeded):
    """On PostgreSQL a session prepares the three statements at its first page and executes
    them by name after; a rolled-back transaction keeps them, a new session prepares them
    again."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: elsewhere the ORM reads the parts")
    names = {"document_incidents", "document_claims", "document_rest"}
    ids = _all_ids()
    connection.close()  # a session of its own: nothing prepared yet
    assert not _prepared() & names
    expected = orjson.dumps(documents(ids), option=JSON_OPTIONS)
    assert _prepared() >= names
    with CaptureQueriesContext(connection) as again:
        assert orjson.dumps(documents(ids), option=JSON_OPTIONS) == expected
    assert [q["sql"].split(" (")[0] for q in again.captured_queries] == [
        f"EXECUTE {name}" for name in ("document_incidents", "document_claims", "document_rest")
    ]
    with pytest.raises(RuntimeError), transaction.atomic():
        documents(ids)
        raise RuntimeError
    assert _prepared() >= names
    assert orjson.dumps(documents(ids), option=JSON_OPTIONS) == expected
    connection.close()
    assert not _prepared() & names
    assert orjson.dumps(documents(ids), option=JSON_OPTIONS) == expected
    assert _prepared() >= names

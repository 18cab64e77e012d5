"""The ``q`` filter: any spelling of a place the gazetteer knows, text anywhere in titles,
summaries and place names, through an index on both databases.

"Banias" found nothing and "Baniyas" two incidents: the search compared the text with the
title and the place's one English and one Arabic name. It now asks the gazetteer, whose
variants (English, Arabic, transliterations) name one place, and finds the incidents at
that place or inside it. The text part is answered by a trigram index on PostgreSQL and an
FTS5 table on SQLite instead of reading every incident.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models.signals import post_migrate

from incidents import services, textsearch
from incidents.apps import _text_index_after_migrate
from incidents.models import Incident, Status
from tests.conftest import incident_fields

API = "/api/v1/incidents/"


def found(client, text: str) -> set[str]:
    response = client.get(API, {"q": text, "page_size": 500})
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def _publish(source, **fields) -> Incident:
    incident = services.incident_create(
        user=None,
        claims=[{"source": source, "killed_min": 3, "quote": "Three people were killed."}],
        **incident_fields(**fields),
    )
    return services.incident_publish(incident=incident, user=None)


def test_every_spelling_of_a_place_finds_its_incidents(client, seeded) -> None:
    at_baniyas = found(client, "Baniyas")
    assert at_baniyas, "the seed has incidents in Baniyas"
    for spelling in ("Banias", "banias", "BANIYAS", "بانياس", "Bāniyās"):
        assert found(client, spelling) == at_baniyas, spelling
    assert found(client, "Jebleh") == found(client, "Jableh") == found(client, "جبلة")
    assert found(client, "Jebleh")


def test_a_place_finds_the_incidents_inside_it(client, seeded) -> None:
    published = Incident.objects.filter(status=Status.PUBLISHED)
    in_latakia = {
        i.public_id
        for i in published.select_related("place__parent__parent")
        if i.place and "latakia-governorate" in _ancestors(i.place)
    }
    assert in_latakia
    assert in_latakia <= found(client, "Latakia")


def _ancestors(place) -> set[str]:
    slugs = set()
    while place is not None:
        slugs.add(place.slug)
        place = place.parent
    return slugs


def test_text_anywhere_in_titles_summaries_and_place_names(client, source) -> None:
    title = _publish(source, title="Drone strike on a bakery", title_ar="غارة على مخبز")
    summary = _publish(source, title="An attack", summary="Witnesses saw a white pickup truck.")
    summary_ar = _publish(source, title="Another attack", summary_ar="شهود رأوا شاحنة بيضاء")
    place = _publish(source, title="A third attack", place_name="Near the old souq of Qardaha")
    draft = services.incident_create(user=None, **incident_fields(title="Drone strike draft"))

    assert found(client, "drone STRIKE") == {title.public_id}
    assert found(client, "مخبز") == {title.public_id}
    assert found(client, "pickup") == {summary.public_id}
    assert found(client, "شاحنة") == {summary_ar.public_id}
    assert found(client, "old souq") == {place.public_id}
    assert draft.public_id not in found(client, "draft")
    # Two characters have no trigram: still found, by reading the columns.
    assert title.public_id in found(client, "on")
    # LIKE's wildcards and FTS5's syntax are text like any other.
    assert found(client, "100%") == set()
    assert found(client, 'a "white') == set()
    assert found(client, "white_pickup") == set()


def test_the_index_follows_every_write(client, source) -> None:
    incident = _publish(source, title="Shelling of a granary")
    assert found(client, "granary") == {incident.public_id}
    incident = services.incident_edit(
        incident=incident, user=None, expected_version=incident.version, title="Shelling of a mill"
    )
    assert found(client, "granary") == set()
    assert found(client, "mill") == {incident.public_id}
    Incident.objects.filter(pk=incident.pk).delete()
    assert found(client, "mill") == set()


def test_rows_written_while_sqlite_had_lost_its_triggers_are_indexed_again(client, source):
    """A later migration that rebuilds the incident table drops SQLite's triggers; the
    check after ``migrate`` makes them again and re-reads every incident."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL's index is on the table itself.")
    with connection.cursor() as cursor:
        for name in textsearch._TRIGGERS:
            cursor.execute(f"DROP TRIGGER {name}")
    lost = _publish(source, title="Written without the triggers")
    assert found(client, "without the triggers") == set()
    # What runs after every migrate (connected to post_migrate in IncidentsConfig.ready).
    assert any(key[0] == "text-index" for key, *_ in post_migrate.receivers)
    _text_index_after_migrate(using=connection.alias)
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        triggers = sorted(row[0] for row in cursor.fetchall())
    assert triggers == sorted(textsearch._TRIGGERS)
    assert found(client, "without the triggers") == {lost.public_id}


def test_postgresql_answers_from_the_trigram_index(source) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (run with DATABASE_URL=postgres://...).")
    _publish(source, title="Shelling of a granary")
    query = Incident.objects.filter(textsearch.text_condition("granary")).values("id")
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")  # a scan of the primary key
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert textsearch.PG_INDEX in plan, plan

"""The map's per-cell sums stay equal to a fresh count of the published incidents, and the
map endpoint gives the same cells from them as from the incidents themselves."""

from __future__ import annotations

from django.db.models import Count, Sum

from incidents import services
from incidents.models import Incident, PublishedMapCell, Status
from incidents.readmodel import mapcells
from mapping.aggregation import fine_cell, tile_key, tiles_in

from .conftest import incident_fields

API = "/api/v1"


def fresh_sums() -> dict[tuple[int, int], tuple[int, int]]:
    rows = (
        Incident.objects.filter(status=Status.PUBLISHED, map_cx__isnull=False)
        .values("map_cx", "map_cy")
        .annotate(n=Count("id"), best=Sum("killed_best"))
    )
    return {(r["map_cx"], r["map_cy"]): (r["n"], r["best"] or 0) for r in rows}


def stored_sums() -> dict[tuple[int, int], tuple[int, int]]:
    return {(c.cx, c.cy): (c.count, c.killed_best) for c in PublishedMapCell.objects.all()}


def test_cells_follow_publish_move_claims_retract_and_delete(reviewer, source, news_source):
    incident = services.incident_create(
        user=reviewer,
        claims=[{"source": source, "killed_min": 7, "quote": "Seven were killed."}],
        **incident_fields(),
    )
    assert stored_sums() == {} == fresh_sums()  # a draft is not on the public map
    services.incident_publish(incident=incident, user=reviewer)
    assert stored_sums() == fresh_sums() == {fine_cell(35.36, 35.93): (1, 7)}
    services.claim_add(
        incident=incident, user=reviewer, source=news_source, killed_min=9, quote="Nine."
    )
    assert stored_sums() == fresh_sums()
    services.incident_update(
        incident=incident, user=reviewer, expected_version=incident.version, latitude=35.52
    )
    assert fine_cell(35.52, 35.93) in stored_sums()
    assert fine_cell(35.36, 35.93) not in stored_sums()
    assert stored_sums() == fresh_sums()
    services.incident_retract(incident=incident, user=reviewer, reason="Duplicate.")
    assert stored_sums() == fresh_sums() == {}
    incident.delete()
    assert mapcells.rebuild() == 0


def test_map_endpoint_gives_the_same_cells_from_sums_and_from_incidents(client, seeded, settings):
    settings.INCIDENT_MAP = {**settings.INCIDENT_MAP, "MAP_MAX_POINTS": 1}
    from_sums = client.get(f"{API}/map/?zoom=9").json()
    # Any filter sends the request past the sums, to the incidents themselves.
    live = client.get(f"{API}/map/?zoom=9&date_from=2000-01-01").json()
    assert from_sums["mode"] == live["mode"] == "cells"
    key = lambda cell: tuple(cell["bounds"])  # noqa: E731
    assert sorted(from_sums["cells"], key=key) == sorted(live["cells"], key=key)
    published = client.get(f"{API}/map/?zoom=9&status=published").json()
    assert sorted(published["cells"], key=key) == sorted(live["cells"], key=key)
    assert (
        from_sums["totals"]["incidents"]
        == Incident.objects.filter(status=Status.PUBLISHED, latitude__isnull=False).count()
    )


def test_a_bounding_box_lists_the_tiles_of_its_incidents(seeded):
    for incident in Incident.objects.exclude(latitude=None):
        tiles = tiles_in(
            incident.longitude - 0.1,
            incident.latitude - 0.1,
            incident.longitude + 0.1,
            incident.latitude + 0.1,
        )
        assert incident.map_tile == tile_key(incident.map_cx, incident.map_cy)
        assert incident.map_tile in tiles
    assert tiles_in(35.0, 32.0, 43.0, 37.5) is None  # the whole country: too many to list


def test_a_long_incident_is_found_by_a_window_near_its_end(client, reviewer, source):
    import datetime as dt

    incident = services.incident_create(
        user=reviewer,
        claims=[{"source": source, "killed_min": 3, "quote": "Three were found."}],
        **incident_fields(
            date_start=dt.date(2025, 1, 1), date_end=dt.date(2025, 2, 15), date_precision="month"
        ),
    )
    services.incident_publish(incident=incident, user=reviewer)
    assert mapcells.longest_days() == 45
    found = client.get(f"{API}/incidents/?date_from=2025-02-10&date_to=2025-03-01").json()
    assert [row["id"] for row in found["results"]] == [incident.public_id]
    mapcells.rebuild()
    assert mapcells.longest_days() == 45

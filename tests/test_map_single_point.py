"""A map cell whose incidents all stand at one point says so (``single_point``), from the
per-cell sums and from the incidents themselves alike; the map's incidents name their
governorate, whose outline the map draws for one located only to it."""

from __future__ import annotations

from incidents import services
from incidents.models import Incident, Status
from mapping.models import Place

from .conftest import incident_fields

API = "/api/v1"


def _publish(reviewer, source, **fields) -> Incident:
    incident = services.incident_create(
        user=reviewer,
        claims=[{"source": source, "killed_min": 3, "quote": "Three were killed."}],
        **incident_fields(**fields),
    )
    services.incident_publish(incident=incident, user=reviewer)
    return incident


def _cells(client, query: str) -> dict[tuple, dict]:
    answer = client.get(f"{API}/map/?{query}").json()
    assert answer["mode"] == "cells"
    return {tuple(cell["bounds"]): cell for cell in answer["cells"]}


def test_a_cell_of_incidents_at_one_point_is_marked_so(client, reviewer, source, settings):
    settings.INCIDENT_MAP = {**settings.INCIDENT_MAP, "MAP_MAX_POINTS": 1}
    for _ in range(3):
        _publish(reviewer, source, latitude=35.36, longitude=35.93)
    # Two more, a little apart from each other, some kilometres away.
    _publish(reviewer, source, latitude=35.50, longitude=36.20)
    _publish(reviewer, source, latitude=35.5001, longitude=36.2003)
    _publish(reviewer, source, latitude=34.0, longitude=37.0)  # alone in its cell
    bbox = "&bbox=35.0,33.5,37.5,36.0"
    expected = {
        "zoom=12": [(1, False), (3, True), (2, False)],
        # Coarser cells (1.4 degrees) merge the two groups: no longer one point.
        "zoom=6": [(1, False), (5, False)],
    }
    for query, cells_expected in expected.items():
        # From the per-cell sums, and (any filter) from the incidents themselves.
        for extra in ("", "&date_from=2000-01-01"):
            cells = sorted(
                _cells(client, query + bbox + extra).values(), key=lambda c: c["latitude"]
            )
            assert [(c["count"], c["single_point"]) for c in cells] == cells_expected, query + extra


def test_a_cell_cut_by_the_view_is_judged_on_all_its_incidents(client, reviewer, source, settings):
    settings.INCIDENT_MAP = {**settings.INCIDENT_MAP, "MAP_MAX_POINTS": 1}
    # One finest cell (about 1 km) holding two points: the view takes in one of them only.
    _publish(reviewer, source, latitude=35.3601, longitude=35.9301)
    _publish(reviewer, source, latitude=35.3601, longitude=35.9301)
    _publish(reviewer, source, latitude=35.3640, longitude=35.9340)
    answer = client.get(f"{API}/map/?zoom=14&bbox=35.925,35.355,35.932,35.362").json()
    assert answer["mode"] == "cells"
    assert [cell["single_point"] for cell in answer["cells"]] == [False]


def test_map_incidents_name_their_governorate(client, reviewer, source, gazetteer_loaded):
    latakia = Place.objects.get(slug="latakia-governorate")
    incident = _publish(reviewer, source, location_precision="governorate", governorate=latakia)
    answer = client.get(f"{API}/map/?zoom=8").json()
    (point,) = [p for p in answer["incidents"] if p["id"] == incident.public_id]
    assert point["governorate"] == "latakia-governorate"
    assert Incident.objects.filter(status=Status.PUBLISHED).count() == 1

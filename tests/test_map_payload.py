"""The map page asks for the compact layout of /api/v1/map/: only what the map draws and
lists, one array per incident; the popup's other facts come from the incident's document.
The full layout stays the default for other clients."""

from __future__ import annotations

from incidents.models import Incident, Status

API = "/api/v1/map/"
VIEW = {"zoom": 8, "bbox": "35.5,32.3,42.5,37.4"}


def test_the_compact_layout_holds_what_the_map_draws_of_the_same_incidents(client, seeded):
    full = client.get(API, VIEW).json()
    compact = client.get(API, {**VIEW, "layout": "compact"}).json()
    assert full["mode"] == compact["mode"] == "incidents"
    assert compact["incidents"] == []
    fields = compact["points"]["fields"]
    assert {"place_name", "grade", "source_count", "precision_radius_m"}.isdisjoint(fields)
    rows = [dict(zip(fields, row, strict=True)) for row in compact["points"]["rows"]]
    assert [r["id"] for r in rows] == [i["id"] for i in full["incidents"]]
    published = Incident.objects.filter(status=Status.PUBLISHED, latitude__isnull=False)
    assert len(rows) == published.count()
    for row, incident in zip(rows, full["incidents"], strict=True):
        for field in fields:
            if field in ("latitude", "longitude"):
                assert row[field] == round(incident[field], 5)
            elif field in ("governorate", "district"):  # needed only to draw its outline
                wanted = incident["location_precision"] == field
                assert row[field] == (incident[field] if wanted else None)
            elif field == "perpetrator_confidences":  # beside the perpetrators, in order
                confidence = incident["perpetrator_confidence"]
                assert row[field] == [confidence[slug] for slug in incident["perpetrators"]]
            else:
                assert row[field] == incident[field], field
    assert compact["totals"] == full["totals"]
    # What the map draws costs well under half of the full layout, key names and all.
    per_point = len(client.get(API, {**VIEW, "layout": "compact"}).content) / len(rows)
    assert per_point < 0.6 * len(client.get(API, VIEW).content) / len(rows)


def test_cells_are_the_same_in_both_layouts(client, seeded, settings):
    settings.INCIDENT_MAP = {**settings.INCIDENT_MAP, "MAP_MAX_POINTS": 2}
    full = client.get(API, VIEW).json()
    compact = client.get(API, {**VIEW, "layout": "compact"}).json()
    assert full["mode"] == compact["mode"] == "cells"
    assert full["cells"] == compact["cells"] and compact["points"]["rows"] == []


def test_an_unknown_layout_is_refused_by_name(client, seeded):
    response = client.get(API, {**VIEW, "layout": "tiny"})
    assert response.status_code == 400
    assert "layout" in response.json()

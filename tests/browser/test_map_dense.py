"""The public map where incidents are many: grid cells carry their counts and list their
incidents, a cell whose incidents share one point says so, markers differ in shape by
event type, and precision areas stay out of the way until asked for."""

from __future__ import annotations

import datetime as dt

import pytest

from incidents.models import Incident, Status
from incidents.readmodel import mapcells
from mapping.aggregation import fine_cell, tile_key
from mapping.geo import district_areas
from mapping.models import Place

from .map_page import wait_for_draw

pytestmark = pytest.mark.browser

# A village with 1,200 incidents recorded at its centre, and neighbours with a few each.
VILLAGE = (35.2041, 36.1112)


def _publish(rows: list[dict]) -> list[Incident]:
    """Published incidents, written at once (the per-cell sums are rebuilt after)."""
    incidents = []
    for n, row in enumerate(rows):
        cx, cy = fine_cell(row["latitude"], row["longitude"])
        day = row.pop("day", n % 300)
        fields = {
            "public_id": f"SY-2024-{800000 + n}",
            "title": f"Incident {n}",
            "title_ar": f"حادثة {n}",
            "event_type": "shelling",
            "date_start": dt.date(2024, 1, 1) + dt.timedelta(days=day),
            "location_precision": "exact",
            "killed_low": 2,
            "killed_best": 3,
            "killed_high": 4,
            "grade": "fair",
            "status": Status.PUBLISHED,
            **row,
            "map_cx": cx,
            "map_cy": cy,
            "map_tile": tile_key(cx, cy),
        }
        fields["date_end"] = fields["date_start"]
        if "killed_best" in row:
            fields["killed_low"] = fields["killed_high"] = row["killed_best"]
        incidents.append(Incident(**fields))
    Incident.objects.bulk_create(incidents)
    mapcells.rebuild()
    return incidents


def _dense_village() -> None:
    rows = [{"latitude": VILLAGE[0], "longitude": VILLAGE[1]} for _ in range(1200)]
    # Neighbours spread over a few kilometres: their cells can be split by zooming in.
    for n in range(40):
        rows.append(
            {
                "latitude": VILLAGE[0] + 0.02 + (n % 8) * 0.004,
                "longitude": VILLAGE[1] + 0.03 + (n // 8) * 0.004,
            }
        )
    _publish(rows)


def _cells(page) -> list[dict]:
    return page.evaluate("document.querySelector('[data-map]').incidentMap.cells()")


def _click_cell(page, cell: dict) -> None:
    box = page.locator("[data-map]").bounding_box()
    page.mouse.click(box["x"] + cell["x"], box["y"] + cell["y"])


def _village_view(page, live_server, prefix: str = "") -> None:
    page.goto(f"{live_server.url}{prefix}/?lat={VILLAGE[0]}&lon={VILLAGE[1] + 0.02}&z=12")
    wait_for_draw(page)


def test_cells_show_their_counts_and_list_their_incidents_newest_first(
    page, live_server, gazetteer_loaded, artifacts
):
    _dense_village()
    _village_view(page, live_server)
    assert page.get_attribute("[data-map]", "data-mode") == "cells"
    cells = _cells(page)
    labels = page.evaluate("document.querySelector('[data-map]').incidentMap.cellLabels()")
    assert sorted(labels) == sorted(str(c["count"]) if c["count"] < 1000 else "1.2K" for c in cells)
    # The labels are drawn: the village's reads 1.2K.
    assert page.locator(".cell-label .cell-count", has_text="1.2K").count() == 1
    page.screenshot(path=str(artifacts / "public-map-cell-labels.png"))

    village = next(c for c in cells if c["count"] == 1200)
    assert village["single_point"] is True
    _click_cell(page, village)
    popup = page.locator(".leaflet-popup-content .popup-cell")
    popup.wait_for()
    assert popup.locator("h3").inner_text().replace("\u2066", "").replace("\u2069", "") == (
        "1,200 incidents at one place"
    )
    assert "zooming in will not separate them" in popup.inner_text()
    # No promise of a zoom that cannot help.
    assert popup.locator("button.popup-link").count() == 0
    items = popup.locator(".popup-cell-list li")
    items.first.wait_for()
    assert items.count() == 10
    newest = list(
        Incident.objects.filter(latitude=VILLAGE[0], longitude=VILLAGE[1])
        .order_by("-date_start", "-id")
        .values_list("public_id", flat=True)[:20]
    )
    hrefs = popup.locator(".popup-cell-list a").evaluate_all("els => els.map(a => a.pathname)")
    assert hrefs == [f"/incidents/{pid}/" for pid in newest[:10]]
    # The next page, on asking.
    popup.locator("button.popup-more").click()
    page.wait_for_function("() => document.querySelectorAll('.popup-cell-list li').length === 20")
    hrefs = popup.locator(".popup-cell-list a").evaluate_all("els => els.map(a => a.pathname)")
    assert hrefs == [f"/incidents/{pid}/" for pid in newest]
    page.screenshot(path=str(artifacts / "public-map-cell-one-place.png"))

    # A cell of incidents at several points offers the zoom.
    page.keyboard.press("Escape")
    page.evaluate("document.querySelector('[data-map]').incidentMap.map.closePopup()")
    spread = next(c for c in _cells(page) if not c["single_point"] and c["count"] > 1)
    _click_cell(page, spread)
    popup.wait_for()
    assert popup.locator("h3").inner_text().replace("\u2066", "").replace("\u2069", "") == (
        f"{spread['count']} incidents in this area"
    )
    assert popup.locator("button.popup-link").inner_text() == "Zoom in to this area"
    assert page.errors == [] and page.console_errors == []


def test_cell_labels_and_one_place_text_in_arabic(
    browser, live_server, gazetteer_loaded, artifacts
):
    _dense_village()
    context = browser.new_context(
        viewport={"width": 1280, "height": 1000},
        locale="ar",
        extra_http_headers={"Accept-Language": "ar"},
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    _village_view(page, live_server)
    assert page.get_attribute("html", "lang") == "ar"
    labels = page.evaluate("document.querySelector('[data-map]').incidentMap.cellLabels()")
    assert "1.2\xa0ألف" in labels  # Intl's compact notation, Latin digits
    village = next(c for c in _cells(page) if c["count"] == 1200)
    _click_cell(page, village)
    popup = page.locator(".leaflet-popup-content .popup-cell")
    popup.wait_for()
    heading = popup.locator("h3").inner_text().replace("\u2066", "").replace("\u2069", "")
    assert heading == "1,200 حادثة في مكان واحد"
    assert "التكبير" in popup.inner_text()
    popup.locator(".popup-cell-list li").first.wait_for()
    page.screenshot(path=str(artifacts / "public-map-cell-arabic.png"))
    assert errors == []
    context.close()


def _painted_mask(page, incident_id: str, half: int = 14) -> list[str]:
    """The pixels painted around an incident's marker on the map's canvas, as rows of
    '#' and '.', centred on the marker."""
    return page.evaluate(
        """([id, half]) => {
            const element = document.querySelector('[data-map]');
            const layer = element.incidentMap.byId.get(id).layer;
            const renderer = layer._renderer;
            const ratio = window.devicePixelRatio || 1;
            const x = Math.round((layer._point.x - renderer._bounds.min.x) * ratio);
            const y = Math.round((layer._point.y - renderer._bounds.min.y) * ratio);
            const ctx = renderer._container.getContext('2d');
            const pixels = ctx.getImageData(x - half, y - half, 2 * half + 1, 2 * half + 1).data;
            const rows = [];
            for (let j = 0; j <= 2 * half; j++) {
              let row = '';
              for (let i = 0; i <= 2 * half; i++) {
                row += pixels[(j * (2 * half + 1) + i) * 4 + 3] > 40 ? '#' : '.';
              }
              rows.push(row);
            }
            return rows;
        }""",
        [incident_id, half],
    )


def test_markers_of_different_event_types_have_different_shapes(
    page, live_server, gazetteer_loaded, artifacts
):
    types = ["summary_execution", "armed_clash", "shelling", "mass_grave"]
    incidents = _publish(
        [
            {"latitude": 35.0, "longitude": 38.0 + 0.2 * n, "event_type": kind, "killed_best": 9}
            for n, kind in enumerate(types)
        ]
    )
    page.goto(f"{live_server.url}/?lat=35.0&lon=38.3&z=9")
    wait_for_draw(page)
    page.wait_for_timeout(100)  # the canvas is painted in the frame after
    masks = {i.event_type: _painted_mask(page, i.public_id) for i in incidents}
    for kind, mask in masks.items():
        assert sum(row.count("#") for row in mask) > 100, kind  # a marker is there
    # Each event type's marker covers different pixels: a shape of its own.
    assert len({tuple(mask) for mask in masks.values()}) == len(types)
    # The legend shows the same shapes.
    legend = page.locator(".map-legend .legend-colour svg")
    assert len(set(legend.evaluate_all("els => els.map(e => e.dataset.shape)"))) == len(types)
    page.screenshot(path=str(artifacts / "public-map-shapes.png"))
    assert page.errors == []


def test_areas_are_drawn_on_hover_when_many_and_a_governorate_as_its_outline(
    page, live_server, gazetteer_loaded, artifacts
):
    latakia = Place.objects.get(slug="latakia-governorate")
    rows = [
        {
            "latitude": 35.45 + (n % 5) * 0.03,
            "longitude": 35.85 + (n // 5) * 0.03,
            "location_precision": "settlement",
            "killed_best": n,
        }
        for n in range(20)
    ]
    rows.append(
        {
            "latitude": 35.6,
            "longitude": 36.1,
            "location_precision": "governorate",
            "governorate": latakia,
            "killed_best": 50,
        }
    )
    incidents = _publish(rows)
    governorate_level = incidents[-1].public_id
    page.goto(f"{live_server.url}/?lat=35.55&lon=35.95&z=10")
    wait_for_draw(page)
    page.wait_for_load_state("networkidle")
    map_js = "document.querySelector('[data-map]').incidentMap"
    # 21 areas: none drawn until asked for.
    assert page.evaluate(f"{map_js}.areasDrawn()") == []
    box = page.locator("[data-map]").bounding_box()

    def hover(public_id: str) -> None:
        # Leaflet's canvas ignores a move within 32 ms of the last it handled.
        page.wait_for_timeout(50)
        point = page.evaluate(
            f"id => {{ const m = {map_js}; const p = m.map.latLngToContainerPoint("
            "m.byId.get(id).layer.getLatLng()); return [p.x, p.y]; }",
            public_id,
        )
        page.mouse.move(box["x"] + point[0], box["y"] + point[1])

    hover(incidents[3].public_id)
    page.wait_for_function(f"() => {map_js}.areasDrawn().length === 1")
    assert page.evaluate(f"{map_js}.areasDrawn()") == [[incidents[3].public_id, "circle"]]
    page.wait_for_timeout(50)
    page.mouse.move(box["x"] + 5, box["y"] + box["height"] - 5)
    page.wait_for_function(f"() => {map_js}.areasDrawn().length === 0")
    # A governorate-level incident's area is its governorate's outline, not a circle.
    hover(governorate_level)
    page.wait_for_function(f"() => {map_js}.areasDrawn().length === 1")
    assert page.evaluate(f"{map_js}.areasDrawn()") == [[governorate_level, "outline"]]
    page.screenshot(path=str(artifacts / "public-map-area-on-hover.png"))

    # Where few are in view, all areas are drawn.
    page.goto(f"{live_server.url}/?lat=35.6&lon=36.1&z=10&killed_min=12")
    wait_for_draw(page)
    page.wait_for_load_state("networkidle")
    drawn = dict(page.evaluate(f"{map_js}.areasDrawn()"))
    assert drawn[governorate_level] == "outline"
    assert len(drawn) == Incident.objects.filter(killed_best__gte=12).count()
    assert page.errors == []


# Records how many list entries each delivery of DOM changes added: one delivery per task
# that changed the list.
LIST_BATCHES = """
window.listBatches = [];
new MutationObserver((records) => {
  let added = 0;
  for (const record of records) {
    if (!record.target.matches || !record.target.matches('[data-incident-list]')) continue;
    for (const node of record.addedNodes) {
      if (node.nodeType === 1 && node.matches('li.incident-item')) added += 1;
    }
  }
  if (added) window.listBatches.push(added);
}).observe(document, { childList: true, subtree: true });
"""


def test_a_long_list_is_built_a_chunk_per_task_and_is_whole_once_drawn(
    page, live_server, gazetteer_loaded
):
    # 300 incidents in view, each killing a different number: the list holds the 250 with
    # the most killed, in that order, and says how many more are in view.
    incidents = _publish(
        [
            {
                "latitude": 35.0 + (n % 20) * 0.01,
                "longitude": 38.0 + (n // 20) * 0.01,
                "killed_best": n,
            }
            for n in range(300)
        ]
    )
    page.add_init_script(LIST_BATCHES)
    page.goto(f"{live_server.url}/?lat=35.1&lon=38.07&z=11")
    wait_for_draw(page)
    assert page.get_attribute("[data-map]", "data-mode") == "incidents"
    listed = page.eval_on_selector_all(
        "[data-incident-list] li.incident-item", "items => items.map(item => item.dataset.id)"
    )
    by_killed = sorted(incidents, key=lambda incident: -incident.killed_best)
    assert listed == [incident.public_id for incident in by_killed[:250]]
    assert page.text_content("[data-list-note]").startswith("+50 ")
    # Built in several tasks, none adding more than a chunk, so that no long task holds the
    # page after the map is painted; all of it before the map says it is drawn.
    batches = page.evaluate("window.listBatches")
    assert sum(batches) == 250 and len(batches) >= 5 and max(batches) <= 50, batches
    assert page.errors == []
    # The timeline's request ends before the test does (and the database is emptied).
    page.wait_for_function("() => performance.getEntriesByName('timeline-drawn').length > 0")


def test_a_district_level_incident_is_drawn_as_its_district_outline(
    page, live_server, gazetteer_loaded, artifacts
):
    jableh = Place.objects.get(slug="jableh-district")
    latakia = Place.objects.get(slug="latakia-governorate")
    rows = [
        {
            "latitude": 35.45 + (n % 5) * 0.03,
            "longitude": 35.85 + (n // 5) * 0.03,
            "location_precision": "settlement",
            "killed_best": n,
        }
        for n in range(20)
    ]
    rows.append(
        {
            "latitude": jableh.latitude,
            "longitude": jableh.longitude,
            "location_precision": "district",
            "governorate": latakia,
            "district": jableh,
            "killed_best": 50,
        }
    )
    incidents = _publish(rows)
    district_level = incidents[-1].public_id
    page.goto(f"{live_server.url}/?lat=35.4&lon=35.95&z=10")
    wait_for_draw(page)
    page.wait_for_load_state("networkidle")
    map_js = "document.querySelector('[data-map]').incidentMap"
    assert page.evaluate(f"{map_js}.areasDrawn()") == []
    box = page.locator("[data-map]").bounding_box()
    point = page.evaluate(
        f"id => {{ const m = {map_js}; const p = m.map.latLngToContainerPoint("
        "m.byId.get(id).layer.getLatLng()); return [p.x, p.y]; }",
        district_level,
    )
    page.mouse.move(box["x"] + point[0], box["y"] + point[1])
    page.wait_for_function(f"() => {map_js}.areasDrawn().length === 1")
    # Its area is its district's outline, not a circle of a district's radius.
    assert page.evaluate(f"{map_js}.areasDrawn()") == [[district_level, "outline"]]
    (south, west), (north, east) = page.evaluate(f"{map_js}.areaBounds('{district_level}')")
    (district,) = [area for area in district_areas() if area.slug == "jableh-district"]
    min_lon, min_lat, max_lon, max_lat = district.bbox
    assert (south, west, north, east) == pytest.approx(
        (min_lat, min_lon, max_lat, max_lon), abs=1e-6
    )
    page.screenshot(path=str(artifacts / "public-map-district-outline.png"))
    assert page.errors == []

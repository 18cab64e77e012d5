"""The public map, incident page and API documentation in a real browser, with the seed data.

All tests share pytest-django's one live server. Each waits for the map's ``data-drawn``
counter, which the map script raises after drawing an API response.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from incidents import services
from incidents.models import Incident, Status
from mapping.geo import district_areas, governorate_areas
from mapping.models import Place

from .map_page import wait_for_draw

pytestmark = pytest.mark.browser


def _published_on_map() -> set[str]:
    return set(
        Incident.objects.filter(status=Status.PUBLISHED, latitude__isnull=False).values_list(
            "public_id", flat=True
        )
    )


def _listed(page) -> set[str]:
    return set(
        page.eval_on_selector_all("[data-incident-list] li", "els => els.map(e => e.dataset.id)")
    )


def _markers(page) -> set[str]:
    return set(
        page.evaluate("() => [...document.querySelector('[data-map]').incidentMap.byId.keys()]")
    )


def test_map_shows_exactly_the_published_incidents_with_popups(
    page, live_server, seeded, artifacts
):
    page.goto(live_server.url + "/")
    wait_for_draw(page)
    published = _published_on_map()
    assert "SY-2025-0011" not in published  # the Tuwaym draft
    assert _listed(page) == published
    assert _markers(page) == published
    assert page.get_attribute("[data-map]", "data-mode") == "incidents"
    assert page.inner_text("[data-total=incidents]") == str(len(published))
    # Some incidents have no upper bound ("at least 40"): the totals say how many, and the
    # summed high reads as a floor.
    open_highs = Incident.objects.filter(public_id__in=published, killed_high_open=True).count()
    assert open_highs == 3
    assert page.inner_text("[data-total=killed_high_open]") == str(open_highs)
    assert page.inner_text("[data-total=killed_high]").endswith(" or more")
    listed = page.inner_text("[data-incident-list] li[data-id='SY-2025-0005']")
    assert "40 or more" in listed.replace("\u2066", "").replace("\u2069", "")

    incident = Incident.objects.get(public_id="SY-2025-0005")
    page.click("[data-incident-list] li[data-id='SY-2025-0005'] button")
    popup = page.locator(".leaflet-popup-content .popup")
    popup.wait_for()
    text = popup.inner_text().replace("\u2066", "").replace("\u2069", "")  # bidi isolates
    assert incident.title in text
    # "At least 40" (SNHR) and "about 40": no source gives a ceiling.
    assert (incident.killed_low, incident.killed_best, incident.killed_high) == (40, 40, None)
    assert "40 or more" in text and "None" not in text and "40–40–40" not in text
    assert "Fair" in text and "2025-03-07 (exact day)" in text
    assert re.search(r"Sources\s+2\b", text)
    assert "Syrian transitional government forces" in text
    href = popup.locator("a").get_attribute("href")
    assert href == "/incidents/SY-2025-0005/"
    # Choosing it in the list highlighted it there; the map's marker is highlighted too.
    assert "is-highlighted" in page.get_attribute("li[data-id='SY-2025-0005']", "class")

    # Hovering a marker on the map highlights its entry in the list, and leaving it does not.
    # The marker drawn last lies on top of any other at its centre.
    top, point = page.evaluate(
        """() => {
            const element = document.querySelector('[data-map]');
            const {map, byId} = element.incidentMap;
            map.closePopup();
            const [id, entry] = [...byId.entries()].pop();
            const p = map.latLngToContainerPoint(entry.layer.getLatLng());
            const box = element.getBoundingClientRect();
            return [id, [box.left + p.x, box.top + p.y]];
        }"""
    )
    page.mouse.move(*point)
    page.wait_for_selector(f"li[data-id='{top}'].is-highlighted")
    page.mouse.move(5, 5)
    page.wait_for_selector(f"li[data-id='{top}']:not(.is-highlighted)")

    # The governorate outlines are drawn under the markers even with no tiles.
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-outlines-pane canvas').length > 0"
    )
    page.screenshot(path=str(artifacts / "public-map.png"))
    assert page.errors == [] and page.console_errors == []


def test_a_date_range_filters_the_map_and_lives_in_the_url(page, live_server, seeded):
    page.goto(live_server.url + "/")
    drawn = wait_for_draw(page)
    before = _listed(page)

    page.fill("#f-date-from", "2025-03-07")
    page.fill("#f-date-to", "2025-03-07")
    page.click("#filters button[type=submit]")
    drawn = wait_for_draw(page, drawn)
    assert "date_from=2025-03-07" in page.url and "date_to=2025-03-07" in page.url
    expected = set(
        Incident.objects.filter(
            status=Status.PUBLISHED,
            latitude__isnull=False,
            date_start__lte=dt.date(2025, 3, 7),
            date_end__gte=dt.date(2025, 3, 7),
        ).values_list("public_id", flat=True)
    )
    assert _listed(page) == expected != before
    assert _markers(page) == expected

    # Each filter change is a step back: first to "from" alone, then to no filter at all,
    # and the form follows.
    page.go_back()
    drawn = wait_for_draw(page, drawn)
    assert "date_from=2025-03-07" in page.url and "date_to" not in page.url
    assert page.input_value("#f-date-to") == ""
    page.go_back()
    drawn = wait_for_draw(page, drawn)
    assert "date_from" not in page.url
    assert _listed(page) == before
    assert page.input_value("#f-date-from") == ""

    # Dragging across the timeline chooses a range too.
    page.wait_for_selector("#timeline rect.timeline-bar")
    page.locator("#timeline").scroll_into_view_if_needed()
    box = page.locator("#timeline").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] - 3, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.9, y, steps=4)
    page.mouse.up()
    wait_for_draw(page, drawn)
    assert "date_from=" in page.url and "date_to=" in page.url
    date_from = page.input_value("#f-date-from")
    date_to = page.input_value("#f-date-to")
    assert date_from <= date_to
    in_range = set(
        Incident.objects.filter(
            status=Status.PUBLISHED,
            latitude__isnull=False,
            date_start__lte=date_to,
            date_end__gte=date_from,
        ).values_list("public_id", flat=True)
    )
    assert _listed(page) == in_range
    # A shared link opens the same view.
    page.goto(page.url)
    wait_for_draw(page)
    assert _listed(page) == in_range and page.input_value("#f-date-from") == date_from
    assert page.errors == [] and page.console_errors == []


def test_filters_work_from_the_keyboard(page, live_server, seeded):
    page.goto(live_server.url + "/")
    drawn = wait_for_draw(page)
    page.focus("#f-date-to")
    page.keyboard.press("Tab")  # to the timeline's metric, then on through the form
    checkbox = page.locator("input[name=event_type][value=summary_execution]")
    checkbox.focus()
    page.keyboard.press("Space")
    drawn = wait_for_draw(page, drawn)
    assert "event_type=summary_execution" in page.url
    expected = set(
        Incident.objects.filter(
            status=Status.PUBLISHED, latitude__isnull=False, event_type="summary_execution"
        ).values_list("public_id", flat=True)
    )
    assert _listed(page) == expected
    page.fill("#f-q", "Baniyas")
    page.press("#f-q", "Enter")
    wait_for_draw(page, drawn)
    assert "q=Baniyas" in page.url
    assert all(
        "Baniyas" in t
        for t in page.eval_on_selector_all(
            "[data-incident-list] .incident-title", "els => els.map(e => e.textContent)"
        )
    )
    # Every field has a label a screen reader announces.
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('#filters input, #filters select')]
            .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
            .map((el) => el.name)"""
    )
    assert unlabelled == []
    assert page.errors == [] and page.console_errors == []


def test_a_hostile_title_is_shown_as_text_everywhere(page, live_server, seeded, reviewer, source):
    hostile = services.incident_create(
        user=None,
        title="<img src=x onerror=alert(1)>",
        event_type="other",
        date_start=dt.date(2025, 3, 8),
        date_end=dt.date(2025, 3, 8),
        latitude=35.3,
        longitude=36.0,
        location_precision="exact",
        claims=[{"source": source, "quote": "<script>alert(2)</script>", "killed_min": 3}],
    )
    services.incident_publish(incident=hostile, user=reviewer)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(live_server.url + "/")
    wait_for_draw(page)
    item = page.locator(f"li[data-id='{hostile.public_id}']")
    # The list's entries out of its view are laid out only when scrolled to
    # (content-visibility), so their text is read from the DOM, not the rendering.
    assert item.locator(".incident-title").text_content() == "<img src=x onerror=alert(1)>"
    item.locator("button").click()
    popup = page.locator(".leaflet-popup-content .popup h2")
    popup.wait_for()
    assert popup.inner_text() == "<img src=x onerror=alert(1)>"
    assert page.locator("img[src=x]").count() == 0

    page.goto(f"{live_server.url}/incidents/{hostile.public_id}/")
    assert page.inner_text("h1") == "<img src=x onerror=alert(1)>"
    assert "<script>alert(2)</script>" in page.inner_text("[data-claims]")
    assert page.locator("img[src=x]").count() == 0
    page.wait_for_timeout(200)
    assert dialogs == []
    assert page.errors == [] and page.console_errors == []


def test_arabic_site_is_right_to_left_with_arabic_titles(browser, live_server, seeded, artifacts):
    context = browser.new_context(
        viewport={"width": 375, "height": 740},
        locale="ar",
        extra_http_headers={"Accept-Language": "ar"},
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"{error}\n{error.stack}"))
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    page.goto(live_server.url + "/")
    wait_for_draw(page)
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.get_attribute("html", "lang") == "ar"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert "الحوادث" in page.inner_text("[data-totals]")
    incident = Incident.objects.get(public_id="SY-2025-0005")
    # The list's entries out of its view are laid out only when scrolled to
    # (content-visibility), so their text is read from the DOM, not the rendering.
    title = page.text_content("li[data-id='SY-2025-0005'] .incident-title")
    assert title == incident.title_ar
    meta = page.text_content("li[data-id='SY-2025-0005'] .incident-meta")
    assert "40 أو أكثر" in meta.replace("\u2066", "").replace("\u2069", "")
    # The phone layout: nothing wider than the screen, the map on top and usable.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    box = page.locator("[data-map]").bounding_box()
    assert box["width"] >= 370 and box["height"] >= 300
    page.screenshot(path=str(artifacts / "public-map-arabic-phone.png"), full_page=True)

    page.goto(f"{live_server.url}/incidents/SY-2025-0005/")
    assert page.inner_text("h1") == incident.title_ar
    assert page.get_attribute("html", "dir") == "rtl"
    assert errors == []
    context.close()


def test_incident_page_lists_all_its_claims_with_a_small_map(page, live_server, seeded, artifacts):
    incident = Incident.objects.get(public_id="SY-2025-0005")
    claims = incident.claims.filter(source__confidential=False)
    page.goto(f"{live_server.url}/incidents/{incident.public_id}/")
    assert page.locator("[data-claim]").count() == claims.count() > 0
    text = page.inner_text("[data-claims]")
    for claim in claims:
        assert claim.quote in text
        assert claim.source.headline in text
    page.wait_for_selector("[data-incident-map][data-ready=true]")
    assert (
        page.locator(
            "[data-incident-map] path.leaflet-interactive, [data-incident-map] canvas"
        ).count()
        > 0
    )
    assert f"/incidents/{incident.public_id}/" in page.inner_text("[data-cite]")
    page.screenshot(path=str(artifacts / "incident-page.png"), full_page=True)
    assert page.errors == [] and page.console_errors == []


def test_api_docs_and_admin_run_under_the_content_security_policy(page, live_server, superuser):
    page.goto(live_server.url + "/api/v1/docs/")
    page.wait_for_selector("#swagger-ui .opblock")
    page.goto(live_server.url + "/api/v1/redoc/")
    page.wait_for_selector("redoc .api-content, .api-content", timeout=15000)
    assert page.console_errors == []
    page.console_errors.clear()

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", superuser.username)
    page.fill("#id_password", f"pw-{superuser.username}")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.goto(f"{live_server.url}/admin/incidents/incident/add/")
    page.wait_for_selector("[data-point-picker].leaflet-container")
    assert page.errors == [] and page.console_errors == []


def test_the_map_asks_for_what_it_draws_and_a_popup_fetches_the_rest(page, live_server, seeded):
    """The map's answer is the compact layout (no place, grade or number of sources); the
    popup reads them from the incident's document when it opens, then shows them."""
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(live_server.url + "/")
    wait_for_draw(page)
    maps = [url for url in asked if "/api/v1/map/" in url]
    assert maps and all("layout=compact" in url for url in maps), maps
    drawn = page.evaluate(
        "() => document.querySelector('[data-map]').incidentMap.byId.get('SY-2025-0005').incident"
    )
    assert "grade" not in drawn and drawn["precision_radius_m"] is not None
    assert not any("/api/v1/incidents/SY-2025-0005/" in url for url in asked)

    page.click("[data-incident-list] li[data-id='SY-2025-0005'] button")
    # Named at once by its title, then its facts, once read, replace the loading line.
    popup = page.locator(".leaflet-popup-content .popup")
    popup.wait_for()
    assert any(url.endswith("/api/v1/incidents/SY-2025-0005/") for url in asked)
    text = popup.inner_text().replace("\u2066", "").replace("\u2069", "")
    assert "Fair" in text and re.search(r"Sources\s+2\b", text)
    assert page.locator(".leaflet-popup-content .popup-loading").count() == 0
    assert page.errors == [] and page.console_errors == []


@pytest.mark.parametrize("precision", ["district", "governorate"])
def test_incident_page_draws_an_area_level_location_as_its_outline(
    page, live_server, seeded, artifacts, precision
):
    jableh = Place.objects.get(slug="jableh-district")
    latakia = Place.objects.get(slug="latakia-governorate")
    incident = Incident.objects.get(public_id="SY-2025-0005")
    # The page reads the row as stored; the map's cells and sums are not looked at here.
    Incident.objects.filter(pk=incident.pk).update(
        location_precision=precision,
        governorate=latakia,
        district=jableh if precision == "district" else None,
        latitude=jableh.latitude,
        longitude=jableh.longitude,
    )
    page.goto(f"{live_server.url}/incidents/{incident.public_id}/")
    page.wait_for_selector("[data-incident-map][data-ready=true]")
    holder = page.locator("[data-incident-map]")
    assert holder.get_attribute("data-area") == "outline"
    assert "dashed outline" in holder.get_attribute("aria-label")
    # The outline drawn is the area's own: its bounds are the boundary file's.
    (south, west), (north, east) = json.loads(holder.get_attribute("data-area-bounds"))
    areas = district_areas() if precision == "district" else governorate_areas()
    slug = jableh.slug if precision == "district" else latakia.slug
    (area,) = [a for a in areas if a.slug == slug]
    min_lon, min_lat, max_lon, max_lat = area.bbox
    assert (south, west, north, east) == pytest.approx(
        (min_lat, min_lon, max_lat, max_lon), abs=1e-6
    )
    page.screenshot(path=str(artifacts / f"incident-page-{precision}-outline.png"))
    assert page.errors == [] and page.console_errors == []

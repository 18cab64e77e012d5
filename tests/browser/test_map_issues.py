"""The public map's reported faults, each reproduced in a real browser: dates typed with the
keyboard, a tap on a phone, incidents stacked at one point, a filter the API refuses."""

from __future__ import annotations

import pytest

from .map_page import wait_for_draw

pytestmark = pytest.mark.browser

# Every programmatic write to a date field's value, once the test starts watching.
WATCH_DATE_WRITES = """
window.dateWrites = [];
window.watchDateWrites = false;
const descriptor = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value");
Object.defineProperty(HTMLInputElement.prototype, "value", {
  get() { return descriptor.get.call(this); },
  set(value) {
    if (window.watchDateWrites && this.type === "date") window.dateWrites.push([this.name, value]);
    descriptor.set.call(this, value);
  },
});
"""


def test_typed_dates_apply_once_each_and_are_never_rewritten(browser, live_server, seeded):
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    page.add_init_script(WATCH_DATE_WRITES)
    page.goto(live_server.url + "/")
    drawn = wait_for_draw(page)
    history = page.evaluate("history.length")
    page.evaluate("window.watchDateWrites = true")

    # The en-US date field reads month, day, year.
    page.locator("#f-date-from").press_sequentially("03052025", delay=30)
    page.locator("#f-date-to").press_sequentially("03092025", delay=30)
    page.keyboard.press("Enter")
    wait_for_draw(page, drawn)
    page.wait_for_load_state("networkidle")

    state = page.evaluate("document.querySelector('[data-map]').incidentMap.state().filters")
    assert state.get("date_from") == "2025-03-05" and state.get("date_to") == "2025-03-09"
    assert "date_from=2025-03-05" in page.url and "date_to=2025-03-09" in page.url
    assert page.input_value("#f-date-from") == "2025-03-05"
    assert page.input_value("#f-date-to") == "2025-03-09"
    assert page.evaluate("history.length") - history <= 2
    assert page.evaluate("window.dateWrites") == []
    assert errors == []
    context.close()


def _phone(browser, live_server):
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, has_touch=True, is_mobile=True, locale="en-US"
    )
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    page.goto(live_server.url + "/")
    wait_for_draw(page)
    return context, page


def _marker_point(page, incident_id: str | None = None) -> tuple[str, list[float]]:
    """An incident's marker (the one drawn last if none is named) in page coordinates."""
    return page.evaluate(
        """(id) => {
            const element = document.querySelector('[data-map]');
            const {byId} = element.incidentMap;
            const [key, entry] = id ? [id, byId.get(id)] : [...byId.entries()].pop();
            const p = element.incidentMap.map.latLngToContainerPoint(entry.layer.getLatLng());
            const box = element.getBoundingClientRect();
            return [key, [box.left + p.x, box.top + p.y]];
        }""",
        incident_id,
    )


def test_tapping_a_marker_on_a_phone_opens_its_popup_and_keeps_the_map_in_view(
    browser, live_server, seeded, artifacts
):
    context, page = _phone(browser, live_server)
    scrolled = page.evaluate("window.scrollY")
    _, (x, y) = _marker_point(page)
    page.touchscreen.tap(x, y)
    page.locator(".leaflet-popup-content .popup").wait_for(timeout=5000)
    assert page.evaluate("window.scrollY") == scrolled
    box = page.locator("[data-map]").bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 740 + 1
    page.screenshot(path=str(artifacts / "public-map-phone-tap.png"))
    assert page.errors == []
    context.close()


def test_a_click_on_incidents_at_one_point_offers_each_of_them(
    page, live_server, seeded, artifacts
):
    from incidents.models import Incident

    checkpoint = Incident.objects.get(public_id="SY-2025-0003")
    stacked = list(
        Incident.objects.filter(
            status="published", latitude=checkpoint.latitude, longitude=checkpoint.longitude
        ).order_by("public_id")
    )
    assert [i.public_id for i in stacked] == ["SY-2025-0003", "SY-2025-0009"]  # Baniyas
    page.goto(live_server.url + "/")
    drawn = wait_for_draw(page)
    # Close in on Baniyas, so that no neighbour's marker lies over it.
    page.evaluate(
        "([lat, lon]) => document.querySelector('[data-map]')"
        ".incidentMap.map.setView([lat, lon], 13)",
        [checkpoint.latitude, checkpoint.longitude],
    )
    wait_for_draw(page, drawn)
    page.wait_for_load_state("networkidle")
    _, point = _marker_point(page, "SY-2025-0003")
    page.mouse.click(*point)
    popup = page.locator(".leaflet-popup-content .popup")
    popup.wait_for()
    assert "2 incidents at this point" in popup.locator("h2").inner_text()
    choices = popup.locator("button.popup-choose")
    assert choices.count() == 2
    titles = [t.strip() for t in popup.locator(".popup-choose-title").all_inner_texts()]
    assert sorted(titles) == sorted(i.title for i in stacked)
    page.screenshot(path=str(artifacts / "public-map-stack.png"))

    # Each opens its own popup, with the link to its page and a way back to the others.
    popup.locator("button.popup-choose[data-id='SY-2025-0009']").click()
    # (Its facts are fetched when it opens: until then the popup says it is loading.)
    page.wait_for_function(
        "() => document.querySelector('.leaflet-popup-content .popup h2')?.textContent"
        f" === {stacked[1].title!r}"
    )
    assert popup.locator("a.popup-link").get_attribute("href") == "/incidents/SY-2025-0009/"
    assert "is-highlighted" in page.get_attribute("li[data-id='SY-2025-0009']", "class")
    popup.locator("button.popup-back").click()
    page.wait_for_selector(".leaflet-popup-content .popup-stack")
    page.wait_for_timeout(300)
    assert page.locator(".leaflet-popup-content .popup-stack").count() == 1
    assert page.errors == [] and page.console_errors == []


def test_a_filter_the_api_refuses_is_named_and_can_be_cleared(page, live_server, seeded, artifacts):
    page.goto(live_server.url + "/?event_type=nonsense&q=Baniyas")
    status = page.locator("[data-map-status]")
    clear = status.locator("button[data-clear-filter]")
    clear.wait_for(timeout=10000)
    message = status.inner_text()
    assert "Event type (event_type)" in message and "nonsense" in message
    page.screenshot(path=str(artifacts / "public-map-refused-filter.png"))
    clear.click()
    wait_for_draw(page)
    assert "event_type" not in page.url and "q=Baniyas" in page.url
    assert page.evaluate("document.querySelector('[data-map]').incidentMap.state().filters") == {
        "q": "Baniyas"
    }
    assert status.inner_text() == ""
    assert page.locator("[data-incident-list] li").count() > 0
    assert page.errors == []

"""The public map's reported faults, each reproduced in a real browser: dates typed with the
keyboard, a tap on a phone, incidents stacked at one point, a filter the API refuses."""

from __future__ import annotations

import pytest

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


def _wait_for_draw(page, after: int = 0) -> int:
    page.wait_for_function(
        "n => Number(document.querySelector('[data-map]').dataset.drawn || 0) > n", arg=after
    )
    return int(page.get_attribute("[data-map]", "data-drawn"))


def test_typed_dates_apply_once_each_and_are_never_rewritten(browser, live_server, seeded):
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    page.add_init_script(WATCH_DATE_WRITES)
    page.goto(live_server.url + "/")
    drawn = _wait_for_draw(page)
    history = page.evaluate("history.length")
    page.evaluate("window.watchDateWrites = true")

    # The en-US date field reads month, day, year.
    page.locator("#f-date-from").press_sequentially("03052025", delay=30)
    page.locator("#f-date-to").press_sequentially("03092025", delay=30)
    page.keyboard.press("Enter")
    _wait_for_draw(page, drawn)
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

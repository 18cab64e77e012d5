"""The map's timeline in Chromium: it asks for the days only and says it is loading, has
dated ticks, an axis that covers the filter's range, a single day that does not fill it,
a keyboard that moves and applies a range (in the visual direction, also in Arabic), an
accessible name and a text summary, and a "timeline-drawn" performance mark."""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from django.db.models import Max, Min

from incidents.models import Incident, Status

pytestmark = pytest.mark.browser


def _wait_for_timeline(page, after: int = 0) -> int:
    page.wait_for_function(
        "n => Number(document.getElementById('timeline').dataset.drawn || 0) > n"
        " && document.querySelector('[data-timeline]').dataset.state === 'ready'",
        arg=after,
    )
    return int(page.get_attribute("#timeline", "data-drawn"))


def _published_days() -> tuple[date, date]:
    days = Incident.objects.filter(status=Status.PUBLISHED).aggregate(
        first=Min("date_start"), last=Max("date_start")
    )
    return days["first"], days["last"]


def test_the_timeline_loads_days_only_with_a_loading_state_and_ticks(page, live_server, seeded):
    asked: list[str] = []
    held: list = []

    def hold(route) -> None:
        # Held until the test lets it go (Playwright's handlers run in the test's thread).
        asked.append(route.request.url)
        held.append(route)

    page.route(re.compile(r"/api/v1/statistics/"), hold)
    page.goto(live_server.url + "/")
    # While the answer is out, the box says so instead of staying blank.
    page.wait_for_function(
        "() => document.querySelector('[data-timeline]').dataset.state === 'loading'"
    )
    assert page.is_visible("[data-timeline-status]")
    assert "Loading the timeline" in page.inner_text("[data-timeline-status]")
    assert page.get_attribute("[data-timeline]", "aria-busy") == "true"
    while not held:  # the map drawn, the timeline's request is out and held
        page.wait_for_timeout(20)
    assert "Loading the timeline" in page.inner_text("[data-timeline-status]")
    page.unroute(re.compile(r"/api/v1/statistics/"))
    held.pop().continue_()
    _wait_for_timeline(page)
    assert asked and all("breakdown=by_day" in url for url in asked)
    assert not page.is_visible("[data-timeline-status]")
    assert page.get_attribute("[data-timeline]", "aria-busy") == "false"
    assert page.evaluate("performance.getEntriesByName('timeline-drawn').length") >= 1
    # Dated ticks under the bars.
    ticks = page.eval_on_selector_all(
        "#timeline .timeline-ticks text", "els => els.map(e => e.textContent)"
    )
    assert len(ticks) >= 2 and all(ticks)
    # An accessible name, a value read out, and a summary in words.
    name = page.evaluate(
        "document.getElementById(document.getElementById('timeline')"
        ".getAttribute('aria-labelledby')).textContent"
    )
    assert "first day" in name
    assert page.get_attribute("#timeline", "role") == "slider"
    summary = page.text_content("[data-timeline-summary]")
    total = Incident.objects.filter(status=Status.PUBLISHED).count()
    assert f"{total} incidents" in summary
    assert page.get_attribute("#timeline", "aria-valuetext")
    assert page.errors == [] and page.console_errors == []


def test_the_keyboard_moves_and_applies_a_range_over_the_filters_days(page, live_server, seeded):
    first, last = _published_days()
    after_last = last + timedelta(days=5)
    page.goto(f"{live_server.url}/?date_to={after_last.isoformat()}")
    drawn = _wait_for_timeline(page)
    # The axis covers the filter's range: its last day comes after the last incident.
    page.focus("#timeline")
    assert page.evaluate("document.activeElement.id") == "timeline"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle !== 'none'"), (
        "the focus is visible"
    )
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.search.includes('date_from=')")
    assert f"date_from={after_last.isoformat()}" in page.url
    assert f"date_to={after_last.isoformat()}" in page.url
    drawn = _wait_for_timeline(page, drawn)

    # Arrows move the day, Shift widens the range, Enter applies it.
    page.focus("#timeline")
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    text = page.get_attribute("#timeline", "aria-valuetext")
    assert "Enter" in text
    page.keyboard.press("Enter")
    axis_start = page.input_value("#f-date-from")
    axis_first = date.fromisoformat(axis_start) - timedelta(days=1)
    assert axis_first <= first
    assert page.input_value("#f-date-to") == (axis_first + timedelta(days=3)).isoformat()
    drawn = _wait_for_timeline(page, drawn)

    # Escape forgets a range moved to but not applied.
    page.focus("#timeline")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Escape")
    assert page.input_value("#f-date-from") == axis_start
    assert page.locator("#timeline .timeline-pending").count() == 0
    assert page.errors == [] and page.console_errors == []


def test_a_single_day_does_not_fill_the_chart(page, live_server, seeded):
    one = Incident.objects.filter(status=Status.PUBLISHED).order_by("date_start").first()
    same_day = Incident.objects.filter(status=Status.PUBLISHED, date_start=one.date_start)
    assert same_day.count() >= 1
    page.goto(f"{live_server.url}/?q={quote(one.title)}")
    _wait_for_timeline(page)
    chart = page.locator("#timeline").bounding_box()
    bars = page.eval_on_selector_all(
        "#timeline rect.timeline-bar", "els => els.map(e => e.getBoundingClientRect().width)"
    )
    assert len(bars) == 1
    assert bars[0] < chart["width"] / 10


def test_in_arabic_the_arrows_follow_the_visual_direction(browser, live_server, seeded):
    context = browser.new_context(
        viewport={"width": 1280, "height": 1000},
        locale="ar",
        extra_http_headers={"Accept-Language": "ar"},
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    try:
        page.goto(live_server.url + "/")
        _wait_for_timeline(page)
        assert page.get_attribute("html", "dir") == "rtl"
        # Arabic everywhere: the name, the help, the summary and the ticks' months.
        assert "الخط الزمني" in page.text_content("#timeline-name")
        assert "الأسهم" in page.text_content("#timeline-help")
        assert "حادثة" in page.text_content("[data-timeline-summary]") or "حوادث" in (
            page.text_content("[data-timeline-summary]")
        )
        # In RTL the first day is at the right end; the left arrow goes to a later day.
        page.focus("#timeline")
        page.keyboard.press("Home")
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")
        page.wait_for_function("() => location.search.includes('date_from=')")
        start = page.input_value("#f-date-from")
        page.focus("#timeline")
        page.keyboard.press("Home")
        page.keyboard.press("Enter")
        page.wait_for_function(f"() => !location.search.includes('date_from={start}')")
        home = page.input_value("#f-date-from")
        assert date.fromisoformat(start) - date.fromisoformat(home) == timedelta(days=1)
        assert errors == []
    finally:
        context.close()

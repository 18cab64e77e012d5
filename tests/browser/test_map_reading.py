"""Reading the public map and pages as their readers do: how surely a perpetrator is held
responsible, in every place one is named and as a filter; the Arabic layout of numbers,
ranges, ids, dates and brackets; and the map on a phone, where the page scrolls."""

from __future__ import annotations

import re

import pytest

from incidents import services
from incidents.models import Attribution, Episode, Incident, Status

from ..conftest import incident_fields
from .map_page import new_context, wait_for_draw

pytestmark = pytest.mark.browser

ISOLATES = str.maketrans("", "", "\u2066\u2069\u2060")


def _listed(page) -> set[str]:
    return set(
        page.eval_on_selector_all("[data-incident-list] li", "els => els.map(e => e.dataset.id)")
    )


# --- attribution confidence ---------------------------------------------------------------


def test_popups_and_list_say_how_surely_each_perpetrator_is_held_responsible(
    browser, live_server, seeded, artifacts
):
    context, page = new_context(browser)
    page.goto(live_server.url + "/")
    wait_for_draw(page)
    # SY-2025-0009: three perpetrators, each alleged; SY-2025-0010: one, confirmed.
    for public_id in ["SY-2025-0009", "SY-2025-0010"]:
        held = Attribution.objects.filter(incident__public_id=public_id).select_related("actor")
        listed = page.inner_text(f"li[data-id='{public_id}'] .incident-perpetrators")
        page.click(f"li[data-id='{public_id}'] button")
        popup = page.locator(".leaflet-popup-content .popup")
        popup.wait_for()
        text = popup.inner_text()
        for attribution in held:
            named = f"{attribution.actor.name} ({attribution.confidence})"
            assert named in listed, (public_id, listed)
            assert named in text, (public_id, text)
    page.screenshot(path=str(artifacts / "map-confidence-desktop.png"))
    context.close()


def test_the_filter_chooses_a_least_confidence(browser, live_server, seeded):
    context, page = new_context(browser)
    page.goto(live_server.url + "/")
    drawn = wait_for_draw(page)
    page.select_option("#f-perpetrator-confidence", "probable")
    drawn = wait_for_draw(page, drawn)
    assert "perpetrator_confidence=probable" in page.url
    expected = set(
        Attribution.objects.filter(
            incident__status=Status.PUBLISHED, confidence__in=["probable", "confirmed"]
        ).values_list("incident__public_id", flat=True)
    )
    assert _listed(page) == expected
    # With a perpetrator chosen, the confidence is that perpetrator's.
    page.check("input[name=perpetrator][value=syrian-government-forces]")
    wait_for_draw(page, drawn)
    page.wait_for_function("() => new URLSearchParams(location.search).get('perpetrator') !== null")
    page.wait_for_load_state("networkidle")
    assert _listed(page) == {"SY-2025-0010"}
    # The address gives the filter back on a fresh load.
    page.goto(page.url)
    wait_for_draw(page)
    assert page.input_value("#f-perpetrator-confidence") == "probable"
    assert _listed(page) == {"SY-2025-0010"}
    assert page.errors == []
    context.close()


def test_arabic_popup_names_the_confidence_in_arabic(browser, live_server, seeded):
    context, page = new_context(browser, language="ar")
    page.goto(live_server.url + "/")
    wait_for_draw(page)
    page.click("li[data-id='SY-2025-0010'] button")
    popup = page.locator(".leaflet-popup-content .popup")
    popup.wait_for()
    assert "(مؤكدة)" in popup.inner_text()
    label = page.inner_text("label[for=f-perpetrator-confidence]")
    assert label and not label.isascii()
    context.close()


# --- Arabic layout ------------------------------------------------------------------------

# The lines a piece of text inside an element is laid out on (distinct tops of its boxes).
LINES_OF = """([selector, wanted]) => {
    const root = document.querySelector(selector);
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const strip = (s) => s.replace(/[\\u2066\\u2069\\u2060]/g, "");
    let text = "";
    const nodes = [];
    while (walker.nextNode()) {
        nodes.push([walker.currentNode, text.length]);
        text += walker.currentNode.textContent;
    }
    // Positions in the text as it is, of the wanted text as read (without invisible marks).
    const visible = [];
    for (let i = 0; i < text.length; i++) if (strip(text[i])) visible.push(i);
    const start = visible.map((i) => text[i]).join("").indexOf(wanted);
    if (start < 0) return null;
    const from = visible[start];
    const to = visible[start + wanted.length - 1] + 1;
    const tops = new Set();
    for (const [node, offset] of nodes) {
        const a = Math.max(from, offset);
        const b = Math.min(to, offset + node.textContent.length);
        if (a >= b) continue;
        const range = document.createRange();
        range.setStart(node, a - offset);
        range.setEnd(node, b - offset);
        for (const rect of range.getClientRects()) {
            if (rect.width > 0) tops.add(Math.round(rect.top));
        }
    }
    return tops.size;
}"""


def _squeeze(page, selector: str, width: str) -> None:
    page.eval_on_selector(
        selector, "(e, w) => { e.style.display = 'block'; e.style.width = w; }", width
    )


def test_arabic_ranges_dates_and_ids_are_never_cut(
    browser, live_server, seeded, source, researcher, reviewer, artifacts
):
    # Two sources disagree: 100 and 101 killed.
    ranged = services.incident_create(
        user=researcher,
        claims=[
            {"source": source, "killed_min": 100, "killed_max": 100, "quote": "100 killed."},
            {"source": source, "killed_min": 101, "killed_max": 101, "quote": "101 killed."},
        ],
        **incident_fields(),
    )
    ranged = services.incident_publish(incident=ranged, user=reviewer)
    assert ranged.killed_low == 100 and ranged.killed_high == 101
    context, page = new_context(browser, width=375, height=740, language="ar", phone=True)
    page.goto(live_server.url + "/")
    wait_for_draw(page)
    killed = f"{ranged.killed_low}–{ranged.killed_best}–{ranged.killed_high}"
    meta = f"li[data-id='{ranged.public_id}'] .incident-meta"
    date = ranged.date_start.isoformat()
    # However narrow the line, the range and the date stay whole.
    for width in ["4em", "6em", "9em"]:
        _squeeze(page, meta, width)
        assert page.evaluate(LINES_OF, [meta, killed]) == 1, width
        assert page.evaluate(LINES_OF, [meta, date]) == 1, width
    # The range reads low–best–high from left to right.
    order = page.evaluate(
        """(sel) => {
            const bdiOrText = document.querySelector(sel);
            return getComputedStyle(bdiOrText).direction;
        }""",
        meta,
    )
    assert order == "rtl"
    page.screenshot(path=str(artifacts / "map-arabic-phone.png"), full_page=True)

    context.close()


def test_arabic_scale_bar_reads_number_then_unit(browser, live_server, seeded):
    context, page = new_context(browser, language="ar")
    page.goto(live_server.url + "/")
    wait_for_draw(page)
    # The scale bar reads "30 km": the number left of the unit.
    scale = ".leaflet-control-scale-line"
    number_left_of_unit = page.evaluate(
        """(sel) => {
            const node = document.querySelector(sel).firstChild;
            const text = node.textContent;
            const space = text.indexOf(" ");
            const part = (a, b) => {
                const r = document.createRange();
                r.setStart(node, a);
                r.setEnd(node, b);
                return r.getBoundingClientRect();
            };
            return part(0, space).left < part(space + 1, text.length).left;
        }""",
        scale,
    )
    assert number_left_of_unit
    context.close()


def test_arabic_incident_page_keeps_ids_dates_and_brackets_whole(
    browser, live_server, seeded, artifacts
):
    context, page = new_context(browser, width=375, height=740, language="ar", phone=True)
    incident = Incident.objects.get(public_id="SY-2025-0005")
    page.goto(f"{live_server.url}/incidents/{incident.public_id}/")
    cite = "[data-cite]"
    updated = incident.updated_at.date().isoformat()
    for width in ["5em", "8em", "12em"]:
        _squeeze(page, cite, width)
        assert page.evaluate(LINES_OF, [cite, incident.public_id]) == 1, width
        assert page.evaluate(LINES_OF, [cite, updated]) == 1, width
    # "(according to Syrian Network for Human Rights (SNHR))": the name is isolated, so its
    # brackets stay with it and the outer ones with the sentence.
    who = page.locator(".according-to bdi").first
    assert who.inner_text() == "Syrian Network for Human Rights (SNHR)"
    assert page.inner_text(".according-to").startswith("(") and page.inner_text(
        ".according-to"
    ).endswith(")")
    page.screenshot(path=str(artifacts / "incident-arabic-phone.png"), full_page=True)
    context.close()


# --- a phone ------------------------------------------------------------------------------


def _map_in_view(page) -> bool:
    return page.evaluate(
        """() => {
            const box = document.querySelector('.map-area').getBoundingClientRect();
            return box.top >= -1 && box.top < window.innerHeight / 4 && box.bottom > 0;
        }"""
    )


def test_on_a_phone_the_filters_do_not_scroll_inside_the_page(browser, live_server, seeded):
    context, page = new_context(browser, width=375, height=740, phone=True)
    page.goto(live_server.url + "/")
    wait_for_draw(page)
    page.click("#filters-heading")
    # No box of the filters scrolls inside the scrolling page.
    inner = page.evaluate(
        """() => [...document.querySelectorAll('.filters-panel, .filters-panel *')]
            .filter(e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowY)
                         && e.scrollHeight > e.clientHeight + 1)
            .map(e => e.className || e.tagName)"""
    )
    assert inner == []
    context.close()


def test_on_a_phone_applying_the_filters_brings_the_map_back(
    browser, live_server, seeded, artifacts
):
    context, page = new_context(browser, width=375, height=740, phone=True)
    page.goto(live_server.url + "/")
    drawn = wait_for_draw(page)
    page.click("#filters-heading")
    box = page.locator("input[name=event_type]").last
    box.scroll_into_view_if_needed()
    box.check()
    drawn = wait_for_draw(page, drawn)
    assert not _map_in_view(page)  # a choice applies at once and leaves the user there
    # Apply stays within reach while the filters are in view, and brings the map back.
    apply = page.locator("#filters button[type=submit]")
    assert apply.is_visible()
    apply_box = apply.bounding_box()
    assert apply_box["y"] >= 0 and apply_box["y"] + apply_box["height"] <= 740
    page.fill("#f-killed-min", "5")
    apply.tap()
    wait_for_draw(page, drawn)
    assert _map_in_view(page)
    page.screenshot(path=str(artifacts / "map-phone-after-filter.png"))
    context.close()


def test_on_a_phone_a_swipe_on_the_map_scrolls_the_page(browser, live_server, seeded):
    context, page = new_context(browser, width=375, height=740, phone=True)
    page.goto(live_server.url + "/")
    wait_for_draw(page)
    page.evaluate("window.scrollTo(0, 0)")
    centre = page.evaluate("() => document.querySelector('[data-map]').incidentMap.map.getCenter()")
    box = page.locator("[data-map]").bounding_box()
    # A finger put down on the map and moved up, as on a phone.
    session = context.new_cdp_session(page)
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.8
    session.send(
        "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]}
    )
    for step in range(1, 11):
        point = {"x": x, "y": y - step * 25}
        session.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_function("() => window.scrollY > 100")
    after = page.evaluate("() => document.querySelector('[data-map]').incidentMap.map.getCenter()")
    assert after == centre  # the map did not move under the finger
    # Two fingers still move the map: its touch zoom is on, one-finger dragging off.
    handlers = page.evaluate(
        """() => { const m = document.querySelector('[data-map]').incidentMap.map;
                   return [m.dragging.enabled(), m.touchZoom.enabled()]; }"""
    )
    assert handlers == [False, True]
    assert page.is_visible(".map-touch-hint") or page.locator(".map-touch-hint").count() == 1
    context.close()


def test_on_a_desktop_the_map_is_still_dragged(browser, live_server, seeded):
    context, page = new_context(browser)
    page.goto(live_server.url + "/")
    wait_for_draw(page)
    enabled = page.evaluate(
        "() => document.querySelector('[data-map]').incidentMap.map.dragging.enabled()"
    )
    assert enabled
    assert not page.is_visible(".map-touch-hint")
    context.close()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_every_heading_of_the_episode_page_is_in_its_language(
    browser, live_server, seeded, language, artifacts
):
    episode = Episode.objects.filter(claims__isnull=False).distinct().first()
    context, page = new_context(browser, width=375, height=740, language=language, phone=True)
    page.goto(f"{live_server.url}/episodes/{episode.slug}/")
    headings = page.locator("h1, h2, h3, h4").all_inner_texts()
    measures = page.locator("[data-reported-aggregates] h4")
    assert measures.count() > 0
    arabic = re.compile("[\u0600-\u06ff]")
    for heading in headings:
        assert bool(arabic.search(heading)) == (language == "ar"), heading
    for index in range(measures.count()):
        assert measures.nth(index).get_attribute("lang") == language
    page.screenshot(path=str(artifacts / f"episode-{language}-phone.png"), full_page=True)
    context.close()

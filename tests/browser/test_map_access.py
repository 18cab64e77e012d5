"""Accessibility of the public map and pages: axe-core finds no serious or critical
violation (English, Arabic, a phone, a popup open, cells), the list can be reached with a
skip link and names what its entries are, popups are dialogs that take the focus and close
with Escape, and in cells mode the list names the largest areas instead of going blank."""

from __future__ import annotations

import pytest

from incidents import services
from incidents.models import Episode, Incident, Source, Status

from ..conftest import incident_fields
from .axe import serious_violations
from .map_page import new_context, wait_for_draw

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    "name, options",
    [
        ("home-en", {}),
        ("home-ar", {"language": "ar"}),
        ("home-phone", {"width": 375, "height": 740, "phone": True}),
        ("home-ar-phone", {"width": 375, "height": 740, "phone": True, "language": "ar"}),
    ],
)
def test_the_map_page_has_no_serious_violations(browser, live_server, seeded, name, options):
    query = options.pop("query", "")
    context, page = new_context(browser, **options)
    page.goto(live_server.url + "/" + query)
    wait_for_draw(page)
    page.wait_for_load_state("networkidle")
    assert serious_violations(page, name, full_page=True) == []
    assert page.errors == []
    context.close()


def test_a_legend_longer_than_its_box_can_be_scrolled_from_the_keyboard(
    browser, live_server, seeded, researcher, reviewer
):
    # Coloured by perpetrator, with many perpetrators drawn, the legend scrolls.
    source = Source.objects.filter(confidential=False).first()
    for number in range(16):
        actor = services.actor_create(
            user=None, slug=f"armed-group-{number}", name=f"Armed group {number}", kind="unknown"
        )
        incident = services.incident_create(
            user=researcher,
            claims=[{"source": source, "killed_min": 2, "quote": "Two people were killed."}],
            attributions=[{"actor": actor, "confidence": "alleged"}],
            **incident_fields(latitude=35.1 + number / 100, title=f"Raid {number}"),
        )
        services.incident_publish(incident=incident, user=reviewer)
    context, page = new_context(browser)
    page.goto(live_server.url + "/?color=perpetrator")
    wait_for_draw(page)
    legend = page.locator(".map-legend")
    assert legend.evaluate(
        """e => [e, ...e.querySelectorAll('*')].some(
            x => x.scrollHeight > x.clientHeight + 1 && getComputedStyle(x).overflowY === 'auto'
        )"""
    )
    assert serious_violations(page, "home-legend") == []
    context.close()


def test_an_open_popup_is_a_named_dialog_with_the_focus_and_closes_with_escape(
    browser, live_server, seeded
):
    context, page = new_context(browser)
    page.goto(live_server.url + "/")
    wait_for_draw(page)
    entry = page.locator("[data-incident-list] li[data-id='SY-2025-0005'] button")
    entry.focus()
    page.keyboard.press("Enter")
    dialog = page.locator(".leaflet-popup[role=dialog]")
    dialog.wait_for()
    page.locator(".leaflet-popup-content .popup").wait_for()  # its facts read
    incident = Incident.objects.get(public_id="SY-2025-0005")
    # Named by its heading, and the focus is on it: a screen reader reads it out.
    title_id = dialog.get_attribute("aria-labelledby")
    assert page.inner_text(f"#{title_id}") == incident.title
    assert page.evaluate("document.activeElement.id") == title_id
    assert page.evaluate("document.activeElement.tagName") == "H2"
    # Its heading follows the page's (h1, then h2): heading-order is "moderate", and held too.
    assert serious_violations(page, "home-popup", also=("heading-order",)) == []
    # Escape closes it and gives the focus back to the list entry that opened it.
    page.keyboard.press("Escape")
    page.wait_for_selector(".leaflet-popup", state="detached")
    assert page.evaluate("document.activeElement.closest('li')?.dataset.id") == "SY-2025-0005"
    assert page.errors == []
    context.close()


def test_stacked_popup_moves_focus_to_the_chosen_incident(browser, live_server, seeded):
    context, page = new_context(browser)
    page.goto(live_server.url + "/")
    wait_for_draw(page)
    # Two incidents share Baniyas' point: the stack's list, then one of them.
    opened = page.evaluate(
        """() => {
            const {byId} = document.querySelector('[data-map]').incidentMap;
            const seen = new Map();
            for (const [id, entry] of byId) {
                const key = `${entry.incident.latitude},${entry.incident.longitude}`;
                if (seen.has(key)) { entry.layer.fire('click'); return [seen.get(key), id]; }
                seen.set(key, id);
            }
            return null;
        }"""
    )
    assert opened
    page.wait_for_selector(".leaflet-popup .popup-stack")
    assert page.evaluate("document.activeElement.className") == "popup-title"
    page.locator(".popup-choose").first.click()
    page.wait_for_selector(".leaflet-popup .popup-back")
    active = page.evaluate("document.activeElement.textContent")
    assert active == page.inner_text(".leaflet-popup .popup-title")
    labelled = page.get_attribute(".leaflet-popup", "aria-labelledby")
    assert page.evaluate("document.activeElement.id") == labelled
    context.close()


def test_a_skip_link_leads_to_the_list_and_entries_say_what_they_are(browser, live_server, seeded):
    context, page = new_context(browser)
    page.goto(live_server.url + "/")
    wait_for_draw(page)
    page.keyboard.press("Tab")  # skip to content
    page.keyboard.press("Tab")
    skip = page.evaluate("[document.activeElement.textContent, document.activeElement.hash]")
    assert skip == ["Skip to the list of incidents in view", "#in-view"]
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "in-view"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    # The next stops are the downloads, the API link, then the first entry of the list.
    incident = Incident.objects.get(public_id="SY-2025-0005")
    link = page.locator("li[data-id='SY-2025-0005'] a.incident-link")
    name = link.get_attribute("aria-label").replace("\u2066", "").replace("\u2069", "")
    assert name == f"Full record of “{incident.title}” (SY-2025-0005)"
    button = page.locator("li[data-id='SY-2025-0005'] button")
    assert button.inner_text().startswith(incident.title) or incident.title in button.inner_text()
    assert "Show on the map" in button.text_content()
    context.close()


def test_in_cells_mode_the_list_names_the_largest_areas(browser, live_server, seeded, settings):
    settings.INCIDENT_MAP = {**settings.INCIDENT_MAP, "MAP_MAX_POINTS": 1}
    context, page = new_context(browser)
    page.goto(live_server.url + "/")
    wait_for_draw(page)
    assert page.get_attribute("[data-map]", "data-mode") == "cells"
    entries = page.locator("[data-incident-list] li.cell-item")
    assert entries.count() > 0
    texts = [t.replace("\u2066", "").replace("\u2069", "") for t in entries.all_inner_texts()]
    # Largest first, each named by its district and governorate with its count.
    counts = [int(t.split("Incidents: ")[1].split()[0]) for t in texts]
    assert counts == sorted(counts, reverse=True)
    assert any("Latakia" in t or "Tartus" in t for t in texts)
    assert page.get_attribute("[data-incident-list]", "aria-label") == (
        "The areas in view with the most incidents"
    )
    assert serious_violations(page, "home-cells") == []
    # Choosing an area zooms to it.
    zoom = page.evaluate("document.querySelector('[data-map]').incidentMap.map.getZoom()")
    drawn = int(page.get_attribute("[data-map]", "data-drawn"))
    entries.first.locator("button").click()
    wait_for_draw(page, drawn)
    assert page.evaluate("document.querySelector('[data-map]').incidentMap.map.getZoom()") > zoom
    context.close()


@pytest.mark.parametrize("language", ["en", "ar"])
def test_incident_and_episode_pages_have_no_serious_violations(
    browser, live_server, seeded, language
):
    context, page = new_context(browser, language=language)
    page.goto(f"{live_server.url}/incidents/SY-2025-0005/")
    page.wait_for_selector("[data-incident-map][data-ready=true]")
    assert serious_violations(page, f"incident-{language}", full_page=True) == []
    episode = Episode.objects.filter(incidents__status=Status.PUBLISHED).first()
    page.goto(f"{live_server.url}/episodes/{episode.slug}/")
    assert serious_violations(page, f"episode-{language}", full_page=True) == []
    assert page.errors == []
    context.close()

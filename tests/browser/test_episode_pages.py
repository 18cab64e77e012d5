"""The episodes list, the episode page's table by monitor, and the map links they give, in
Chromium with the seed data, in English and Arabic; axe-core finds nothing serious.
Screenshots go to tests/artifacts/ (episodes-*.png, map-episode-chip-*.png)."""

from __future__ import annotations

import pytest

from incidents.models import Incident, Status

from .axe import serious_violations
from .map_page import wait_for_draw

pytestmark = pytest.mark.browser

SLUG = "march-2025-coastal-violence"


def _language(page, live_server, language: str) -> None:
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )


def _listed(page) -> set[str]:
    return set(
        page.eval_on_selector_all("[data-incident-list] li", "els => els.map(e => e.dataset.id)")
    )


@pytest.mark.parametrize("language", ["en", "ar"])
def test_episodes_list_and_page_from_the_header(page, live_server, seeded, artifacts, language):
    _language(page, live_server, language)
    page.goto(live_server.url + "/")
    page.click("header nav a[href='/episodes/']")
    page.wait_for_url("**/episodes/")
    assert page.get_attribute("html", "dir") == ("rtl" if language == "ar" else "ltr")
    row = page.locator(f"[data-episode='{SLUG}']")
    published = Incident.objects.filter(episode__slug=SLUG, status=Status.PUBLISHED).count()
    assert row.locator("[data-count]").inner_text() == str(published)
    page.screenshot(path=str(artifacts / f"episodes-list-{language}.png"), full_page=True)
    assert serious_violations(page) == []

    row.locator("a").click()
    page.wait_for_url(f"**/episodes/{SLUG}/")
    table = page.locator("[data-monitor-table] table")
    assert table.locator("tbody tr").count() == 3
    assert table.locator("thead th").count() == 6  # the monitor, and five kinds of measure
    assert page.locator("[data-comparisons] [data-differ]").count() >= 1
    page.screenshot(path=str(artifacts / f"episodes-page-{language}.png"), full_page=True)
    assert serious_violations(page) == []
    assert page.errors == [] and page.console_errors == []


def test_on_a_phone_each_figure_keeps_its_columns_label(browser, live_server, seeded, artifacts):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/episodes/{SLUG}/")
        assert not page.locator("[data-monitor-table] thead").is_visible()
        cells = page.eval_on_selector_all(
            "[data-monitor-table] tbody td",
            """cells => cells.map(cell => ({
                label: cell.dataset.label,
                before: getComputedStyle(cell, '::before').content,
                display: getComputedStyle(cell, '::before').display,
            }))""",
        )
        assert len(cells) == 15
        for cell in cells:
            assert cell["before"] == f'"{cell["label"]}: "', cell
            assert cell["display"] != "none"
        # The table fits the phone's width: nothing to scroll sideways to find a label.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        page.screenshot(path=str(artifacts / "episodes-page-phone.png"), full_page=True)
        listing = page.goto(f"{live_server.url}/episodes/")
        assert listing.ok
        before = page.eval_on_selector(
            f"[data-episode='{SLUG}'] [data-count]", "c => getComputedStyle(c, '::before').content"
        )
        assert "incidents" in before
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "ar"])
def test_show_on_map_filters_on_the_episode_with_a_chip_that_removes_it(
    page, live_server, seeded, artifacts, language
):
    # An incident of no episode: the episode filter leaves it out, removing it brings it back.
    outside = Incident.objects.filter(status=Status.PUBLISHED, latitude__isnull=False).exclude(
        episode__slug=SLUG
    )
    assert outside.exists()
    _language(page, live_server, language)
    page.goto(f"{live_server.url}/episodes/{SLUG}/")
    page.click(f"a[href='/?episode={SLUG}']")
    page.wait_for_url(f"**/?episode={SLUG}")
    wait_for_draw(page)
    in_episode = set(
        Incident.objects.filter(
            status=Status.PUBLISHED, latitude__isnull=False, episode__slug=SLUG
        ).values_list("public_id", flat=True)
    )
    assert _listed(page) == in_episode
    chip = page.locator("[data-filter-chips] [data-chip='episode']")
    assert chip.is_visible()
    title = "أحداث العنف في الساحل السوري، آذار 2025" if language == "ar" else "March 2025"
    assert title in chip.inner_text()
    page.screenshot(path=str(artifacts / f"map-episode-chip-{language}.png"))
    assert serious_violations(page, context={"include": [["[data-filter-chips]"]]}) == []
    drawn = int(page.get_attribute("[data-map]", "data-drawn"))
    chip.get_by_role("button").click()
    wait_for_draw(page, drawn)
    assert "episode" not in page.url
    assert page.locator("[data-filter-chips]").is_hidden()
    assert _listed(page) >= in_episode | set(outside.values_list("public_id", flat=True))
    # The feed link no longer carries it either.
    assert "episode" not in page.get_attribute("[data-feed-link]", "href")
    assert page.errors == [] and page.console_errors == []

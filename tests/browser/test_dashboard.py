"""The dashboard in a real browser, with the seed: its charts, summaries, tables and CSV
links follow the map's filters in the URL, in English and in Arabic (right to left), on a
laptop and at a phone's 375 px, with no serious or critical axe-core violation."""

from __future__ import annotations

import pytest

from .axe import serious_violations

pytestmark = pytest.mark.browser

CHARTS = ["killed-by-month", "event-types", "governorates", "perpetrators", "places"]


def _wait_for_draw(page, after: int = 0) -> int:
    page.wait_for_function(
        "n => Number(document.querySelector('[data-dashboard]').dataset.drawn || 0) > n",
        arg=after,
    )
    return int(page.get_attribute("[data-dashboard]", "data-drawn"))


def _api(page, live_server, query: str) -> dict:
    return page.request.get(f"{live_server.url}/api/v1/dashboard/?{query}").json()


def _plain(text: str) -> str:
    return text.replace("\u2066", "").replace("\u2069", "")


def test_the_dashboard_draws_every_chart_with_its_summary_table_and_csv(
    page, live_server, seeded, artifacts
):
    page.goto(live_server.url + "/dashboard/?governorate=latakia-governorate")
    drawn = _wait_for_draw(page)
    query = "governorate=latakia-governorate&status=published"
    data = _api(page, live_server, query)
    totals = data["totals"]
    # The same totals as the API (and so as the map: tests/test_dashboard.py).
    assert page.inner_text("[data-total=incidents]") == str(totals["incidents"])
    assert page.inner_text("[data-total=killed_best]") == str(totals["killed_best"])
    assert totals["killed_high_open"] > 0
    assert _plain(page.inner_text("[data-total=killed_high]")) == (
        f"{totals['killed_high']} or more"
    )
    for chart in CHARTS:
        section = page.locator(f"[data-chart='{chart}']")
        summary = section.locator("[data-summary]").inner_text()
        assert len(summary) > 20, chart
        figure = section.locator("svg[role=img], [role=img]").first
        assert figure.get_attribute("aria-labelledby") == f"chart-{chart}-summary"
        assert section.locator("[data-table] tbody tr").count() > 0, chart
        href = section.locator("[data-csv]").get_attribute("href")
        assert href.startswith(f"/api/v1/dashboard/{chart}.csv?")
        assert "governorate=latakia-governorate" in href
        assert "status=published" in href
        csv = page.request.get(live_server.url + href)
        assert csv.ok and csv.headers["content-type"].startswith("text/csv")
    band = page.locator("[data-chart='killed-by-month']")
    assert f"{totals['incidents']} incidents" in _plain(band.locator("[data-summary]").inner_text())
    assert "no upper bound" in band.inner_text()
    # The numbers as a table: opened, the killed per month reads "or more" where open.
    band.locator("details summary").click()
    march = band.locator("[data-table] tbody tr", has_text="2025")
    assert "or more" in _plain(march.last.inner_text())
    # The perpetrators' table splits each actor's incidents by confidence.
    heads = page.locator("[data-chart='perpetrators'] [data-table] thead th").all_text_contents()
    assert heads[1:4] == ["confirmed", "probable", "alleged"]
    # The header links here, marked as the current page.
    assert page.get_attribute("header nav a[href='/dashboard/']", "aria-current") == "page"

    # A filter changed in the form reaches the URL, the charts, the CSV and the map link.
    page.locator("#filters input[name=event_type][value=summary_execution]").check()
    drawn = _wait_for_draw(page, drawn)
    assert "event_type=summary_execution" in page.url
    filtered = _api(page, live_server, query + "&event_type=summary_execution")
    assert page.inner_text("[data-total=incidents]") == str(filtered["totals"]["incidents"])
    assert filtered["totals"]["incidents"] < totals["incidents"]
    assert "event_type=summary_execution" in page.get_attribute(
        "[data-chart='places'] [data-csv]", "href"
    )
    map_link = page.get_attribute("[data-map-link]", "href")
    assert map_link.startswith("/?") and "event_type=summary_execution" in map_link
    # Back: the previous filters and figures.
    page.go_back()
    _wait_for_draw(page, drawn)
    assert page.inner_text("[data-total=incidents]") == str(totals["incidents"])

    assert serious_violations(page) == []
    page.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)
    assert page.errors == [] and page.console_errors == []


def test_a_refused_filter_is_named(page, live_server, seeded):
    page.goto(live_server.url + "/dashboard/?governorate=atlantis")
    page.wait_for_function("() => document.querySelector('[data-dashboard]').dataset.refused")
    assert "governorate" in page.inner_text("[data-status]")


def test_the_dashboard_in_arabic_reads_right_to_left(page, live_server, seeded, artifacts):
    page.context.add_cookies([{"name": "django_language", "value": "ar", "url": live_server.url}])
    page.goto(live_server.url + "/dashboard/")
    _wait_for_draw(page)
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.get_attribute("html", "lang") == "ar"
    summary = page.inner_text("[data-chart='killed-by-month'] [data-summary]")
    assert any("\u0600" <= ch <= "\u06ff" for ch in summary)
    # Names of records in Arabic where they have one.
    assert "جبلة" in page.text_content("[data-chart='places'] [data-table]")
    assert serious_violations(page) == []
    page.screenshot(path=str(artifacts / "dashboard-ar.png"), full_page=True)
    assert page.errors == [] and page.console_errors == []


def test_the_dashboard_fits_a_phone(browser, live_server, seeded, artifacts):
    context = browser.new_context(viewport={"width": 375, "height": 800}, is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_server.url + "/dashboard/")
    _wait_for_draw(page)
    # Nothing wider than the screen: the page does not scroll sideways.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    for chart in CHARTS:
        box = page.locator(f"[data-chart='{chart}'] [data-figure]").bounding_box()
        assert box["width"] <= 375 and box["x"] >= 0, chart
    # The charts' text keeps a readable size (drawn at the box's width, not shrunk).
    sizes = page.eval_on_selector_all(
        ".chart-axis", "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert sizes and min(sizes) >= 9
    # The filters fold away above the charts.
    assert page.evaluate("() => document.querySelector('.filters-details').open") is False
    page.locator("[data-chart='places'] details summary").click()
    assert serious_violations(page) == []
    page.screenshot(path=str(artifacts / "dashboard-phone.png"), full_page=True)
    assert errors == []
    context.close()

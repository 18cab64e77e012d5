"""The about page, the codebook and the API's pages in Chromium: in English and Arabic, on a
desktop and a phone, with axe-core finding no serious or critical violation, no console
error (a CSP violation is one) and no request leaving the site. Screenshots are saved in
tests/artifacts/ (git-ignored)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from .axe import serious_violations

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _requests_elsewhere(page, origin: str) -> list[str]:
    return [url for url in page.requests_made if urlsplit(url).netloc != origin]


@pytest.fixture
def watched(page, live_server):
    """The page, recording every request it makes."""
    page.requests_made = []
    page.on("request", lambda request: page.requests_made.append(request.url))
    return page


def _in_arabic(page, live_server) -> None:
    page.context.add_cookies([{"name": "django_language", "value": "ar", "url": live_server.url}])


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("path", ["/about/", "/about/codebook/"])
def test_page_in_both_languages_is_accessible(
    watched, live_server, seeded, artifacts, language, path
):
    page = watched
    if language == "ar":
        _in_arabic(page, live_server)
    page.goto(live_server.url + path)
    html = page.locator("html")
    assert html.get_attribute("lang") == language
    assert html.get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    nav = page.get_by_role("navigation", name="Site" if language == "en" else "الموقع")
    about = nav.get_by_role("link", name="About the data" if language == "en" else "عن البيانات")
    assert about.get_attribute("aria-current") == "page"
    assert serious_violations(page) == []
    name = path.strip("/").replace("/", "-")
    page.screenshot(path=str(artifacts / f"{name}-{language}.png"), full_page=True)
    assert page.errors == [] and page.console_errors == []
    assert _requests_elsewhere(page, urlsplit(live_server.url).netloc) == []


@pytest.mark.parametrize("language", ["en", "ar"])
def test_header_navigation_works_on_a_phone(browser, live_server, seeded, artifacts, language):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    if language == "ar":
        _in_arabic(page, live_server)
    page.goto(live_server.url + "/about/")
    # Nothing wider than the screen: the header's links wrap instead.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    links = page.locator(".site-nav a")
    assert links.count() >= 3
    for index in range(links.count()):
        box = links.nth(index).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    page.screenshot(path=str(artifacts / f"about-phone-{language}.png"))
    # The example table keeps its labels on a phone.
    cell = page.locator("[data-example] td").first
    label = cell.evaluate("td => getComputedStyle(td, '::before').content")
    assert "Who says so" in label or "من يقول ذلك" in label
    assert serious_violations(page) == []
    page.locator(".site-nav a").first.click()
    page.wait_for_url(live_server.url + "/")
    context.close()


def test_home_page_says_what_the_map_shows_and_links_the_about_page(page, live_server, seeded):
    page.goto(live_server.url + "/")
    page.wait_for_function(
        "() => Number(document.querySelector('[data-map]').dataset.drawn || 0) > 0"
    )
    assert page.locator("[data-map-intro]").is_visible()
    assert "low–best–high" in page.inner_text("[data-range-legend]")
    assert "lowest figure a source gives" in page.inner_text(".map-legend")
    page.click("[data-map-intro] a")
    page.wait_for_url(live_server.url + "/about/")
    assert page.locator("#figures [data-example]").count() == 2


def test_api_pages_link_back_without_csp_errors_or_outside_requests(watched, live_server, seeded):
    page = watched
    origin = urlsplit(live_server.url).netloc
    page.goto(live_server.url + "/api/v1/incidents/?format=api")
    response = page.inner_text(".response-info pre")
    assert '\n  "results": [\n    {\n      "id": ' in response  # indented, kept documents too
    assert page.locator(".navbar a[href='/']").count() == 1
    assert page.console_errors == [], page.console_errors

    page.goto(live_server.url + "/api/v1/docs/")
    page.wait_for_selector("#swagger-ui .opblock")
    assert page.locator(".api-docs-nav a[href='/']").count() == 1
    gets = page.locator(".opblock-get")
    assert gets.count() > 0
    assert gets.locator(".authorization__btn").count() == 0  # no lock on anonymous reads
    assert page.locator(".opblock-post .authorization__btn").count() > 0

    page.goto(live_server.url + "/api/v1/redoc/")
    page.wait_for_selector(".api-content", timeout=15000)
    assert page.locator(".api-docs-nav a[href='/']").count() == 1
    # Nothing asked of another server, Redoc's vendor logo included.
    assert page.errors == [] and page.console_errors == [], page.console_errors
    assert _requests_elsewhere(page, origin) == []

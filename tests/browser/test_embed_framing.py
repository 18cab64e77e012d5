"""The map's feed link and embed code follow its filters; the embedded map is framed, in
Chromium, only from the origins EMBED_ALLOWED_ORIGINS lists.

The framing page is served by a second, tiny HTTP server on another port of this machine,
so it is another origin than the live server's, as a news site's page would be.
Screenshots: tests/artifacts/embed-*.png, map-share-*.png.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import feedparser
import pytest

from .axe import serious_violations

pytestmark = pytest.mark.browser


class _Framer(BaseHTTPRequestHandler):
    """Answers every GET with a page framing the address in its query, as a news site
    would paste the embed code."""

    def do_GET(self) -> None:
        target = self.path.split("?src=", 1)[1] if "?src=" in self.path else ""
        body = (
            "<!doctype html><title>A news site</title><h1>Article</h1>"
            f'<iframe name="embedded" src="{target}" width="800" height="500"></iframe>'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def news_site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Framer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _framed(page, news_site: str, target: str) -> bool:
    """Whether the news site's page shows ``target`` in its frame (the map draws in it)."""
    # The page's load event waits for its frame's document, shown or refused.
    page.goto(f"{news_site}/article?src={target}", wait_until="load")
    frame = _frame(page)
    # A frame in another process may tell its address a moment after the page's load.
    frame.wait_for_url(lambda url: url not in ("", "about:blank"))
    if frame.url.startswith("chrome-error:"):
        return False  # the browser refused to show it and put its error page there
    assert frame.url == target
    frame.wait_for_function("() => Number(document.querySelector('[data-map]').dataset.drawn)")
    return True


def _frame(page) -> Any:
    (frame,) = [f for f in page.frames if f.parent_frame is page.main_frame]
    return frame


def test_no_site_may_frame_the_map_by_default(page, live_server, seeded, news_site):
    assert not _framed(page, news_site, f"{live_server.url}/embed/")


def test_a_listed_site_frames_the_embed_and_nothing_else(
    page, live_server, seeded, news_site, settings, artifacts
):
    settings.EMBED_ALLOWED_ORIGINS = (news_site,)
    assert _framed(page, news_site, f"{live_server.url}/embed/?governorate=latakia-governorate")
    frame = _frame(page)
    # The link back opens the full view of the same filters.
    back = frame.locator("[data-full-view]")
    assert back.is_visible()
    assert "/?governorate=latakia-governorate" in back.get_attribute("href")
    assert frame.locator(".site-header").count() == 0
    page.screenshot(path=str(artifacts / "embed-framed.png"))
    # The rest of the site is never framed, even for a listed site.
    assert not _framed(page, news_site, f"{live_server.url}/")
    assert not _framed(page, news_site, f"{live_server.url}/episodes/")


def test_another_site_than_the_listed_one_may_not_frame_it(
    page, live_server, seeded, news_site, settings
):
    settings.EMBED_ALLOWED_ORIGINS = ("https://news.example.org",)
    assert not _framed(page, news_site, f"{live_server.url}/embed/")


def test_any_site_frames_it_when_the_setting_says_so(
    page, live_server, seeded, news_site, settings
):
    settings.EMBED_ALLOWED_ORIGINS = ("*",)
    assert _framed(page, news_site, f"{live_server.url}/embed/")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_embed_page_alone(page, live_server, seeded, artifacts, language):
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/embed/?episode=march-2025-coastal-violence")
    page.wait_for_function("() => Number(document.querySelector('[data-map]').dataset.drawn)")
    assert page.locator("[data-filter-chips] [data-chip='episode']").is_visible()
    assert page.locator("#filters").is_hidden()
    page.screenshot(path=str(artifacts / f"embed-{language}.png"))
    assert serious_violations(page) == []
    assert page.errors == [] and page.console_errors == []


def test_the_feed_link_and_the_embed_code_carry_the_maps_filters(
    page, live_server, seeded, artifacts
):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(f"{live_server.url}/?governorate=latakia-governorate")
    page.wait_for_function("() => Number(document.querySelector('[data-map]').dataset.drawn)")
    link = page.locator("[data-feed-link]")
    assert link.get_attribute("href") == "/feeds/incidents.atom?governorate=latakia-governorate"
    assert page.get_attribute("link[rel=alternate][data-feed]", "href") == link.get_attribute(
        "href"
    )
    feed = page.request.get(live_server.url + link.get_attribute("href"))
    parsed = feedparser.parse(feed.body())
    assert feed.ok and not parsed.bozo and parsed.entries
    # A filter chosen in the form reaches both at once.
    page.check("input[name=grade][value=fair]")
    page.wait_for_function(
        "() => document.querySelector('[data-feed-link]').href.includes('grade=fair')"
    )
    page.click("[data-embed-box] summary")
    code = page.locator("[data-embed-code]").input_value()
    assert code.startswith(f'<iframe src="{live_server.url}/embed/?governorate=latakia-governorate')
    assert "grade=fair" in code and 'title="Map of published incidents"' in code
    page.click("[data-copy-embed]")
    status = page.locator("[data-copy-status]")
    page.wait_for_function("() => document.querySelector('[data-copy-status]').textContent")
    assert status.inner_text() == "Embed code copied."
    assert page.get_attribute("[data-copy-status]", "role") == "status"
    assert page.evaluate("navigator.clipboard.readText()") == code
    page.screenshot(path=str(artifacts / "map-share-en.png"))
    assert (
        serious_violations(page, context={"include": [["[data-embed-box]"], [".feed-link"]]}) == []
    )
    # Without a clipboard, the code is selected in its box for the reader to copy.
    page.evaluate(
        "() => { navigator.clipboard.writeText = () => Promise.reject(new Error('no')); "
        "document.querySelector('[data-copy-status]').textContent = ''; }"
    )
    page.click("[data-copy-embed]")
    page.wait_for_function("() => document.querySelector('[data-copy-status]').textContent")
    assert "copy it yourself" in status.inner_text()
    selected = page.evaluate(
        "() => { const box = document.activeElement; "
        "return [box.id, box.selectionEnd - box.selectionStart, box.value.length]; }"
    )
    assert selected[0] == "embed-code" and selected[1] == selected[2] > 0
    assert page.errors == [] and page.console_errors == []

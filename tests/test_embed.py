"""The embeddable map (/embed/): framed only by the origins a setting lists; every other
page is never framed. A real browser framing it from another origin is in
tests/browser/test_embed_framing.py."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings import embed_origins

from .test_settings import _manage


def _policy(response) -> dict[str, str]:
    return dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )


def test_the_embed_is_the_map_without_the_sites_chrome_with_a_link_back(client, seeded):
    response = client.get("/embed/?governorate=latakia-governorate")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="site-header"' not in page and 'class="site-footer"' not in page
    assert 'id="map"' in page and 'id="map-config"' in page
    assert "data-full-view" in page and "Open the full map" in page
    assert "data-embed-code" not in page  # the embed offers no embed code of itself
    assert 'class="map-page embed-page"' in page
    # Its scripts and styles obey the site's policy.
    policy = _policy(response)
    assert policy["script-src"] == "'self'" and "unsafe-inline" not in policy["style-src"]
    assert response["Cache-Control"] == "public, max-age=5, stale-while-revalidate=5"


def test_nothing_may_frame_the_embed_by_default(client, seeded, settings):
    assert settings.EMBED_ALLOWED_ORIGINS == ()
    response = client.get("/embed/")
    assert _policy(response)["frame-ancestors"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "origins",
    [("https://news.example.org",), ("https://news.example.org", "http://127.0.0.1:8001"), ("*",)],
)
def test_the_listed_origins_may_frame_the_embed_and_nothing_else(client, seeded, settings, origins):
    settings.EMBED_ALLOWED_ORIGINS = origins
    response = client.get("/embed/")
    assert _policy(response)["frame-ancestors"] == " ".join(origins)
    assert "X-Frame-Options" not in response
    # The rest of the site is still never framed.
    for url in [
        "/",
        "/episodes/",
        "/episodes/march-2025-coastal-violence/",
        "/incidents/SY-2025-0005/",
        "/api/v1/docs/",
    ]:
        other = client.get(url)
        assert _policy(other)["frame-ancestors"] == "'none'", url
        assert other["X-Frame-Options"] == "DENY", url


def test_the_setting_takes_origins_only():
    assert embed_origins([]) == ()
    assert embed_origins(["https://news.example.org", "http://127.0.0.1:8001/", "*"]) == (
        "https://news.example.org",
        "http://127.0.0.1:8001",
        "*",
    )
    for bad in [
        "news.example.org",
        "https://news.example.org/page",
        "https://news.example.org?x=1",
        "javascript:alert(1)",
        "https://a.example.org;script-src",
        "'self'",
        "https://user@news.example.org",
        "https://news.example.org:port",
        "ftp://news.example.org",
    ]:
        with pytest.raises(ImproperlyConfigured):
            embed_origins([bad])


def test_the_setting_comes_from_the_environment():
    show = "from django.conf import settings as s; print(' '.join(s.EMBED_ALLOWED_ORIGINS) or '-')"
    assert _manage("shell", "--no-imports", "-c", show).stdout.split() == ["-"]
    chosen = _manage(
        "shell",
        "--no-imports",
        "-c",
        show,
        EMBED_ALLOWED_ORIGINS="https://news.example.org, https://tv.example.org",
    )
    assert chosen.stdout.split() == ["https://news.example.org", "https://tv.example.org"]
    refused = _manage("check", EMBED_ALLOWED_ORIGINS="news.example.org")
    assert refused.returncode != 0 and "EMBED_ALLOWED_ORIGINS" in refused.stderr


def test_the_map_page_offers_the_embed_code_and_the_setting_is_documented(client, seeded):
    page = client.get("/").content.decode()
    assert "data-embed-code" in page and "readonly" in page and "data-copy-embed" in page
    assert "&lt;iframe src=&quot;" not in page  # the code is text, escaped once
    assert '&lt;iframe src="http://testserver/embed/"' in page
    from django.conf import settings

    readme = (settings.BASE_DIR / "README.md").read_text()
    env = (settings.BASE_DIR / "deploy" / "incidentmap.env.example").read_text()
    assert "EMBED_ALLOWED_ORIGINS" in readme and "EMBED_ALLOWED_ORIGINS" in env

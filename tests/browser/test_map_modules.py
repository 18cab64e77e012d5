"""The map pages' ES modules in a real browser: loaded as modules, under the content security
policy, with no error; and the same with production's hashed static names."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.static_build import collect_static

from .map_page import wait_for_draw

pytestmark = pytest.mark.browser

MAPPING_STATIC = Path(__file__).resolve().parents[2] / "mapping" / "static" / "mapping"
MAP_MODULES = {"map.js"} | {f"map/{path.name}" for path in (MAPPING_STATIC / "map").glob("*.js")}

# Pages report a violation of the policy as an event; the listener is installed by the
# browser itself before any page script, so the policy does not apply to it.
WATCH_POLICY = """
window.policyViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.policyViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def _watch(page) -> list[str]:
    """The paths under /static/mapping/ the page requests, as they are requested."""
    requested: list[str] = []
    page.add_init_script(WATCH_POLICY)
    page.on(
        "request",
        lambda request: (
            urlsplit(request.url).path.startswith("/static/mapping/")
            and requested.append(urlsplit(request.url).path.removeprefix("/static/mapping/"))
        ),
    )
    return requested


def _scripts(page) -> list[tuple[str, str]]:
    return [
        (urlsplit(src).path, kind)
        for src, kind in page.eval_on_selector_all(
            "script[src]", "els => els.map(e => [e.src, e.type || 'classic'])"
        )
    ]


def test_map_modules_load_as_modules_under_the_policy_without_errors(page, live_server, seeded):
    requested = _watch(page)
    response = page.goto(live_server.url + "/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    wait_for_draw(page)
    page.wait_for_selector("#timeline rect.timeline-bar")
    # Leaflet stays a classic script before the entry module, which imports the rest.
    assert _scripts(page) == [
        ("/static/leaflet/leaflet.js", "classic"),
        ("/static/mapping/map.js", "module"),
    ]
    assert {path for path in requested if path.endswith(".js")} == MAP_MODULES
    assert page.evaluate("window.policyViolations") == []
    assert page.errors == [] and page.console_errors == []

    requested.clear()
    page.goto(f"{live_server.url}/incidents/SY-2025-0005/")
    page.wait_for_selector("[data-incident-map][data-ready=true]")
    assert _scripts(page) == [
        ("/static/leaflet/leaflet.js", "classic"),
        ("/static/mapping/incident_map.js", "module"),
    ]
    assert {path for path in requested if path.endswith(".js")} == {
        "incident_map.js",
        "map/base.js",
    }
    assert page.evaluate("window.policyViolations") == []
    assert page.errors == [] and page.console_errors == []


def test_map_pages_work_with_the_hashed_names_of_production(
    page, live_server, seeded, settings, tmp_path
):
    # Static files as collectstatic leaves them for WhiteNoise in production; the pages name
    # them through the same storage, and the browser is served them from that directory.
    manifest = collect_static(tmp_path)
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "config.storage.ModuleManifestStaticFilesStorage"},
    }

    def serve(route) -> None:
        path = tmp_path / urlsplit(route.request.url).path.removeprefix("/static/")
        if path.is_file():
            route.fulfill(path=str(path))
        else:
            route.fulfill(status=404, body="not collected")

    page.route(f"{live_server.url}/static/**", serve)
    requested = _watch(page)
    page.goto(live_server.url + "/")
    wait_for_draw(page)
    page.wait_for_selector("#timeline rect.timeline-bar")
    page.goto(f"{live_server.url}/incidents/SY-2025-0005/")
    page.wait_for_selector("[data-incident-map][data-ready=true]")

    hashed = {manifest[f"mapping/{name}"] for name in MAP_MODULES | {"incident_map.js"}}
    assert {f"mapping/{path}" for path in requested if path.endswith(".js")} == hashed
    assert page.evaluate("window.policyViolations") == []
    assert page.errors == [] and page.console_errors == []

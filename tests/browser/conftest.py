"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

They run wherever ``/usr/bin/chromium`` exists (``.ci/run`` installs it) and are skipped,
with a message saying why, where it does not.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

if not os.path.exists(CHROMIUM):
    pytest.skip(
        f"Browser tests skipped: no Chromium at {CHROMIUM} (install the Debian package "
        "'chromium', as .ci/run does).",
        allow_module_level=True,
    )

# Playwright's sync API runs an event loop in this thread; the database calls the tests
# make alongside it are ordinary synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _live_server_requests_finished(request) -> Iterator[None]:
    """After each test, wait for the live server's requests still being answered before the
    test's database is flushed. A page closed at the end of a test may leave one in flight;
    on SQLite it shares the test's in-memory connection, and the flush then fails with
    "database table is locked" (seen on test_map_issues's refused filter).

    The browser contexts a test left open (one that failed before closing its own) are
    closed first: their kept-alive connections each hold a server thread waiting for a next
    request, which this wait would otherwise sit out at every later test."""
    yield
    if "browser" in request.fixturenames:
        for context in list(request.getfixturevalue("browser").contexts):
            context.close()
    deadline = time.monotonic() + 10
    for thread in threading.enumerate():
        target = getattr(thread, "_target", None)
        if getattr(target, "__name__", "") == "process_request_thread":
            thread.join(max(0.0, deadline - time.monotonic()))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    # Console errors (a CSP violation is one), except the tile requests aborted below.
    page.console_errors = []  # type: ignore[attr-defined]
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and "tile.openstreetmap.org" not in (message.location or {}).get("url", "")
            and page.console_errors.append(message.text)
        ),
    )
    # Map tiles come from the internet; the tests do not depend on them.
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    yield page
    context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS

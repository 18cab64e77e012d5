"""How fast the public map draws, measured in Chromium against a filled database.

    cp /path/to/bench100k.sqlite3 /tmp/map-bench.sqlite3   # or let --copy-from do it
    .venv/bin/python bench/map_browser.py --copy-from /path/to/bench100k.sqlite3

The database is one filled by ``bench/generate.py --incidents 100000``. With
``--copy-from`` the file is copied to a temporary directory first and the copy is served,
so the original is never written to; ``--database-url`` serves a database as it is (e.g.
PostgreSQL). The script starts Django's development server on it (API rate limits off),
then drives Debian's Chromium through Playwright with tile requests cut off (the figures
are about our code, not a tile server) and measures, over ``--runs`` fresh pages:

* **first paint**: from the start of navigation to the map's ``map-drawn`` performance
  mark, which the map script sets in the animation frame after Leaflet painted the markers
  or the cells of an API answer;
* **pan**: from a pan of 40 % of the map's width to the next ``map-drawn`` mark, twice
  (the first pan usually stays inside the wider area fetched in the background after the
  first paint; the second leaves it and waits for the network);
* **zoom in** and **zoom out** by one level, the same way;
* **timeline drawn after the map**: from the map's first ``map-drawn`` mark to the
  timeline's ``timeline-drawn`` mark (its bars drawn from ``/api/v1/statistics/?
  breakdown=by_day``); the first run of a view computes that answer, the others read it as
  kept for the publication generation (target, issue 18: within 500 ms at 1,000,000 on
  PostgreSQL);
* for each step, how long the API answer itself took (Resource Timing), and the mode.

Targets (the issue): first paint within 1.5 s, a pan or zoom refreshed within 300 ms.
This is a benchmark, not a test: it prints figures and never fails on them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

# Runs inside the page: move the map, wait for the next draw, report timings.
STEP_SCRIPT = """
async ([action]) => {
  const element = document.querySelector('[data-map]');
  const map = element.incidentMap.map;
  const before = Number(element.dataset.drawn || 0);
  performance.clearResourceTimings();
  const start = performance.now();
  if (action === 'pan') map.panBy([Math.round(map.getSize().x * 0.4), 0], {animate: false});
  if (action === 'zoom-in') map.zoomIn(1, {animate: false});
  if (action === 'zoom-out') map.zoomOut(1, {animate: false});
  await new Promise((resolve) => {
    const check = () => Number(element.dataset.drawn || 0) > before
      ? resolve() : setTimeout(check, 2);
    check();
  });
  const marks = performance.getEntriesByName('map-drawn');
  const api = performance.getEntriesByType('resource')
    .filter((entry) => entry.name.includes('/api/v1/map/'))
    .map((entry) => entry.responseEnd - entry.startTime);
  return {
    ms: marks[marks.length - 1].startTime - start,
    api_ms: api.length ? api[0] : null,
    mode: element.dataset.mode,
    drawn: element.incidentMap.shapes(),
  };
}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(database_url: str, port: int) -> subprocess.Popen:
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "API_ANON_RATE": "",
        "API_USER_RATE": "",
        "DJANGO_ENV": "development",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(  # noqa: S603 - our own manage.py, arguments fixed here
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(server.stderr.read().decode()) from None
            time.sleep(0.3)
    server.kill()
    raise SystemExit("The development server did not answer within 30 s.")


def summary(values: list[float]) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "—"
    return f"median {statistics.median(values):7.0f} ms   max {max(values):7.0f} ms"


# Where each run starts: the default view of the whole coast (grid cells at 100,000
# incidents) and a city (Latakia) close enough for single incidents.
VIEWS = {"country view": "/", "city view": "/?lat=35.5200&lon=35.8000&z=12"}


def measure(base_url: str, runs: int, start: str) -> dict[str, list[dict]]:
    from playwright.sync_api import sync_playwright

    results: dict[str, list[dict]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--headless",
                "--disable-gpu",
                "--disable-background-networking",
                # Tile requests fail at once in the browser's resolver: intercepting each of
                # them through Playwright would cost more than everything measured here.
                "--host-resolver-rules=MAP tile.openstreetmap.org ~NOTFOUND",
            ],
        )
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.goto(base_url + start, wait_until="commit")
            page.wait_for_function("() => performance.getEntriesByName('map-drawn').length > 0")
            first = page.evaluate(
                """() => {
                  const element = document.querySelector('[data-map]');
                  const api = performance.getEntriesByType('resource')
                    .filter((entry) => entry.name.includes('/api/v1/map/'))[0];
                  return {
                    ms: performance.getEntriesByName('map-drawn')[0].startTime,
                    api_ms: api ? api.responseEnd - api.startTime : null,
                    mode: element.dataset.mode,
                    drawn: element.incidentMap.shapes(),
                  };
                }"""
            )
            results.setdefault("first paint", []).append(first)
            # The timeline asks for its days once the map is drawn; how long after the
            # map's first paint its bars are drawn (mark "timeline-drawn"). The first run
            # computes the answer; later runs read it as kept for the generation.
            page.wait_for_function(
                "() => performance.getEntriesByName('timeline-drawn').length > 0",
                timeout=120_000,
            )
            results.setdefault("timeline drawn after the map", []).append(
                page.evaluate(
                    """() => {
                      const api = performance.getEntriesByType('resource')
                        .filter((entry) => entry.name.includes('/api/v1/statistics/'))[0];
                      return {
                        ms: performance.getEntriesByName('timeline-drawn')[0].startTime
                          - performance.getEntriesByName('map-drawn')[0].startTime,
                        api_ms: api ? api.responseEnd - api.startTime : null,
                        mode: 'timeline',
                        drawn: document.querySelectorAll('#timeline rect.timeline-bar').length,
                      };
                    }"""
                )
            )
            # Let the background work after the first paint (wider area, timeline) finish,
            # as it would while a reader looks at the map.
            page.wait_for_timeout(2500)
            for label, action in [
                ("pan (inside the area fetched ahead)", "pan"),
                ("pan (beyond it)", "pan"),
                ("zoom in", "zoom-in"),
                ("zoom out", "zoom-out"),
            ]:
                if label == "pan (beyond it)":
                    page.evaluate(STEP_SCRIPT, ["pan"])  # leave the wider area first
                results.setdefault(label, []).append(page.evaluate(STEP_SCRIPT, [action]))
                page.wait_for_timeout(1500)
            context.close()
            # The server finishes what the closed page had asked (the timeline's statistics
            # take a few seconds on 100,000 incidents) before the next visitor arrives.
            time.sleep(4)
        browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--copy-from", type=Path, help="SQLite file to copy and serve")
    source.add_argument("--database-url", help="serve this database as it is")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not os.path.exists(CHROMIUM):
        raise SystemExit(f"No Chromium at {CHROMIUM} (install the Debian package 'chromium').")

    with tempfile.TemporaryDirectory(prefix="map-bench-") as workdir:
        if args.copy_from:
            copy = Path(workdir) / "bench.sqlite3"
            shutil.copyfile(args.copy_from, copy)
            database_url = f"sqlite:///{copy}"
        else:
            database_url = args.database_url
        port = free_port()
        server = start_server(database_url, port)
        try:
            views = {
                name: measure(f"http://127.0.0.1:{port}", args.runs, start)
                for name, start in VIEWS.items()
            }
        finally:
            server.terminate()
            server.wait(timeout=10)

    engine = database_url.split(":", 1)[0]
    print(f"Public map, {args.runs} runs per view, {engine}, Chromium 1280x900, tiles cut off")
    for name, results in views.items():
        print(f"\n{name} ({VIEWS[name]})")
        for label, rows in results.items():
            modes = sorted({f"{row['mode']} ({row['drawn']} shapes)" for row in rows})
            print(f"{label:38s} {summary([r['ms'] for r in rows])}")
            print(f"{'   of which the API answer':38s} {summary([r['api_ms'] for r in rows])}")
            print(f"{'   drawn':38s} {', '.join(modes)}")


if __name__ == "__main__":
    main()

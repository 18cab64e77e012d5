"""A news spike on the production stack: nginx, gunicorn, PostgreSQL and Redis on loopback.

    .venv/bin/python bench/spike.py              # nginx's cache on, as deployed
    .venv/bin/python bench/spike.py --no-cache   # the same without nginx's cache

The stack is the one ``deploy/`` describes, started as ordinary processes by
``bench/stack.py``: nginx on the repository's site files (TLS with a throwaway certificate,
static files from a fresh ``collectstatic``, gzip, the short cache of anonymous reads),
gunicorn with ``deploy/gunicorn.conf.py`` and the production settings, the PostgreSQL
database ``--database-url`` (created and filled by ``bench/generate.py`` with the seed data
and ``--incidents`` synthetic incidents when it does not hold them yet; ``--fresh`` starts
it again) and the Redis database ``--redis-url`` as the shared cache.

wrk drives it with ``--connections`` (64) for ``--duration`` (60 s) over a mix of the home
page, the map endpoint, an incident page and a list page of the API, in turn
(``bench/spike.lua``). Halfway through, an incident in review is published through the
services (as a reviewer would), and the script polls the list page and the map endpoint of
the mix through nginx, as an anonymous reader, until both show it. It prints requests per
second, p50 and p99 latency, errors, and the time until the incident is visible, each beside
its target, with the load average before and after.

The API's request limit is switched off (``API_ANON_RATE`` empty): all the load comes from
one address here, where a real spike comes from thousands.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import stack

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"rps": 1000.0, "p99_ms": 250.0, "errors": 0, "visible_s": 10.0}
HOME = "/"
INCIDENT_PAGE = "/incidents/SY-2025-0001/"
MAP = "/api/v1/map/?status=published&zoom=7&bbox=35.50,32.30,42.50,37.40"
LIST = "/api/v1/incidents/?ordering=-published_at&page_size=20"
MIX = [HOME, MAP, INCIDENT_PAGE, LIST]
# As wrk sends them (bench/spike.lua): the poller must read the same cache entries.
READER = {"Accept-Encoding": "gzip", "Accept-Language": "en-GB,en;q=0.9"}


def uptime() -> str:
    return subprocess.run(
        ["uptime"],  # noqa: S607 - procps, as Debian installs it
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()


def _admin_url(database_url: str) -> tuple[str, str]:
    base, _, name = database_url.rpartition("/")
    return f"{base}/postgres", name


def prepare_database(database_url: str, incidents: int, fresh: bool) -> None:
    """The database with the seed and ``incidents`` synthetic ones (made once)."""
    import psycopg2

    admin, name = _admin_url(database_url)
    connection = psycopg2.connect(admin)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = cursor.fetchone() is not None
        ready = False
        if exists and not fresh:
            probe = psycopg2.connect(database_url)
            with probe, probe.cursor() as check:
                check.execute("SELECT to_regclass('incidents_incident') IS NOT NULL")
                if check.fetchone()[0]:
                    check.execute("SELECT count(*) FROM incidents_incident")
                    ready = check.fetchone()[0] >= incidents
            probe.close()
        if ready:
            connection.close()
            # A database filled by an earlier version: bring its tables up to this one.
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                cwd=ROOT,
                env={**os.environ, "DATABASE_URL": database_url},
                check=True,
            )
            return
        if exists:
            cursor.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    print(f"filling {name} with the seed and {incidents:,} synthetic incidents ...", flush=True)
    subprocess.run(  # noqa: S603 - this checkout's own script
        [sys.executable, "bench/generate.py", "--incidents", str(incidents)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        check=True,
    )


def prepare_incident():
    """An incident in review, with its claim, ready to be published; and its reviewer."""
    from django.apps import apps
    from django.contrib.auth.models import Group, User

    from incidents import services
    from incidents.models import Source, SourceKind
    from incidents.roles import ensure_role_groups

    ensure_role_groups(apps)
    reviewer, created = User.objects.get_or_create(username="spike-reviewer")
    if created:
        reviewer.groups.add(Group.objects.get(name="Reviewer"))
        reviewer = User.objects.get(pk=reviewer.pk)
    run = uuid.uuid4().hex[:8]
    source = Source.objects.filter(slug="spike-wire").first() or services.source_create(
        user=reviewer,
        slug="spike-wire",
        publisher="",
        headline="Wire report read out during the spike benchmark",
        kind=SourceKind.NEWS_ARTICLE,
    )
    incident = services.incident_create(
        user=reviewer,
        claims=[{"source": source, "killed_min": 7, "quote": f"At least seven killed ({run})."}],
        title=f"Shelling reported during the spike benchmark ({run})",
        event_type="shelling",
        date_start=date(2025, 6, 1),
        date_end=date(2025, 6, 1),
        latitude=35.36,
        longitude=35.93,
        place_name="Jableh",
    )
    incident = services.incident_submit_for_review(incident=incident, user=reviewer)
    return incident, reviewer


def read(url: str) -> dict:
    answer = stack.request(url, headers=READER, timeout=30)
    body = answer.body
    if answer.header("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    if answer.status != 200:
        raise RuntimeError(f"{url}: {answer.status}")
    return json.loads(body)


def map_total(url: str) -> int:
    return read(url + MAP)["totals"]["incidents"]


def listed(url: str, public_id: str) -> bool:
    return any(row["id"] == public_id for row in read(url + LIST)["results"])


def publish_and_watch(url: str, incident, reviewer, before: int, out: dict) -> None:
    """Publishes the incident, then polls the mix's list page and map through nginx."""
    from incidents import services

    started = time.monotonic()
    services.incident_publish(incident=incident, user=reviewer)
    out["publish_s"] = time.monotonic() - started
    waiting = {"list": lambda: listed(url, incident.public_id), "map": None}
    waiting["map"] = lambda: map_total(url) > before
    deadline = started + 120
    while waiting and time.monotonic() < deadline:
        for name, check in list(waiting.items()):
            try:
                if check():
                    out[f"{name}_s"] = time.monotonic() - started
                    del waiting[name]
            except (OSError, RuntimeError) as error:
                out.setdefault("poll_errors", []).append(str(error))
        time.sleep(0.1)


def run_wrk(url: str, connections: int, duration: int, threads: int) -> dict:
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [  # noqa: S607 - wrk from the PATH, as Debian installs it
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "-s",
            str(ROOT / "bench" / "spike.lua"),
            url,
            "--",
            *MIX,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    for line in result.stdout.splitlines():
        if line.startswith("SPIKE-JSON "):
            return json.loads(line.removeprefix("SPIKE-JSON "))
    raise RuntimeError(f"wrk printed no figures:\n{result.stdout}\n{result.stderr}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/incidentmap_deploy_spike"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--incidents", type=int, default=50_000)
    parser.add_argument("--fresh", action="store_true", help="fill the database again")
    parser.add_argument("--no-cache", action="store_true", help="nginx without its cache")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", default="", help="gunicorn processes (GUNICORN_WORKERS)")
    parser.add_argument("--threads", default="", help="threads each (GUNICORN_THREADS)")
    args = parser.parse_args()

    prefix = f"spike-{uuid.uuid4().hex[:8]}"  # this run's cache entries only
    os.environ.update(
        DATABASE_URL=args.database_url, REDIS_URL=args.redis_url, CACHE_KEY_PREFIX=prefix
    )
    prepare_database(args.database_url, args.incidents, args.fresh)
    from bench._django import setup

    setup()
    from tests.static_build import collect_static

    incident, reviewer = prepare_incident()
    print(f"load before: {uptime()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="spike-") as tmp:
        static_root = Path(tmp) / "static"
        collect_static(static_root)
        upstream = stack.free_port()
        site = stack.render_nginx(
            Path(tmp) / "nginx",
            upstream_port=upstream,
            static_root=static_root,
            cache=not args.no_cache,
        )
        env = stack.production_environment(
            args.database_url,
            static_root=static_root,
            site_port=site.https_port,
            REDIS_URL=args.redis_url,
            CACHE_KEY_PREFIX=prefix,
            API_ANON_RATE="",
            API_USER_RATE="",
            GUNICORN_LOG_LEVEL="warning",
        )
        if args.workers:
            env["GUNICORN_WORKERS"] = args.workers
        if args.threads:
            env["GUNICORN_THREADS"] = args.threads
        logs: list[str] = []
        with stack.gunicorn(env, upstream, logs), stack.nginx(site, logs) as url:
            for _ in range(3):
                for path in MIX:
                    answer = stack.request(url + path, headers=READER)
                    assert answer.status == 200, (path, answer.status, answer.body[:300])
            before = map_total(url)
            watched: dict = {}
            watcher = threading.Timer(
                args.duration / 2, publish_and_watch, (url, incident, reviewer, before, watched)
            )
            watcher.start()
            figures = run_wrk(url, args.connections, args.duration, args.wrk_threads)
            watcher.join()
        errors = "\n".join(logs)
    print(f"load after:  {uptime()}")
    report(figures, watched, args, incident.public_id)
    if "Traceback" in errors or "[error]" in errors:
        print("server logs (end):\n" + errors[-3000:])


def report(figures: dict, watched: dict, args: argparse.Namespace, public_id: str) -> None:
    seconds = figures["duration_us"] / 1e6
    rps = figures["requests"] / seconds
    p50, p99 = figures["p50_us"] / 1000, figures["p99_us"] / 1000
    errors = sum(figures[k] for k in ["connect", "read", "write", "status", "timeout"])
    visible = max(watched.get("list_s", float("inf")), watched.get("map_s", float("inf")))
    cache = "off" if args.no_cache else "on"

    def mark(ok: bool) -> str:
        return "meets" if ok else "MISSES"

    print(
        f"\nspike: nginx cache {cache}, {args.connections} connections, {seconds:.0f} s, "
        f"{figures['requests']:,} requests ({figures['bytes'] / 1e6:.0f} MB), mix {MIX}"
    )
    print(
        f"  requests/s        {rps:8.0f}   target >= {TARGETS['rps']:.0f}   "
        f"{mark(rps >= TARGETS['rps'])}"
    )
    print(f"  latency p50       {p50:8.1f} ms")
    print(
        f"  latency p99       {p99:8.1f} ms   target <= {TARGETS['p99_ms']:.0f} ms   "
        f"{mark(p99 <= TARGETS['p99_ms'])}  (p90 {figures['p90_us'] / 1000:.1f} ms, "
        f"max {figures['max_us'] / 1000:.0f} ms)"
    )
    print(
        f"  errors            {errors:8d}   target = 0   {mark(errors == 0)}  (connect "
        f"{figures['connect']}, read {figures['read']}, write {figures['write']}, "
        f"status >= 400 {figures['status']}, timeout {figures['timeout']})"
    )
    print(
        f"  {public_id} visible after {visible:6.1f} s   target <= {TARGETS['visible_s']:.0f} s   "
        f"{mark(visible <= TARGETS['visible_s'])}  (list page {watched.get('list_s', 0):.1f} s, "
        f"map {watched.get('map_s', 0):.1f} s; the publication itself "
        f"{watched.get('publish_s', 0) * 1000:.0f} ms)"
    )
    if watched.get("poll_errors"):
        print(f"  poll errors: {watched['poll_errors'][:5]}")


if __name__ == "__main__":
    main()

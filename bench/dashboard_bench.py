"""Dashboard benchmark: how long /api/v1/dashboard/ takes to answer, cold and warm.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/incidentmap_1m \\
    REDIS_URL=redis://127.0.0.1:6379/10 .venv/bin/python bench/dashboard_bench.py

Run ``bench/generate.py`` on the same database first. The script only reads the database.
Requests go through the whole Django stack (middleware, filters, DRF, JSON rendering) with
Django's test client, in this process, as the dashboard page asks: an anonymous reader,
``status=published`` and the map's filters. Five views: unfiltered, one year, one
governorate, one perpetrator and one event type (the largest of each in the data).

- **cold**: the kept answers are dropped before each request (the shared cache's
  ``answers`` alias is cleared: point ``REDIS_URL`` at a Redis database of its own), so
  every request counts the incidents afresh, as the first reader after a publication does;
- **warm**: the same requests again, answered from the answer kept per publication
  generation, as every other reader is until the next publication.

Each figure is printed with the target (p95 <= 300 ms at 1,000,000 incidents on
PostgreSQL; 1 s for a filter the sums do not answer, marked "(1 s)") and whether it is met,
with the load average of the machine, which is shared, and the SQL alone of a cold request:
its statements' planning and execution times, each run again by itself under ``EXPLAIN
ANALYZE`` (what a quiet machine would spend in the database), and the process's CPU time
of a cold request (its own work, without the waits for a core or for the database).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._django import setup
from bench._sqltime import sql_alone, statements_of

TARGET = 0.300


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def views() -> dict[str, str]:
    """The views measured, each as the page's query string."""
    from django.db.models import Count

    from incidents.models import Actor, Attribution, Incident, Status

    published = Incident.objects.filter(status=Status.PUBLISHED)
    year = (published.order_by("-date_start").values_list("date_start", flat=True).first()).year - 1
    governorate = (
        published.exclude(governorate=None)
        .values("governorate__slug")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("governorate__slug", flat=True)
        .first()
    )
    # The actor without affiliates held responsible for the most incidents (the sums answer
    # it); one with affiliates is counted from the incidents.
    actor = (
        Attribution.objects.filter(actor__affiliates__isnull=True)
        .values("actor__slug")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("actor__slug", flat=True)
        .first()
    )
    parent = (
        Actor.objects.filter(affiliates__isnull=False, attributions__isnull=False)
        .values_list("slug", flat=True)
        .first()
    )
    event_type = (
        published.values("event_type")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("event_type", flat=True)
        .first()
    )
    return {
        "unfiltered": "",
        f"year {year}": f"date_from={year}-01-01&date_to={year}-12-31",
        f"governorate {governorate}": f"governorate={governorate}",
        f"perpetrator {actor}": f"perpetrator={actor}",
        f"event type {event_type}": f"event_type={event_type}",
        **({f"perpetrator+affiliates {parent} (1 s)": f"perpetrator={parent}"} if parent else {}),
    }


CPU: list[float] = []  # the process's CPU seconds of each cold request (Python's own work)


def measure(client, query: str, repeats: int, *, cold: bool) -> tuple[list[float], int]:
    from django.core.cache import caches

    times, size = [], 0
    CPU.clear()
    for _ in range(repeats):
        if cold:
            caches["answers"].clear()
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(f"/api/v1/dashboard/?status=published&{query}".rstrip("&"))
        times.append(time.perf_counter() - started)
        CPU.append(time.process_time() - cpu)
        assert response.status_code == 200, response.content[:300]
        size = len(response.content)
    return times, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="requests per view and mode")
    args = parser.parse_args()
    setup()
    from django.core.cache import caches
    from django.db import connection
    from django.test import Client

    from incidents.models import Incident, Status

    client = Client()
    total = Incident.objects.count()
    published = Incident.objects.filter(status=Status.PUBLISHED).count()
    print(
        f"dashboard on {connection.vendor}, {total:,} incidents ({published:,} published); "
        f"cache: {'Redis' if os.environ.get('REDIS_URL') else 'files'}; "
        f"{args.repeats} requests per view and mode"
    )
    # One request first: connections, imports and the release's fingerprint.
    measure(client, "", 1, cold=True)
    all_cold, all_warm = [], []
    for label, query in views().items():
        cold, size = measure(client, query, args.repeats, cold=True)
        cpu = list(CPU)
        warm, _ = measure(client, query, args.repeats, cold=False)
        alone = []
        for _ in range(args.repeats):
            caches["answers"].clear()
            url = f"/api/v1/dashboard/?status=published&{query}".rstrip("&")
            measured = sql_alone(statements_of(lambda url=url: client.get(url)))
            if measured is not None:
                alone.append(measured[0])
        limit = 1.0 if "(1 s)" in label else TARGET
        if limit == TARGET:
            all_cold += cold
            all_warm += warm
        sql = f"p50 {_ms(statistics.median(alone)):>6} p95 {_ms(p95(alone)):>6}" if alone else "n/a"
        print(
            f"  {label:<40} cold p50 {_ms(statistics.median(cold)):>7} p95 {_ms(p95(cold)):>7}"
            f" | warm p50 {_ms(statistics.median(warm)):>6} p95 {_ms(p95(warm)):>6}"
            f" | SQL alone {sql} | Python CPU p50 {_ms(statistics.median(cpu))}"
            f" | {size / 1024:.0f} KB"
            f" | target {_ms(limit)}: {'met' if p95(cold) <= limit else 'NOT met'}"
        )
    for mode, samples in (("cold", all_cold), ("warm", all_warm)):
        print(
            f"all views, {mode}: p50 {_ms(statistics.median(samples))}, p95 "
            f"{_ms(p95(samples))} (target <= 300 ms; ratio {p95(samples) / TARGET:.2f})"
        )
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

"""Statistics benchmark: /api/v1/statistics/ cold and warm, whole and days only, beside a
hand-written query (the floor) and the targets.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/incidentmap_1m \\
        .venv/bin/python bench/statistics_bench.py --repeat 7

Read-only: it writes nothing to the database (run ``bench/generate.py`` on it first).
Requests go through the whole Django stack as an anonymous client, in this process, readied
as a server's worker is (``config.warm``: the URL configuration loaded before the first).
"Cold" is a request whose answer is not kept yet: before each one the publication token in
the shared cache is set afresh (as a publication would), so the answer is computed; "warm"
asks again for the same answer, kept per generation (``incidents.readmodel.answers``).
The cache is a directory of the run's own unless ``CACHE_DIR`` or ``REDIS_URL`` says
otherwise.

For each filter it prints p50 and p95 of: the whole answer cold, ``breakdown=by_day`` (what
the map's timeline asks) cold, the whole answer warm, the SQL alone of a cold whole answer
(its statements' planning and execution times, each run again by itself under ``EXPLAIN
ANALYZE``: what a quiet machine would spend in the database), whether the cold p95 meets
its target, the process's CPU time of a cold request (its own work without the waits),
and with ``--floor`` the floor: on PostgreSQL one
hand-written ``GROUPING SETS`` query over the published incidents for the days,
governorates, event types and episodes plus one join of the attributions for the
perpetrators (for the days only: one ``GROUP BY``); on SQLite the same aggregates one
``GROUP BY`` each. Targets (issue 17, at 1,000,000 on PostgreSQL): p95 <= 300 ms unfiltered
and for the common filters (year, governorate, perpetrator, event type), <= 1 s for any.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if not os.environ.get("REDIS_URL"):
    os.environ.setdefault("CACHE_DIR", tempfile.mkdtemp(prefix="statistics-bench-"))
from bench._django import setup
from bench._sqltime import sql_alone, statements_of

COMMON = "common (target p95 <= 300 ms)"
ANY = "any (target p95 <= 1000 ms)"


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def _fmt(samples: list[float] | None) -> str:
    if not samples:
        return f"{'n/a':>17}"
    return f"{statistics.median(samples) * 1000:7.0f} /{p95(samples) * 1000:7.0f}"


def cases() -> list[tuple[str, str, dict, str]]:
    """(name, query string, floor condition, kind): the filters measured."""
    from django.db.models import Count

    from incidents.models import Actor, Attribution, Incident, Status
    from mapping.models import Place, PlaceKind

    published = Incident.objects.filter(status=Status.PUBLISHED)
    last = published.order_by("-date_start").values_list("date_start", flat=True).first()
    year = last.year - 1 if last else 2024
    governorate = (
        Place.objects.filter(kind=PlaceKind.GOVERNORATE, slug="latakia-governorate").first()
        or Place.objects.filter(kind=PlaceKind.GOVERNORATE).first()
    )
    # The actor without affiliates held responsible for the most incidents (the sums answer
    # it), and the one with affiliates (counted from the incidents: an incident held against
    # two of them would count twice in their sums).
    by_count = (
        Attribution.objects.values("actor_id")
        .annotate(n=Count("id"))
        .order_by("-n", "actor_id")
        .values_list("actor_id", flat=True)
    )
    lone = Actor.objects.filter(pk__in=by_count.filter(actor__affiliates__isnull=True)[:1])
    actor = lone.first() or Actor.objects.first()
    parent = Actor.objects.filter(affiliates__isnull=False, attributions__isnull=False).first()
    return [
        ("unfiltered", "", {"sql": "", "params": []}, COMMON),
        (
            f"year {year}",
            f"date_from={year}-01-01&date_to={year}-12-31",
            {
                "sql": "AND i.date_end >= %s AND i.date_start <= %s",
                "params": [f"{year}-01-01", f"{year}-12-31"],
            },
            COMMON,
        ),
        (
            "governorate",
            f"governorate={governorate.slug}",
            {"sql": "AND i.governorate_id = %s", "params": [governorate.pk]},
            COMMON,
        ),
        (
            "perpetrator",
            f"perpetrator={actor.slug}",
            {
                "sql": "AND EXISTS (SELECT 1 FROM incidents_attribution x "
                "WHERE x.incident_id = i.id AND x.actor_id = %s)",
                "params": [actor.pk],
            },
            COMMON,
        ),
        *(
            [
                (
                    "perpetrator+affil.",
                    f"perpetrator={parent.slug}",
                    {
                        "sql": "AND EXISTS (SELECT 1 FROM incidents_attribution x "
                        "WHERE x.incident_id = i.id AND x.actor_id IN (SELECT id FROM "
                        "incidents_actor WHERE id = %s OR parent_id = %s))",
                        "params": [parent.pk, parent.pk],
                    },
                    ANY,
                )
            ]
            if parent
            else []
        ),
        (
            "perpetrator+conf.",
            f"perpetrator={actor.slug}&perpetrator_confidence=probable",
            {
                "sql": "AND EXISTS (SELECT 1 FROM incidents_attribution x "
                "WHERE x.incident_id = i.id AND x.actor_id = %s "
                "AND x.confidence IN ('probable', 'confirmed'))",
                "params": [actor.pk],
            },
            ANY,
        ),
        (
            "dates (partial)",
            f"date_from={year}-03-10&date_to={year + 1}-02-20",
            {
                "sql": "AND i.date_end >= %s AND i.date_start <= %s",
                "params": [f"{year}-03-10", f"{year + 1}-02-20"],
            },
            ANY,
        ),
        (
            "event type",
            "event_type=shelling",
            {"sql": "AND i.event_type = %s", "params": ["shelling"]},
            COMMON,
        ),
        (
            "grade + killed_min",
            "grade=confirmed&killed_min=5",
            {"sql": "AND i.grade = %s AND i.killed_best >= %s", "params": ["confirmed", 5]},
            ANY,
        ),
    ]


_SUMS = (
    "COUNT(*), SUM(i.killed_low), SUM(i.killed_best), "
    "SUM(COALESCE(i.killed_high, i.killed_best)), COUNT(*) FILTER (WHERE i.killed_high_open)"
)


def floor(condition: dict, *, days_only: bool) -> float:
    """Seconds the hand-written aggregate takes for the same figures."""
    from django.db import connection

    where = f"WHERE i.status = 'published' {condition['sql']}"
    sums = _SUMS
    if connection.vendor != "postgresql":
        sums = sums.replace("COUNT(*) FILTER (WHERE i.killed_high_open)", "SUM(i.killed_high_open)")
    if days_only:
        statements = [f"SELECT i.date_start, {sums} FROM incidents_incident i {where} GROUP BY 1"]
    elif connection.vendor == "postgresql":
        statements = [
            f"SELECT i.date_start, i.governorate_id, i.event_type, i.episode_id, {sums} "
            f"FROM incidents_incident i {where} GROUP BY GROUPING SETS "
            "((i.date_start), (i.governorate_id), (i.event_type), (i.episode_id))"
        ]
    else:
        statements = [
            f"SELECT {column}, {sums} FROM incidents_incident i {where} GROUP BY 1"
            for column in ("i.date_start", "i.governorate_id", "i.event_type", "i.episode_id")
        ]
    if not days_only:
        statements.append(
            f"SELECT a.actor_id, {sums} FROM incidents_incident i "
            f"JOIN incidents_attribution a ON a.incident_id = i.id {where} GROUP BY 1"
        )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql, condition["params"])
            cursor.fetchall()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--floor", action="store_true", help="also time the hand-written aggregates (slow)"
    )
    args = parser.parse_args()
    setup()
    # Ready as a server's worker is before its first request (``config.wsgi``).
    from config.warm import warm

    warm()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from incidents.models import Incident, Status
    from incidents.readmodel import generation

    client = Client()

    def fresh_generation() -> None:
        # What a publication does to the cache (the database is left alone).
        cache.set(generation.KEY, f"bench.{secrets.token_hex(6)}", timeout=None)

    cpu: list[float] = []

    def timed(url: str) -> float | None:
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        cpu.append(time.process_time() - cpu_started)
        if response.status_code != 200:
            return None  # e.g. breakdown asked of a version without it
        return elapsed

    count = Incident.objects.filter(status=Status.PUBLISHED).count()
    print(
        f"statistics, {connection.vendor}, {count:,} published incidents, "
        f"{args.repeat} requests each; p50 / p95 in ms"
    )
    print(
        f"{'filter':<20} {'whole, cold':>17} {'by_day, cold':>17} {'whole, warm':>17} "
        f"{'SQL alone, cold':>17} {'floor: whole':>17} {'floor: by_day':>17}  target"
    )
    for name, query, condition, kind in cases():
        url = f"/api/v1/statistics/?{query}"
        days_url = f"/api/v1/statistics/?{query}{'&' if query else ''}breakdown=by_day"
        cold, days, warm, floor_all, floor_days, alone, cold_cpu = [], [], [], [], [], [], []
        for _ in range(args.repeat):
            fresh_generation()
            cold.append(timed(url))
            cold_cpu.append(cpu[-1])
            warm.append(timed(url))
            fresh_generation()
            days.append(timed(days_url))
            # The statements of a cold request, each run again alone.
            fresh_generation()
            measured = sql_alone(statements_of(lambda url=url: client.get(url)))
            if measured is not None:
                alone.append(measured[0])
            if args.floor:
                floor_all.append(floor(condition, days_only=False))
                floor_days.append(floor(condition, days_only=True))
        days_ok = [d for d in days if d is not None]
        limit = 0.300 if kind == COMMON else 1.0
        verdict = "met" if p95(cold) <= limit else "NOT met"
        print(
            f"{name:<20} {_fmt(cold)} {_fmt(days_ok)} {_fmt(warm)} {_fmt(alone)} "
            f"{_fmt(floor_all)} {_fmt(floor_days)}  {kind}: whole cold p95 {verdict}; "
            f"Python CPU of a cold one p50 {statistics.median(cold_cpu) * 1000:.0f} ms"
        )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

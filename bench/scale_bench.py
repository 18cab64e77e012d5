"""Every figure of the performance work at scale, beside its floor and its target, in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/incidentmap_1m \\
        .venv/bin/python bench/scale_bench.py --repeats 3
    DATABASE_URL=sqlite:///var/bench100k.sqlite3 .venv/bin/python bench/scale_bench.py

Run ``bench/generate.py`` on the database first; this script only reads it (but for the
documents a first page read keeps, as the site does). Requests go through the whole Django
stack with Django's test client, as an anonymous reader, with the kept public answers
emptied before each timed request (so that a cached answer is never what is timed). Each
line gives the figure, its floor (what the database alone needs for the same answer) and
the target, and the figures are measured in the same run, so their ratios hold on a busy
machine; the load average is printed with them.

- exports: the anonymous GeoJSON and CSV of about ``--export-incidents`` incidents through
  the API: the time to the first byte (target <= 1 s) and to the last, against the database
  building the same features itself in one query (``json_agg``, target: the export >= 2x
  as fast), the plain rows alone with ``COPY`` (a floor nothing that lists claims can
  reach), and the CSV against the GeoJSON (target: at least as fast);
- the map (whole country, zooms 5 to 12, in the compact layout the map page asks for) and a
  page of 500 of the list: each request against its own SQL statements replayed on the same
  connection (targets <= 2x and <= 1.3x);
- a page of 500 with its documents built afresh against a stock nested ModelSerializer
  (target >= 10x, from ``api_bench``), in wall time and in CPU seconds;
- the map's points: bytes per point of the answer the map page asks for, at the most
  points the map shows (target <= 200 KB at 1,000 points), beside the full layout;
- storage: bytes per incident, the kept documents' share, and what compressing them or
  keeping only part of them would save (PostgreSQL);
- statistics and the dashboard: ``statistics_bench.py`` and ``dashboard_bench.py``, cold
  and warm p50 and p95 beside the SQL alone and the targets (300 ms for the common views, 1
  s for any);
- writes: ``write_bench.py`` (an edit, a claim added, a publication: statements and p50
  beside the bounds and the targets) on a copy of the database made for the run and
  dropped after (PostgreSQL: ``CREATE DATABASE ... TEMPLATE``, so nothing else may be
  connected to the database meanwhile);
- memory (``--memory``): peak resident memory of ``keep_documents`` and of ``generate.py``
  on a scratch copy, with DEBUG on (target <= 500 MB).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._django import setup

COUNTRY = "35.5,32.3,42.5,37.4"


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def clear_answers() -> None:
    from django.core.cache import caches

    caches["answers"].clear()


def timed_request(client, path: str) -> tuple[float, list[dict], bytes, float]:
    """One request with the public answers emptied first; its time, its SQL, its body and
    the CPU seconds it took (this process and its database session)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    clear_answers()
    with CaptureQueriesContext(connection) as queries:
        before = cpu_now()
        started = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - started
        cpu = sum(cpu_since(before))
    assert response.status_code == 200, response.content[:300]
    return elapsed, list(queries.captured_queries), response.content, cpu


def replay(queries: list[dict]) -> tuple[float, float]:
    """The request's own SQL, run again on the same connection and fetched whole: its time
    and CPU seconds (this process and its database session)."""
    from django.db import connection

    before = cpu_now()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for query in queries:
            sql = query["sql"]
            if sql.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT", "SET")):
                continue
            cursor.execute(sql)
            if cursor.description is not None:
                cursor.fetchall()
    return time.perf_counter() - started, sum(cpu_since(before))


def overhead(client, paths: list[str], label: str, target: float) -> None:
    ratios, times, floors, cpu, floor_cpu = [], [], [], 0.0, 0.0
    for path in paths:
        elapsed, queries, _, spent = timed_request(client, path)
        floor, floor_spent = replay(queries)
        times.append(elapsed)
        floors.append(floor)
        ratios.append(elapsed / floor)
        cpu += spent
        floor_cpu += floor_spent
    ratio = statistics.median(ratios)
    print(
        f"{label}: {len(paths)} requests, median {statistics.median(times) * 1000:.1f} ms, "
        f"its own SQL replayed {statistics.median(floors) * 1000:.1f} ms; ratio {ratio:.2f}x "
        f"(spread {min(ratios):.2f}-{max(ratios):.2f}; target <= {target}x: "
        f"{verdict(ratio <= target)})"
    )
    if floor_cpu:
        # What a quiet machine would take: the requests and their replays each cost the CPU
        # of this process plus its database session's, whatever else the machine is doing.
        # Summed over the requests: the session's CPU is counted in ticks of 10 ms.
        print(
            f"  in CPU seconds (this process + its database session), all {len(paths)} "
            f"requests: {cpu * 1000:.0f} ms against {floor_cpu * 1000:.0f} ms replayed, ratio "
            f"{cpu / floor_cpu:.2f}x (target <= {target}x: {verdict(cpu / floor_cpu <= target)})"
        )


# --- exports --------------------------------------------------------------------------------


def _anonymous_incidents(query: str):
    from django.http import QueryDict
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from incidents import selectors
    from incidents.api.filters import filter_incidents

    request = Request(APIRequestFactory().get("/", QueryDict(query)))
    return filter_incidents(request, selectors.incident_queryset(user=None))


def backend_cpu() -> float:
    """CPU seconds the database server process serving this connection has used (Linux,
    PostgreSQL on this machine; 0 otherwise). With this process's own CPU time, what an
    export costs whatever else the machine is doing."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_now() -> tuple[float, float]:
    return time.process_time(), backend_cpu()


def cpu_since(before: tuple[float, float]) -> tuple[float, float]:
    app, database = cpu_now()
    return app - before[0], database - before[1]


def stream_through_api(client, path: str) -> tuple[float, float, int, tuple[float, float]]:
    before = cpu_now()
    started = time.perf_counter()
    response = client.get(path)
    first = None
    size = 0
    for piece in response.streaming_content:
        if first is None and piece:
            first = time.perf_counter() - started
        size += len(piece)
    return first or 0.0, time.perf_counter() - started, size, cpu_since(before)


def json_agg_floor(query: str) -> tuple[float, int]:
    """The same features built by the database in one query: the correlated subqueries
    the exports used to run, aggregated with json_agg (the floor the issue names)."""
    from django.db import connection

    from incidents.api.exports import feature_expression

    inner = feature_expression().source_expressions[0]
    features = (
        _anonymous_incidents(query)
        .order_by("date_start", "pk")
        .annotate(feature=inner)
        .values_list("feature", flat=True)
    )
    sql, params = features.query.sql_with_params()
    if connection.vendor == "postgresql":
        whole = f"SELECT json_agg(sub.feature)::text FROM ({sql}) sub"
    else:
        whole = f"SELECT json_group_array(json(sub.feature)) FROM ({sql}) sub"
    before = cpu_now()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(whole, params)
        text = cursor.fetchone()[0]
    return time.perf_counter() - started, len(text.encode()), sum(cpu_since(before))


def copy_floor(query: str) -> float | None:
    """The incidents' plain rows alone, out of PostgreSQL with COPY."""
    import io

    from django.db import connection

    from incidents.api.exports import incident_rows

    if connection.vendor != "postgresql":
        return None
    sql, params = incident_rows(_anonymous_incidents(query)).query.sql_with_params()
    with connection.cursor() as cursor:
        inner = cursor.mogrify(sql, params).decode()
        sink = io.StringIO()
        started = time.perf_counter()
        cursor.copy_expert(f"COPY ({inner}) TO STDOUT", sink)
        return time.perf_counter() - started


def bench_exports(client, target: int, repeats: int) -> None:
    from bench.api_bench import export_window

    query = export_window(target)
    count = _anonymous_incidents(query).count()
    for _ in range(repeats):
        geo_first, geo_total, geo_bytes, geo_cpu = stream_through_api(
            client, f"/api/v1/incidents.geojson?{query}"
        )
        csv_first, csv_total, csv_bytes, csv_cpu = stream_through_api(
            client, f"/api/v1/incidents.csv?{query}"
        )
        agg_total, agg_bytes, agg_cpu = json_agg_floor(query)
        copy_total = copy_floor(query)
        copy_text = f"; plain rows with COPY {copy_total:.2f} s" if copy_total is not None else ""
        print(
            f"exports of {count:,} incidents (load {load()}): GeoJSON first byte "
            f"{geo_first:.2f} s, whole {geo_total:.2f} s ({geo_bytes / 1e6:.0f} MB, "
            f"{count / geo_total:,.0f} features/s); CSV first byte {csv_first:.2f} s, whole "
            f"{csv_total:.2f} s ({csv_bytes / 1e6:.0f} MB); json_agg of the same features "
            f"{agg_total:.2f} s ({agg_bytes / 1e6:.0f} MB){copy_text}"
        )
        print(
            f"  GeoJSON vs json_agg {agg_total / geo_total:.2f}x (target >= 2x: "
            f"{verdict(agg_total / geo_total >= 2)}); CSV vs GeoJSON {geo_total / csv_total:.2f}x"
            f" as fast (target >= 1x: {verdict(csv_total <= geo_total)}); first byte "
            f"(target <= 1 s: {verdict(max(geo_first, csv_first) <= 1)})"
        )
        if agg_cpu:
            print(
                f"  CPU seconds (this process + its database session; what a quiet machine "
                f"would take): GeoJSON {geo_cpu[0]:.1f} + {geo_cpu[1]:.1f}, CSV "
                f"{csv_cpu[0]:.1f} + {csv_cpu[1]:.1f}, json_agg {agg_cpu:.1f}; json_agg / "
                f"GeoJSON {agg_cpu / sum(geo_cpu):.2f}x, GeoJSON / CSV "
                f"{sum(geo_cpu) / sum(csv_cpu):.2f}x"
            )


# --- the map and the list -------------------------------------------------------------------


def map_paths() -> list[str]:
    # The layout the map page asks for.
    return [f"/api/v1/map/?zoom={zoom}&bbox={COUNTRY}&layout=compact" for zoom in range(5, 13)]


def page_paths(requests: int) -> list[str]:
    from bench.api_bench import page_queries

    return [f"/api/v1/incidents/?{q}" for q in page_queries(random.Random(11), requests)]


def points_view(limit: int) -> str | None:
    """A view around the place with the most incidents, widened until it holds close to
    (but not more than) ``limit`` published incidents: the map's points mode at its fullest."""
    from django.db.models import Count

    from incidents.models import Incident, Status

    top = (
        Incident.objects.filter(status=Status.PUBLISHED, place__isnull=False)
        .values("place__latitude", "place__longitude")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    if top is None:
        return None
    lat, lon = top["place__latitude"], top["place__longitude"]
    best = None
    half = 0.002
    while half < 3:
        n = Incident.objects.filter(
            status=Status.PUBLISHED,
            latitude__gte=lat - half,
            latitude__lte=lat + half,
            longitude__gte=lon - half,
            longitude__lte=lon + half,
        )[: limit + 1].count()
        if n > limit:
            break
        best = f"{lon - half:.4f},{lat - half:.4f},{lon + half:.4f},{lat + half:.4f}"
        half *= 1.25
    return best


def bench_map_payload(client) -> None:
    import orjson
    from django.conf import settings

    limit = settings.INCIDENT_MAP["MAP_MAX_POINTS"]
    bbox = points_view(limit)
    if bbox is None:
        print("map payload: no published incidents")
        return
    sizes = {}
    # A date filter makes the map count the incidents themselves, not the per-cell sums
    # (whose cells, about 1 km, may hold more than the view).
    for layout in ("full", "compact"):
        _, _, body, _ = timed_request(
            client, f"/api/v1/map/?zoom=14&bbox={bbox}&date_from=2000-01-01&layout={layout}"
        )
        answer = orjson.loads(body)
        assert answer["mode"] == "incidents", answer["mode"]
        count = len(answer["points"]["rows"]) if "points" in answer else len(answer["incidents"])
        sizes[layout] = (len(body), count)
    for name, (size, count) in sizes.items():
        per_point = size / max(count, 1)
        print(
            f"map points, {name} layout: {count} points in {size / 1024:.0f} KB, "
            f"{per_point:.0f} bytes a point; at {limit:,} points {per_point * limit / 1024:.0f} "
            f"KB (target <= 200 KB"
            + (f": {verdict(per_point * limit <= 200 * 1024)})" if name == "compact" else ")")
        )


# --- storage and memory ---------------------------------------------------------------------


def bench_storage() -> None:
    from django.db import connection

    from incidents.models import Incident

    if connection.vendor != "postgresql":
        print("storage: measured on PostgreSQL only")
        return
    count = Incident.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        database = cursor.fetchone()[0]
        cursor.execute(
            "SELECT pg_total_relation_size('incidents_incidentdocument'), "
            "pg_total_relation_size('incidents_incident'), "
            "pg_indexes_size('incidents_incident')"
        )
        documents, incidents, indexes = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM pg_indexes WHERE tablename = 'incidents_incident' "
            "AND indexdef LIKE '%(public_id)%'"
        )
        public_id_indexes = cursor.fetchone()[0]
        cursor.execute(
            "SELECT body, pg_column_size(body) FROM incidents_incidentdocument "
            "TABLESAMPLE SYSTEM (1) LIMIT 5000"
        )
        rows = cursor.fetchall()
        sample = [row[0].encode() for row in rows]
        stored = sum(row[1] for row in rows)
        cursor.execute("SHOW default_toast_compression")
        toast = cursor.fetchone()[0]
    print(
        f"storage: {count:,} incidents, database {database / 1e6:,.0f} MB = "
        f"{database / max(count, 1):,.0f} bytes an incident; incidents table "
        f"{incidents / 1e6:,.0f} MB (indexes {indexes / 1e6:,.0f} MB, {public_id_indexes} on "
        f"public_id); kept documents {documents / 1e6:,.0f} MB = {documents / database:.0%} "
        f"of the database"
    )
    if sample:
        raw = sum(len(b) for b in sample)
        packed = sum(len(zlib.compress(b, 6)) for b in sample)
        n = len(sample)
        saved = (stored - packed) / n * count
        print(
            f"  kept documents, a sample of {n:,}: {raw / n:,.0f} bytes each as text, "
            f"{stored / n:,.0f} as stored (PostgreSQL compresses, with {toast}, only values "
            f"over about 2 kB); zlib level 6 in the application {packed / n:,.0f} bytes: "
            f"about {saved / 1e6:,.0f} MB less at {count:,} documents "
            f"({saved / database:.0%} of the database)"
        )


def peak_rss_mb(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """A child's peak resident memory (MB) and its time."""
    import resource

    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(command, env=env, check=True, capture_output=True)  # noqa: S603
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(peak, before) / 1024, time.perf_counter() - started


def bench_memory(incidents: int) -> None:
    """generate.py and keep_documents with DEBUG on, each in a child of its own, on a
    scratch SQLite file (PostgreSQL's memory is the server's, not the command's)."""
    import tempfile

    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{folder}/memory.sqlite3",
            "DJANGO_DEBUG": "1",
            "DEBUG": "1",
        }
        gen_mb, gen_s = peak_rss_mb(
            [sys.executable, str(root / "bench/generate.py"), "--incidents", str(incidents)], env
        )
        keep_mb, keep_s = peak_rss_mb(
            [sys.executable, str(root / "manage.py"), "keep_documents"], env
        )
    for name, mb, seconds in (("generate.py", gen_mb, gen_s), ("keep_documents", keep_mb, keep_s)):
        print(
            f"memory, {name} of {incidents:,} incidents with DEBUG on: peak {mb:,.0f} MB in "
            f"{seconds:.0f} s (target <= 500 MB at 1,000,000: {verdict(mb <= 500)})"
        )


def run_script(name: str, *arguments: str, database_url: str | None = None) -> None:
    """Another bench of this directory, in a process of its own (its figures printed as it
    prints them), on this database or on ``database_url``."""
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ)
    if database_url:
        env["DATABASE_URL"] = database_url
    print(f"--- bench/{name} {' '.join(arguments)} (load average {load()})", flush=True)
    subprocess.run([sys.executable, str(root / "bench" / name), *arguments], env=env, check=True)  # noqa: S603


@contextlib.contextmanager
def scratch_copy() -> Iterator[str]:
    """A copy of this database for the writes, dropped after: PostgreSQL makes it from this
    one as a template (no other session may be connected to it meanwhile), SQLite copies
    the file."""
    import shutil
    import tempfile
    from urllib.parse import urlsplit, urlunsplit

    from django.db import connection

    url = os.environ.get("DATABASE_URL", "")
    if connection.vendor == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            copy = Path(folder) / "writes.sqlite3"
            shutil.copyfile(connection.settings_dict["NAME"], copy)
            yield f"sqlite:///{copy}"
        return
    name = connection.settings_dict["NAME"]
    copy = f"{name}_writes_{os.getpid()}"
    quote = connection.ops.quote_name
    connection.close()
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {quote(copy)} TEMPLATE {quote(name)}")
    try:
        parts = urlsplit(url)
        yield urlunsplit(parts._replace(path=f"/{copy}"))
    finally:
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quote(copy)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--export-incidents", type=int, default=100_000)
    parser.add_argument(
        "--memory", type=int, default=0, help="incidents for the memory figures (0: skip)"
    )
    parser.add_argument(
        "--only",
        default="reads,payload,storage,exports,statistics,dashboard,writes",
        help="which figures, comma-separated (default: all but memory)",
    )
    args = parser.parse_args()
    setup()
    from django.db import connection
    from django.test import Client

    from bench.api_bench import bench_serialization
    from incidents.models import Incident

    print(
        f"database: {connection.vendor}, {Incident.objects.count():,} incidents; "
        f"load average {load()}"
    )
    client = Client()
    client.get("/api/v1/incidents/?page_size=1")
    pages = page_paths(args.requests)
    if "reads" in args.only:
        for path in pages:  # keep the pages' documents, as the site's readers would
            client.get(path)
    only = set(args.only.split(","))
    for run in range(args.repeats if "reads" in only else 0):
        print(f"--- run {run + 1} of {args.repeats} (load average {load()})")
        overhead(client, map_paths(), "map, whole country, zooms 5-12", 2.0)
        overhead(client, pages, "page of 500 (documents kept)", 1.3)
        bench_serialization(rounds=3)
    if "payload" in only:
        bench_map_payload(client)
    if "storage" in only:
        bench_storage()
    if "exports" in only:
        bench_exports(client, args.export_incidents, args.repeats)
    # Each in a process of its own, readied as a server's worker is.
    if "statistics" in only:
        run_script("statistics_bench.py", "--repeat", "5")
    if "dashboard" in only:
        run_script("dashboard_bench.py", "--repeats", "7")
    if "writes" in only:
        with scratch_copy() as url:
            run_script("write_bench.py", "--requests", "40", database_url=url)
    if args.memory:
        bench_memory(args.memory)
    print(f"load average at the end {load()}")


if __name__ == "__main__":
    main()

"""API benchmark: list pages, map aggregation, GeoJSON export and serialization speed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/incidentmap_bench \\
        .venv/bin/python bench/api_bench.py

Run ``bench/generate.py`` on the same database first. Requests go through the whole
Django stack (middleware, DRF, rendering) with Django's test client, in this process, as
an anonymous client. Each figure is printed with its target where the issue gives one:

- a bbox + date filtered page of 500 incidents: p95 (target <= 50 ms on PostgreSQL), for
  the same pages read twice: first with their documents built (and kept), then as kept
  (see ``incidents.readmodel.documentcache``);
- map aggregation over the whole country at zooms 5 to 12: p95 (<= 100 ms) and the
  largest response (<= 200 KB);
- the GeoJSON export of about 300,000 incidents, streamed, against the database building
  the same FeatureCollection itself in one query (``json_agg``): bytes per second of both
  and their ratio (>= 0.5), with the exporting process's peak memory (< 300 MB; measured
  in a child process that does nothing else);
- the list searched with ``q`` (place spellings and words): p95 (<= 100 ms), beside the
  same page without ``q``;
- a page of 500 incidents with their claims: this API's serialization against a stock DRF
  ``ModelSerializer`` with nested serializers, same page, same run; their ratio (>= 10),
  with the page's documents kept and built afresh; and, built afresh against stock, the
  CPU seconds of this process and of its database session (what holds whatever the load)
  with the time their statements took.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._django import setup

COUNTRY = "35.5,32.3,42.5,37.4"


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def page_queries(rng: random.Random, requests: int) -> list[str]:
    from mapping.models import Place, PlaceKind

    cities = list(
        Place.objects.filter(kind__in=[PlaceKind.CITY, PlaceKind.TOWN]).values_list(
            "latitude", "longitude"
        )
    )
    queries = []
    for _ in range(requests):
        lat, lon = rng.choice(cities)
        year = rng.randrange(2012, 2025)
        queries.append(
            f"bbox={lon - 0.5:.3f},{lat - 0.5:.3f},{lon + 0.5:.3f},{lat + 0.5:.3f}"
            f"&date_from={year}-01-01&date_to={year + 1}-12-31&page_size=500"
        )
    return queries


def bench_pages(client, queries: list[str], label: str) -> None:
    times, sizes = [], []
    for query in queries:
        started = time.perf_counter()
        response = client.get(f"/api/v1/incidents/?{query}")
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content[:300]
        sizes.append(len(response.json()["results"]))
    print(
        f"page of 500 (bbox 1x1 deg + 2-year window), {label}, {len(queries)} requests: "
        f"p50 {_ms(statistics.median(times))}, p95 {_ms(p95(times))} (target <= 50 ms; "
        f"ratio to target {p95(times) / 0.050:.2f}); mean incidents per page "
        f"{statistics.mean(sizes):.0f}"
    )


def bench_map(client, repeats: int) -> None:
    times, sizes, modes = [], [], set()
    for zoom in range(5, 13):
        for _ in range(repeats):
            started = time.perf_counter()
            response = client.get(f"/api/v1/map/?zoom={zoom}&bbox={COUNTRY}")
            times.append(time.perf_counter() - started)
            assert response.status_code == 200
            sizes.append(len(response.content))
            modes.add(response.json()["mode"])
    print(
        f"map aggregation, whole country, zooms 5-12 x {repeats}: p50 "
        f"{_ms(statistics.median(times))}, p95 {_ms(p95(times))} (target <= 100 ms; ratio "
        f"{p95(times) / 0.100:.2f}); largest response {max(sizes) / 1024:.0f} KB (target <= "
        f"200 KB); modes {sorted(modes)}"
    )


SEARCHES = ["Banias", "Baniyas", "بانياس", "Jebleh", "Kafr Nabl", "Latakia", "shelling", "قصف"]


def bench_search(client, repeats: int) -> None:
    """A page of the list searched with ``q``: place spellings and words, against the same
    page unfiltered (the floor)."""
    times, floor, counts = [], [], {}
    for _ in range(repeats):
        for text in SEARCHES:
            started = time.perf_counter()
            response = client.get("/api/v1/incidents/", {"q": text})
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.content[:300]
            counts[text] = len(response.json()["results"])
            started = time.perf_counter()
            client.get("/api/v1/incidents/")
            floor.append(time.perf_counter() - started)
    print(
        f"search (q) for {len(SEARCHES)} names and words x {repeats}: p50 "
        f"{_ms(statistics.median(times))}, p95 {_ms(p95(times))} (target <= 100 ms; ratio "
        f"{p95(times) / 0.100:.2f}); the same page without q: p95 {_ms(p95(floor))}; "
        f"first page sizes {counts}"
    )


def export_window(target: int) -> str:
    from incidents.models import Incident, Status

    dates = (
        Incident.objects.filter(status=Status.PUBLISHED, latitude__isnull=False)
        .order_by("date_start")
        .values_list("date_start", flat=True)
    )
    total = dates.count()
    last = dates[min(target, total) - 1]
    return f"date_to={last.isoformat()}"


def geojson_child(query: str) -> None:
    """Stream the export through the API and report bytes, time and peak memory."""
    from django.test import Client

    client = Client()
    started = time.perf_counter()
    response = client.get(f"/api/v1/incidents.geojson?{query}")
    size = 0
    features = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        features += chunk.count(b'"type":"Feature"') + chunk.count(b'"type" : "Feature"')
    elapsed = time.perf_counter() - started
    print(json.dumps({"bytes": size, "seconds": elapsed, "peak_mb": peak_memory_kb() / 1024}))


def peak_memory_kb() -> int:
    """This process's peak resident memory. On Linux, from its own address space (VmHWM):
    ``ru_maxrss`` survives exec, so a child would report its parent's peak if larger."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def database_feature_collection(query: str) -> tuple[int, float]:
    """The same FeatureCollection built by the database in one query (json_agg)."""
    from django.db import connection
    from django.http import QueryDict
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from incidents import selectors
    from incidents.api.exports import feature_expression
    from incidents.api.filters import filter_incidents

    request = Request(APIRequestFactory().get("/", QueryDict(query)))
    incidents = filter_incidents(request, selectors.incident_queryset(user=None))
    inner = feature_expression().source_expressions[0]  # the object, not its text
    features = (
        incidents.filter(latitude__isnull=False, longitude__isnull=False)
        .order_by("date_start", "pk")
        .annotate(feature=inner)
        .values_list("feature", flat=True)
    )
    sql, params = features.query.sql_with_params()
    # The inner query is Django's own, with its parameters kept apart.
    if connection.vendor == "postgresql":
        whole = (
            "SELECT json_build_object('type', 'FeatureCollection', 'features', "
            f"json_agg(sub.feature))::text FROM ({sql}) sub"
        )
    else:
        whole = (
            "SELECT json_object('type', 'FeatureCollection', 'features', "
            f"json_group_array(json(sub.feature))) FROM ({sql}) sub"
        )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(whole, params)
        text = cursor.fetchone()[0]
    elapsed = time.perf_counter() - started
    return len(text.encode()), elapsed


def bench_geojson(target: int) -> None:
    query = export_window(target)
    child = subprocess.run(  # noqa: S603 - runs this very script
        [sys.executable, __file__, "--geojson-child", query],
        capture_output=True,
        text=True,
        check=True,
    )
    app = json.loads(child.stdout.strip().splitlines()[-1])
    db_bytes, db_seconds = database_feature_collection(query)
    app_rate = app["bytes"] / app["seconds"]
    db_rate = db_bytes / db_seconds
    print(
        f"GeoJSON export (~{target:,} incidents, {app['bytes'] / 1e6:.0f} MB): API "
        f"{app['seconds']:.2f} s = {app_rate / 1e6:.1f} MB/s; database json_agg "
        f"{db_seconds:.2f} s = {db_rate / 1e6:.1f} MB/s ({db_bytes / 1e6:.0f} MB); ratio "
        f"{app_rate / db_rate:.2f} (target >= 0.5); exporting process peak memory "
        f"{app['peak_mb']:.0f} MB (target < 300 MB)"
    )


def bench_serialization(rounds: int) -> None:
    import orjson
    from django.db.models import Prefetch
    from rest_framework import serializers
    from rest_framework.renderers import JSONRenderer

    from incidents import selectors
    from incidents.api.renderers import FastJSONRenderer
    from incidents.models import Attribution, Claim, Incident, Source
    from incidents.readmodel import documentcache
    from incidents.readmodel.representation import documents
    from mapping.models import Place

    class SourceSerializer(serializers.ModelSerializer):
        class Meta:
            model = Source
            fields = ["slug", "publisher", "headline", "url", "publication_date", "kind"]

    class ClaimSerializer(serializers.ModelSerializer):
        source = SourceSerializer()

        class Meta:
            model = Claim
            exclude = ["incident", "created_at", "updated_at"]

    class AttributionSerializer(serializers.ModelSerializer):
        class Meta:
            model = Attribution
            fields = ["actor", "confidence", "note"]

    class PlaceSerializer(serializers.ModelSerializer):
        class Meta:
            model = Place
            fields = ["slug", "name", "name_ar"]

    class StockIncidentSerializer(serializers.ModelSerializer):
        claims = ClaimSerializer(many=True)
        attributions = AttributionSerializer(many=True)
        place = PlaceSerializer()
        governorate = PlaceSerializer()
        district = PlaceSerializer()

        class Meta:
            model = Incident
            exclude = ["perpetrators", "created_by", "updated_by"]

    page = list(
        selectors.incident_queryset(user=None)
        .order_by("-date_start", "-pk")
        .values_list("pk", flat=True)[:500]
    )
    renderer = JSONRenderer()  # DRF's stock renderer for the stock serializer

    def built() -> int:
        return len(FastJSONRenderer().render(documents(page)))

    def kept() -> int:
        return len(FastJSONRenderer().render(orjson.Fragment(documentcache.page_json(page))))

    def stock() -> int:
        queryset = (
            Incident.objects.filter(pk__in=page)
            .order_by("-date_start", "-pk")
            .select_related("place", "governorate", "district")
            .prefetch_related(
                Prefetch("claims", queryset=Claim.objects.select_related("source")),
                "attributions",
                "victim_groups",
            )
        )
        return len(renderer.render(StockIncidentSerializer(queryset, many=True).data))

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.scale_bench import cpu_now, cpu_since

    built(), kept(), stock()  # warm up (and keep the page's documents)
    samples: dict[str, list[float]] = {"built": [], "kept": [], "stock": []}
    # CPU seconds (this process, its database session) and the time its statements took.
    spent: dict[str, list[tuple[float, float, float]]] = {"built": [], "stock": []}
    for _ in range(rounds):
        for name, run in (("built", built), ("kept", kept), ("stock", stock)):
            with CaptureQueriesContext(connection) as queries:
                before = cpu_now()
                started = time.perf_counter()
                run()
                samples[name].append(time.perf_counter() - started)
                cpu = cpu_since(before)
            if name in spent:
                sql = sum(float(q["time"]) for q in queries.captured_queries)
                spent[name].append((*cpu, sql))
    a, k, b = (statistics.median(samples[name]) for name in ("built", "kept", "stock"))
    print(
        f"page of 500 with claims, queries + serialization + JSON: stock nested "
        f"ModelSerializer {_ms(b)}; this API with its documents kept (as served) {_ms(k)}, "
        f"ratio {b / k:.1f}x; built afresh (first read after a change) {_ms(a)}, ratio "
        f"{b / a:.1f}x (target >= 10x)"
    )
    # Means: the database session's CPU is counted in ticks of 10 ms.
    (a_app, a_db, a_sql), (b_app, b_db, b_sql) = (
        tuple(statistics.mean(x[i] for x in spent[name]) for i in range(3))
        for name in ("built", "stock")
    )
    if a_db or b_db:
        print(
            f"  in CPU seconds (this process + its database session), means of {rounds}: "
            f"built afresh {_ms(a_app)} + {_ms(a_db)}, its statements {_ms(a_sql)} of wall "
            f"time; stock {_ms(b_app)} + {_ms(b_db)}, its statements {_ms(b_sql)}; ratio "
            f"{(b_app + b_db) / (a_app + a_db):.1f}x (target >= 10x)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--export-incidents", type=int, default=300_000)
    parser.add_argument("--geojson-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    setup()
    if args.geojson_child is not None:
        geojson_child(args.geojson_child)
        return
    from django.db import connection
    from django.test import Client

    from incidents.models import Incident, IncidentDocument

    print(
        f"database: {connection.vendor}, {Incident.objects.count():,} incidents "
        f"({Incident.objects.filter(status='published').count():,} published), "
        f"{IncidentDocument.objects.count():,} documents kept"
    )
    client = Client()
    rng = random.Random(11)
    client.get("/api/v1/incidents/?page_size=1")  # connect, warm caches
    queries = page_queries(rng, args.requests)
    # The same pages twice: the first read builds (and keeps) the documents not kept yet,
    # as for pages nobody has asked for since a bulk load without keep_documents; the
    # second is served as kept, the steady state.
    bench_pages(client, queries, "first read")
    bench_pages(client, queries, "second read")
    bench_map(client, repeats=5)
    bench_search(client, repeats=5)
    bench_serialization(rounds=5)
    bench_geojson(args.export_incidents)


if __name__ == "__main__":
    main()

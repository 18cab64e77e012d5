"""How long the API takes to build and check its incident filters for one request.

    .venv/bin/python bench/filterset_bench.py [--repeat 2000]

Every incident read (list, exports, statistics, map) builds ``IncidentFilter`` from the
query string and validates it before any SQL runs. This times that step alone, in this
process, for a typical map query (bbox, dates, event type, killed minimum: parameters that
need no database lookup), as the median of ``--repeat`` runs. No database is read.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._django import setup

QUERY = (
    "bbox=35.5,32.3,42.5,37.4&date_to=2025-12-31"
    "&event_type=shelling,airstrike&killed_min=1&grade=confirmed,fair"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    setup()
    from django.contrib.auth.models import AnonymousUser
    from django.http import QueryDict
    from django.test import RequestFactory
    from rest_framework.request import Request

    from incidents.api.filters import IncidentFilter
    from incidents.models import Incident

    request = Request(RequestFactory().get(f"/api/v1/incidents/?{QUERY}"))
    request.user = AnonymousUser()
    data = QueryDict(QUERY)
    queryset = Incident.objects.all()
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        filterset = IncidentFilter(data=data, queryset=queryset, request=request)
        assert filterset.is_valid(), filterset.errors
        filterset.qs  # noqa: B018 - builds the filtered queryset (no SQL runs)
        times.append(time.perf_counter() - started)
    print(
        f"building and checking the incident filters ({len(IncidentFilter.base_filters)} "
        f"filters), {args.repeat} runs: median {statistics.median(times) * 1000:.3f} ms, "
        f"p95 {sorted(times)[int(0.95 * len(times))] * 1000:.3f} ms"
    )


if __name__ == "__main__":
    main()

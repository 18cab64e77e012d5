"""Gazetteer lookups per second over the whole gazetteer.

Sets up Django against an in-memory SQLite database, loads the gazetteer into it (timing
the load), then looks up every name of every place (names, Arabic names, alternate
spellings) and a misspelt variant of each (a letter dropped, two letters swapped, a
doubled letter), and prints lookups per second and the mean and 99th-percentile time.

    .venv/bin/python bench/gazetteer_lookup.py
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DATABASE_URL"] = "sqlite://:memory:"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from mapping import gazetteer  # noqa: E402
from mapping.loader import load_gazetteer  # noqa: E402
from mapping.models import Place  # noqa: E402


def misspell(name: str, rng: random.Random) -> str:
    if len(name) < 4:
        return name + name[-1]
    i = rng.randrange(1, len(name) - 1)
    kind = rng.choice(["drop", "swap", "double"])
    if kind == "drop":
        return name[:i] + name[i + 1 :]
    if kind == "swap":
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    return name[:i] + name[i] + name[i:]


def main() -> None:
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    report = load_gazetteer()
    load_seconds = time.perf_counter() - started
    rng = random.Random(7)
    names = [
        name
        for place in Place.objects.all()
        for name in [place.name, place.name_ar, *place.alternate_names]
        if name
    ]
    queries = names + [misspell(name, rng) for name in names]
    gazetteer.search("warm-up")
    timings = []
    found = 0
    started = time.perf_counter()
    for query in queries:
        t0 = time.perf_counter()
        found += gazetteer.search(query).found
        timings.append(time.perf_counter() - t0)
    total = time.perf_counter() - started
    timings.sort()
    print(f"gazetteer loaded in {load_seconds:.2f} s ({report.summary()})")
    print(
        f"{len(queries)} lookups ({len(names)} names + {len(names)} misspelt) in {total:.2f} s: "
        f"{len(queries) / total:,.0f} lookups/s, mean {statistics.mean(timings) * 1000:.2f} ms, "
        f"p99 {timings[int(len(timings) * 0.99)] * 1000:.2f} ms, "
        f"max {timings[-1] * 1000:.2f} ms; {found / len(queries):.0%} found"
    )


if __name__ == "__main__":
    main()

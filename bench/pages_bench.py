"""Answer times of the episodes list, the map page and the Atom feed on a large database.

Reads only: point it at a database filled by ``bench/generate.py`` (PostgreSQL), e.g.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/incidentmap_1m \\
        .venv/bin/python bench/pages_bench.py --repeat 7

Each address is asked ``--repeat`` times in this process through Django's test client, as
an anonymous reader, with a query string of its own each time so that no kept page or
validator answers instead of the view (the feed ignores nothing: its variants differ in
their filters and a ``date_from`` far in the past). Prints the median and the slowest
answer beside the target.
"""

from __future__ import annotations

import argparse
import statistics
import time

from _django import setup

TARGET_MS = 300.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    setup()
    from django.db import connection
    from django.test import Client

    from incidents.models import Actor, Episode
    from mapping.models import Place

    client = Client()
    governorate = Place.objects.filter(kind="governorate").order_by("slug").first()
    actor = Actor.objects.order_by("slug").first()
    episode = Episode.objects.order_by("slug").first()
    feed = "/feeds/incidents.atom"
    addresses = {
        "episodes list": lambda n: f"/episodes/?run={n}",
        "map page": lambda n: f"/?run={n}",
        "feed": lambda n: f"{feed}?date_from=1900-01-{n + 1:02d}",
        "feed, one governorate": lambda n: (
            f"{feed}?governorate={governorate.slug}&date_from=1900-01-{n + 1:02d}"
        ),
        "feed, one perpetrator": lambda n: (
            f"{feed}?perpetrator={actor.slug}&date_from=1900-01-{n + 1:02d}"
        ),
        "feed, one episode": lambda n: (
            f"{feed}?episode={episode.slug}&date_from=1900-01-{n + 1:02d}"
        ),
    }
    print(f"database: {connection.settings_dict['NAME']} ({connection.vendor})")
    # The process's first answer loads templates, translations and the connection.
    client.get("/episodes/?warm-up")
    for name, address in addresses.items():
        times = []
        for n in range(args.repeat):
            started = time.perf_counter()
            response = client.get(address(n))
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (address(n), response.status_code)
        print(
            f"{name:24} median {statistics.median(times):7.1f} ms   slowest {max(times):7.1f} ms"
            f"   target {TARGET_MS:.0f} ms"
        )


if __name__ == "__main__":
    main()

"""Fill a database with N realistic synthetic incidents, for the benchmarks.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/incidentmap_bench \\
        .venv/bin/python bench/generate.py --incidents 1000000

Incidents are spread around the gazetteer's real places (weighted by population, jittered
by up to a few kilometres), over 2011-2025, with one to three claims from a pool of
sources, one or two perpetrators, and a realistic mix of event types, precisions, grades
and statuses (nine in ten published). The seed data set is loaded first, so the database
also holds the real records. Rows are written with ``bulk_create`` in batches, without
history (a benchmark database is not a record of anyone's work). Synthetic incidents' ids
run from ``SY-<year>-1000000`` upwards so they never collide with real ones.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._django import setup

EVENT_WEIGHTS = {
    "shelling": 30,
    "airstrike": 20,
    "armed_clash": 15,
    "summary_execution": 10,
    "massacre": 5,
    "attack_on_civilians": 8,
    "ambush": 4,
    "security_operation": 3,
    "abduction": 3,
    "looting_arson": 1,
    "mass_grave": 1,
}
PRECISIONS = {"exact": 10, "neighbourhood": 10, "settlement": 55, "subdistrict": 10, "district": 10}
GRADES = {"confirmed": 20, "fair": 40, "weak": 30, "contested": 8, "discounted": 2}
STATUSES = {"published": 90, "draft": 6, "in_review": 3, "retracted": 1}
START, END = date(2011, 3, 15), date(2025, 6, 30)


def _weighted(rng: random.Random, weights: dict[str, int], k: int) -> list[str]:
    return rng.choices(list(weights), weights=list(weights.values()), k=k)


def generate(count: int, *, seed: int = 7, batch: int = 5000) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from incidents.models import Actor, Attribution, Claim, Incident, Source
    from incidents.readmodel import documentcache, mapcells
    from mapping.aggregation import fine_cell, tile_key
    from mapping.models import Place, PlaceKind

    call_command("migrate", verbosity=0)
    call_command("load_gazetteer", verbosity=0)
    call_command("load_seed", verbosity=0)

    rng = random.Random(seed)
    places = list(
        Place.objects.exclude(kind__in=[PlaceKind.GOVERNORATE, PlaceKind.COUNTRY]).select_related(
            "parent", "parent__parent", "parent__parent__parent"
        )
    )
    weights = [max(place.population or 0, 500) ** 0.5 for place in places]
    cumulative = list(itertools.accumulate(weights))
    areas = {place.pk: (place.governorate, _district(place)) for place in places}

    existing_sources = Source.objects.filter(slug__startswith="bench-").count()
    Source.objects.bulk_create(
        [
            Source(
                slug=f"bench-{n}",
                publisher=rng.choice(["SOHR", "SNHR", "Reuters", "AFP", "Enab Baladi", ""]),
                headline=f"Report {n} on violence in Syria",
                url=f"https://news.example.org/{n}",
                publication_date=START + timedelta(days=rng.randrange((END - START).days)),
                kind=rng.choice(["news_article", "monitor_report", "social_media"]),
            )
            for n in range(existing_sources, 5000)
        ],
        batch_size=1000,
    )
    sources = list(Source.objects.filter(slug__startswith="bench-").values_list("id", flat=True))
    for n in range(Actor.objects.filter(slug__startswith="bench-").count(), 40):
        Actor.objects.create(slug=f"bench-{n}", name=f"Armed group {n}", kind="non_state")
    actors = list(Actor.objects.values_list("id", flat=True))

    span = (END - START).days
    done = Incident.objects.filter(public_id__regex=r"-1[0-9]{6}$").count()
    number = 1_000_000 + done
    started = time.perf_counter()
    while done < count:
        size = min(batch, count - done)
        incidents = []
        for _ in range(size):
            place = rng.choices(places, cum_weights=cumulative)[0]
            governorate, district = areas[place.pk]
            start = START + timedelta(days=rng.randrange(span))
            length = rng.choices([0, 0, 0, 1, 2, 6], k=1)[0]
            best = int(rng.paretovariate(1.3)) if rng.random() < 0.9 else None
            low = None if best is None else max(0, best - rng.randrange(0, 3))
            high = None if best is None else best + rng.randrange(0, 5)
            event_type = _weighted(rng, EVENT_WEIGHTS, 1)[0]
            status = _weighted(rng, STATUSES, 1)[0]
            number += 1
            incidents.append(
                Incident(
                    public_id=f"SY-{start.year}-{number}",
                    title=f"{event_type.replace('_', ' ').capitalize()} in {place.name}",
                    title_ar=place.name_ar,
                    summary="Synthetic incident for benchmarks.",
                    event_type=event_type,
                    date_start=start,
                    date_end=start + timedelta(days=length),
                    date_precision="day" if length == 0 else "days",
                    latitude=(latitude := round(place.latitude + rng.uniform(-0.03, 0.03), 5)),
                    longitude=(longitude := round(place.longitude + rng.uniform(-0.03, 0.03), 5)),
                    map_cx=(cell := fine_cell(latitude, longitude))[0],
                    map_cy=cell[1],
                    map_tile=tile_key(*cell),
                    location_precision=_weighted(rng, PRECISIONS, 1)[0],
                    place_name=place.name,
                    place=place,
                    governorate=governorate,
                    district=district,
                    killed_low=low,
                    killed_best=best,
                    killed_high=high,
                    civilians=None if best is None else rng.randrange(0, best + 1),
                    grade=_weighted(rng, GRADES, 1)[0],
                    status=status,
                    retraction_reason="Synthetic." if status == "retracted" else "",
                )
            )
        with transaction.atomic():
            Incident.objects.bulk_create(incidents, batch_size=size)
            ids = [(incident.pk, incident.killed_best) for incident in incidents]
            claims = []
            attributions = []
            for incident_id, best in ids:
                for _ in range(rng.choice([1, 1, 2, 2, 3])):
                    figure = None if best is None else best + rng.randrange(-1, 3)
                    claims.append(
                        Claim(
                            incident_id=incident_id,
                            source_id=rng.choice(sources),
                            killed_min=None if figure is None else max(0, figure),
                            killed_max=None,
                            approximate=rng.random() < 0.3,
                            quote="Synthetic quote supporting the figure.",
                        )
                    )
                for actor in rng.sample(actors, rng.choice([1, 1, 1, 2])):
                    attributions.append(
                        Attribution(
                            incident_id=incident_id,
                            actor_id=actor,
                            confidence=rng.choice(["alleged", "probable", "confirmed"]),
                        )
                    )
            Claim.objects.bulk_create(claims, batch_size=5000)
            Attribution.objects.bulk_create(attributions, batch_size=5000)
        done += size
        rate = done / (time.perf_counter() - started)
        print(f"\r{done:>9,} / {count:,} incidents ({rate:,.0f}/s)", end="", flush=True)
    print()
    # bulk_create bypassed save() and its signals
    print(f"map cells: {mapcells.rebuild():,}")
    documentcache.clear()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _district(place):
    node = place
    while node is not None:
        if node.kind == "district":
            return node
        node = node.parent
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    setup()
    from incidents.querylog import without_query_log

    # Bulk statements of thousands of rows: with DEBUG on, Django would keep 9,000 of them.
    with without_query_log():
        generate(args.incidents, seed=args.seed)


if __name__ == "__main__":
    main()

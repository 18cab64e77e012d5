"""How fast an ACLED file imports: N generated rows, target 100,000 in at most 60 seconds.

    .venv/bin/python bench/import_bench.py                      # SQLite (DATABASE_URL unset)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/incidentmap_importbench \\
        .venv/bin/python bench/import_bench.py --rows 100000 --again

The rows are written to a temporary file in ACLED's current layout: events around the
gazetteer's Syrian places (jittered, with ACLED's precision codes), a realistic mix of event
types, about a hundred actors, a pool of named sources, dates over 2011-2025 in all three
date formats, fatalities with a long tail, notes of a sentence or two. The database is
migrated and the gazetteer loaded first. Event ids carry a prefix unique to the run, so every
run creates its rows; ``--again`` imports the same file a second time (every row then is
unchanged) and times that too.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._django import setup

TARGET_SECONDS = 60.0
EVENTS = [  # (event type, sub-event type, weight)
    ("Explosions/Remote violence", "Shelling/artillery/missile attack", 30),
    ("Explosions/Remote violence", "Air/drone strike", 20),
    ("Battles", "Armed clash", 20),
    ("Violence against civilians", "Attack", 15),
    ("Violence against civilians", "Abduction/forced disappearance", 4),
    ("Explosions/Remote violence", "Remote explosive/landmine/IED", 5),
    ("Strategic developments", "Looting/property destruction", 2),
    ("Protests", "Peaceful protest", 4),
]
STATE = [
    "Military Forces of Syria (2000-2024)",
    "Military Forces of Syria (2024-)",
    "Police Forces of Syria (2024-)",
    "Military Forces of Russia (2000-)",
    "Military Forces of Turkey (2016-)",
    "Military Forces of Israel (2022-)",
]
SOURCES = [
    "Syrian Observatory for Human Rights",
    "Enab Baladi",
    "SANA",
    "Reuters",
    "AFP",
    "Syrian Network for Human Rights",
    "Step News Agency",
    "North Press Agency",
    "Twitter",
    "Facebook",
    "Syria TV",
    "Al-Watan (Syria)",
    "Deir Ezzor 24",
]
SCALES = ["National", "Local partner-National", "International", "Subnational", "Local partner"]


def _actors(rng: random.Random) -> list[tuple[str, str]]:
    groups = [(name, "State forces") for name in STATE]
    for n in range(1, 50):
        groups.append((f"Militia of the Brigade {n} (Syria)", "Political militia"))
    for n in range(1, 40):
        groups.append((f"Rebel Faction {n} (Syria)", "Rebel group"))
    groups += [
        ("Unidentified Armed Group (Syria)", "Political militia"),
        ("Islamic State (Syria)", "Rebel group"),
        ("SDF: Syrian Democratic Forces", "Rebel group"),
    ]
    return groups


def _date_text(day: date, rng: random.Random) -> str:
    form = rng.random()
    if form < 0.8:
        return day.isoformat()
    if form < 0.9:
        return day.strftime("%d %B %Y")
    return f"{day.day}-{day.strftime('%b')}-{day.strftime('%y')}"


def write_rows(path: Path, count: int, *, seed: int, prefix: str) -> None:
    from incidents.crosswalk import ACLED_COLUMNS
    from mapping.models import Place, PlaceKind

    rng = random.Random(seed)
    places = list(
        Place.objects.exclude(kind__in=[PlaceKind.GOVERNORATE, PlaceKind.COUNTRY]).values_list(
            "name", "latitude", "longitude", "population"
        )
    )
    weights = [max(population or 0, 500) ** 0.5 for *_, population in places]
    actors = _actors(rng)
    events = [(kind, sub) for kind, sub, _ in EVENTS]
    event_weights = [weight for *_, weight in EVENTS]
    start, span = date(2011, 3, 15), (date(2025, 6, 30) - date(2011, 3, 15)).days
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ACLED_COLUMNS)  # ACLED's current layout
        for n in range(count):
            name, latitude, longitude, _ = rng.choices(places, weights)[0]
            kind, sub = rng.choices(events, event_weights)[0]
            day = start + timedelta(days=rng.randrange(span))
            actor1, inter1 = rng.choice(actors)
            if kind == "Battles":
                actor2, inter2 = rng.choice(actors)
            elif kind == "Protests":
                actor1, inter1, actor2, inter2 = "Protesters (Syria)", "Protesters", "", ""
            else:
                actor2, inter2 = "Civilians (Syria)", "Civilians"
            fatalities = 0 if kind == "Protests" else min(int(rng.paretovariate(1.2)) - 1, 400)
            geo = rng.choices(["1", "2", "3"], [70, 25, 5])[0]
            sources = "; ".join(rng.sample(SOURCES, rng.choice([1, 1, 2, 3])))
            writer.writerow(
                [
                    f"{prefix}{n}",
                    _date_text(day, rng),
                    day.year,
                    rng.choices(["1", "2", "3"], [85, 12, 3])[0],
                    "Political violence",
                    kind,
                    sub,
                    actor1,
                    "",
                    inter1,
                    actor2,
                    "",
                    inter2,
                    f"{inter1}-{inter2}",
                    "",
                    "760",
                    "Middle East",
                    "Syria",
                    "",
                    "",
                    "",
                    name,
                    # ACLED gives each named location one point, whatever the precision
                    round(latitude, 4),
                    round(longitude, 4),
                    geo,
                    sources,
                    rng.choice(SCALES),
                    f"On {day.strftime('%d %B %Y')}, {actor1} was involved in an "
                    f"{sub.lower()} in {name}. {fatalities} people were reported killed.",
                    fatalities,
                    "",
                    1700000000 + n,
                ]
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--again", action="store_true", help="import the same file twice")
    args = parser.parse_args()
    setup()
    from django.core.management import call_command
    from django.db import connection

    from incidents.imports import acled
    from incidents.models import Incident

    call_command("migrate", verbosity=0)
    call_command("load_gazetteer", verbosity=0)
    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
    prefix = f"SYRB{int(time.time())}-"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "acled.csv"
        started = time.perf_counter()
        write_rows(path, args.rows, seed=args.seed, prefix=prefix)
        size = os.path.getsize(path) / 1e6
        print(
            f"generated {args.rows:,} ACLED rows ({size:.1f} MB) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        before = Incident.objects.count()
        data = path.read_bytes()
        passes = ["first import", "same file again"] if args.again else ["first import"]
        for label in passes:
            started = time.perf_counter()
            report = acled.import_file(data)
            elapsed = time.perf_counter() - started
            verdict = "within" if elapsed <= TARGET_SECONDS * args.rows / 100_000 else "OVER"
            print(
                f"{label}: {report.summary()}\n"
                f"  {elapsed:.1f} s, {args.rows / elapsed:,.0f} rows/s "
                f"({verdict} the target of {TARGET_SECONDS:.0f} s per 100,000 rows)"
            )
        print(f"incidents in the database: {before:,} -> {Incident.objects.count():,}")


if __name__ == "__main__":
    main()

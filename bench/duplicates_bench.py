"""Time duplicate detection on a database filled by ``bench/generate.py``.

    export DATABASE_URL=sqlite:///var/duplicates-bench.sqlite3
    .venv/bin/python bench/generate.py --incidents 100000
    .venv/bin/python bench/duplicates_bench.py

1. The whole-database pass (``manage.py find_duplicates``), from no candidates, then again
   (nothing new: every pair is found and left as it is).
2. ``flag_duplicates`` for a batch of 1,000 new incidents, as an importer calls it after an
   import, twice: copied from incidents spread over the years, then from two months only
   (an import of a recent period). Half are planted duplicates of existing incidents (the
   point moved by up to a kilometre, the date by up to a day, the figure by up to a tenth,
   the title reworded), half new events (half a degree away, 200 days later). Prints the
   time and how many planted duplicates were flagged.

The batch is removed afterwards (``--keep`` leaves it), and the candidates found are left
in the database. Needs a database of its own: it deletes every duplicate candidate first.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._django import setup

BATCH_PREFIX = 2_000_000


def _batch(rng: random.Random, size: int, *, days: int | None, offset: int):
    """Unsaved incidents: half copies of existing ones (with the copied incident's id),
    half fresh ones; copied from anywhere, or from ``days`` days only (as in an import of
    one month of a data set)."""
    from incidents.models import Incident, Status
    from mapping.aggregation import fine_cell, tile_key

    eligible = Incident.objects.exclude(status__in=[Status.MERGED, Status.RETRACTED]).filter(
        latitude__isnull=False, killed_best__isnull=False
    )
    if days is None:
        top = eligible.order_by("-id").values_list("id", flat=True).first()
        originals: list[Incident] = []
        seen: set[int] = set()
        while len(originals) < size:
            found = eligible.filter(id__gte=rng.randrange(top)).order_by("id").first()
            if found is not None and found.pk not in seen:
                seen.add(found.pk)
                originals.append(found)
    else:
        start = date(2016, 3, 1)
        period = eligible.filter(date_start__range=(start, start + timedelta(days=days - 1)))
        originals = rng.sample(list(period.order_by("id")), size)
    made = []
    for n, original in enumerate(originals):
        planted = n % 2 == 0
        shift = timedelta(days=rng.choice([-1, 0, 0, 1])) if planted else timedelta(days=200)
        latitude = original.latitude + (rng.uniform(-0.008, 0.008) if planted else 0.5)
        longitude = original.longitude + (rng.uniform(-0.008, 0.008) if planted else 0.3)
        best = max(0, round(original.killed_best * rng.uniform(0.9, 1.1)))
        cell = fine_cell(latitude, longitude)
        incident = Incident(
            public_id=f"SY-{original.date_start.year}-{BATCH_PREFIX + offset + n}",
            title=f"Reported: {original.title.lower()}",
            event_type=original.event_type,
            date_start=original.date_start + shift,
            date_end=original.date_end + shift,
            date_precision=original.date_precision,
            latitude=latitude,
            longitude=longitude,
            map_cx=cell[0],
            map_cy=cell[1],
            map_tile=tile_key(*cell),
            location_precision=original.location_precision,
            place_name=original.place_name,
            place_id=original.place_id,
            governorate_id=original.governorate_id,
            district_id=original.district_id,
            killed_low=best,
            killed_best=best,
            killed_high=best,
            status=Status.DRAFT,  # drafts: the public map's sums stay as they are
        )
        made.append((incident, original.pk if planted else None))
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", action="store_true", help="keep the batch of new incidents")
    args = parser.parse_args()
    setup()

    from django.core.management import call_command
    from django.db import connection

    from incidents import duplicates
    from incidents.models import DuplicateCandidate, Incident

    call_command("migrate", verbosity=0)
    leftovers = Incident.objects.filter(public_id__regex=rf"-{str(BATCH_PREFIX)[0]}[0-9]{{6}}$")
    leftovers.delete()
    DuplicateCandidate.objects.all().delete()
    total = Incident.objects.count()
    print(f"database: {connection.vendor}, {total:,} incidents")

    for label in ("whole database, first pass", "whole database, again"):
        result = duplicates.flag_all()
        print(
            f"{label}: {result.compared:,} incidents compared in {result.seconds:.1f} s "
            f"({result.compared / result.seconds:,.0f}/s); {result.created:,} new candidates, "
            f"{result.updated:,} updated, {result.removed:,} removed"
        )
    open_pairs = DuplicateCandidate.objects.count()
    print(f"open candidates: {open_pairs:,} ({open_pairs / total:.1%} of incidents)")

    rng = random.Random(args.seed)
    offset = 0
    for label, days in (("spread over the years", None), ("from two months", 60)):
        made = _batch(rng, args.batch, days=days, offset=offset)
        offset += len(made)
        Incident.objects.bulk_create([incident for incident, _ in made], batch_size=1000)
        ids = [incident.pk for incident, _ in made]
        started = time.perf_counter()
        flagged = duplicates.flag_duplicates(ids)
        seconds = time.perf_counter() - started
        planted = {(min(i.pk, o), max(i.pk, o)) for i, o in made if o is not None}
        found = set(
            DuplicateCandidate.objects.filter(first_id__in=[min(p) for p in planted]).values_list(
                "first_id", "second_id"
            )
        )
        print(
            f"flag_duplicates({len(ids):,} new incidents {label}): {seconds:.2f} s "
            f"({seconds / len(ids) * 1000:.1f} ms each); {flagged:,} pairs flagged; "
            f"planted duplicates found: {len(planted & found)} of {len(planted)}"
        )
        if not args.keep:
            DuplicateCandidate.objects.filter(first_id__in=ids).delete()
            DuplicateCandidate.objects.filter(second_id__in=ids).delete()
            Incident.objects.filter(pk__in=ids).delete()


if __name__ == "__main__":
    main()

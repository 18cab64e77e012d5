"""How fast the exports stream incidents imported from ACLED: at least 10,000 features/s.

    .venv/bin/python bench/export_bench.py --rows 100000            # a temporary SQLite file
    .venv/bin/python bench/export_bench.py --rows 100000 --db var/export-bench.sqlite3

N ACLED rows (written by ``import_bench.write_rows``: events at the gazetteer's places,
named sources, about a hundred actors) are imported into a scratch SQLite database, so every
incident has an external record, a claim of the data set and its attributions, as after a
real import; then the researchers' GeoJSON, CSV and ACLED CSV exports of every incident are
streamed and timed. ``--db`` keeps the database in a file: a second run with the same file
skips the import. The load average is printed beside the figures, since the machine may be
busy with other work.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FLOOR = 10_000  # features a second, at 100,000 imported incidents


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--db", type=Path, help="a SQLite file to fill (or reuse)")
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory()
    path = args.db or Path(folder.name) / "export-bench.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{path.resolve()}"

    from bench._django import setup

    setup()
    from django.core.management import call_command

    from bench.import_bench import write_rows
    from incidents.api.exports import stream_csv, stream_geojson
    from incidents.crosswalk import stream_acled_csv
    from incidents.imports import acled
    from incidents.models import Incident

    call_command("migrate", verbosity=0)
    if not Incident.objects.exists():
        call_command("load_gazetteer", verbosity=0)
        rows = Path(folder.name) / "acled.csv"
        write_rows(rows, args.rows, seed=args.seed, prefix="SYRX")
        started = time.perf_counter()
        report = acled.import_file(rows.read_bytes())
        print(
            f"imported {args.rows:,} rows: {report.summary()} "
            f"in {time.perf_counter() - started:.1f} s"
        )
    incidents = Incident.objects.all()
    count = incidents.count()
    print(f"database: SQLite ({path}), {count:,} incidents")
    for label, stream in (
        ("GeoJSON", stream_geojson),
        ("CSV", stream_csv),
        ("ACLED CSV", stream_acled_csv),
    ):
        started, cpu = time.perf_counter(), time.process_time()
        size = sum(len(part) for part in stream(incidents, internal=True))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        rate = count / elapsed
        verdict = "meets" if rate >= FLOOR else "BELOW"
        # SQLite works inside this process: its CPU time is what a quiet machine would take.
        print(
            f"{label}: {elapsed:.1f} s, {size / 1e6:.0f} MB, {rate:,.0f} features/s "
            f"({verdict} the floor of {FLOOR:,}/s); CPU {cpu:.1f} s ({count / cpu:,.0f}/s); "
            f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
        )
    folder.cleanup()


if __name__ == "__main__":
    main()

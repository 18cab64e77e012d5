"""Time exporting N incidents as GeoJSON and CSV and importing them into an empty database.

    .venv/bin/python bench/exchange_bench.py --incidents 2000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/SCRATCH .venv/bin/python \\
        bench/exchange_bench.py --incidents 2000

The database is filled by ``bench/generate.py`` (the seed plus N synthetic incidents),
exported with the researchers' exports, emptied, and filled again by each importer; a
second import of the same file measures the idempotent pass (every incident unchanged).
It EMPTIES the domain's tables: without DATABASE_URL it works in a temporary SQLite file;
never point it at a database whose records matter.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _wipe() -> None:
    from incidents.models import (
        Actor,
        Attribution,
        Claim,
        DuplicateCandidate,
        Episode,
        EpisodeClaim,
        ExternalRecord,
        Incident,
        IncidentDocument,
        PublicIdSequence,
        PublishedMapCell,
        Source,
        Status,
        VictimGroup,
    )

    IncidentDocument.objects.all().delete()
    DuplicateCandidate.objects.all().delete()
    ExternalRecord.objects.all().delete()
    while Incident.objects.filter(status=Status.MERGED).exists():
        Incident.objects.filter(status=Status.MERGED, merged_from__isnull=True).delete()
    Claim.objects.all().delete()
    Attribution.objects.all().delete()
    Incident.objects.all().delete()
    EpisodeClaim.objects.all().delete()
    Episode.objects.all().delete()
    Actor.objects.update(parent=None)
    Actor.objects.all().delete()
    Source.objects.all().delete()
    VictimGroup.objects.all().delete()
    PublicIdSequence.objects.all().delete()
    PublishedMapCell.objects.all().delete()


def _timed(label: str, function, count: int, *args):
    started = time.perf_counter()
    result = function(*args)
    seconds = time.perf_counter() - started
    print(f"{label:<34} {seconds:8.2f} s  {count / seconds:8.0f} incidents/s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=2000)
    args = parser.parse_args()
    scratch = None
    if not os.environ.get("DATABASE_URL"):
        scratch = tempfile.TemporaryDirectory()
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch.name}/exchange.sqlite3"
    from bench._django import setup

    setup()
    from django.db import connection

    from bench.generate import generate
    from incidents.api.exports import stream_csv, stream_geojson
    from incidents.imports import geojson, own_csv
    from incidents.models import Incident

    print(f"database: {connection.vendor}")
    generate(args.incidents)
    total = Incident.objects.count()
    print(f"{total:,} incidents (the seed's and {args.incidents:,} synthetic)")

    files = {
        "GeoJSON": _timed(
            "export GeoJSON",
            lambda: b"".join(stream_geojson(Incident.objects.all(), internal=True)),
            total,
        ),
        "CSV": _timed(
            "export CSV",
            lambda: b"".join(stream_csv(Incident.objects.all(), internal=True)),
            total,
        ),
    }
    for name, module in (("GeoJSON", geojson), ("CSV", own_csv)):
        data = files[name]
        print(f"{name} file: {len(data) / 1e6:.1f} MB")
        _wipe()
        report = _timed(f"import {name} (empty database)", module.import_file, total, data)
        print(f"  {report.summary()}")
        for failure in report.failures[:5]:
            print(f"  {failure.line}: {failure.reason}")
        report = _timed(f"import {name} again (unchanged)", module.import_file, total, data)
        print(f"  {report.summary()}")
    if scratch is not None:
        connection.close()
        scratch.cleanup()


if __name__ == "__main__":
    main()

"""``manage.py export_acled [--output FILE] [--all] [--layout current|pre-2023]``: incidents
as an ACLED-style CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from incidents.api.exports import in_one_snapshot
from incidents.crosswalk import CURRENT, LAYOUTS, stream_acled_csv
from incidents.models import Incident, Status


class Command(BaseCommand):
    help = (
        "Write incidents as an ACLED-style CSV (see docs/acled-crosswalk.md): published "
        "incidents only, as the public API gives them, unless --all."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output", type=Path, help="The file to write (default: standard output)."
        )
        parser.add_argument(
            "--all",
            action="store_true",
            help="Every incident, whatever its status (drafts, retracted and merged too).",
        )
        parser.add_argument(
            "--layout",
            choices=sorted(LAYOUTS),
            default=CURRENT,
            help="ACLED's current columns (default) or those of its exports before 2023.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        incidents = Incident.objects.all()
        if not options["all"]:
            incidents = incidents.filter(status=Status.PUBLISHED)
        output: Path | None = options["output"]
        if output is None:
            for chunk in in_one_snapshot(
                stream_acled_csv(incidents, layout=options["layout"]), using=incidents.db
            ):
                self.stdout.write(chunk, ending="")
            return
        with output.open("w", encoding="utf-8", newline="") as stream:
            for chunk in in_one_snapshot(
                stream_acled_csv(incidents, layout=options["layout"]), using=incidents.db
            ):
                stream.write(chunk)
        self.stderr.write(f"{output}: {incidents.count()} incidents written.")

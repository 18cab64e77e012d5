"""``manage.py geocode_incidents``: give a point to incidents that have only a place name
(see ``incidents.geocode``, which the admin's background job runs too). ``--dry-run``
reports without writing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from incidents.geocode import geocode_all, name_candidates
from incidents.querylog import LongCommand

__all__ = ["Command", "name_candidates"]


class Command(LongCommand):
    help = (
        "Geocode incidents that have a place name but no point; reports what was resolved, "
        "how surely, and what was not."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would be set; change nothing."
        )
        parser.add_argument(
            "--min-score",
            type=float,
            default=85.0,
            help="Lowest match score (0-100) to accept; default 85.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        min_score: float = options["min_score"]
        if not 0 <= min_score <= 100:
            raise CommandError("--min-score must be between 0 and 100.")
        dry_run: bool = options["dry_run"]
        result = geocode_all(min_score=min_score, dry_run=dry_run)
        for level, line in result.lines:
            if level == "info":
                self.stdout.write(line)
            elif level == "error":
                self.stdout.write(self.style.ERROR(line))
            elif level == "warning":
                self.stdout.write(self.style.WARNING(line))
            else:
                self.stderr.write(line)
        verb = "would be geocoded" if dry_run else "geocoded"
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.resolved} incident(s) {verb}, {result.unresolved} not resolved."
            )
        )

"""Look for incidents that are likely the same event, across the whole database.

Streams the incidents in date order and compares each only with those in its date window
and neighbouring grid cells (see ``incidents.duplicates``), so it scales to hundreds of
thousands of incidents. Found pairs become open candidates in the admin's "Possible
duplicates" page; pairs already dismissed or merged are left alone.
"""

from __future__ import annotations

from datetime import date

from django.core.management.base import CommandError, CommandParser

from incidents import duplicates
from incidents.querylog import LongCommand


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--since: '{value}' is not a date (YYYY-MM-DD).") from None


def _score(value: str) -> float:
    try:
        score = float(value)
    except ValueError:
        raise CommandError(f"--min-score: '{value}' is not a number.") from None
    if not 0 <= score <= 1:
        raise CommandError("--min-score: give a number from 0 to 1.")
    return score


class Command(LongCommand):
    help = "Flag incidents that are likely the same event, for a researcher to merge."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--since",
            help="Only incidents dated on or after this day (YYYY-MM-DD), with their neighbours.",
        )
        parser.add_argument(
            "--min-score",
            default=str(duplicates.MIN_SCORE),
            help=f"Flag pairs scoring at least this, 0 to 1 (default {duplicates.MIN_SCORE}).",
        )

    def handle(self, *args, **options) -> None:
        since = _date(options["since"]) if options["since"] else None
        min_score = _score(options["min_score"])
        result = duplicates.flag_all(since=since, min_score=min_score)
        self.stdout.write(
            f"Compared {result.compared:,} incidents in {result.seconds:.1f} s: "
            f"{result.created:,} new candidates, {result.updated:,} updated, "
            f"{result.removed:,} no longer alike removed."
        )

"""What the import commands share: reading the file, the progress bar, the summary.

    manage.py import_acled FILE [--dry-run] [--user NAME] [--no-progress]

The summary counts created, updated, skipped (with the reasons) and failed rows, and lists
every failed row with its line number and reason. A file that cannot be imported at all
(unreadable, or without the columns the format needs) stops the command with a message
that says what was expected, and nothing is written.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser

from incidents.imports import importer
from incidents.imports.report import FileRefused, ImportReport
from incidents.querylog import LongCommand

BAR_WIDTH = 30


class ImportCommand(LongCommand):
    format = ""
    label = ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=f"the {self.label} CSV file")
        parser.add_argument(
            "--dry-run", action="store_true", help="read and check every row, write nothing"
        )
        parser.add_argument("--user", help="the user name the history records the import under")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror or error}.") from None
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"There is no user '{options['user']}'.")
        progress = None if options["no_progress"] else self._progress()
        started = time.perf_counter()
        try:
            report = importer(self.format)(
                data, dry_run=options["dry_run"], user=user, progress=progress
            )
        except FileRefused as error:
            raise CommandError(f"{path.name} was not imported. {error}") from None
        if progress is not None:
            self.stderr.write("")
        self._summary(path, report, time.perf_counter() - started)

    def _progress(self):
        last = {"shown": -1}

        def show(done: int, total: int) -> None:
            percent = 100 if total == 0 else done * 100 // total
            if percent == last["shown"]:
                return
            last["shown"] = percent
            filled = BAR_WIDTH * percent // 100
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            self.stderr.write(f"\r[{bar}] {percent:3d}%", ending="")
            self.stderr.flush()

        return show

    def _summary(self, path: Path, report: ImportReport, elapsed: float) -> None:
        style = self.style.SUCCESS if not report.failures else self.style.WARNING
        self.stdout.write(
            style(f"{self.label} import of {path.name}: {report.summary()} in {elapsed:.1f} s.")
        )
        for reason, count in getattr(report, "skip_reasons", {}).items():
            self.stdout.write(f"  skipped {count}: {reason}")
        if report.failures:
            self.stdout.write(f"Failed rows ({report.failed}):")
            for failure in report.failures:
                at = f"line {failure.line}"
                if failure.external_id:
                    at += f" ({failure.external_id})"
                self.stdout.write(f"  {at}: {failure.reason}")

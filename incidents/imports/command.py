"""What the import commands share: read a file, run an importer, print progress, the
summary and each failed row with its number."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser

from incidents.querylog import LongCommand

from .report import FileRefused, ImportReport


class ImportCommand(LongCommand):
    """Subclasses name the importer and what a row is called in its format."""

    row_name = "line"
    importer: Callable[..., ImportReport]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The exported file to import.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check every row and report what would happen; write nothing.",
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not print the progress.")
        parser.add_argument(
            "--user",
            help="The user the history records the changes under (and whose rights apply); "
            "without it, changes are made with no user and no permission check.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path} does not exist.")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user '{options['user']}'.")
        step = {"next": 0}

        def progress(done: int, total: int) -> None:
            # About every tenth of the file, and at its end (once).
            if done >= step["next"] or (done == total and step["next"] <= total):
                self.stderr.write(f"{done} of {total} records")
                step["next"] = done + max(1, total // 10)

        try:
            report = type(self).importer(
                path.read_bytes(),
                dry_run=options["dry_run"],
                user=user,
                progress=None if options.get("no_progress") else progress,
            )
        except FileRefused as error:
            raise CommandError(str(error)) from error
        for failure in report.failures:
            where = f"{self.row_name} {failure.line}" if failure.line else "catalogue"
            who = f" ({failure.external_id})" if failure.external_id else ""
            self.stdout.write(self.style.ERROR(f"{where}{who}: {failure.reason}"))
        for warning in report.warnings:
            who = f" ({warning.external_id})" if warning.external_id else ""
            self.stdout.write(
                self.style.WARNING(f"{self.row_name} {warning.line}{who}: {warning.reason}")
            )
        for theirs, ours in getattr(report, "renamed", {}).items():
            self.stdout.write(f"{theirs} of the file is {ours} here")
        style = self.style.WARNING if report.failures else self.style.SUCCESS
        self.stdout.write(style(f"{path.name}: {report.summary()}"))

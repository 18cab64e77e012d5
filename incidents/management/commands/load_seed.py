"""``manage.py load_seed``: load the seed data set; safe to run any number of times."""

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.seed import SEED_DIR, load_seed


class Command(BaseCommand):
    help = (
        "Load the seed incidents, sources, actors and episodes (idempotent); run "
        "load_gazetteer first, for the places they name."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "files",
            nargs="*",
            type=Path,
            help="Seed files to load (default: every JSON file in fixtures/seed/).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        files = options["files"] or sorted(SEED_DIR.glob("*.json"))
        if not files:
            raise CommandError(f"No seed files found in {SEED_DIR}.")
        for path in files:
            if not path.is_file():
                raise CommandError(f"Seed file {path} does not exist.")
            try:
                report = load_seed(path)
            except ValidationError as error:
                raise CommandError("; ".join(error.messages)) from error
            self.stdout.write(self.style.SUCCESS(f"{path.name}: {report.summary()}"))

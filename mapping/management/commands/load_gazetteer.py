"""``manage.py load_gazetteer``: load the offline gazetteer of Syria; safe to repeat."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from mapping.loader import load_gazetteer


class Command(BaseCommand):
    help = (
        "Load the Syrian gazetteer (governorates, districts, GeoNames places and curated "
        "places from mapping/data/) into Place; creates what is missing, updates what changed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = load_gazetteer()
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Gazetteer: {report.summary()}"))

"""Recompute the map's per-cell sums after writes that bypassed ``Incident.save()``."""

from django.core.management.base import BaseCommand

from incidents import mapcells


class Command(BaseCommand):
    help = "Recompute the published incidents' per-cell sums that the public map draws."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"Map cells rebuilt: {mapcells.rebuild():,}")

"""Bring the map's per-cell sums and the kept API documents up to date after writes that
bypassed ``save()`` (bulk loads, ``QuerySet.update``, raw SQL)."""

from incidents.querylog import LongCommand
from incidents.readmodel import documentcache, mapcells


class Command(LongCommand):
    help = (
        "Recompute the published incidents' per-cell sums that the public map draws, and "
        "drop the kept API documents (they are rebuilt as pages ask for them)."
    )

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"Map cells rebuilt: {mapcells.rebuild():,}")
        self.stdout.write(f"Kept API documents dropped: {documentcache.clear():,}")

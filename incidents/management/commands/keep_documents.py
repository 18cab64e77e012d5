"""Render and keep the API documents of every incident (or the published ones), so that
list pages after a bulk load or a deployment are served from kept documents at once."""

from __future__ import annotations

import time

from incidents.models import Incident, IncidentDocument, Status
from incidents.querylog import LongCommand
from incidents.readmodel import documentcache


class Command(LongCommand):
    help = (
        "Render and keep the API documents that list pages serve, for incidents that have "
        "none or an outdated one. Safe to run at any time; pages keep documents as they go "
        "anyway, this only spares the first readers the wait."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--published-only",
            action="store_true",
            help="Only published incidents (all that anonymous readers can list).",
        )
        parser.add_argument("--batch", type=int, default=2000, help="Incidents per batch.")

    def handle(self, *args, published_only: bool, batch: int, **options) -> None:
        incidents = Incident.objects.exclude(status=Status.MERGED)  # never listed
        if published_only:
            incidents = incidents.filter(status=Status.PUBLISHED)
        ids = list(incidents.order_by("pk").values_list("pk", flat=True))
        started = time.perf_counter()
        for start in range(0, len(ids), batch):
            documentcache.page_json(ids[start : start + batch])
            done = min(start + batch, len(ids))
            rate = done / max(time.perf_counter() - started, 1e-9)
            self.stderr.write(f"\r{done:>9,} / {len(ids):,} ({rate:,.0f}/s)", ending="")
        self.stderr.write("")
        self.stdout.write(
            f"Kept documents: {IncidentDocument.objects.count():,} "
            f"({time.perf_counter() - started:.1f} s)"
        )

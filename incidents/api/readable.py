"""Readable cells of the CSV export: names beside the codes, and each incident's address.

The CSV's first columns hold codes and slugs, which scripts and importers read. A reader
opening the file in a spreadsheet also needs what they mean: the event type's and the
governorate's names, the perpetrators' names with the confidence of each attribution, the
sources' publishers, and a link to the incident's page. These columns come last (columns
are only ever appended), in the language the file was downloaded in, and are made from the
cells each row already has (codes, the attributions' and claims' JSON) and a few small
look-up tables read once per export: no query per row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from incidents import vocabulary
from incidents.models import Actor
from mapping.models import Place, PlaceKind

READABLE_COLUMNS = (
    "event_type_label",
    "governorate_name",
    "perpetrator_names",
    "source_names",
    "incident_url",
)

# (event types, governorate slugs, attributions, claims, public ids) of a chunk of rows,
# each argument a column -> the readable columns made
ReadableColumns = Callable[
    [Sequence[str], Sequence[str | None], Sequence[list], Sequence[list], Sequence[str]],
    list[list[str]],
]


@dataclass(frozen=True)
class Readable:
    """What the readable columns depend on besides the row: the site's address
    (``https://map.example.org``; empty gives addresses relative to the site) and the
    language of the names (the reader's, captured when the download was asked for)."""

    site: str = ""
    language: str | None = None

    def columns(self) -> ReadableColumns:
        """Read the look-up tables once; the function it returns makes the readable columns
        of a chunk of rows from their columns (a perpetrator's name with a confidence is
        made once per export, not once per row)."""
        with translation.override(self.language):
            arabic = translation.get_language() == "ar"
            event_types = {code: str(label) for code, label in vocabulary.EVENT_TYPES.items()}
            confidences = {code: str(label) for code, label in vocabulary.CONFIDENCES.items()}
            with_confidence = gettext("%(name)s (%(confidence)s)")
            page = reverse("incidents:incident-detail", args=["ID"])

        def named(name: str, name_ar: str) -> str:
            return name_ar if arabic and name_ar else name

        governorates = {
            slug: named(name, name_ar)
            for slug, name, name_ar in Place.objects.filter(kind=PlaceKind.GOVERNORATE)
            .order_by()
            .values_list("slug", "name", "name_ar")
        }
        actors = {
            slug: named(name, name_ar)
            for slug, name, name_ar in Actor.objects.order_by().values_list(
                "slug", "name", "name_ar"
            )
        }
        prefix, suffix = (self.site.rstrip("/") + page).split("ID", 1)
        attributed: dict[tuple[str, str], str] = {}

        def perpetrator(actor: str, confidence: str) -> str:
            key = (actor, confidence)
            label = attributed.get(key)
            if label is None:
                label = attributed[key] = with_confidence % {
                    "name": actors.get(actor, actor),
                    "confidence": confidences.get(confidence, confidence),
                }
            return label

        def columns(
            event_type: Sequence[str],
            governorate: Sequence[str | None],
            attributions: Sequence[list[dict[str, Any]]],
            claims: Sequence[list[dict[str, Any]]],
            public_id: Sequence[str],
        ) -> list[list[str]]:
            return [
                [event_types.get(code, code) for code in event_type],
                [governorates.get(slug or "", "") for slug in governorate],
                [
                    "; ".join([perpetrator(a["actor"], a["confidence"]) for a in items])
                    for items in attributions
                ],
                [
                    "; ".join([c["publisher"] or c["headline"] or c["source"] for c in items])
                    for items in claims
                ],
                [f"{prefix}{i}{suffix}" for i in public_id],
            ]

        return columns

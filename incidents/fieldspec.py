"""What an incident's fields are, declared once.

Every layer that names an incident's fields takes them from :data:`INCIDENT`: the services
(which fields editors set directly), the API document (``readmodel.representation``), the
ACLED and UCDP importers (which fields a data set's row sets), the GeoJSON and CSV exports,
and the round-trip tests. Adding a field to ``Incident`` means adding it here (and its
migration); each layer then carries it as its flags say.

The order is the order of the CSV export, whose columns are only ever added at the end so
that scripts reading earlier exports keep working: append new fields.

Flags:

- ``editable``: editors set it directly (``services.INCIDENT_FIELDS``); the others change
  only through the workflow and the figures services, or are kept by the database.
- ``imported``: a row of an outside data set (ACLED, UCDP GED) sets it.
- ``exported``: it is in the GeoJSON and CSV exports, and an import of them restores it.
- ``in_document``: it is in the API's incident document.
- ``relation``: for a foreign key, the related record's natural key as exports write it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import BREAKDOWN_FIELDS


@dataclass(frozen=True)
class IncidentField:
    name: str
    kind: str  # text, choice, date, number, count, flag, relation, timestamp
    editable: bool = False
    imported: bool = False
    exported: bool = True
    in_document: bool = True
    relation: str | None = None  # e.g. "slug": exports write place__slug
    export_name: str | None = None  # the export's name, where it is not the field's

    @property
    def column(self) -> str:
        """The database column (a foreign key's ``_id``)."""
        return f"{self.name}_id" if self.relation else self.name

    @property
    def source(self) -> str:
        """What an export reads: the field, or the related record's natural key."""
        return f"{self.name}__{self.relation}" if self.relation else self.name

    @property
    def exported_as(self) -> str:
        return self.export_name or self.name


def _editable(name: str, kind: str, **flags: object) -> IncidentField:
    return IncidentField(name, kind, editable=True, **flags)  # type: ignore[arg-type]


INCIDENT: tuple[IncidentField, ...] = (
    IncidentField("public_id", "text", export_name="id"),
    _editable("title", "text", imported=True),
    _editable("title_ar", "text"),
    _editable("event_type", "choice", imported=True),
    _editable("date_start", "date", imported=True),
    _editable("date_end", "date", imported=True),
    _editable("date_precision", "choice", imported=True),
    _editable("latitude", "number", imported=True),
    _editable("longitude", "number", imported=True),
    _editable("location_precision", "choice", imported=True),
    _editable("place_name", "text", imported=True),
    _editable("place", "relation", relation="slug"),
    _editable("governorate", "relation", relation="slug"),
    _editable("district", "relation", relation="slug"),
    IncidentField("killed_low", "count"),
    IncidentField("killed_best", "count"),
    IncidentField("killed_high", "count"),
    *(IncidentField(name, "count") for name in BREAKDOWN_FIELDS),
    IncidentField("figure_rule", "choice"),
    _editable("grade", "choice"),
    IncidentField("status", "choice"),
    _editable("episode", "relation", relation="slug"),
    _editable("summary", "text", imported=True),
    _editable("summary_ar", "text"),
    IncidentField("updated_at", "timestamp"),
    _editable("location_note", "text", imported=True),
    IncidentField("figure_rationale", "text"),
    IncidentField("retraction_reason", "text"),
    IncidentField("published_at", "timestamp"),
    IncidentField("merged_into", "relation", relation="public_id", in_document=False),
    IncidentField("version", "count", exported=False),
    IncidentField("created_at", "timestamp", exported=False),
    IncidentField("figures_include_confidential", "flag", exported=False),
    # No source gives a ceiling: killed_high is then empty ("7 or more"), never a floor.
    IncidentField("killed_high_open", "flag"),
)

# The reconciled figures: the range (its high possibly open), then who the dead were.
FIGURES = ("killed_low", "killed_best", "killed_high", "killed_high_open", *BREAKDOWN_FIELDS)


def incident_fields(**flags: bool) -> tuple[IncidentField, ...]:
    """The declared fields whose flags have the given values, in declaration order."""
    return tuple(f for f in INCIDENT if all(getattr(f, k) == v for k, v in flags.items()))


def names(**flags: bool) -> tuple[str, ...]:
    return tuple(f.name for f in incident_fields(**flags))


# A claim's own values (besides its incident, its source and the actor it names).
CLAIM_VALUES = (
    "attributed_to",
    "killed_min",
    "killed_max",
    "approximate",
    "figure_kind",
    "perpetrator_text",
    "place_as_reported",
    "date_as_reported",
    "quote",
    "notes",
    *BREAKDOWN_FIELDS,
)

# A source's description, public unless the source is confidential (besides its slug) ...
SOURCE_PUBLIC = (
    "publisher",
    "headline",
    "author",
    "url",
    "publication_date",
    "language",
    "kind",
    "archive_url",
    "content_hash",
)
# ... and what only the admin shows.
SOURCE_INTERNAL = ("confidential", "notes")

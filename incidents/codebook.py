"""The codebook: every column of the CSV export and every member of the GeoJSON export,
with its type, its meaning and, for coded columns, the codes and their labels.

The list of columns is not written here: it is read from the exporters' own definitions
(``api.exports.CSV_COLUMNS`` for the CSV, the Feature properties of ``api.exports`` for the
GeoJSON), and the codes from ``incidents.vocabulary``, the lists the map's filters show.
This module only adds what a column means; a test checks that every exported column has a
meaning here and that nothing here is not exported.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import vocabulary
from .api import exports
from .api.readable import READABLE_COLUMNS
from .fieldspec import incident_fields
from .models import BREAKDOWN_FIELDS

# GeoJSON members besides the incident's own fields (see exports.feature_expression): the
# Feature's id and geometry, its related records, and the collection's catalogue.
GEOJSON_RELATED = (
    "perpetrators",
    "attributions",
    "victim_groups",
    "sources",
    "acled_event_id",
    "ucdp_ged_id",
    "external_ids",
    "external_records",
    "origin_database",
    "origin_id",
)

TYPES: dict[str, Promise] = {
    "text": _("text"),
    "code": _("code (see the values)"),
    "date": _("date, YYYY-MM-DD"),
    "number": _("decimal degrees (WGS 84)"),
    "count": _("whole number, empty when not known"),
    "flag": _("true or false"),
    "slug": _("identifier (slug)"),
    "timestamp": _("date and time, ISO 8601, UTC"),
    "list": _("list, items separated by “; ”"),
    "json": _("JSON"),
    "url": _("web address"),
    "point": _("GeoJSON Point, [longitude, latitude], or null"),
}

# fieldspec kinds -> codebook types
_KIND_TYPES = {
    "text": "text",
    "choice": "code",
    "date": "date",
    "number": "number",
    "count": "count",
    "flag": "flag",
    "relation": "slug",
    "timestamp": "timestamp",
}

_OTHER_TYPES = {
    "id": "text",
    "geometry": "point",
    "breakdown": "json",
    "perpetrators": "list",
    "sources": "list",
    "claim_count": "count",
    "victim_groups": "list",
    "attributions": "json",
    "claims": "json",
    "acled_event_id": "text",
    "ucdp_ged_id": "text",
    "external_ids": "list",
    "catalogue": "json",
    "external_records": "json",
    "origin_database": "text",
    "origin_id": "text",
    "event_type_label": "text",
    "governorate_name": "text",
    "perpetrator_names": "list",
    "source_names": "list",
    "incident_url": "url",
}
# In the GeoJSON, lists are JSON arrays.
_GEOJSON_TYPES = {
    "perpetrators": "json",
    "victim_groups": "json",
    "sources": "json",
    "external_ids": "json",
}

DESCRIPTIONS: dict[str, Promise] = {
    "id": _("The incident's public identifier (e.g. SY-2025-0007), stable across versions."),
    "geometry": _(
        "Where it happened: a point, or null when the incident has no position. An "
        "imprecise location is still a point: read location_precision with it."
    ),
    "title": _("Short title, in English."),
    "title_ar": _("Short title, in Arabic."),
    "event_type": _("What kind of violence, as a code."),
    "date_start": _("First day of the incident."),
    "date_end": _("Last day of the incident (the same as date_start for one day)."),
    "date_precision": _("How precisely the dates are known."),
    "latitude": _("Latitude of the point."),
    "longitude": _("Longitude of the point."),
    "location_precision": _(
        "How precisely the point is known: for anything but exact, the point stands for an "
        "area of that size."
    ),
    "place_name": _("The place as the sources describe it."),
    "place": _("The gazetteer place the incident is at."),
    "governorate": _("The governorate the point is in."),
    "district": _("The district the point is in."),
    "killed_low": _("Killed, low end of the reconciled range: the lowest figure claimed."),
    "killed_best": _("Killed, best estimate: the lower median of the claims' figures."),
    "killed_high": _(
        "Killed, high end of the range: the highest figure claimed; empty when no source "
        "gives an upper bound (see killed_high_open)."
    ),
    "killed_high_open": _(
        "true when no source gives an upper bound (“at least 7”): the range is then "
        "killed_low or more, and killed_high is empty."
    ),
    "breakdown": _(
        "Who the dead were, as far as sources say: civilians, children, women, medical "
        "personnel, security forces, combatants (each a whole number or null)."
    ),
    "figure_rule": _("The rule that produced the range."),
    "grade": _("Verification grade."),
    "status": _("Publication status (public exports hold published incidents only)."),
    "episode": _("The wider episode the incident belongs to."),
    "perpetrators": _("The actors held responsible, by slug."),
    "sources": _("The sources cited, by slug, one per claim, in the order of the claims."),
    "claim_count": _("How many public claims support the incident."),
    "summary": _("What happened, in English."),
    "summary_ar": _("What happened, in Arabic."),
    "updated_at": _("When the record last changed."),
    "location_note": _("Where the point comes from, when it stands for a wider area."),
    "figure_rationale": _("The researcher's reason, when the range was set by hand."),
    "retraction_reason": _("Why the incident was retracted, if it was."),
    "published_at": _("When the incident was first published."),
    "merged_into": _("The incident this one was merged into (merged records only)."),
    "victim_groups": _("The groups the victims belonged to, by slug."),
    "attributions": _(
        "The perpetrators with the confidence of each attribution (alleged, probable, "
        "confirmed) and a note."
    ),
    "claims": _(
        "Every public claim: its source, the figure it gives (minimum, maximum, how the "
        "source put it), its breakdown, the perpetrator it names and the source's own words."
    ),
    "acled_event_id": _("The ACLED event id, for an incident that came from ACLED."),
    "ucdp_ged_id": _("The UCDP GED id, for an incident that came from UCDP GED."),
    "external_ids": _("Every id of the incident in outside data sets, as data set:id."),
    "catalogue": _(
        "The records the incidents refer to (sources, actors, episodes, victim groups), "
        "each described once, so that the file can be read and imported on its own. In the "
        "CSV, on the first row that names each record."
    ),
    "external_records": _("The rows of outside data sets the incident was imported from."),
    "origin_database": _("The database the incident was first recorded in."),
    "origin_id": _("The incident's public id in that database."),
    "event_type_label": _("The event type's name, in the language of the download."),
    "governorate_name": _("The governorate's name, in the language of the download."),
    "perpetrator_names": _(
        "The perpetrators' names with the confidence of each attribution in brackets, in "
        "the order of perpetrators."
    ),
    "source_names": _(
        "Each cited source's publisher (or its headline when the publisher is not known), "
        "in the order of sources."
    ),
    "incident_url": _("The incident's page on this site."),
}
# The breakdown's counts, one column each in the CSV (inside "breakdown" in the GeoJSON).
BREAKDOWN_DESCRIPTION = _(
    "Of those killed: %(group)s, the highest figure any counted claim gives (sources report "
    "them as “including” a number); empty when no source says."
)

# Where a GeoJSON member holds more than the CSV column of the same name.
GEOJSON_DESCRIPTIONS: dict[str, Promise] = {
    "sources": _(
        "Every public claim: its source (slug, publisher, headline, address, date), the "
        "figure it gives, its breakdown, the perpetrator it names and the source's own words."
    ),
}

# Coded columns: the codes and their labels, from the vocabularies the filters show.
VALUES: dict[str, dict[str, Promise]] = {
    "event_type": vocabulary.EVENT_TYPES,
    "date_precision": vocabulary.DATE_PRECISIONS,
    "location_precision": vocabulary.LOCATION_PRECISIONS,
    "figure_rule": vocabulary.FIGURE_RULES,
    "grade": vocabulary.GRADES,
    "attributions": vocabulary.CONFIDENCES,
}


@dataclass(frozen=True)
class Column:
    name: str
    in_csv: bool
    in_geojson: bool
    type: str
    geojson_type: str  # where the GeoJSON's member has another type than the CSV's column
    description: str
    geojson_description: str
    values: list[tuple[str, str]]

    @property
    def type_label(self) -> str:
        return str(TYPES[self.type])

    @property
    def geojson_type_label(self) -> str:
        return str(TYPES[self.geojson_type]) if self.geojson_type else ""


def csv_columns() -> tuple[str, ...]:
    return exports.CSV_COLUMNS


def geojson_members() -> tuple[str, ...]:
    """The Feature's id and geometry, its properties, and the collection's catalogue."""
    properties = [
        name for name in exports._field_properties() if name != "id"
    ]  # the Feature's id and properties.id are the same value
    return ("id", "geometry", *properties, *GEOJSON_RELATED, "catalogue")


def _type(name: str) -> str:
    declared = {f.exported_as: f.kind for f in incident_fields(exported=True)}
    if name in declared:
        return _KIND_TYPES[declared[name]]
    return _OTHER_TYPES[name]


def columns() -> list[Column]:
    """Every column, the CSV's in their order, then the members only the GeoJSON has."""
    csv = csv_columns()
    geojson = geojson_members()
    names = [*csv, *(name for name in geojson if name not in csv)]
    found = []
    for name in names:
        if name in BREAKDOWN_FIELDS:
            described = str(BREAKDOWN_DESCRIPTION) % {"group": vocabulary.BREAKDOWN[name]}
        else:
            described = DESCRIPTIONS[name]
        found.append(
            Column(
                name=name,
                in_csv=name in csv,
                in_geojson=name in geojson,
                type=_type(name) if name in csv else _GEOJSON_TYPES.get(name, _type(name)),
                geojson_type=_GEOJSON_TYPES.get(name, "")
                if name in csv and name in geojson
                else "",
                description=str(described),
                geojson_description=str(GEOJSON_DESCRIPTIONS.get(name, "")),
                values=[(code, str(label)) for code, label in VALUES.get(name, {}).items()],
            )
        )
    return found


__all__ = ["DESCRIPTIONS", "READABLE_COLUMNS", "Column", "columns"]

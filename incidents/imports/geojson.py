"""Importing this product's GeoJSON export (``/api/v1/incidents.geojson``).

The file is an RFC 7946 FeatureCollection: one Feature per incident (a Point, or a null
geometry for an incident without a position) whose properties hold every field, the
claims (``sources``), attributions, victim groups and outside data set ids, and a foreign
member ``catalogue`` with the sources, actors, episodes and victim groups they name.
Failures are numbered by feature (the first feature is 1); a catalogue entry that fails is
reported at 0. See ``exchange`` for how records are matched and written.
"""

from __future__ import annotations

import json
from typing import Any

from incidents.models import BREAKDOWN_FIELDS, ImportFormat, ImportRun

from .exchange import Catalogue, IncidentRecord, Progress, run_import
from .report import FileRefused, ImportReport, RowError

CATALOGUE_LINE = 0


def _values(feature: Any) -> dict[str, Any]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise RowError("not a GeoJSON Feature")
    properties = feature.get("properties")
    if not isinstance(properties, dict):
        raise RowError("the feature has no properties object", field="properties")
    values = dict(properties)
    values.setdefault("id", feature.get("id"))
    if not isinstance(values.get("id"), str):
        raise RowError("every incident needs its public id", field="id")
    geometry = feature.get("geometry")
    if geometry is None:
        values["latitude"] = values["longitude"] = None
    elif (
        isinstance(geometry, dict)
        and geometry.get("type") == "Point"
        and isinstance(geometry.get("coordinates"), list)
        and len(geometry["coordinates"]) in (2, 3)
    ):
        values["longitude"], values["latitude"] = geometry["coordinates"][:2]
    else:
        raise RowError("expected a Point [longitude, latitude] or null", field="geometry")
    breakdown = values.pop("breakdown", None) or {}
    if not isinstance(breakdown, dict):
        raise RowError("expected an object", field="breakdown")
    for name in BREAKDOWN_FIELDS:
        values[name] = breakdown.get(name)
    values["claims"] = values.pop("sources", None) or []
    return values


def import_file(
    data: bytes,
    *,
    dry_run: bool = False,
    user: Any = None,
    run: ImportRun | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise FileRefused(
            f"This is not a GeoJSON file (UTF-8 JSON) as incidents.geojson exports: {error}"
        ) from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise FileRefused("Expected a GeoJSON FeatureCollection, as incidents.geojson exports.")
    features = document.get("features")
    if not isinstance(features, list):
        raise FileRefused("The FeatureCollection has no list of features.")
    report = ImportReport(format=ImportFormat.GEOJSON, dry_run=dry_run)

    catalogue = Catalogue()
    raw_catalogue = document.get("catalogue") or {}
    if not isinstance(raw_catalogue, dict):
        raise FileRefused("'catalogue' must be an object of lists (sources, actors, ...).")
    for kind, entries in raw_catalogue.items():
        try:
            catalogue.add(kind, CATALOGUE_LINE, entries)
        except RowError as error:
            report.fail(CATALOGUE_LINE, str(error))

    records = []
    for number, feature in enumerate(features, 1):
        try:
            records.append(IncidentRecord(number, _values(feature)))
        except RowError as error:
            public_id = ""
            if isinstance(feature, dict) and isinstance(feature.get("id"), str):
                public_id = feature["id"]
            report.fail(number, str(error), public_id)
    return run_import(
        format_name="GeoJSON",
        report=report,
        records=records,
        catalogue=catalogue,
        dry_run=dry_run,
        user=user,
        run=run,
        progress=progress,
    )

"""Streaming exports of incidents as GeoJSON (RFC 7946) and CSV.

Both honour the same filters as the list and never hold the result in memory: rows come
from a server-side cursor in chunks and leave as soon as they are written. For GeoJSON the
database writes each feature itself (see ``sqljson``), so a FeatureCollection of hundreds
of thousands of incidents streams at close to the speed the database builds it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Coalesce

from incidents.models import BREAKDOWN_FIELDS, Attribution, Claim, Incident

from .sqljson import (
    AsJSON,
    AsText,
    JSONBoolean,
    JSONBuildArray,
    JSONBuildObject,
    JSONGroupArray,
    StringGroup,
    UTCTimestamp,
)

CHUNK_SIZE = 2000
GEOJSON_MEDIA_TYPE = "application/geo+json"


def _claims_json() -> Subquery:
    claim = JSONBuildObject(
        source=F("source__slug"),
        publisher=F("source__publisher"),
        headline=F("source__headline"),
        url=F("source__url"),
        publication_date=F("source__publication_date"),
        killed_min=F("killed_min"),
        killed_max=F("killed_max"),
        approximate=JSONBoolean(F("approximate")),
        quote=F("quote"),
    )
    claims = (
        Claim.objects.filter(incident=OuterRef("pk"), source__confidential=False)
        .order_by()
        .values("incident")
        .annotate(items=JSONGroupArray(claim))
        .values("items")
    )
    return AsJSON(Subquery(claims))


def _perpetrators_json() -> Subquery:
    actors = (
        Attribution.objects.filter(incident=OuterRef("pk"))
        .order_by()
        .values("incident")
        .annotate(items=JSONGroupArray(F("actor__slug")))
        .values("items")
    )
    return AsJSON(Subquery(actors))


def feature_expression() -> AsText:
    """One incident as a GeoJSON Feature (coordinates [longitude, latitude], RFC 7946)."""
    properties = JSONBuildObject(
        id=F("public_id"),
        title=F("title"),
        title_ar=F("title_ar"),
        event_type=F("event_type"),
        date_start=F("date_start"),
        date_end=F("date_end"),
        date_precision=F("date_precision"),
        location_precision=F("location_precision"),
        place_name=F("place_name"),
        governorate=F("governorate__slug"),
        district=F("district__slug"),
        killed_low=F("killed_low"),
        killed_best=F("killed_best"),
        killed_high=F("killed_high"),
        figure_rule=F("figure_rule"),
        grade=F("grade"),
        status=F("status"),
        episode=F("episode__slug"),
        perpetrators=_perpetrators_json(),
        sources=_claims_json(),
        updated_at=UTCTimestamp(F("updated_at")),
    )
    return AsText(
        JSONBuildObject(
            type=Value("Feature"),
            id=F("public_id"),
            geometry=JSONBuildObject(
                type=Value("Point"), coordinates=JSONBuildArray(F("longitude"), F("latitude"))
            ),
            properties=properties,
        )
    )


def geojson_features(incidents: QuerySet[Incident]) -> QuerySet:
    """The features' JSON text, one row per incident with a point, in a stable order."""
    return (
        incidents.filter(latitude__isnull=False, longitude__isnull=False)
        .order_by("date_start", "pk")
        .annotate(feature=feature_expression())
        .values_list("feature", flat=True)
    )


def stream_geojson(incidents: QuerySet[Incident]) -> Iterator[bytes]:
    yield b'{"type":"FeatureCollection","features":['
    buffer: list[str] = []
    first = True
    for feature in geojson_features(incidents).iterator(chunk_size=CHUNK_SIZE):
        if first:
            buffer.append(feature)
            first = False
        else:
            buffer.append("," + feature)
        if len(buffer) >= CHUNK_SIZE:
            yield "".join(buffer).encode()
            buffer.clear()
    if buffer:
        yield "".join(buffer).encode()
    yield b"]}"


# CSV header -> the column it is read from (annotations are made in csv_rows).
_CSV_SOURCES: dict[str, str] = {
    "id": "public_id",
    **{
        name: name
        for name in (
            "title",
            "title_ar",
            "event_type",
            "date_start",
            "date_end",
            "date_precision",
            "latitude",
            "longitude",
            "location_precision",
            "place_name",
        )
    },
    "place": "place__slug",
    "governorate": "governorate__slug",
    "district": "district__slug",
    **{name: name for name in ("killed_low", "killed_best", "killed_high", *BREAKDOWN_FIELDS)},
    "figure_rule": "figure_rule",
    "grade": "grade",
    "status": "status",
    "episode": "episode__slug",
    "perpetrators": "perpetrator_list",
    "sources": "source_list",
    "claim_count": "claim_total",
    "summary": "summary",
    "summary_ar": "summary_ar",
    "updated_at": "updated_at",
}
CSV_COLUMNS: tuple[str, ...] = tuple(_CSV_SOURCES)

# Spreadsheets run a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value: str) -> str:
        return value


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_rows(incidents: QuerySet[Incident]) -> QuerySet:
    perpetrators = (
        Attribution.objects.filter(incident=OuterRef("pk"))
        .order_by()
        .values("incident")
        .annotate(items=StringGroup(F("actor__slug")))
        .values("items")
    )
    claims = Claim.objects.filter(incident=OuterRef("pk"), source__confidential=False).order_by()
    sources = claims.values("incident").annotate(items=StringGroup(F("source__slug")))
    counted = claims.values("incident").annotate(n=Count("id")).values("n")
    return (
        incidents.order_by("date_start", "pk")
        .annotate(
            perpetrator_list=Coalesce(Subquery(perpetrators), Value(""), output_field=TextField()),
            source_list=Coalesce(
                Subquery(sources.values("items")), Value(""), output_field=TextField()
            ),
            claim_total=Coalesce(Subquery(counted), Value(0), output_field=IntegerField()),
        )
        .values_list(*_CSV_SOURCES.values())
    )


def stream_csv(incidents: QuerySet[Incident]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(CSV_COLUMNS)  # the BOM lets spreadsheets read UTF-8
    lines: list[str] = []
    for row in csv_rows(incidents).iterator(chunk_size=CHUNK_SIZE):
        values = list(row)
        values[-1] = values[-1].isoformat() if values[-1] else ""
        lines.append(writer.writerow([_safe(v) if v is not None else "" for v in values]))
        if len(lines) >= CHUNK_SIZE:
            yield "".join(lines)
            lines.clear()
    if lines:
        yield "".join(lines)

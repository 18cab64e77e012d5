"""Every matching incident at once: GeoJSON, CSV and the ACLED-style CSV, streamed."""

from __future__ import annotations

import re
from datetime import date

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from incidents import selectors
from incidents.crosswalk import CURRENT, PRE_2023, stream_acled_csv
from incidents.httpcache import LIST

from ..exports import GEOJSON_MEDIA_TYPE, in_one_snapshot, stream_csv, stream_geojson
from ..filters import (
    filter_incidents,
)
from ..readable import Readable
from .base import (
    FILTERS,
    READ_ERRORS,
    ApiView,
)

# The filters a download's file name tells, in this order; the others (a map view's box,
# a text search, figures) are in the address the file came from, not in its name.
_NAMED_FILTERS = (
    "governorate",
    "district",
    "place",
    "episode",
    "event_type",
    "perpetrator",
    "grade",
    "source",
)
_NAME_CHARACTERS = re.compile(r"[^a-z0-9]+")
_LONGEST_STEM = 120


def download_stem(request: Request, today: date | None = None) -> str:
    """The file name of a download, without its extension, naming the view and its dates:
    ``incidents-latakia-2025-03-07_2025-03-09``; with no date filter, the day of the
    download (``incidents-latakia-as-of-2026-12-03``). Called after the filters were
    checked, so values are known codes and slugs; anything else is reduced to a-z, 0-9, -."""
    parts = ["incidents"]
    for name in _NAMED_FILTERS:
        for value in request.query_params.get(name, "").split(","):
            # "latakia-governorate" says "governorate" once too often in a file name.
            cleaned = _NAME_CHARACTERS.sub("-", value.lower()).strip("-")
            cleaned = cleaned.removesuffix(f"-{name}") if cleaned != name else cleaned
            if cleaned:
                parts.append(cleaned)
    first, last = (
        _NAME_CHARACTERS.sub("-", request.query_params.get(name, "").lower()).strip("-")
        for name in ("date_from", "date_to")
    )
    if first and last:
        dates = f"{first}_{last}"
    elif first or last:
        dates = f"from-{first}" if first else f"to-{last}"
    else:
        dates = f"as-of-{(today or timezone.localdate()).isoformat()}"
    stem = "-".join(parts)[: _LONGEST_STEM - len(dates) - 1].rstrip("-")
    return f"{stem}-{dates}"


def _export_view(
    name: str,
    media_type: str,
    stream,
    disposition: str,
    schema_type,
    description: str,
    filename: str = "",
    with_merged: bool = False,
    layouts: tuple[str, ...] = (),
    readable: bool = False,
) -> type[ApiView]:
    """A view streaming every incident that matches the filters in one format.

    ``stream(incidents, internal=...)``: ``internal`` is true for readers who see
    unpublished work (researchers' notes go into their exports; never a confidential
    source, for anyone). ``with_merged``: their export also holds merged incidents, so that
    importing it back restores the merges (the formats that import back). ``layouts``: the
    format has several layouts, chosen by the ``layout`` parameter (the first by default).
    ``readable``: the stream takes the site's address and the reader's language, for its
    readable columns (``api.readable``). Without a fixed ``filename``, the file is named
    after the filters (:func:`download_stem`).
    """
    parameters = list(FILTERS)
    if layouts:
        parameters.append(
            OpenApiParameter(
                "layout", str, enum=list(layouts), description=f"Default: {layouts[0]}."
            )
        )

    @extend_schema(
        operation_id=f"incidents_{name.replace('.', '_')}",
        parameters=parameters,
        responses={
            (200, media_type): OpenApiResponse(response=schema_type, description=description),
            **READ_ERRORS,
        },
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        visible = selectors.incident_queryset(user=request.user, include_merged=with_merged)
        incidents = filter_incidents(
            request, visible, extra_parameters=("layout",) if layouts else ()
        )
        internal = selectors.can_see_unpublished(request.user)
        options = {}
        if layouts:
            layout = request.query_params.get("layout", layouts[0])
            if layout not in layouts:
                raise ValidationError({"layout": [f"One of: {', '.join(layouts)}."]})
            options["layout"] = layout
        if readable:
            options["readable"] = Readable(
                site=request.build_absolute_uri("/").rstrip("/"), language=get_language()
            )
        response = StreamingHttpResponse(
            in_one_snapshot(stream(incidents, internal=internal, **options), using=incidents.db),
            content_type=media_type,
        )
        named = filename or f"{download_stem(request)}.{name}"
        response["Content-Disposition"] = f'{disposition}; filename="{named}"'
        return response

    view_name = "".join(part.title() for part in name.split("."))
    return type(f"Incident{view_name}View", (ApiView,), {"get": get, "http_cache": LIST})


IncidentGeoJSONView = _export_view(
    "geojson",
    GEOJSON_MEDIA_TYPE,
    stream_geojson,
    "inline",
    OpenApiTypes.OBJECT,
    "RFC 7946 FeatureCollection of every matching incident; coordinates are [longitude, "
    "latitude] and an incident without a point has a null geometry. The properties hold "
    "every field, the claims (`sources`, with their quotes), attributions, victim groups and "
    "the ids of outside data sets (`acled_event_id`, `ucdp_ged_id`, `external_ids`). A "
    "foreign member `catalogue` describes the sources, actors (with their parents), episodes "
    "(with monitors' aggregate claims) and victim groups the features name, so the file "
    "imports on its own (manage.py import_geojson). Confidential sources are never included; "
    "researchers' notes only for signed-in researchers; their export also holds merged "
    "incidents (status `merged`, `merged_into`), so that the merges import back. Streamed.",
    with_merged=True,
)
IncidentCSVView = _export_view(
    "csv",
    "text/csv",
    stream_csv,
    "attachment",
    OpenApiTypes.STR,
    "Every matching incident, one row each, UTF-8 with a byte order mark. Lists "
    "(perpetrators, sources, victim_groups, external_ids) are separated by '; '; "
    "`claims` and `attributions` are JSON arrays; `catalogue` holds, on the first row that "
    "names a source, actor, episode or victim group, its record as JSON, so the file "
    "imports on its own (manage.py import_csv). Text that a spreadsheet would run as a "
    "formula is prefixed with an apostrophe. Signed-in researchers' exports also hold "
    "merged incidents, as in the GeoJSON. After these, readable columns: the event type's "
    "and governorate's names and the perpetrators' (with the confidence of each "
    "attribution) and sources' names, in the language asked for (Accept-Language), and "
    "each incident's address (`incident_url`). Every column is described in the codebook "
    "(/about/codebook/). The file is named after the filters and dates, e.g. "
    "incidents-latakia-2025-03-07_2025-03-09.csv. Streamed.",
    with_merged=True,
    readable=True,
)


IncidentAcledCSVView = _export_view(
    "acled.csv",
    "text/csv",
    stream_acled_csv,
    "attachment",
    OpenApiTypes.STR,
    "Every matching incident as a row of an ACLED-style CSV (ACLED's column names and "
    "codes: event_id_cnty, event_date, time_precision, disorder_type, event_type, "
    "sub_event_type, actor1, ..., geo_precision, source, notes, fatalities = the best "
    "estimate, tags, timestamp), to compare with ACLED data. event_id_cnty is the ACLED id "
    "of an incident imported from ACLED, else our public id. The mapping and what it loses: "
    "docs/acled-crosswalk.md. An incident imported from ACLED comes back as ACLED's row, "
    "but for the facts researchers changed since. `layout=pre-2023` gives the columns of "
    "ACLED's exports before 2023 (data_id, event_id_no_cnty, iso3, numeric actor types). "
    "Same filters and visibility as incidents.csv. Streamed.",
    filename="incidents.acled.csv",
    layouts=(CURRENT, PRE_2023),
)


# --- statistics and the map -------------------------------------------------------------------

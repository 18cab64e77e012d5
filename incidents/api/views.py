"""API views: parse and check the request, call a selector or a service, shape the answer.

Writes to an incident need the version the client edited, sent back as ``If-Match`` (the
``ETag`` of a GET): a stale version gets 412, a missing one 428, so two editors never
overwrite each other silently.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import django_filters
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db.models import Count
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents import selectors, services
from incidents.crosswalk import CURRENT, PRE_2023, stream_acled_csv
from incidents.models import (
    Attribution,
    Claim,
    Incident,
    PublishedMapCell,
    Status,
)
from incidents.readmodel.representation import document
from incidents.statistics import incident_statistics
from mapping import gazetteer
from mapping.aggregation import View, aggregate
from mapping.gazetteer_data import BOUNDARIES_FILE
from mapping.models import PRECISION_RADIUS_M, Place, PlaceKind

from . import serializers as s
from .errors import PayloadTooLarge, PreconditionRequired
from .exports import GEOJSON_MEDIA_TYPE, stream_csv, stream_geojson
from .filters import (
    PAGING_PARAMETERS,
    BBoxFilter,
    ChoiceInFilter,
    IncidentFilter,
    NonNegativeIntegerFilter,
    SlugInFilter,
    filter_incidents,
)
from .pagination import ORDERING_CHOICES, paginate

ETAG_RE = re.compile(r'^\s*(?:W/)?"(\d{1,9})"\s*$')

ERRORS = {
    400: OpenApiResponse(description="Bad input: the body names each field and the reason."),
    401: OpenApiResponse(description="Not signed in (writes need a researcher or reviewer)."),
    403: OpenApiResponse(description="Signed in without the right to do this."),
    404: OpenApiResponse(description="No such record, or not one you may see."),
    413: OpenApiResponse(description="The request body is too large."),
    415: OpenApiResponse(description="The body is not JSON (send Content-Type: application/json)."),
    429: OpenApiResponse(description="Too many requests; wait as Retry-After says."),
}
READ_ERRORS = {code: ERRORS[code] for code in (400, 404, 429)}
PRECONDITION_ERRORS = {
    412: OpenApiResponse(description="Stale write: the incident changed since you read it."),
    428: OpenApiResponse(description="If-Match is missing: send the ETag you read."),
}

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description='The ETag of the version you edited, e.g. "3".',
)
CONTROL = [
    OpenApiParameter(
        "cursor", OpenApiTypes.STR, description="Opaque; follow the `next` link as given."
    ),
    OpenApiParameter(
        "page_size",
        OpenApiTypes.INT,
        description=f"Incidents per page, at most {settings.INCIDENT_MAP['API_MAX_PAGE_SIZE']}.",
    ),
    OpenApiParameter("ordering", OpenApiTypes.STR, enum=ORDERING_CHOICES),
]


def _filter_parameter(name: str, filter_: Any) -> OpenApiParameter:
    description = str(filter_.label or "")
    if isinstance(filter_, ChoiceInFilter):
        choices = [value for value, _ in filter_.extra["choices"]]
        schema: Any = {"type": "array", "items": {"type": "string", "enum": choices}}
        return OpenApiParameter(name, schema, description=description, explode=False)
    if isinstance(filter_, SlugInFilter):
        schema = {"type": "array", "items": {"type": "string", "maxLength": 120}}
        return OpenApiParameter(name, schema, description=description, explode=False)
    if isinstance(filter_, NonNegativeIntegerFilter):
        schema = {"type": "integer", "minimum": 0, "maximum": 10_000_000}
        return OpenApiParameter(name, schema, description=description)
    if isinstance(filter_, django_filters.IsoDateTimeFilter):
        return OpenApiParameter(name, OpenApiTypes.DATETIME, description=description)
    if isinstance(filter_, django_filters.DateFilter):
        return OpenApiParameter(name, OpenApiTypes.DATE, description=description)
    if isinstance(filter_, BBoxFilter):
        schema = {"type": "string", "example": "35.7,34.8,36.5,35.9"}
        return OpenApiParameter(name, schema, description=description)
    return OpenApiParameter(name, {"type": "string", "maxLength": 200}, description=description)


# The incident filters as documented query parameters (shared by every incident read).
FILTERS = [_filter_parameter(name, f) for name, f in IncidentFilter.base_filters.items()]


def expected_version(request: Request) -> int:
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired()
    match = ETAG_RE.match(header)
    if not match:
        raise ValidationError({"If-Match": ['Give the ETag as returned by GET, e.g. "3".']})
    return int(match.group(1))


def _etag(incident: Incident) -> dict[str, str]:
    return {"ETag": f'"{incident.version}"'}


class ApiView(APIView):
    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # PostgreSQL cannot store or compare text with NUL characters; say so up front.
        for name, values in request.query_params.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                raise ValidationError(
                    {name.replace("\x00", ""): ["NUL characters are not allowed."]}
                )
        length = request.META.get("CONTENT_LENGTH") or "0"
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if length.isdigit() and limit is not None and int(length) > limit:
            raise PayloadTooLarge(f"The body is larger than {limit} bytes.")

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, RequestDataTooBig):
            exc = PayloadTooLarge(str(exc))
        return super().handle_exception(exc)


def _incident_document(incident: Incident) -> dict[str, Any]:
    return document(incident)


def _visible_incident(request: Request, public_id: str) -> Incident:
    return get_object_or_404(selectors.incident_queryset(user=request.user), public_id=public_id)


def _incident_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in data.items() if name in services.INCIDENT_FIELDS}


def _figures_args(data: dict[str, Any]) -> dict[str, Any]:
    args: dict[str, Any] = {}
    if "figure_rule" in data:
        args["figure_rule"] = data["figure_rule"]
    if data.get("figures"):
        args["figures"] = dict(data["figures"])
    if "figure_rationale" in data:
        args["figure_rationale"] = data["figure_rationale"]
    return args


# --- incidents --------------------------------------------------------------------------------


class IncidentListView(ApiView):
    filterset_class = IncidentFilter

    @extend_schema(
        operation_id="incidents_list",
        parameters=[*FILTERS, *CONTROL],
        responses={200: s.IncidentPageSerializer, **READ_ERRORS},
        description=(
            "Incidents matching every filter given, newest first by default, one page at a "
            "time (follow `next`). Anonymous clients see published incidents only; claims "
            "from confidential sources are never shown."
        ),
    )
    def get(self, request: Request) -> Response:
        incidents = filter_incidents(
            request,
            selectors.incident_queryset(user=request.user),
            extra_parameters=PAGING_PARAMETERS,
        )
        page = paginate(request, incidents)
        return Response({"next": page.next_url, "results": page.rows})

    @extend_schema(
        operation_id="incidents_create",
        request=s.IncidentCreateSerializer,
        responses={201: s.IncidentSerializer, **ERRORS},
        description="Create a draft incident with its claims and perpetrators.",
    )
    def post(self, request: Request) -> Response:
        serializer = s.IncidentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        incident = services.incident_create(
            user=request.user,
            claims=[dict(c) for c in data.get("claims", [])],
            attributions=[dict(p) for p in data.get("perpetrators", [])],
            victim_groups=data.get("victim_groups", []),
            **_figures_args(data),
            **_incident_fields(data),
        )
        return Response(
            _incident_document(incident), status=status.HTTP_201_CREATED, headers=_etag(incident)
        )


class IncidentDetailView(ApiView):
    @extend_schema(
        operation_id="incidents_retrieve",
        responses={
            200: s.IncidentSerializer,
            301: OpenApiResponse(
                description="Merged into another incident (a duplicate of one event): "
                "`Location` is the address of the incident kept. Its claims are there."
            ),
            **READ_ERRORS,
        },
        description="One incident; its ETag header is the version to send back in If-Match.",
    )
    def get(self, request: Request, public_id: str) -> Response:
        try:
            incident = selectors.incident_queryset(user=request.user).get(public_id=public_id)
        except Incident.DoesNotExist:
            target = selectors.incident_merged_target(public_id=public_id, user=request.user)
            if target is None:
                raise Http404("No such incident.") from None
            location = reverse("api:incident-detail", args=[target])
            if request.query_params:
                location += "?" + request.META.get("QUERY_STRING", "")
            return Response(
                status=status.HTTP_301_MOVED_PERMANENTLY, headers={"Location": location}
            )
        return Response(_incident_document(incident), headers=_etag(incident))

    @extend_schema(
        operation_id="incidents_partial_update",
        parameters=[IF_MATCH],
        request=s.IncidentInputSerializer,
        responses={200: s.IncidentSerializer, **ERRORS, **PRECONDITION_ERRORS},
        description=(
            "Change descriptive fields, victim groups or how the figures are produced. "
            "Claims change through the claims endpoints; status through the workflow ones."
        ),
    )
    def patch(self, request: Request, public_id: str) -> Response:
        incident = _visible_incident(request, public_id)
        version = expected_version(request)
        serializer = s.IncidentInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if not data:
            raise ValidationError({"non_field_errors": ["Give at least one field to change."]})
        fields = _incident_fields(data)
        services.incident_update(
            incident=incident, user=request.user, expected_version=version, **fields
        )
        if "victim_groups" in data:
            services.incident_set_victim_groups(
                incident=incident, user=request.user, victim_groups=data["victim_groups"]
            )
        figures = _figures_args(data)
        if figures:
            services.incident_set_figures(
                incident=incident,
                user=request.user,
                expected_version=None,  # checked by the update above
                rule=figures.get("figure_rule", incident.figure_rule),
                figures=figures.get("figures"),
                rationale=figures.get("figure_rationale", incident.figure_rationale),
            )
        incident.refresh_from_db()
        return Response(_incident_document(incident), headers=_etag(incident))


def _transition_view(name: str, action: str, request_serializer: type | None) -> type[ApiView]:
    service = getattr(services, f"incident_{action}")

    @extend_schema(
        operation_id=f"incidents_{name}",
        parameters=[IF_MATCH],
        request=request_serializer,
        responses={200: s.IncidentSerializer, **ERRORS, **PRECONDITION_ERRORS},
    )
    def post(self, request: Request, public_id: str) -> Response:
        incident = _visible_incident(request, public_id)
        version = expected_version(request)
        extra: dict[str, Any] = {}
        if request_serializer is s.RetractSerializer:
            body = s.RetractSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            extra["reason"] = body.validated_data["reason"]
        incident = service(incident=incident, user=request.user, expected_version=version, **extra)
        return Response(_incident_document(incident), headers=_etag(incident))

    post.__doc__ = {
        "submit": "Send a draft to review (it needs a point and at least one claim).",
        "publish": "Publish a draft or an incident in review (reviewers only).",
        "retract": "Withdraw a published incident, saying why (reviewers only).",
        "return-to-draft": "Send an incident in review back to draft.",
    }[name]
    return type(f"Incident{action.title().replace('_', '')}View", (ApiView,), {"post": post})


IncidentSubmitView = _transition_view("submit", "submit_for_review", None)
IncidentPublishView = _transition_view("publish", "publish", None)
IncidentRetractView = _transition_view("retract", "retract", s.RetractSerializer)
IncidentReturnView = _transition_view("return-to-draft", "return_to_draft", None)


class IncidentPerpetratorsView(ApiView):
    @extend_schema(
        operation_id="incidents_perpetrators_set",
        parameters=[IF_MATCH],
        request=s.PerpetratorInputSerializer,
        responses={200: s.IncidentSerializer, **ERRORS, **PRECONDITION_ERRORS},
        description="Hold an actor responsible, or change the confidence of an attribution.",
    )
    def post(self, request: Request, public_id: str) -> Response:
        incident = _visible_incident(request, public_id)
        version = expected_version(request)
        body = s.PerpetratorInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.attribution_set(
            incident=incident, user=request.user, expected_version=version, **body.validated_data
        )
        incident.refresh_from_db()
        return Response(_incident_document(incident), headers=_etag(incident))


class IncidentClaimsView(ApiView):
    @extend_schema(
        operation_id="incidents_claims_list",
        responses={200: s.ClaimSerializer(many=True), **READ_ERRORS},
        description="The incident's claims (claims of confidential sources are not shown).",
    )
    def get(self, request: Request, public_id: str) -> Response:
        incident = _visible_incident(request, public_id)
        return Response(_incident_document(incident)["claims"], headers=_etag(incident))

    @extend_schema(
        operation_id="incidents_claims_create",
        parameters=[IF_MATCH],
        request=s.ClaimInputSerializer,
        responses={201: s.IncidentSerializer, **ERRORS, **PRECONDITION_ERRORS},
        description="Add a source's claim; the incident's figures are reconciled again.",
    )
    def post(self, request: Request, public_id: str) -> Response:
        incident = _visible_incident(request, public_id)
        version = expected_version(request)
        body = s.ClaimInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.claim_add(
            incident=incident, user=request.user, expected_version=version, **body.validated_data
        )
        incident.refresh_from_db()
        return Response(
            _incident_document(incident), status=status.HTTP_201_CREATED, headers=_etag(incident)
        )


class IncidentClaimDetailView(ApiView):
    def _claim(self, request: Request, public_id: str, claim_id: int) -> Claim:
        incident = _visible_incident(request, public_id)
        return get_object_or_404(
            Claim.objects.select_related("incident"),
            pk=claim_id,
            incident=incident,
            source__confidential=False,
        )

    @extend_schema(
        operation_id="incidents_claims_retrieve",
        responses={200: s.ClaimSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, public_id: str, claim_id: int) -> Response:
        claim = self._claim(request, public_id, claim_id)
        claims = _incident_document(claim.incident)["claims"]
        return Response(next(c for c in claims if c["id"] == claim.pk))

    @extend_schema(
        operation_id="incidents_claims_partial_update",
        parameters=[IF_MATCH],
        request=s.ClaimInputSerializer,
        responses={200: s.IncidentSerializer, **ERRORS, **PRECONDITION_ERRORS},
    )
    def patch(self, request: Request, public_id: str, claim_id: int) -> Response:
        claim = self._claim(request, public_id, claim_id)
        version = expected_version(request)
        body = s.ClaimInputSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        if not body.validated_data:
            raise ValidationError({"non_field_errors": ["Give at least one field to change."]})
        services.claim_update(
            claim=claim, user=request.user, expected_version=version, **body.validated_data
        )
        claim.incident.refresh_from_db()
        return Response(_incident_document(claim.incident), headers=_etag(claim.incident))

    @extend_schema(
        operation_id="incidents_claims_destroy",
        parameters=[IF_MATCH],
        responses={200: s.IncidentSerializer, **ERRORS, **PRECONDITION_ERRORS},
    )
    def delete(self, request: Request, public_id: str, claim_id: int) -> Response:
        claim = self._claim(request, public_id, claim_id)
        version = expected_version(request)
        incident = claim.incident
        services.claim_remove(claim=claim, user=request.user, expected_version=version)
        incident.refresh_from_db()
        return Response(_incident_document(incident), headers=_etag(incident))


# --- exports ----------------------------------------------------------------------------------


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
) -> type[ApiView]:
    """A view streaming every incident that matches the filters in one format.

    ``stream(incidents, internal=...)``: ``internal`` is true for readers who see
    unpublished work (researchers' notes go into their exports; never a confidential
    source, for anyone). ``with_merged``: their export also holds merged incidents, so that
    importing it back restores the merges (the formats that import back). ``layouts``: the
    format has several layouts, chosen by the ``layout`` parameter (the first by default).
    """
    filename = filename or f"incidents.{name}"
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
        response = StreamingHttpResponse(
            stream(incidents, internal=internal, **options), content_type=media_type
        )
        response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
        return response

    view_name = "".join(part.title() for part in name.split("."))
    return type(f"Incident{view_name}View", (ApiView,), {"get": get})


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
    "merged incidents, as in the GeoJSON. Streamed.",
    with_merged=True,
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


class StatisticsView(ApiView):
    @extend_schema(
        operation_id="statistics",
        parameters=FILTERS,
        responses={200: s.StatisticsSerializer, **READ_ERRORS},
        description=(
            "Counts and casualty ranges of the incidents matching the filters, by day, "
            "governorate, perpetrator and event type, with the episodes' reported aggregates "
            "beside (never added to) the incident sums."
        ),
    )
    def get(self, request: Request) -> Response:
        incidents = filter_incidents(request, selectors.incident_queryset(user=request.user))
        return Response(incident_statistics(incidents=incidents, user=request.user))


SYRIA_BBOX = (35.5, 32.3, 42.5, 37.4)


class MapView(ApiView):
    @extend_schema(
        operation_id="map",
        parameters=[
            *FILTERS,
            OpenApiParameter(
                "zoom",
                OpenApiTypes.INT,
                required=True,
                description="The map's zoom level, 0 to 20.",
            ),
        ],
        responses={200: s.MapSerializer, **READ_ERRORS},
        description=(
            "What the map draws for a view (bbox, default: Syria) and zoom: the incidents "
            f"themselves when there are at most {settings.INCIDENT_MAP['MAP_MAX_POINTS']}, "
            "otherwise a grid of cells with counts and casualty sums. Same filters as the "
            "incident list."
        ),
    )
    def get(self, request: Request) -> Response:
        zoom_raw = request.query_params.get("zoom")
        if zoom_raw is None:
            raise ValidationError({"zoom": ["This parameter is required (0 to 20)."]})
        if not zoom_raw.isdigit() or not 0 <= int(zoom_raw) <= 20:
            raise ValidationError({"zoom": ["A whole number from 0 to 20 is required."]})
        incidents = filter_incidents(
            request, selectors.incident_queryset(user=request.user), extra_parameters={"zoom"}
        )
        box = IncidentFilter.base_filters["bbox"].field.clean(request.query_params.get("bbox"))
        bbox = (box.min_lon, box.min_lat, box.max_lon, box.max_lat) if box else SYRIA_BBOX
        # A public view without filters is drawn from the per-cell sums of published
        # incidents; anything else groups the matching incidents themselves.
        # (``status=published`` alone asks for exactly what the sums hold, for anyone.)
        params = request.query_params
        filters = set(params) - {"zoom", "bbox", "format"}
        only_published = filters == {"status"} and params.get("status") == Status.PUBLISHED
        summary = (
            PublishedMapCell.objects.all()
            if only_published or (not filters and not selectors.can_see_unpublished(request.user))
            else None
        )
        result = aggregate(incidents, View(*bbox, zoom=int(zoom_raw)), summary=summary)
        points = result.pop("incidents")
        ids = [p["id"] for p in points]
        perpetrators: dict[int, list[str]] = defaultdict(list)
        sources: dict[int, int] = {}
        if ids:
            for incident_id, slug in (
                Attribution.objects.filter(incident_id__in=ids)
                .order_by("actor__slug")
                .values_list("incident_id", "actor__slug")
            ):
                perpetrators[incident_id].append(slug)
            sources = dict(
                Claim.objects.filter(incident_id__in=ids, source__confidential=False)
                .values("incident_id")
                .annotate(n=Count("source", distinct=True))
                .values_list("incident_id", "n")
            )
        rows = result["cells"] if result["mode"] == "cells" else points
        totals = {
            "incidents": sum(r.get("count", 1) for r in rows),
            "killed_low": sum(r["killed_low"] or 0 for r in rows),
            "killed_best": sum(r["killed_best"] or 0 for r in rows),
            "killed_high": sum(r["killed_high"] or 0 for r in rows),
        }
        return Response(
            {
                **result,
                "zoom": int(zoom_raw),
                "bbox": list(bbox),
                "totals": totals,
                "incidents": [
                    {
                        "id": p["public_id"],
                        "title": p["title"],
                        "title_ar": p["title_ar"],
                        "event_type": p["event_type"],
                        "date_start": p["date_start"],
                        "date_end": p["date_end"],
                        "date_precision": p["date_precision"],
                        "latitude": p["latitude"],
                        "longitude": p["longitude"],
                        "location_precision": p["location_precision"],
                        "precision_radius_m": PRECISION_RADIUS_M.get(p["location_precision"]),
                        "place_name": p["place_name"],
                        "killed_low": p["killed_low"],
                        "killed_best": p["killed_best"],
                        "killed_high": p["killed_high"],
                        "grade": p["grade"],
                        "perpetrators": perpetrators[p["id"]],
                        "source_count": sources.get(p["id"], 0),
                    }
                    for p in points
                ],
            }
        )


# --- sources, actors, episodes ----------------------------------------------------------------


def visible_sources(request: Request):
    return selectors.source_queryset(user=request.user)


def visible_actors(request: Request):
    return selectors.actor_queryset(user=request.user)


def visible_episodes(request: Request):
    return selectors.episode_queryset(user=request.user)


LIMIT_PARAMETERS = [
    OpenApiParameter("limit", OpenApiTypes.INT, description="At most 500 (default 100)."),
    OpenApiParameter("offset", OpenApiTypes.INT),
]


def _limited(request: Request, queryset) -> tuple[list, dict[str, Any]]:
    try:
        limit = int(request.query_params.get("limit", "100"))
        offset = int(request.query_params.get("offset", "0"))
    except ValueError:
        raise ValidationError({"limit": ["limit and offset must be whole numbers."]}) from None
    if not 1 <= limit <= 500:
        raise ValidationError({"limit": ["Choose between 1 and 500."]})
    if not 0 <= offset <= 10_000_000:
        raise ValidationError({"offset": ["Must be 0 or more."]})
    unknown = sorted(set(request.query_params) - {"limit", "offset", "format"})
    if unknown:
        raise ValidationError({name: ["Unknown parameter."] for name in unknown})
    count = queryset.count()
    return list(queryset[offset : offset + limit]), {"count": count}


def _list_response(serializer_class: type, name: str) -> Any:
    return inline_serializer(
        name=f"{name}Page",
        fields={"count": serializers.IntegerField(), "results": serializer_class(many=True)},
    )


class _CatalogueView(ApiView):
    serializer_class: type[serializers.ModelSerializer]
    service_name: str

    def visible(self, request: Request):
        raise NotImplementedError

    def get(self, request: Request) -> Response:
        rows, meta = _limited(request, self.visible(request))
        return Response({**meta, "results": self.serializer_class(rows, many=True).data})

    def post(self, request: Request) -> Response:
        serializer = self.serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = getattr(services, self.service_name)(
            user=request.user, **serializer.validated_data
        )
        return Response(self.serializer_class(record).data, status=status.HTTP_201_CREATED)


def _catalogue(name: str, serializer_class, service_name: str, visible, doc: str):
    list_doc = extend_schema(
        operation_id=f"{name}_list",
        parameters=LIMIT_PARAMETERS,
        responses={200: _list_response(serializer_class, name.title()), **READ_ERRORS},
        description=doc,
    )
    create_doc = extend_schema(
        operation_id=f"{name}_create",
        request=serializer_class,
        responses={201: serializer_class, **ERRORS},
    )

    class ListView(_CatalogueView):
        @list_doc
        def get(self, request: Request) -> Response:
            return super().get(request)

        @create_doc
        def post(self, request: Request) -> Response:
            return super().post(request)

    ListView.serializer_class = serializer_class
    ListView.service_name = service_name
    ListView.visible = lambda self, request: visible(request)  # type: ignore[method-assign]

    class DetailView(ApiView):
        @extend_schema(
            operation_id=f"{name}_retrieve",
            responses={200: serializer_class, **READ_ERRORS},
        )
        def get(self, request: Request, slug: str) -> Response:
            return Response(serializer_class(get_object_or_404(visible(request), slug=slug)).data)

    ListView.__name__ = f"{name.title()}ListView"
    DetailView.__name__ = f"{name.title()}DetailView"
    return ListView, DetailView


SourceListView, SourceDetailView = _catalogue(
    "sources",
    s.SourceSerializer,
    "source_create",
    visible_sources,
    "Sources cited by published incidents (researchers: every non-confidential source). "
    "Confidential sources never leave the admin.",
)
ActorListView, ActorDetailView = _catalogue(
    "actors",
    s.ActorSerializer,
    "actor_create",
    visible_actors,
    "Actors held responsible in published incidents, with the groups they belong to.",
)
EpisodeListView, _EpisodeDetailBase = _catalogue(
    "episodes",
    s.EpisodeSerializer,
    "episode_create",
    visible_episodes,
    "Episodes: waves of violence grouping incidents, with monitors' aggregate figures.",
)


class EpisodeDetailView(ApiView):
    @extend_schema(
        operation_id="episodes_retrieve",
        responses={200: s.EpisodeDetailSerializer, **READ_ERRORS},
        description=(
            "An episode with the sums of its (visible) incidents and, beside them, the "
            "aggregate figures monitors reported for the whole episode, reconciled per "
            "measure. The two are never added together."
        ),
    )
    def get(self, request: Request, slug: str) -> Response:
        episode = get_object_or_404(visible_episodes(request), slug=slug)
        summary = selectors.episode_summary(episode=episode, user=request.user)
        return Response(
            {
                **s.EpisodeSerializer(episode).data,
                "incidents": {
                    "incidents": summary.incident_count,
                    "killed_low": summary.killed_low,
                    "killed_best": summary.killed_best,
                    "killed_high": summary.killed_high,
                },
                "reported_aggregates": [
                    {
                        "measure": m.measure,
                        "low": m.reconciled.low,
                        "best": m.reconciled.best,
                        "high": m.reconciled.high,
                        "claims": len(m.claims),
                    }
                    for m in summary.measures
                ],
            }
        )


# --- places -----------------------------------------------------------------------------------


class PlaceAreaSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()
    name_ar = serializers.CharField()


class PlaceMatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()
    name_ar = serializers.CharField()
    alternate_names = serializers.ListField(child=serializers.CharField())
    kind = serializers.CharField()
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    coordinate_precision = serializers.CharField()
    governorate = PlaceAreaSerializer(allow_null=True)
    district = PlaceAreaSerializer(allow_null=True)
    score = serializers.FloatField(help_text="0 to 100; 100 is an exact name.")
    match = serializers.ChoiceField(choices=["exact", "normalized", "fuzzy"])


class PlaceSearchSerializer(serializers.Serializer):
    query = serializers.CharField()
    found = serializers.BooleanField(
        help_text="False when nothing matches confidently; results are then only the "
        "nearest candidates."
    )
    results = PlaceMatchSerializer(many=True)


class PlacesView(ApiView):
    @extend_schema(
        operation_id="places_search",
        parameters=[
            OpenApiParameter(
                "q",
                {"type": "string", "minLength": 1, "maxLength": 200},
                required=True,
                description="A place name in any common spelling, Latin or Arabic script.",
            ),
            OpenApiParameter(
                "governorate",
                {"type": "string", "maxLength": 120},
                description="Only places in this governorate (its slug).",
            ),
            OpenApiParameter(
                "limit", {"type": "integer", "minimum": 1, "maximum": 50}, description="Default 10."
            ),
        ],
        responses={200: PlaceSearchSerializer, **READ_ERRORS},
        description=(
            "Autocomplete over the offline gazetteer of Syria: ranked places with their "
            "alternate names, governorate and district, and how sure the match is."
        ),
    )
    def get(self, request: Request) -> Response:
        unknown = sorted(set(request.query_params) - {"q", "governorate", "limit", "format"})
        if unknown:
            raise ValidationError({name: ["Unknown parameter."] for name in unknown})
        limit_raw = request.query_params.get("limit", "10")
        if not limit_raw.isdigit() or not 1 <= int(limit_raw) <= 50:
            raise ValidationError({"limit": ["A whole number from 1 to 50 is required."]})
        governorate_slug = request.query_params.get("governorate") or None
        if (
            governorate_slug
            and not Place.objects.filter(slug=governorate_slug, kind=PlaceKind.GOVERNORATE).exists()
        ):
            raise ValidationError({"governorate": [f"Unknown governorate: {governorate_slug}."]})
        try:
            result = gazetteer.search(
                request.query_params.get("q", ""),
                governorate=governorate_slug,
                limit=int(limit_raw),
            )
        except ValueError as error:
            raise ValidationError({"q": [str(error)]}) from None
        return Response(
            {
                "query": result.query,
                "found": result.found,
                "results": [match.as_dict() for match in result.matches],
            }
        )


class GovernoratesView(ApiView):
    @extend_schema(
        operation_id="governorates_geojson",
        responses={
            (200, GEOJSON_MEDIA_TYPE): OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description=(
                    "The 14 governorates' boundaries (Natural Earth, public domain) as an "
                    "RFC 7946 FeatureCollection with slug, name and name_ar."
                ),
            ),
            429: ERRORS[429],
        },
    )
    def get(self, request: Request) -> HttpResponse:
        response = HttpResponse(BOUNDARIES_FILE.read_bytes(), content_type=GEOJSON_MEDIA_TYPE)
        response["Cache-Control"] = "public, max-age=86400"
        return response

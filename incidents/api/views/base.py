"""What every API view shares: the error answers, the If-Match version check, the
filter parameters as OpenAPI documents them, and the base view.

Writes to an incident need the version the client edited, sent back as ``If-Match`` (the
``ETag`` of a GET): a stale version gets 412, a missing one 428, so two editors never
overwrite each other silently.
"""

from __future__ import annotations

import re
from typing import Any

import django_filters
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
)
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents import httpcache, selectors, services
from incidents.models import (
    Incident,
)
from incidents.readmodel.representation import document

from ..errors import PayloadTooLarge, PreconditionRequired
from ..filters import (
    BBoxFilter,
    ChoiceInFilter,
    ExternalIdFilter,
    IncidentFilter,
    NonNegativeIntegerFilter,
    SlugInFilter,
)
from ..pagination import ORDERING_CHOICES

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
    {"type": "string", "pattern": r'^\s*(W/)?"[0-9]{1,9}"\s*$'},
    OpenApiParameter.HEADER,
    required=True,
    description='The ETag of the version you edited, e.g. "3".',
)
CONTROL = [
    OpenApiParameter(
        "cursor",
        {"type": "string", "minLength": 1},
        description="Opaque; follow the `next` link as given.",
    ),
    OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": settings.INCIDENT_MAP["API_MAX_PAGE_SIZE"]},
        description=f"Incidents per page, at most {settings.INCIDENT_MAP['API_MAX_PAGE_SIZE']}.",
    ),
    OpenApiParameter("ordering", OpenApiTypes.STR, enum=ORDERING_CHOICES),
]


def _filter_parameter(name: str, filter_: Any) -> OpenApiParameter:
    description = str(filter_.label or "")
    if isinstance(filter_, ChoiceInFilter):
        choices = [value for value, _ in filter_.extra["choices"]]
        schema: Any = {
            "type": "array",
            "minItems": 1,
            "items": {"type": "string", "enum": choices},
        }
        return OpenApiParameter(name, schema, description=description, explode=False)
    if isinstance(filter_, django_filters.ChoiceFilter):
        choices = [value for value, _ in filter_.extra["choices"]]
        return OpenApiParameter(name, {"type": "string", "enum": choices}, description=description)
    if isinstance(filter_, SlugInFilter):
        schema = {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "string",
                "minLength": 1,
                "maxLength": 120,
                "pattern": r"^[^,\s\x00]+$",
            },
        }
        return OpenApiParameter(name, schema, description=description, explode=False)
    if isinstance(filter_, NonNegativeIntegerFilter):
        schema = {"type": "integer", "minimum": 0, "maximum": 10_000_000}
        return OpenApiParameter(name, schema, description=description)
    if isinstance(filter_, django_filters.IsoDateTimeFilter):
        return OpenApiParameter(name, OpenApiTypes.DATETIME, description=description)
    if isinstance(filter_, django_filters.DateFilter):
        return OpenApiParameter(name, OpenApiTypes.DATE, description=description)
    if isinstance(filter_, ExternalIdFilter):
        one = r"((acled|ucdp):)?[A-Za-z0-9_.-]{1,100}"
        schema = {"type": "string", "pattern": f"^{one}(,{one})*$", "example": "acled:SYR12345"}
        return OpenApiParameter(name, schema, description=description)
    if isinstance(filter_, BBoxFilter):
        number = r"\s*[-+]?[0-9]+(\.[0-9]+)?\s*"
        schema = {
            "type": "string",
            "pattern": f"^{number},{number},{number},{number}$",
            "example": "35.7,34.8,36.5,35.9",
        }
        return OpenApiParameter(name, schema, description=description)
    schema = {"type": "string", "minLength": 1, "maxLength": 200}
    return OpenApiParameter(name, schema, description=description)


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


class NotModified(Exception):
    """The client's copy is current (``If-None-Match``): answered 304 with no body."""


class ApiView(APIView):
    # How anonymous answers of GET may be cached (incidents.httpcache); None: not at all.
    http_cache: httpcache.Policy | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # After authentication and the throttles: a client's copy still current is
        # answered before any query (the ETag was computed by the middleware).
        decision = getattr(request._request, "http_cache", None)
        if decision is not None and decision.etag and httpcache.matches(request, decision.etag):
            raise NotModified()
        # PostgreSQL cannot store or compare text with NUL characters; say so up front.
        for name, values in request.query_params.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                raise ValidationError(
                    {name.replace("\x00", ""): ["NUL characters are not allowed."]}
                )
        length = request.META.get("CONTENT_LENGTH") or "0"
        limit = self.body_limit()
        if length.isdigit() and limit is not None and int(length) > limit:
            raise PayloadTooLarge(f"The body is larger than {limit} bytes.")

    def body_limit(self) -> int | None:
        """The largest body this view reads (bytes); a view taking files says its own."""
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, NotModified):
            return Response(status=304)
        if isinstance(exc, RequestDataTooBig):
            exc = PayloadTooLarge(str(exc))
        return super().handle_exception(exc)


def _incident_document(incident: Incident) -> dict[str, Any]:
    return document(incident)


def _visible_incident(request: Request, public_id: str) -> Incident:
    # The incident's own row: documents are built from the ids, and writes check a key's
    # place in Python only when it changes. Joining its places and episode cost PostgreSQL
    # more to plan (five tables) than reading the row.
    incidents = selectors.incident_queryset(user=request.user).select_related(None)
    return get_object_or_404(incidents, public_id=public_id)


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

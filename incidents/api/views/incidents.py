"""Incidents: the list, one incident, its workflow steps and its perpetrators."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
)
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from incidents import httpcache, selectors, services
from incidents.models import (
    Incident,
)

from .. import serializers as s
from ..errors import validation_detail
from ..filters import (
    PAGING_PARAMETERS,
    IncidentFilter,
    filter_incidents,
)
from ..pagination import paginate
from .base import (
    CONTROL,
    ERRORS,
    FILTERS,
    IF_MATCH,
    PRECONDITION_ERRORS,
    READ_ERRORS,
    ApiView,
    _etag,
    _figures_args,
    _incident_document,
    _incident_fields,
    _visible_incident,
    expected_version,
)


class IncidentListView(ApiView):
    http_cache = httpcache.LIST
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
    http_cache = httpcache.RECORD  # its ETag is its version, for If-Match

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
        services.incident_edit(
            incident=incident,
            user=request.user,
            expected_version=version,
            victim_groups=data.get("victim_groups"),
            figure_rule=data.get("figure_rule"),
            figures=dict(data["figures"]) if "figures" in data else None,
            figure_rationale=data.get("figure_rationale"),
            **_incident_fields(data),
        )
        return Response(_incident_document(incident), headers=_etag(incident))


NOT_READY = OpenApiResponse(
    description="The incident is not in a state for this step (say, a draft to submit has no "
    "point or no claim yet): the body names what is missing."
)


def _transition_view(name: str, action: str, request_serializer: type | None) -> type[ApiView]:
    service = getattr(services, f"incident_{action}")

    @extend_schema(
        operation_id=f"incidents_{name}",
        parameters=[IF_MATCH],
        request=request_serializer,
        responses={200: s.IncidentSerializer, **ERRORS, 409: NOT_READY, **PRECONDITION_ERRORS},
    )
    def post(self, request: Request, public_id: str) -> Response:
        incident = _visible_incident(request, public_id)
        version = expected_version(request)
        extra: dict[str, Any] = {}
        if request_serializer is s.RetractSerializer:
            body = s.RetractSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            extra["reason"] = body.validated_data["reason"]
        try:
            incident = service(
                incident=incident, user=request.user, expected_version=version, **extra
            )
        except DjangoValidationError as error:
            # The request is well formed; the incident is not in a state for this step.
            return Response(validation_detail(error), status=status.HTTP_409_CONFLICT)
        return Response(_incident_document(incident), headers=_etag(incident))

    post.__doc__ = {
        "submit": "Send a draft to review (it needs a point and at least one claim).",
        "publish": "Publish a draft or an incident in review (reviewers only).",
        "retract": "Withdraw a published incident, saying why (reviewers only).",
        "return-to-draft": "Send an incident in review back to draft, or reopen a retracted "
        "one to correct it and take it through review again (reviewers only).",
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
        return Response(_incident_document(incident), headers=_etag(incident))

"""An incident's claims: what each source says about it."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from incidents import httpcache, services
from incidents.models import (
    Claim,
)

from .. import serializers as s
from .base import (
    ERRORS,
    IF_MATCH,
    PRECONDITION_ERRORS,
    READ_ERRORS,
    ApiView,
    _etag,
    _incident_document,
    _visible_incident,
    expected_version,
)


class IncidentClaimsView(ApiView):
    http_cache = httpcache.RECORD

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
        return Response(
            _incident_document(incident), status=status.HTTP_201_CREATED, headers=_etag(incident)
        )


class IncidentClaimDetailView(ApiView):
    http_cache = httpcache.RECORD

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
        return Response(_incident_document(incident), headers=_etag(incident))


# --- exports ----------------------------------------------------------------------------------

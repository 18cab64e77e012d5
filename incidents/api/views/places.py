"""Geography: gazetteer search (autocomplete) and the governorate and district outlines."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from incidents import httpcache
from mapping import gazetteer
from mapping.gazetteer_data import BOUNDARIES_FILE, DISTRICTS_FILE
from mapping.models import Place, PlaceKind

from ..exports import GEOJSON_MEDIA_TYPE
from .base import (
    ERRORS,
    READ_ERRORS,
    ApiView,
)


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
    http_cache = httpcache.LIST

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


def _boundary_file(path) -> HttpResponse:
    """A committed boundary file, which changes only with a release: kept by clients a day."""
    response = HttpResponse(path.read_bytes(), content_type=GEOJSON_MEDIA_TYPE)
    response["Cache-Control"] = "public, max-age=86400"
    return response


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
        return _boundary_file(BOUNDARIES_FILE)


class DistrictsView(ApiView):
    @extend_schema(
        operation_id="districts_geojson",
        responses={
            (200, GEOJSON_MEDIA_TYPE): OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description=(
                    "The 61 districts' boundaries (OCHA's common operational data set via "
                    "geoBoundaries, CC BY 3.0 IGO) as an RFC 7946 FeatureCollection with slug, "
                    "name, name_ar and the slug of the district's governorate."
                ),
            ),
            429: ERRORS[429],
        },
    )
    def get(self, request: Request) -> HttpResponse:
        return _boundary_file(DISTRICTS_FILE)

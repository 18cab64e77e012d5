"""What the map and the timeline read: statistics, and the map's points or grid cells."""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.db.models import Count
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
)
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from incidents import httpcache, selectors
from incidents.models import (
    Attribution,
    Claim,
    PublishedMapCell,
    Status,
)
from incidents.readmodel import answers
from incidents.statistics import incident_statistics
from mapping.aggregation import View, aggregate
from mapping.models import PRECISION_RADIUS_M, Place, PlaceKind

from .. import serializers as s
from ..filters import (
    IncidentFilter,
    filter_incidents,
)
from .base import (
    FILTERS,
    READ_ERRORS,
    ApiView,
)


def _public_answer(request: Request, name: str, compute):
    """``compute()``, kept per publication generation for anonymous readers (who all see
    the same published records); computed afresh for signed-in ones."""
    if request.user.is_authenticated:
        return compute()
    return answers.cached(name, answers.query_parts(request.query_params), compute)


class StatisticsView(ApiView):
    http_cache = httpcache.LIVE

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
        def compute():
            incidents = filter_incidents(request, selectors.incident_queryset(user=request.user))
            return incident_statistics(incidents=incidents, user=request.user)

        return Response(_public_answer(request, "statistics", compute))


SYRIA_BBOX = (35.5, 32.3, 42.5, 37.4)


def _governorate_slugs() -> dict[int, str]:
    """The governorates' slugs by id (a dozen rows; the outlines are keyed on them)."""
    return dict(Place.objects.filter(kind=PlaceKind.GOVERNORATE).values_list("id", "slug"))


class MapView(ApiView):
    http_cache = httpcache.LIVE

    @extend_schema(
        operation_id="map",
        parameters=[
            *FILTERS,
            OpenApiParameter(
                "zoom",
                {"type": "integer", "minimum": 0, "maximum": 20},
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
        return Response(_public_answer(request, "map", lambda: self._answer(request)))

    def _answer(self, request: Request) -> dict:
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
        # An incident located only to its governorate is drawn as the governorate's outline.
        governorates = _governorate_slugs() if points else {}
        rows = result["cells"] if result["mode"] == "cells" else points
        totals = {
            "incidents": sum(r.get("count", 1) for r in rows),
            "killed_low": sum(r["killed_low"] or 0 for r in rows),
            "killed_best": sum(r["killed_best"] or 0 for r in rows),
            # An incident with an open high adds its best (a floor of the total's high)
            # and is counted in killed_high_open.
            "killed_high": sum(
                r["killed_high"] if r["killed_high"] is not None else r["killed_best"] or 0
                for r in rows
            ),
            "killed_high_open": sum(int(r["killed_high_open"] or 0) for r in rows),
        }
        return {
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
                    "killed_high_open": p["killed_high_open"],
                    "grade": p["grade"],
                    "perpetrators": perpetrators[p["id"]],
                    "source_count": sources.get(p["id"], 0),
                    "governorate": governorates.get(p["governorate_id"]),
                }
                for p in points
            ],
        }


# --- sources, actors, episodes ----------------------------------------------------------------

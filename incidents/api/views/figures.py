"""What the map and the timeline read: statistics, and the map's points or grid cells."""

from __future__ import annotations

from collections import defaultdict

import orjson
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
from incidents.statistics import BREAKDOWNS, Summable, incident_statistics
from mapping import gazetteer
from mapping.aggregation import View, aggregate
from mapping.models import PRECISION_RADIUS_M, Place, PlaceKind

from .. import serializers as s
from ..filters import (
    IncidentFilter,
    actor_ids_with_affiliates,
    confidences_at_least,
    filter_incidents,
)
from ..renderers import render_json
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


def _breakdowns(request: Request) -> list[str]:
    """The breakdowns asked for with ``breakdown`` (all of them without it)."""
    raw = request.query_params.get("breakdown")
    if raw is None:
        return list(BREAKDOWNS)
    names = [name.strip() for name in raw.split(",")]
    if not raw.strip() or not all(names):
        raise ValidationError(
            {
                "breakdown": [
                    "Name one or more breakdowns, comma-separated: " + ", ".join(BREAKDOWNS)
                ]
            }
        )
    unknown = sorted(set(names) - set(BREAKDOWNS))
    if unknown:
        raise ValidationError(
            {
                "breakdown": [
                    f"Unknown breakdown {', '.join(unknown)}. Allowed: " + ", ".join(BREAKDOWNS)
                ]
            }
        )
    return names


# The filters the precomputed sums answer (with status=published, or none for a reader
# who sees published incidents only): dates with governorates and event types, or dates
# with perpetrators (with their affiliates, and the least confidence of the attribution).
_SUMMABLE = {"date_from", "date_to", "governorate", "event_type"}
_SUMMABLE_WITH_PERPETRATOR = {"date_from", "date_to", "perpetrator", "perpetrator_confidence"}


def summable_filter(request: Request) -> Summable | None:
    """The request's filter as the precomputed sums can answer it, or None.

    Called after the filters were checked (so every value is valid)."""
    params = request.query_params
    filters = set(params) - {"breakdown", "format"}
    if "status" in filters:
        if params.get("status") != Status.PUBLISHED:
            return None
        filters.discard("status")
    elif selectors.can_see_unpublished(request.user):
        return None
    actors = None
    if "perpetrator" in filters:
        if not filters <= _SUMMABLE_WITH_PERPETRATOR:
            return None
        # The actors named and their affiliates (an incident held against two of them is
        # counted once: see ``Summable``).
        actors = tuple(
            sorted(actor_ids_with_affiliates(v.strip() for v in params["perpetrator"].split(",")))
        )
        if not actors:
            return None
    elif not filters <= _SUMMABLE:
        return None
    least = params.get("perpetrator_confidence")
    base = IncidentFilter.base_filters
    # Lists as the filters read them: comma-separated, each value stripped.
    slugs = [v.strip() for v in params["governorate"].split(",")] if "governorate" in params else []
    types = [v.strip() for v in params["event_type"].split(",")] if "event_type" in params else []
    return Summable(
        date_from=base["date_from"].field.clean(params.get("date_from")),
        date_to=base["date_to"].field.clean(params.get("date_to")),
        governorates=(
            tuple(Place.objects.filter(slug__in=slugs).values_list("pk", flat=True))
            if slugs
            else None
        ),
        event_types=tuple(types) if types else None,
        actors=actors,
        confidences=tuple(confidences_at_least(least)) if least and actors else None,
    )


class StatisticsView(ApiView):
    http_cache = httpcache.LIVE

    @extend_schema(
        operation_id="statistics",
        parameters=[
            *FILTERS,
            OpenApiParameter(
                "breakdown",
                {
                    "type": "array",
                    "minItems": 1,
                    "items": {"type": "string", "enum": list(BREAKDOWNS)},
                },
                explode=False,
                description=(
                    "The breakdowns to compute, comma-separated (default: all of them). "
                    "The totals and notes always come; a breakdown not named is left out of "
                    "the answer, e.g. breakdown=by_day for a timeline."
                ),
            ),
        ],
        responses={200: s.StatisticsSerializer, **READ_ERRORS},
        description=(
            "Counts and casualty ranges of the incidents matching the filters, by day, "
            "governorate, perpetrator and event type, with the episodes' reported aggregates "
            "beside (never added to) the incident sums."
        ),
    )
    def get(self, request: Request) -> Response:
        def compute():
            incidents = filter_incidents(
                request,
                selectors.incident_queryset(user=request.user),
                extra_parameters={"breakdown"},
            )
            breakdowns = _breakdowns(request)
            least = request.query_params.get("perpetrator_confidence")
            return incident_statistics(
                incidents=incidents,
                user=request.user,
                breakdowns=breakdowns,
                summable=summable_filter(request),
                # by_perpetrator counts the attributions that filter accepts (it is valid:
                # filter_incidents refused anything else)
                least_confidence=confidences_at_least(least) if least else None,
            )

        return Response(_public_answer(request, "statistics", compute))


SYRIA_BBOX = (35.5, 32.3, 42.5, 37.4)

# The cells named (district and governorate) in a map answer: the largest ones, which the
# map's list shows as its text alternative when the view is drawn as cells.
NAMED_CELLS = 12


def _name_cells(cells: list[dict]) -> None:
    """Gives every cell ``area`` and ``area_ar`` (None but for the NAMED_CELLS largest):
    the district (nearest seat) and governorate its incidents' mean position lies in."""
    largest = sorted(range(len(cells)), key=lambda i: -cells[i]["count"])[:NAMED_CELLS]
    for cell in cells:
        cell["area"] = cell["area_ar"] = None
    for index in largest:
        cell = cells[index]
        areas = gazetteer.reverse(cell["latitude"], cell["longitude"])
        parts = [p for p in (areas.district, areas.governorate) if p is not None]
        if parts:
            cell["area"] = ", ".join(p.name for p in parts)
            cell["area_ar"] = "، ".join(p.name_ar or p.name for p in parts)


MAP_LAYOUTS = ("full", "compact")
# What the map draws and lists of an incident (its point, the colour, the size, the area of
# its precision, the title, dates and figures of the list); the popup's place, grade and
# number of sources come from the incident's document when it is opened.
COMPACT_FIELDS = (
    "id",
    "title",
    "title_ar",
    "event_type",
    "date_start",
    "date_end",
    "date_precision",
    "latitude",
    "longitude",
    "location_precision",
    "killed_low",
    "killed_best",
    "killed_high",
    "killed_high_open",
    "perpetrators",
    # each perpetrator's attribution confidence, in the order of "perpetrators"
    "perpetrator_confidences",
    # the governorate's slug of an incident located to its governorate only (drawn as its
    # outline); null for the others, whose point is drawn
    "governorate",
    # likewise the district's slug of an incident located to its district only
    "district",
)


def _compact(
    point: dict, perpetrators: list[str], confidences: dict[str, str], areas: dict[int, str]
) -> list:
    """One incident as a row of the compact layout (coordinates to 5 decimals, about 1 m)."""
    return [
        point["public_id"],
        point["title"],
        point["title_ar"],
        point["event_type"],
        point["date_start"],
        point["date_end"],
        point["date_precision"],
        round(point["latitude"], 5),
        round(point["longitude"], 5),
        point["location_precision"],
        point["killed_low"],
        point["killed_best"],
        point["killed_high"],
        point["killed_high_open"],
        perpetrators,
        [confidences[slug] for slug in perpetrators],
        areas.get(point["governorate_id"])
        if point["location_precision"] == "governorate"
        else None,
        areas.get(point["district_id"]) if point["location_precision"] == "district" else None,
    ]


def _area_slugs() -> dict[int, str]:
    """The governorates' and districts' slugs by id (75 rows; the outlines are keyed on them)."""
    return dict(
        Place.objects.filter(kind__in=[PlaceKind.GOVERNORATE, PlaceKind.DISTRICT]).values_list(
            "id", "slug"
        )
    )


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
            OpenApiParameter(
                "layout",
                str,
                enum=list(MAP_LAYOUTS),
                description=(
                    "`full` (default): each incident as an object with its place, grade and "
                    "number of sources. `compact`: only what the map draws and lists, as rows "
                    "of `points` (one array per incident, in the order `points.fields` "
                    "names; `incidents` is then empty); the rest is in the incident's own "
                    "document."
                ),
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
        if request.user.is_authenticated:
            return Response(self._answer(request))
        # Kept rendered: the map's answers are read far more often than they change, and a
        # kept answer is then the cache's bytes passed through, with no objects to rebuild
        # (unpickle) and render again; the first reader renders it once, not twice.
        body = answers.cached(
            "map",
            answers.query_parts(request.query_params),
            lambda: render_json(self._answer(request)),
        )
        return Response(orjson.Fragment(body))

    def _answer(self, request: Request) -> dict:
        zoom_raw = request.query_params.get("zoom")
        if zoom_raw is None:
            raise ValidationError({"zoom": ["This parameter is required (0 to 20)."]})
        if not zoom_raw.isdigit() or not 0 <= int(zoom_raw) <= 20:
            raise ValidationError({"zoom": ["A whole number from 0 to 20 is required."]})
        layout = request.query_params.get("layout", MAP_LAYOUTS[0])
        if layout not in MAP_LAYOUTS:
            raise ValidationError({"layout": [f"One of: {', '.join(MAP_LAYOUTS)}."]})
        incidents = filter_incidents(
            request,
            selectors.incident_queryset(user=request.user),
            extra_parameters={"zoom", "layout"},
        )
        box = IncidentFilter.base_filters["bbox"].field.clean(request.query_params.get("bbox"))
        bbox = (box.min_lon, box.min_lat, box.max_lon, box.max_lat) if box else SYRIA_BBOX
        # A public view without filters is drawn from the per-cell sums of published
        # incidents; anything else groups the matching incidents themselves.
        # (``status=published`` alone asks for exactly what the sums hold, for anyone.)
        params = request.query_params
        filters = set(params) - {"zoom", "bbox", "format", "layout"}
        only_published = filters == {"status"} and params.get("status") == Status.PUBLISHED
        summary = (
            PublishedMapCell
            if only_published or (not filters and not selectors.can_see_unpublished(request.user))
            else None
        )
        result = aggregate(incidents, View(*bbox, zoom=int(zoom_raw)), summary=summary)
        _name_cells(result["cells"])
        points = result.pop("incidents")
        ids = [p["id"] for p in points]
        perpetrators: dict[int, list[str]] = defaultdict(list)
        confidences: dict[int, dict[str, str]] = defaultdict(dict)
        sources: dict[int, int] = {}
        compact = layout == "compact"
        if ids:
            for incident_id, slug, confidence in (
                Attribution.objects.filter(incident_id__in=ids)
                .order_by("actor__slug")
                .values_list("incident_id", "actor__slug", "confidence")
            ):
                perpetrators[incident_id].append(slug)
                confidences[incident_id][slug] = confidence
        if ids and not compact:
            sources = dict(
                Claim.objects.filter(incident_id__in=ids, source__confidential=False)
                .values("incident_id")
                .annotate(n=Count("source", distinct=True))
                .values_list("incident_id", "n")
            )
        # An incident located only to its governorate (district) is drawn as its outline.
        areas = _area_slugs() if points else {}
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
        answer = {
            **result,
            "zoom": int(zoom_raw),
            "bbox": list(bbox),
            "totals": totals,
        }
        if compact:
            answer["incidents"] = []
            answer["points"] = {
                "fields": list(COMPACT_FIELDS),
                "rows": [
                    _compact(p, perpetrators[p["id"]], confidences[p["id"]], areas) for p in points
                ],
            }
            return answer
        return {
            **answer,
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
                    "perpetrator_confidence": confidences[p["id"]],
                    "source_count": sources.get(p["id"], 0),
                    "governorate": areas.get(p["governorate_id"]),
                    "district": areas.get(p["district_id"]),
                }
                for p in points
            ],
        }


# --- sources, actors, episodes ----------------------------------------------------------------

"""The catalogue incidents refer to: sources, actors and episodes."""

from __future__ import annotations

import re
from typing import Any

from django.shortcuts import get_object_or_404
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

from incidents import httpcache, selectors, services
from incidents.monitors import monitor_of

from .. import serializers as s
from .base import (
    ERRORS,
    READ_ERRORS,
    ApiView,
)


def visible_sources(request: Request):
    return selectors.source_queryset(user=request.user)


def visible_actors(request: Request):
    return selectors.actor_queryset(user=request.user)


def visible_episodes(request: Request):
    return selectors.episode_queryset(user=request.user)


CATALOGUE_MAX_LIMIT = 500
CATALOGUE_MAX_OFFSET = 10_000_000
LIMIT_PARAMETERS = [
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": CATALOGUE_MAX_LIMIT},
        description=f"Records in the page, 1 to {CATALOGUE_MAX_LIMIT} (default 100).",
    ),
    OpenApiParameter(
        "offset",
        {"type": "integer", "minimum": 0, "maximum": CATALOGUE_MAX_OFFSET},
        description=f"Records to skip, 0 to {CATALOGUE_MAX_OFFSET:,} (default 0).",
    ),
]


def _bounded(request: Request, name: str, default: int, low: int, high: int) -> int:
    given = request.query_params.getlist(name)
    if len(given) > 1:
        raise ValidationError({name: ["Give this parameter once."]})
    raw = given[0] if given else str(default)
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
    if not re.fullmatch(r"[0-9]{1,12}", raw) or not low <= int(raw) <= high:
        raise ValidationError({name: [f"A whole number from {low} to {high:,} is required."]})
    return int(raw)


def _limited(request: Request, queryset) -> tuple[list, dict[str, Any]]:
    unknown = sorted(set(request.query_params) - {"limit", "offset", "format"})
    if unknown:
        raise ValidationError({name: ["Unknown parameter."] for name in unknown})
    limit = _bounded(request, "limit", 100, 1, CATALOGUE_MAX_LIMIT)
    offset = _bounded(request, "offset", 0, 0, CATALOGUE_MAX_OFFSET)
    count = queryset.count()
    return list(queryset[offset : offset + limit]), {"count": count}


def _list_response(serializer_class: type, name: str) -> Any:
    return inline_serializer(
        name=f"{name}Page",
        fields={"count": serializers.IntegerField(), "results": serializer_class(many=True)},
    )


class _CatalogueView(ApiView):
    http_cache = httpcache.LIST
    serializer_class: type[serializers.ModelSerializer]
    service_name: str

    def visible(self, request: Request):
        raise NotImplementedError

    def get(self, request: Request) -> Response:
        rows, meta = _limited(request, self.visible(request))
        return Response({**meta, "results": self.serializer_class(rows, many=True).data})

    def post(self, request: Request) -> Response:
        serializer = self.serializer_class(data=request.data)
        if not serializer.is_valid():
            taken = any(
                getattr(e, "code", "") == "unique" for e in serializer.errors.get("slug", [])
            )
            # A slug already in use is a conflict with what exists, not a malformed request.
            return Response(
                serializer.errors,
                status=status.HTTP_409_CONFLICT if taken else status.HTTP_400_BAD_REQUEST,
            )
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
        responses={
            201: serializer_class,
            **ERRORS,
            409: OpenApiResponse(description="The slug is already in use."),
        },
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
        http_cache = httpcache.LIST

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
    http_cache = httpcache.LIST

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
                    "killed_high_open": summary.killed_high_open,
                },
                "reported_aggregates": [
                    {
                        "measure": m.measure,
                        "measure_ar": m.measure_ar,
                        "low": m.reconciled.low,
                        "best": m.reconciled.best,
                        "high": m.reconciled.high,
                        "high_open": m.reconciled.high_open,
                        "claims": len(m.claims),
                        "figures": [
                            {
                                "source": claim.source.slug,
                                "monitor": monitor_of(claim),
                                "measure_ar": claim.measure_ar,
                                "measure_kind": claim.measure_kind,
                                "covers_from": claim.covers_from,
                                "covers_to": claim.covers_to,
                                "killed_min": claim.killed_min,
                                "killed_max": claim.killed_max,
                                "approximate": claim.approximate,
                            }
                            for claim in m.claims
                        ],
                    }
                    for m in summary.measures
                ],
            }
        )


# --- places -----------------------------------------------------------------------------------

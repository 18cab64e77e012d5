"""The dashboard's data (``/api/v1/dashboard/``) and each of its charts as CSV
(``/api/v1/dashboard/<chart>.csv``), for the incidents matching the map's filters.

The figures come from :mod:`incidents.dashboard`; an anonymous reader's answer is kept per
publication generation (``readmodel.answers``), so every CSV and the page's own request
read one computation. The CSV files add the labels of codes in the reader's language.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from incidents import httpcache, selectors, vocabulary
from incidents.csvtext import csv_line
from incidents.dashboard import CHARTS, CONFIDENCES, FIGURES, dashboard_figures

from ..fields import StrictSerializer
from ..filters import filter_incidents
from ..serializers import FiguresSerializer
from .base import FILTERS, READ_ERRORS, ApiView
from .figures import _public_answer, summable_filter

_PER_MONTH = "One number a month of `months`, in the same order."


class _SeriesSerializer(StrictSerializer):
    key = serializers.CharField(
        allow_null=True, help_text="The code or slug; null for incidents without one."
    )
    name = serializers.CharField(allow_null=True)
    name_ar = serializers.CharField(allow_null=True)
    incidents = serializers.ListField(child=serializers.IntegerField(), help_text=_PER_MONTH)
    totals = FiguresSerializer()


class _PerpetratorSeriesSerializer(_SeriesSerializer):
    by_confidence = serializers.DictField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="Incidents per month by the attribution's confidence "
        "(confirmed, probable, alleged).",
    )
    confidence_totals = serializers.DictField(child=serializers.IntegerField())


class _KilledByMonthSerializer(StrictSerializer):
    incidents = serializers.ListField(child=serializers.IntegerField())
    killed_low = serializers.ListField(child=serializers.IntegerField())
    killed_best = serializers.ListField(child=serializers.IntegerField())
    killed_high = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="A floor of the month's high where killed_high_open is above 0.",
    )
    killed_high_open = serializers.ListField(child=serializers.IntegerField())


class _PlaceSerializer(StrictSerializer):
    key = serializers.CharField()
    name = serializers.CharField()
    name_ar = serializers.CharField()
    within = serializers.CharField(allow_null=True)
    within_ar = serializers.CharField(allow_null=True)
    totals = FiguresSerializer()


class DashboardSerializer(StrictSerializer):
    totals = FiguresSerializer()
    months = serializers.ListField(
        child=serializers.CharField(), help_text="Every month (YYYY-MM) from the first to the last."
    )
    killed_by_month = _KilledByMonthSerializer()
    event_types = _SeriesSerializer(many=True)
    governorates = _SeriesSerializer(many=True)
    perpetrators = _PerpetratorSeriesSerializer(many=True)
    top_places = _PlaceSerializer(many=True)
    notes = serializers.ListField(child=serializers.CharField())


def _figures(request: Request) -> dict[str, Any]:
    def compute() -> dict[str, Any]:
        incidents = filter_incidents(request, selectors.incident_queryset(user=request.user))
        return dashboard_figures(incidents=incidents, summable=summable_filter(request))

    return _public_answer(request, "dashboard", compute)


class DashboardView(ApiView):
    http_cache = httpcache.LIVE

    @extend_schema(
        operation_id="dashboard",
        parameters=FILTERS,
        responses={200: DashboardSerializer, **READ_ERRORS},
        description=(
            "The dashboard's figures for the incidents matching the filters (the map's): "
            "killed per month (sums of low, best and high, and how many highs are open), "
            "incidents per month by event type, governorate and perpetrator (with the "
            "attribution's confidence), and the top places. Each chart is also a CSV file: "
            "/api/v1/dashboard/{chart}.csv."
        ),
    )
    def get(self, request: Request) -> Response:
        return Response(_figures(request))


def _label(vocabulary_: dict, value: str) -> str:
    return vocabulary.label(vocabulary_, value) if value else ""


def _chart_rows(chart: str, data: dict[str, Any]) -> Iterator[list[Any]]:
    months = data["months"]
    if chart == "killed-by-month":
        yield ["month", *FIGURES]
        sums = data["killed_by_month"]
        for i, month in enumerate(months):
            if sums["incidents"][i]:
                yield [month, *(sums[name][i] for name in FIGURES)]
    elif chart == "event-types":
        yield ["month", "event_type", "event_type_label", "incidents"]
        for i, month in enumerate(months):
            for series in data["event_types"]:
                if series["incidents"][i]:
                    label = _label(vocabulary.EVENT_TYPES, series["key"])
                    yield [month, series["key"], label, series["incidents"][i]]
    elif chart == "governorates":
        yield ["month", "governorate", "name", "name_ar", "incidents"]
        for i, month in enumerate(months):
            for series in data["governorates"]:
                if series["incidents"][i]:
                    row = [series["key"], series["name"], series["name_ar"]]
                    yield [month, *row, series["incidents"][i]]
    elif chart == "perpetrators":
        yield ["month", "actor", "name", "name_ar", "confidence", "confidence_label", "incidents"]
        for i, month in enumerate(months):
            for series in data["perpetrators"]:
                for confidence in CONFIDENCES:
                    count = series["by_confidence"][confidence][i]
                    if count:
                        label = _label(vocabulary.CONFIDENCES, confidence)
                        row = [series["key"], series["name"], series["name_ar"]]
                        yield [month, *row, confidence, label, count]
    elif chart == "places":
        yield ["rank", "place", "name", "name_ar", "within", "within_ar", *FIGURES]
        for rank, place in enumerate(data["top_places"], start=1):
            where = [place["key"], place["name"], place["name_ar"]]
            within = [place["within"], place["within_ar"]]
            yield [rank, *where, *within, *(place["totals"][name] for name in FIGURES)]


def _safe(value: Any) -> Any:
    # A name a spreadsheet would run as a formula is kept as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


class DashboardCSVView(ApiView):
    http_cache = httpcache.LIVE

    @extend_schema(
        operation_id="dashboard_chart_csv",
        parameters=[
            OpenApiParameter(
                "chart",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=list(CHARTS),
                description="; ".join(f"{name}: {text}" for name, text in CHARTS.items()),
            ),
            *FILTERS,
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(
                response=OpenApiTypes.STR,
                description="The numbers of one chart of the dashboard, UTF-8 with a byte "
                "order mark; months and rows without incidents are left out. Labels are in "
                "the reader's language, beside the codes.",
            ),
            **READ_ERRORS,
        },
    )
    def get(self, request: Request, chart: str) -> HttpResponse:
        if chart not in CHARTS:
            raise Http404(f"No chart {chart}: one of {', '.join(CHARTS)}.")
        data = _figures(request)
        body = "\ufeff" + "".join(
            csv_line(_safe(value) for value in row) for row in _chart_rows(chart, data)
        )
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="dashboard-{chart}.csv"'
        return response

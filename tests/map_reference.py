"""The map's cells from the per-cell sums as the ORM built them before the map read the
sums with plain statements (``mapping.aggregation``), kept to check that the two agree."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Count, F, Max, Min, QuerySet, Sum

from mapping.aggregation import (
    GRID_LEVEL,
    POINT_VALUES,
    View,
    _round,
    cell_degrees,
    fine_cell,
    grid_level,
)


def _in_view(rows: QuerySet, view: View) -> QuerySet:
    min_x, min_y = fine_cell(view.min_lat, view.min_lon)
    max_x, max_y = fine_cell(view.max_lat, view.max_lon)
    return rows.filter(cx__gte=min_x, cx__lte=max_x, cy__gte=min_y, cy__lte=max_y)


def _one_point(cell: dict[str, Any]) -> bool:
    return (
        cell["n"] > 1 and cell["lat_min"] == cell["lat_max"] and cell["lon_min"] == cell["lon_max"]
    )


def _single_points(model: Any, cells: list[dict[str, Any]]) -> set[tuple[int, int]]:
    wanted = {(c["fx"], c["fy"]): c["n"] for c in cells if c["fine"] == 1 and c["n"] > 1}
    if not wanted:
        return set()
    rows = (
        model._default_manager.filter(
            status="published",
            map_cx__in={x for x, _ in wanted},
            map_cy__in={y for _, y in wanted},
        )
        .values("map_cx", "map_cy")
        .annotate(
            n=Count("latitude"),
            lat_min=Min("latitude"),
            lat_max=Max("latitude"),
            lon_min=Min("longitude"),
            lon_max=Max("longitude"),
        )
        .order_by()
    )
    points = {
        (row["map_cx"], row["map_cy"])
        for row in rows
        if wanted.get((row["map_cx"], row["map_cy"])) == row["n"] and _one_point(row)
    }
    return {(c["gx"], c["gy"]) for c in cells if (c.get("fx"), c.get("fy")) in points}


def _cells(grouped: list[dict], level: int, single: set[tuple[int, int]]) -> list[dict]:
    size = cell_degrees(level)
    return [
        {
            "latitude": _round(cell["lat"]),
            "longitude": _round(cell["lon"]),
            "bounds": [
                _round(cell["gx"] * size),
                _round(cell["gy"] * size),
                _round((cell["gx"] + 1) * size),
                _round((cell["gy"] + 1) * size),
            ],
            "count": cell["n"],
            "killed_low": cell["low"] or 0,
            "killed_best": cell["best"] or 0,
            "killed_high": cell["high"] or 0,
            "killed_high_open": cell["high_open"] or 0,
            "single_point": (cell["gx"], cell["gy"]) in single,
        }
        for cell in grouped
    ]


def aggregate_from_sums(incidents: QuerySet, view: View, summary: QuerySet) -> dict:
    located = incidents.filter(
        latitude__isnull=False,
        longitude__gte=view.min_lon,
        longitude__lte=view.max_lon,
        latitude__gte=view.min_lat,
        latitude__lte=view.max_lat,
    ).order_by()
    limit = settings.INCIDENT_MAP["MAP_MAX_POINTS"]
    in_view = _in_view(summary, view).aggregate(n=Sum("count"))["n"] or 0
    if in_view <= limit * 2 and located[: limit + 1].count() <= limit:
        points = list(located.order_by("-killed_best", "pk").values(*POINT_VALUES))
        return {"mode": "incidents", "cell_size": None, "cells": [], "incidents": points}
    level = grid_level(view)
    shift = GRID_LEVEL - level
    rows = list(
        _in_view(summary, view)
        .annotate(gx=F("cx").bitrightshift(shift), gy=F("cy").bitrightshift(shift))
        .values("gx", "gy")
        .annotate(
            n=Sum("count"),
            low=Sum("killed_low"),
            best=Sum("killed_best"),
            high=Sum("killed_high"),
            high_open=Sum("killed_high_open"),
            lat=Sum("latitude_sum") / Sum("count"),
            lon=Sum("longitude_sum") / Sum("count"),
            fine=Count("id"),
            fx=Min("cx"),
            fy=Min("cy"),
        )
        .order_by()
    )
    return {
        "mode": "cells",
        "cell_size": cell_degrees(level),
        "cells": _cells(rows, level, _single_points(incidents.model, rows)),
        "incidents": [],
    }

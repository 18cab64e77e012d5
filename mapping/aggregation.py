"""Server-side clustering: what the map shows for a view, whatever the number of incidents.

For a bounding box and a zoom level the map gets either the incidents themselves (when the
view holds few enough of them) or a grid of cells, each with its incident count, its
casualty sums and the mean position of its incidents. The cell size follows the zoom
(about 60 screen pixels) but never makes more than ``MAP_MAX_CELLS_ACROSS`` cells across
the view, which bounds the response whatever the zoom.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Avg, Count, F, FloatField, QuerySet, Sum
from django.db.models.functions import Cast, Floor

from .models import PRECISION_RADIUS_M

# Degrees of longitude covered by one 256-pixel tile at zoom 0.
_WORLD_DEGREES = 360.0
_CELL_PIXELS = 64


@dataclass(frozen=True)
class View:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    zoom: int


def cell_size(view: View) -> float:
    """Cell edge in degrees: ~64 pixels at this zoom, coarser if the view would need more
    than the configured number of cells across."""
    by_zoom = _WORLD_DEGREES / (2**view.zoom) * (_CELL_PIXELS / 256)
    across = max(view.max_lon - view.min_lon, view.max_lat - view.min_lat)
    by_view = across / settings.INCIDENT_MAP["MAP_MAX_CELLS_ACROSS"]
    return max(by_zoom, by_view, 1e-6)


def _round(value: float | None, places: int = 5) -> float | None:
    return None if value is None else round(value, places)


def aggregate(incidents: QuerySet, view: View) -> dict[str, Any]:
    """Points or cells for the incidents in ``view`` (``incidents`` already filtered)."""
    located = incidents.filter(
        latitude__isnull=False,
        longitude__gte=view.min_lon,
        longitude__lte=view.max_lon,
        latitude__gte=view.min_lat,
        latitude__lte=view.max_lat,
    ).order_by()
    limit = settings.INCIDENT_MAP["MAP_MAX_POINTS"]
    points = list(
        located.order_by("-killed_best", "pk").values(
            "id",
            "public_id",
            "title",
            "title_ar",
            "event_type",
            "date_start",
            "date_end",
            "date_precision",
            "latitude",
            "longitude",
            "location_precision",
            "place_name",
            "killed_low",
            "killed_best",
            "killed_high",
            "grade",
        )[: limit + 1]
    )
    if len(points) <= limit:
        return {"mode": "incidents", "cell_size": None, "cells": [], "incidents": points}

    size = cell_size(view)
    cells = (
        located.annotate(
            cy=Floor(Cast(F("latitude"), FloatField()) / size),
            cx=Floor(Cast(F("longitude"), FloatField()) / size),
        )
        .values("cy", "cx")
        .annotate(
            count=Count("id"),
            killed_low=Sum("killed_low"),
            killed_best=Sum("killed_best"),
            killed_high=Sum("killed_high"),
            latitude=Avg("latitude"),
            longitude=Avg("longitude"),
        )
        .order_by()
    )
    return {
        "mode": "cells",
        "cell_size": size,
        "cells": [
            {
                "latitude": _round(cell["latitude"]),
                "longitude": _round(cell["longitude"]),
                "bounds": [
                    _round(cell["cx"] * size),
                    _round(cell["cy"] * size),
                    _round((cell["cx"] + 1) * size),
                    _round((cell["cy"] + 1) * size),
                ],
                "count": cell["count"],
                "killed_low": cell["killed_low"] or 0,
                "killed_best": cell["killed_best"] or 0,
                "killed_high": cell["killed_high"] or 0,
            }
            for cell in cells
        ],
        "incidents": [],
    }


def point_radius(location_precision: str) -> int | None:
    return PRECISION_RADIUS_M.get(location_precision)

"""Server-side clustering: what the map shows for a view, whatever the number of incidents.

For a bounding box and a zoom level the map gets either the incidents themselves (when the
view holds few enough of them) or a grid of cells, each with its incident count, its
casualty sums and the mean position of its incidents.

The grid is a pyramid. At level ``z`` a cell is ``360 / 2**(z + 2)`` degrees wide, a quarter
of a web-map tile (64 pixels) at zoom ``z``. Every incident stores its cell at the finest
level, ``GRID_LEVEL`` (``map_cx``, ``map_cy``; 0.011 degrees, about 1 km), and its cell at any
coarser level is those integers shifted right, so cells are grouped by integers, never by
coordinates.
The level drawn follows the zoom but never makes more than ``MAP_MAX_CELLS_ACROSS`` cells
across the view, which bounds the response whatever the zoom.

A cell whose incidents all stand at one point (a town's centre, where reports name only
the town) says so (``single_point``): zooming in cannot separate them, and the map offers
their list instead.

Views without filters can be drawn from a table of per-cell sums at the finest level
(``incidents.PublishedMapCell``): a few thousand rows instead of every incident.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections, router
from django.db.models import Avg, Count, F, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

GRID_LEVEL = 13


def cell_degrees(level: int) -> float:
    return 360.0 / 2 ** (level + 2)


FINE_DEGREES = cell_degrees(GRID_LEVEL)


def fine_cell(latitude: float, longitude: float) -> tuple[int, int]:
    """The (x, y) of the finest-level cell holding a point."""
    return math.floor(longitude / FINE_DEGREES), math.floor(latitude / FINE_DEGREES)


# Tiles: a coarse grid (level 8, 0.35 degrees) whose key is stored with each incident, so
# that a bounding box becomes a short list of tiles the database finds by index.
TILE_LEVEL = 8
TILE_SHIFT = GRID_LEVEL - TILE_LEVEL
MAX_BBOX_TILES = 64


def tile_key(cx: int, cy: int) -> int:
    """The tile holding a finest-level cell, as one non-negative integer."""
    return ((cx >> TILE_SHIFT) + 1024) * 4096 + ((cy >> TILE_SHIFT) + 2048)


def tiles_in(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> list[int] | None:
    """The tiles a bounding box touches, or None when there are too many to list."""
    min_x, min_y = fine_cell(min_lat, min_lon)
    max_x, max_y = fine_cell(max_lat, max_lon)
    xs = range(min_x >> TILE_SHIFT, (max_x >> TILE_SHIFT) + 1)
    ys = range(min_y >> TILE_SHIFT, (max_y >> TILE_SHIFT) + 1)
    if len(xs) * len(ys) > MAX_BBOX_TILES:
        return None
    return [(x + 1024) * 4096 + (y + 2048) for x in xs for y in ys]


@dataclass(frozen=True)
class View:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    zoom: int


def grid_level(view: View) -> int:
    """The finest level at or below the zoom that keeps the cells across the view bounded."""
    level = max(0, min(view.zoom, GRID_LEVEL))
    across = max(view.max_lon - view.min_lon, view.max_lat - view.min_lat)
    most = settings.INCIDENT_MAP["MAP_MAX_CELLS_ACROSS"]
    while level > 0 and across / cell_degrees(level) > most:
        level -= 1
    return level


def _round(value: float | None, places: int = 5) -> float | None:
    return None if value is None else round(value, places)


def _one_point(cell: dict[str, Any]) -> bool:
    return (
        cell["n"] > 1 and cell["lat_min"] == cell["lat_max"] and cell["lon_min"] == cell["lon_max"]
    )


def _single_points(model: Any, cells: list[tuple]) -> set[tuple[int, int]]:
    """The (gx, gy) of the summed cells (rows of :func:`_summed`) whose incidents share one
    point.

    Only a cell made of one finest cell can (a finest cell's incidents are apart from
    every other's). The per-cell sums keep no extent, so the published incidents of those
    finest cells are read, all of them (as the sums count them), through the index on
    status and finest cell, which holds the coordinates: on PostgreSQL the rows themselves
    are not read.
    """
    wanted = {(c[10], c[11]): c[2] for c in cells if c[9] == 1 and c[2] > 1}
    if not wanted:
        return set()
    xs = sorted({x for x, _ in wanted})
    ys = sorted({y for _, y in wanted})
    sql = (
        "SELECT map_cx, map_cy, COUNT(latitude), MIN(latitude), MAX(latitude), "  # noqa: S608
        f"MIN(longitude), MAX(longitude) FROM {model._meta.db_table} "
        f"WHERE status = %s AND map_cx IN ({', '.join(['%s'] * len(xs))}) "
        f"AND map_cy IN ({', '.join(['%s'] * len(ys))}) GROUP BY map_cx, map_cy"
    )
    with connections[router.db_for_read(model)].cursor() as cursor:
        cursor.execute(sql, ["published", *xs, *ys])
        rows = cursor.fetchall()
    points = {
        (cx, cy)
        for cx, cy, n, lat_min, lat_max, lon_min, lon_max in rows
        if wanted.get((cx, cy)) == n and n > 1 and lat_min == lat_max and lon_min == lon_max
    }
    return {(c[0], c[1]) for c in cells if (c[10], c[11]) in points}


def _summed(summary: Any, view: View, shift: int | None) -> list[tuple]:
    """The per-cell sums in the view: with ``shift`` None, their total count alone (one row);
    otherwise grouped into the cells of the level ``shift`` levels above the finest, as
    rows of (gx, gy, count, low, best, high, high_open, mean latitude, mean longitude,
    finest cells summed, and the first finest cell's x and y).

    One plain statement: the map's unfiltered views are its most frequent questions, and
    building these two small queries through the ORM cost more than running them."""
    min_x, min_y = fine_cell(view.min_lat, view.min_lon)
    max_x, max_y = fine_cell(view.max_lat, view.max_lon)
    where = "WHERE cx >= %s AND cx <= %s AND cy >= %s AND cy <= %s"
    table = summary._meta.db_table
    if shift is None:
        sql = f'SELECT SUM("count") FROM {table} {where}'  # noqa: S608
        params: list[int] = [min_x, max_x, min_y, max_y]
    else:
        sql = (
            'SELECT cx >> %s, cy >> %s, SUM("count"), SUM(killed_low), '  # noqa: S608
            "SUM(killed_best), SUM(killed_high), SUM(killed_high_open), "
            'SUM(latitude_sum) / SUM("count"), SUM(longitude_sum) / SUM("count"), '
            f"COUNT(*), MIN(cx), MIN(cy) FROM {table} {where} GROUP BY 1, 2"
        )
        params = [shift, shift, min_x, max_x, min_y, max_y]
    with connections[router.db_for_read(summary)].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _summed_cells(
    rows: list[tuple], level: int, single: set[tuple[int, int]]
) -> list[dict[str, Any]]:
    """Cells from rows of :func:`_summed`, as :func:`_cells` makes them from incidents."""
    size = cell_degrees(level)
    edges: dict[int, float | None] = {}
    cells = []
    for gx, gy, n, low, best, high, high_open, lat, lon, _fine, _fx, _fy in rows:
        west = edges.get(gx)
        if west is None:
            west = edges[gx] = _round(gx * size)
        south = edges.get(gy)
        if south is None:
            south = edges[gy] = _round(gy * size)
        east = edges.get(gx + 1)
        if east is None:
            east = edges[gx + 1] = _round((gx + 1) * size)
        north = edges.get(gy + 1)
        if north is None:
            north = edges[gy + 1] = _round((gy + 1) * size)
        cells.append(
            {
                "latitude": None if lat is None else round(lat, 5),
                "longitude": None if lon is None else round(lon, 5),
                "bounds": [west, south, east, north],
                "count": n,
                "killed_low": low or 0,
                "killed_best": best or 0,
                "killed_high": high or 0,
                "killed_high_open": high_open or 0,
                "single_point": (gx, gy) in single,
            }
        )
    return cells


def _cells(grouped: QuerySet, level: int) -> list[dict[str, Any]]:
    size = cell_degrees(level)
    # Cells in a view share a few dozen grid lines: each edge is rounded once, not per cell.
    edges: dict[int, float | None] = {}

    def edge(n: int) -> float | None:
        found = edges.get(n)
        if found is None:
            found = edges[n] = _round(n * size)
        return found

    return [
        {
            "latitude": _round(cell["lat"]),
            "longitude": _round(cell["lon"]),
            "bounds": [
                edge(cell["gx"]),
                edge(cell["gy"]),
                edge(cell["gx"] + 1),
                edge(cell["gy"] + 1),
            ],
            "count": cell["n"],
            "killed_low": cell["low"] or 0,
            "killed_best": cell["best"] or 0,
            "killed_high": cell["high"] or 0,
            "killed_high_open": cell["high_open"] or 0,
            # All its incidents at one point: zooming in cannot separate them.
            "single_point": _one_point(cell),
        }
        for cell in grouped
    ]


POINT_VALUES = (
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
    "killed_high_open",
    "grade",
    "governorate_id",
    "district_id",
)


def aggregate(incidents: QuerySet, view: View, *, summary: Any = None) -> dict:
    """Points or cells for the incidents in ``view`` (``incidents`` already filtered).

    ``summary``, when given, is the model holding the same incidents summed per finest cell
    (fields ``cx``, ``cy``, ``count``, ``killed_*``, ``latitude_sum``, ``longitude_sum``);
    cells are then drawn from it instead of from the incidents.
    """
    limit = settings.INCIDENT_MAP["MAP_MAX_POINTS"]
    level = grid_level(view)
    shift = GRID_LEVEL - level
    if summary is not None:
        in_view = _summed(summary, view, None)[0][0] or 0
        # Edge cells may lie partly outside: with few, the incidents are counted exactly.
        if in_view > limit * 2:
            rows = _summed(summary, view, shift)
            return {
                "mode": "cells",
                "cell_size": cell_degrees(level),
                "cells": _summed_cells(rows, level, _single_points(incidents.model, rows)),
                "incidents": [],
            }
    located = incidents.filter(
        latitude__isnull=False,
        longitude__gte=view.min_lon,
        longitude__lte=view.max_lon,
        latitude__gte=view.min_lat,
        latitude__lte=view.max_lat,
    ).order_by()
    if located[: limit + 1].count() <= limit:
        points = list(located.order_by("-killed_best", "pk").values(*POINT_VALUES))
        return {"mode": "incidents", "cell_size": None, "cells": [], "incidents": points}
    if summary is not None:
        rows = _summed(summary, view, shift)
        return {
            "mode": "cells",
            "cell_size": cell_degrees(level),
            "cells": _summed_cells(rows, level, _single_points(incidents.model, rows)),
            "incidents": [],
        }
    grouped = (
        located.annotate(gx=F("map_cx").bitrightshift(shift), gy=F("map_cy").bitrightshift(shift))
        .values("gx", "gy")
        .annotate(
            n=Count("id"),
            low=Sum("killed_low"),
            best=Sum("killed_best"),
            # As the per-cell sums do: an open high adds its best, and is counted.
            high=Sum(Coalesce("killed_high", "killed_best")),
            high_open=Count("id", filter=Q(killed_high_open=True)),
            lat=Avg("latitude"),
            lon=Avg("longitude"),
            lat_min=Min("latitude"),
            lat_max=Max("latitude"),
            lon_min=Min("longitude"),
            lon_max=Max("longitude"),
        )
        .order_by()
    )
    return {
        "mode": "cells",
        "cell_size": cell_degrees(level),
        "cells": _cells(grouped, level),
        "incidents": [],
    }

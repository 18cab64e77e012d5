"""Plain-Python geometry for the gazetteer: distances, and which governorate holds a point.

The district boundaries (``mapping/data/districts.geojson``, OCHA's via geoBoundaries) are
read the same way; the map draws a district-level incident as its district's outline.

The governorate boundaries (Natural Earth admin-1, in ``mapping/data/governorates.geojson``)
are a few thousand vertices, so a ray-casting point-in-polygon test behind a bounding-box
check answers in microseconds without GDAL or a spatial database. Natural Earth's coast is
drawn at 1:10m, so a point on the shore (Latakia, Baniyas, Tartus) can fall a few hundred
metres out at sea: a point inside no polygon is given to the nearest governorate within
:data:`COAST_TOLERANCE_KM`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from .gazetteer_data import BOUNDARIES_FILE, DISTRICTS_FILE

EARTH_RADIUS_KM = 6371.0088
COAST_TOLERANCE_KM = 5.0

Ring = list[tuple[float, float]]  # (longitude, latitude), GeoJSON order


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _in_ring(lon: float, lat: float, ring: Ring) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def _segment_km(lat: float, lon: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance from a point to a segment, on a local equirectangular projection."""
    scale = math.cos(math.radians(lat))
    ax, ay = (a[0] - lon) * scale, a[1] - lat
    bx, by = (b[0] - lon) * scale, b[1] - lat
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / length2))
    px, py = ax + t * dx, ay + t * dy
    return math.hypot(px, py) * math.pi / 180 * EARTH_RADIUS_KM


@dataclass(frozen=True)
class Area:
    """One governorate's boundary: polygons of rings (outer ring first, then holes)."""

    slug: str
    name: str
    name_ar: str
    polygons: tuple[tuple[Ring, ...], ...]
    bbox: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat

    def contains(self, latitude: float, longitude: float) -> bool:
        min_lon, min_lat, max_lon, max_lat = self.bbox
        if not (min_lon <= longitude <= max_lon and min_lat <= latitude <= max_lat):
            return False
        for outer, *holes in self.polygons:
            if _in_ring(longitude, latitude, outer) and not any(
                _in_ring(longitude, latitude, hole) for hole in holes
            ):
                return True
        return False

    def distance_km(self, latitude: float, longitude: float) -> float:
        return min(
            _segment_km(latitude, longitude, ring[i], ring[i + 1])
            for polygon in self.polygons
            for ring in polygon
            for i in range(len(ring) - 1)
        )


def area_of_feature(feature: dict[str, Any]) -> Area:
    """The Area of a GeoJSON Feature (Polygon or MultiPolygon) with slug, name, name_ar."""
    geometry = feature["geometry"]
    polygons_raw = (
        geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    )
    polygons = tuple(
        tuple([(float(x), float(y)) for x, y in ring] for ring in polygon)
        for polygon in polygons_raw
    )
    xs = [x for polygon in polygons for ring in polygon for x, _ in ring]
    ys = [y for polygon in polygons for ring in polygon for _, y in ring]
    properties = feature["properties"]
    return Area(
        slug=properties["slug"],
        name=properties["name"],
        name_ar=properties.get("name_ar", ""),
        polygons=polygons,
        bbox=(min(xs), min(ys), max(xs), max(ys)),
    )


@cache
def governorate_areas() -> tuple[Area, ...]:
    """The governorate boundaries, read once per process."""
    collection = json.loads(BOUNDARIES_FILE.read_text(encoding="utf-8"))
    return tuple(area_of_feature(feature) for feature in collection["features"])


@cache
def district_areas() -> tuple[Area, ...]:
    """The district boundaries (geoBoundaries ADM2, OCHA's), read once per process."""
    collection = json.loads(DISTRICTS_FILE.read_text(encoding="utf-8"))
    return tuple(area_of_feature(feature) for feature in collection["features"])


def governorate_slug_at(latitude: float, longitude: float) -> str | None:
    """The slug of the governorate holding the point; None outside Syria."""
    return locate(latitude, longitude)[0]


@lru_cache(maxsize=65536)
def locate(latitude: float, longitude: float) -> tuple[str | None, float]:
    """The slug of the governorate holding the point (None outside the country), and how
    far outside every governorate the point lies, in km (0 inside one).

    Cached: an import asks for the same town's point many times."""
    areas = governorate_areas()
    for area in areas:
        if area.contains(latitude, longitude):
            return area.slug, 0.0
    distances = [(area.distance_km(latitude, longitude), area.slug) for area in areas]
    outside, slug = min(distances)
    return (slug if outside <= COAST_TOLERANCE_KM else None), outside

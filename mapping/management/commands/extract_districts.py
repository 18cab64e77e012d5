"""``manage.py extract_districts``: rebuild ``mapping/data/districts.geojson``.

A maintainer's command, like ``extract_gazetteer``: the product reads only the file it
writes. Its input is geoBoundaries' simplified Syria ADM2 TopoJSON
(``releaseData/gbOpen/SYR/ADM2/geoBoundaries-SYR-ADM2_simplified.topojson`` of the
``wmgeolab/geoBoundaries`` repository), whose boundaries are OCHA's common operational data
set (UN Cartographic Section and OCHA, CC BY 3.0 IGO). ``mapping/data/README.md`` says which
version the committed file was built from.

What it does beyond copying:

- each shared border (a TopoJSON arc) is simplified once, by Douglas-Peucker with
  ``--tolerance`` degrees, so that neighbouring districts keep the same border;
- coordinates are rounded to 4 decimals (about 10 m);
- each district of the gazetteer is given the outline named for it in
  ``DISTRICT_BOUNDARY_NAMES``, and the command refuses when a district has none, when an
  outline is left over, or when a district's seat lies more than ``--seat-km`` outside its
  outline (a seat is the place of the district's name, so it lies in the district; a
  coastal or border town may lie just outside a coarse outline). Districts whose seat the
  extract only guessed (``seat_guessed``) are not checked: their position is approximate.

To reproduce::

    .venv/bin/python manage.py extract_districts PATH/TO/geoBoundaries-SYR-ADM2_simplified.topojson
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mapping.gazetteer_data import (
    DISTRICT_BOUNDARY_NAMES,
    DISTRICTS_FILE,
    EXTRACT_FILE,
    GOVERNORATE_CODES,
)
from mapping.geo import area_of_feature

Point = tuple[float, float]


def _simplify(points: list[Point], tolerance: float) -> list[Point]:
    """Douglas-Peucker on one line, keeping its two ends."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (ax, ay), (bx, by) = points[first], points[last]
        dx, dy = bx - ax, by - ay
        length = math.hypot(dx, dy)
        worst, worst_at = tolerance, None
        for i in range(first + 1, last):
            px, py = points[i]
            if length == 0:
                d = math.hypot(px - ax, py - ay)
            else:
                d = abs(dy * px - dx * py + bx * ay - by * ax) / length
            if d > worst:
                worst, worst_at = d, i
        if worst_at is not None:
            keep[worst_at] = True
            stack.extend([(first, worst_at), (worst_at, last)])
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def _arcs(topology: dict[str, Any], tolerance: float) -> list[list[Point]]:
    """The topology's arcs, decoded, simplified and rounded."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    decoded = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        simple = _simplify(points, tolerance)
        decoded.append([(round(lon, 4), round(lat, 4)) for lon, lat in simple])
    return decoded


def _ring(arcs: list[list[Point]], indexes: list[int]) -> list[list[float]]:
    ring: list[Point] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        ring.extend(arc if not ring else arc[1:])
    return [[lon, lat] for lon, lat in ring]


def _polygons(arcs: list[list[Point]], geometry: dict[str, Any]) -> list[list[list[list[float]]]]:
    parts = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
    return [[_ring(arcs, ring) for ring in polygon] for polygon in parts]


class Command(BaseCommand):
    help = "Rebuild mapping/data/districts.geojson from geoBoundaries' Syria ADM2 TopoJSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("topojson", type=Path)
        parser.add_argument("--tolerance", type=float, default=0.002)
        parser.add_argument("--seat-km", type=float, default=5.0)
        parser.add_argument("--output", type=Path, default=DISTRICTS_FILE)

    def handle(self, *args: Any, **options: Any) -> None:
        topology = json.loads(options["topojson"].read_text(encoding="utf-8"))
        arcs = _arcs(topology, options["tolerance"])
        (collection,) = topology["objects"].values()
        outlines = {
            geometry["properties"]["shapeName"]: _polygons(arcs, geometry)
            for geometry in collection["geometries"]
        }
        extract = json.loads(EXTRACT_FILE.read_text(encoding="utf-8"))
        features = []
        problems = []
        for district in extract["districts"]:
            slug = district["slug"]
            source_name = DISTRICT_BOUNDARY_NAMES.get(slug)
            polygons = outlines.pop(source_name, None) if source_name else None
            if polygons is None:
                problems.append(f"{slug}: no outline named {source_name!r}")
                continue
            feature = {
                "type": "Feature",
                "properties": {
                    "slug": slug,
                    "name": district["name"],
                    "name_ar": district["name_ar"],
                    "code": district["code"],
                    "governorate": GOVERNORATE_CODES[district["governorate"]][0],
                    "source_name": source_name,
                },
                "geometry": (
                    {"type": "Polygon", "coordinates": polygons[0]}
                    if len(polygons) == 1
                    else {"type": "MultiPolygon", "coordinates": polygons}
                ),
            }
            area = area_of_feature(feature)
            seat = (district["latitude"], district["longitude"])
            outside_km = 0.0 if area.contains(*seat) else area.distance_km(*seat)
            if outside_km > options["seat_km"] and not district.get("seat_guessed"):
                problems.append(f"{slug}: its seat is {outside_km:.1f} km outside {source_name}")
            features.append(feature)
        problems.extend(f"{name}: no district of the gazetteer" for name in outlines)
        if problems:
            raise CommandError("; ".join(problems))
        options["output"].write_text(
            json.dumps(
                {"type": "FeatureCollection", "features": features},
                ensure_ascii=False,
                separators=(",", ":"),
            )
            + "\n",
            encoding="utf-8",
        )
        self.stdout.write(f"Wrote {len(features)} district outlines to {options['output']}.")

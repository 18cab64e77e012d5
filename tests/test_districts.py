"""The district outlines (``mapping/data/districts.geojson``): one for each of the gazetteer's
61 districts, served beside the governorates' outlines, and named by the map's answer for an
incident located only to its district, which the map draws as that outline."""

from __future__ import annotations

import datetime as dt
import json

from incidents.models import Incident, Status
from incidents.readmodel import generation, mapcells
from mapping.aggregation import fine_cell, tile_key
from mapping.gazetteer_data import DISTRICTS_FILE, EXTRACT_FILE
from mapping.geo import district_areas, locate
from mapping.models import Place, PlaceKind

SYRIA = (35.5, 32.3, 42.5, 37.4)  # min lon, min lat, max lon, max lat


def test_every_gazetteer_district_has_its_outline(gazetteer_loaded):
    districts = Place.objects.filter(kind=PlaceKind.DISTRICT).select_related("parent")
    features = {
        feature["properties"]["slug"]: feature
        for feature in json.loads(DISTRICTS_FILE.read_text(encoding="utf-8"))["features"]
    }
    assert len(districts) == len(features) == 61
    assert set(features) == {district.slug for district in districts}
    areas = {area.slug: area for area in district_areas()}
    seats = {
        d["slug"]: d for d in json.loads(EXTRACT_FILE.read_text(encoding="utf-8"))["districts"]
    }
    for district in districts:
        area = areas[district.slug]
        assert features[district.slug]["properties"]["governorate"] == district.parent.slug
        min_lon, min_lat, max_lon, max_lat = area.bbox
        assert SYRIA[0] <= min_lon < max_lon <= SYRIA[2], district.slug
        assert SYRIA[1] <= min_lat < max_lat <= SYRIA[3], district.slug
        # Its area lies mostly in its governorate. The governorates' outlines are Natural
        # Earth's, coarser than OCHA's, and leave the occupied Golan outside Quneitra, which
        # OCHA's Fiq and Quneitra districts include: points of a grid over the district are
        # compared where they fall in a governorate at all.
        min_lon, min_lat, max_lon, max_lat = area.bbox
        grid = [
            (
                min_lat + (max_lat - min_lat) * (j + 0.5) / 12,
                min_lon + (max_lon - min_lon) * (i + 0.5) / 12,
            )
            for i in range(12)
            for j in range(12)
        ]
        located = [locate(*point)[0] for point in grid if area.contains(*point)]
        located = [slug for slug in located if slug]
        share = located.count(district.parent.slug) / len(located)
        assert share > 0.4, (district.slug, share)
        # Its seat lies in it, or by it on a coast or a border; a guessed seat is approximate.
        if not seats[district.slug].get("seat_guessed"):
            assert (
                area.contains(district.latitude, district.longitude)
                or area.distance_km(district.latitude, district.longitude) < 5
            ), district.slug


def test_the_district_outlines_are_served_as_geojson(client, db):
    response = client.get("/api/v1/districts.geojson")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == 61
    assert {"slug", "name", "name_ar", "governorate"} <= set(
        collection["features"][0]["properties"]
    )


def test_the_map_names_the_district_of_a_district_level_incident_only(client, gazetteer_loaded):
    jableh = Place.objects.get(slug="jableh-district")
    latakia = Place.objects.get(slug="latakia-governorate")
    rows = []
    for n, precision in enumerate(["district", "settlement", "governorate"]):
        latitude, longitude = jableh.latitude + 0.01 * n, jableh.longitude
        cx, cy = fine_cell(latitude, longitude)
        rows.append(
            Incident(
                public_id=f"SY-2024-{900000 + n}",
                title=f"Incident {n}",
                title_ar=f"حادثة {n}",
                event_type="shelling",
                date_start=dt.date(2024, 1, 1),
                date_end=dt.date(2024, 1, 1),
                latitude=latitude,
                longitude=longitude,
                location_precision=precision,
                governorate=latakia,
                district=jableh,
                grade="fair",
                status=Status.PUBLISHED,
                map_cx=cx,
                map_cy=cy,
                map_tile=tile_key(cx, cy),
            )
        )
    Incident.objects.bulk_create(rows)
    mapcells.rebuild()
    generation.changed()
    view = {"zoom": 10, "bbox": "35.5,34.9,36.5,35.8"}
    full = client.get("/api/v1/map/", view).json()
    assert {i["id"]: i["district"] for i in full["incidents"]} == {
        "SY-2024-900000": "jableh-district",
        "SY-2024-900001": "jableh-district",
        "SY-2024-900002": "jableh-district",
    }
    compact = client.get("/api/v1/map/", {**view, "layout": "compact"}).json()
    fields = compact["points"]["fields"]
    rows_by_id = {row[0]: dict(zip(fields, row, strict=True)) for row in compact["points"]["rows"]}
    # Only the district-level incident is drawn as its district's outline.
    assert rows_by_id["SY-2024-900000"]["district"] == "jableh-district"
    assert rows_by_id["SY-2024-900001"]["district"] is None
    assert rows_by_id["SY-2024-900002"]["district"] is None
    assert rows_by_id["SY-2024-900002"]["governorate"] == "latakia-governorate"

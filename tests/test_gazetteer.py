"""The gazetteer: loading, spellings that must resolve, ranking, reverse geocoding."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from incidents import services
from incidents.models import Incident
from mapping import gazetteer
from mapping.gazetteer_data import BOUNDARIES_FILE, EXTRACT_FILE
from mapping.loader import load_gazetteer
from mapping.models import LocationPrecision, Place, PlaceKind, PlaceOrigin
from mapping.names import norm_key, skeleton_key
from tests.conftest import incident_fields

# Spellings from the articles and the issue, and the gazetteer slug each must resolve to.
SPELLINGS = {
    "al-mukhtariyah": ["Mukhtariya", "al-Mukhtariyah", "Mukhtariyya", "المختارية", "المُخْتَارِيَّة"],
    "baniyas": ["Baniyas", "Banias", "بانياس", "BANIYAS", "Bāniyās"],
    "jablah": ["Jableh", "Jablah", "جبلة", "جبله"],
    "al-haffah": ["Al-Haffa", "Al Haffah", "al-Ḩaffah", "الحفة"],
    "al-qardahah": ["Qardaha", "Al-Qardahah", "El Qardaha"],
    "masyaf": ["Masyaf", "Misyaf", "مصياف"],
    "latakia": ["Latakia", "Lattakia", "اللاذقية"],
    "tartus": ["Tartus", "Tartous", "طرطوس"],
    "homs": ["Homs", "Hims", "حمص"],
    "arza": ["Arza", "Arzah", "أرزة", "ارزة"],
    "al-fandara": ["Al-Fandara", "Fandara"],
    "al-qusour-baniyas": ["al-Qusour", "Qusour"],
    "tuwaym": ["Tuwaym"],
}


def test_the_gazetteer_loads_governorates_districts_and_places(db):
    report = load_gazetteer()
    extract = json.loads(EXTRACT_FILE.read_text(encoding="utf-8"))
    assert report.created["governorates"] == 14
    assert report.created["districts"] == len(extract["districts"]) > 55
    assert report.created["places"] == len(extract["places"]) > 300
    assert report.created["curated places"] >= 5
    governorates = Place.objects.filter(kind=PlaceKind.GOVERNORATE)
    assert governorates.count() == 14
    assert all(g.name_ar.startswith("محافظة") for g in governorates)
    # Every district lies in a governorate; every populated place in a district.
    assert not Place.objects.filter(kind=PlaceKind.DISTRICT, parent__isnull=True).exists()
    geonames_places = Place.objects.filter(origin=PlaceOrigin.GEONAMES).exclude(
        kind__in=[PlaceKind.GOVERNORATE, PlaceKind.DISTRICT]
    )
    assert not geonames_places.exclude(parent__kind=PlaceKind.DISTRICT).exists()
    jablah = Place.objects.get(slug="jablah")
    assert (jablah.parent.slug, jablah.governorate.slug) == (
        "jableh-district",
        "latakia-governorate",
    )
    assert jablah.name_ar == "جبلة" and jablah.geonames_id == 169304
    # Curated entries say where their coordinates came from.
    for place in Place.objects.filter(origin=PlaceOrigin.CURATED):
        assert place.origin_note.strip(), place.slug
    assert Place.history.count() == Place.objects.count()


def test_loading_again_changes_nothing_and_keeps_researchers_places(db, capsys):
    call_command("load_gazetteer")
    researcher_place = Place.objects.create(
        slug="my-village",
        name="My village",
        kind=PlaceKind.VILLAGE,
        latitude=35.3,
        longitude=36.0,
        origin=PlaceOrigin.RESEARCHER,
        origin_note="Surveyed by the team.",
    )
    count = Place.objects.count()
    Place.objects.filter(slug="arza").update(name="Arza (edited)")
    call_command("load_gazetteer")
    out = capsys.readouterr().out
    assert "curated places: 0 created, 1 updated" in out
    assert "places: 0 created, 0 updated" in out
    assert Place.objects.count() == count
    assert Place.objects.get(slug="arza").name == "Arza"
    assert Place.objects.get(pk=researcher_place.pk).name == "My village"


@pytest.mark.parametrize("slug", sorted(SPELLINGS))
def test_every_spelling_resolves_to_the_right_place(gazetteer_loaded, slug):
    for spelling in SPELLINGS[slug]:
        result = gazetteer.search(spelling)
        assert result.found, spelling
        assert result.matches[0].place.slug == slug, (spelling, result.matches[0].place.slug)
        assert result.matches[0].score >= gazetteer.FOUND_SCORE


def test_exact_ranks_above_normalized_and_specific_above_general(gazetteer_loaded):
    exact = gazetteer.search("Mukhtariyya").matches[0]
    assert (exact.match, exact.score) == ("exact", 100.0)
    normalized = gazetteer.search("El-Mukhtariyeh").matches[0]
    assert normalized.place.slug == "al-mukhtariyah"
    assert normalized.match == "normalized" and normalized.score < 100
    # The city before the governorate and the district that share its name.
    assert [m.place.kind for m in gazetteer.search("Latakia", limit=3).matches] == [
        PlaceKind.CITY,
        PlaceKind.GOVERNORATE,
        PlaceKind.DISTRICT,
    ]


def test_a_misspelling_is_found_by_the_fuzzy_fallback_with_a_lower_score(gazetteer_loaded):
    result = gazetteer.search("Mukhtariyab")
    assert result.found
    best = result.matches[0]
    assert (best.place.slug, best.match) == ("al-mukhtariyah", "fuzzy")
    assert gazetteer.FOUND_SCORE <= best.score < 90


def test_an_unknown_name_is_not_found_and_offers_only_low_scored_candidates(gazetteer_loaded):
    result = gazetteer.search("Xyzzyville")
    assert not result.found
    assert result.best is None
    assert result.matches, "the nearest candidates are offered"
    assert all(m.score < gazetteer.FOUND_SCORE for m in result.matches)
    assert all(m.match == "fuzzy" for m in result.matches)


def test_search_can_be_restricted_to_a_governorate(gazetteer_loaded):
    everywhere = {m.place.slug for m in gazetteer.search("Hama", limit=10).matches}
    assert "hamah" in everywhere
    in_latakia = gazetteer.search("Jableh", governorate="latakia-governorate")
    assert in_latakia.matches[0].place.slug == "jablah"
    in_tartus = gazetteer.search("Jableh", governorate="tartus-governorate")
    assert all(m.place.governorate.slug == "tartus-governorate" for m in in_tartus.matches)
    assert not in_tartus.found or in_tartus.matches[0].place.slug != "jablah"


def test_match_as_dict_is_the_documented_shape(gazetteer_loaded):
    data = gazetteer.search("Banias").matches[0].as_dict()
    assert set(data) == {
        "id",
        "slug",
        "name",
        "name_ar",
        "alternate_names",
        "kind",
        "latitude",
        "longitude",
        "coordinate_precision",
        "governorate",
        "district",
        "score",
        "match",
    }
    assert data["slug"] == "baniyas" and data["name_ar"] == "بانياس"
    assert data["governorate"] == {
        "id": Place.objects.get(slug="tartus-governorate").pk,
        "slug": "tartus-governorate",
        "name": "Tartus Governorate",
        "name_ar": "محافظة طرطوس",
    }
    assert data["district"]["slug"] == "baniyas-district"
    json.dumps(data)  # serialisable as it is


@pytest.mark.parametrize("query", ["", "   ", "x" * 201])
def test_bad_queries_are_refused_with_a_clear_message(gazetteer_loaded, query):
    with pytest.raises(ValueError):
        gazetteer.search(query)


def test_the_index_follows_saved_and_deleted_places(gazetteer_loaded):
    assert not gazetteer.search("Zzqarya").found
    place = Place.objects.create(
        slug="zzqarya",
        name="Zzqarya",
        kind=PlaceKind.VILLAGE,
        latitude=35.3,
        longitude=36.0,
        origin=PlaceOrigin.RESEARCHER,
        origin_note="Test entry.",
    )
    assert gazetteer.search("Zzqarya").matches[0].place.slug == "zzqarya"
    place.delete()
    assert not gazetteer.search("Zzqarya").found


@pytest.mark.parametrize(
    ("slug", "governorate"),
    [
        ("arza", "hama-governorate"),
        ("baniyas", "tartus-governorate"),
        ("al-qusour-baniyas", "tartus-governorate"),
        ("al-mukhtariyah", "latakia-governorate"),
        ("jablah", "latakia-governorate"),
        ("al-haffah", "latakia-governorate"),
        ("al-qardahah", "latakia-governorate"),
        ("latakia", "latakia-governorate"),
        ("tartus", "tartus-governorate"),
        ("masyaf", "hama-governorate"),
        ("al-fandara", "hama-governorate"),
        ("hamah", "hama-governorate"),
        ("homs", "homs-governorate"),
        ("damascus", "damascus-governorate"),
        ("aleppo", "aleppo-governorate"),
    ],
)
def test_each_seed_place_reverse_geocodes_into_its_governorate(gazetteer_loaded, slug, governorate):
    place = Place.objects.get(slug=slug)
    areas = gazetteer.reverse(place.latitude, place.longitude)
    assert areas.governorate.slug == governorate
    assert areas.district.parent_id == areas.governorate.pk


def test_reverse_gives_the_district_and_nothing_outside_syria(gazetteer_loaded):
    assert gazetteer.reverse(35.36211, 35.92759).district.slug == "jableh-district"
    assert gazetteer.reverse(35.18188, 35.94871).district.slug == "baniyas-district"
    beirut = gazetteer.reverse(33.8938, 35.5018)
    assert (beirut.governorate, beirut.district) == (None, None)
    at_sea = gazetteer.reverse(34.5, 33.0)  # off Cyprus
    assert at_sea.governorate is None


def test_reverse_refuses_coordinates_off_the_earth(gazetteer_loaded):
    with pytest.raises(ValueError):
        gazetteer.reverse(95, 36)


def test_the_boundaries_file_is_small_valid_geojson_with_the_governorate_slugs(gazetteer_loaded):
    assert BOUNDARIES_FILE.stat().st_size < 300_000
    collection = json.loads(BOUNDARIES_FILE.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    slugs = {f["properties"]["slug"] for f in collection["features"]}
    assert slugs == set(
        Place.objects.filter(kind=PlaceKind.GOVERNORATE).values_list("slug", flat=True)
    )
    for feature in collection["features"]:
        assert feature["properties"]["name"] and feature["properties"]["name_ar"]
        for polygon in feature["geometry"]["coordinates"]:
            for ring in polygon:
                assert ring[0] == ring[-1] and len(ring) >= 4


def test_names_keys_set_transliteration_aside():
    assert norm_key("al-Mukhtariyah") == norm_key("Mukhtariyya") == norm_key("MUKHTARIYA")
    assert norm_key("أرزة") == norm_key("ارزه") == norm_key("أَرْزَة")
    assert norm_key("Al Ḩaffah") == norm_key("El-Haffeh")
    assert skeleton_key("Homs") == skeleton_key("Hims")
    assert skeleton_key("Hama") == ""  # too short to trust


# --- incidents take their governorate and district from their point ---------------------


def test_a_new_incident_gets_governorate_and_district_from_its_point(gazetteer_loaded, researcher):
    incident = services.incident_create(
        user=researcher, **incident_fields(latitude=35.18188, longitude=35.94871)
    )
    assert incident.governorate.slug == "tartus-governorate"
    assert incident.district.slug == "baniyas-district"


def test_moving_the_point_moves_the_admin_areas(gazetteer_loaded, researcher):
    incident = services.incident_create(user=researcher, **incident_fields())
    assert incident.governorate.slug == "latakia-governorate"
    services.incident_update(
        incident=incident,
        user=researcher,
        expected_version=incident.version,
        latitude=35.1744,
        longitude=36.6975,
    )
    incident.refresh_from_db()
    assert incident.governorate.slug == "hama-governorate"
    assert incident.district.parent.slug == "hama-governorate"
    assert Incident.history.filter(id=incident.pk).first().governorate_id == incident.governorate_id


def test_a_coarse_point_only_vouches_for_the_levels_it_covers(gazetteer_loaded, researcher):
    incident = services.incident_create(
        user=researcher,
        **incident_fields(location_precision=LocationPrecision.GOVERNORATE),
    )
    assert incident.governorate.slug == "latakia-governorate"
    assert incident.district is None
    whole_country = services.incident_create(
        user=researcher,
        **incident_fields(latitude=35.0, longitude=38.0, location_precision="country"),
    )
    assert (whole_country.governorate, whole_country.district) == (None, None)

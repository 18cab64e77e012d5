"""Data set files as they really come: rows shaped like ACLED's older layout (a 2020
extract of many countries), its current layout, and the UCDP GED 23.1 CSV, with the
oddities the real files hold: another country's rows, figures out of order, coalitions,
the source's own admin areas, older extracts, reformatted dates."""

from __future__ import annotations

import csv
import io

import pytest

from incidents.crosswalk import ACLED_COLUMNS, ACLED_COLUMNS_PRE_2023
from incidents.imports import acled, ucdp
from incidents.models import Actor, Attribution, Claim, ExternalRecord, Incident

pytestmark = pytest.mark.usefixtures("gazetteer_loaded")

# ACLED's two layouts, as the crosswalk declares them (and the importers read them).
ACLED_OLD = list(ACLED_COLUMNS_PRE_2023)
ACLED_CURRENT = list(ACLED_COLUMNS)
GED = [
    "id",
    "relid",
    "year",
    "active_year",
    "code_status",
    "type_of_violence",
    "conflict_new_id",
    "conflict_name",
    "dyad_new_id",
    "dyad_name",
    "side_a_new_id",
    "gwnoa",
    "side_a",
    "side_b_new_id",
    "gwnob",
    "side_b",
    "number_of_sources",
    "source_article",
    "source_office",
    "source_date",
    "source_headline",
    "source_original",
    "where_prec",
    "where_coordinates",
    "where_description",
    "adm_1",
    "adm_2",
    "latitude",
    "longitude",
    "geom_wkt",
    "priogrid_gid",
    "country",
    "country_id",
    "region",
    "event_clarity",
    "date_prec",
    "date_start",
    "date_end",
    "deaths_a",
    "deaths_b",
    "deaths_civilians",
    "deaths_unknown",
    "best",
    "high",
    "low",
]


def acled_row(**values: str) -> dict[str, str]:
    """A row of the current layout: an airstrike in Idleb, 2017."""
    row = {
        "event_id_cnty": "SYR20001",
        "event_date": "2017-05-03",
        "year": "2017",
        "time_precision": "1",
        "disorder_type": "Political violence",
        "event_type": "Explosions/Remote violence",
        "sub_event_type": "Air/drone strike",
        "actor1": "Military Forces of Syria (2000-2024)",
        "assoc_actor_1": "",
        "inter1": "State forces",
        "actor2": "Civilians (Syria)",
        "assoc_actor_2": "",
        "inter2": "Civilians",
        "interaction": "State forces-Civilians",
        "civilian_targeting": "Civilian targeting",
        "iso": "760",
        "region": "Middle East",
        "country": "Syria",
        "admin1": "Idleb",
        "admin2": "Ariha",
        "admin3": "Ariha",
        "location": "Ariha",
        "latitude": "35.8134",
        "longitude": "36.6103",
        "geo_precision": "1",
        "source": "SOHR; Step News Agency",
        "source_scale": "National",
        "notes": "On 3 May 2017, regime warplanes struck Ariha. 3 civilians were killed.",
        "fatalities": "3",
        "tags": "",
        "timestamp": "1618500000",
    }
    row.update(values)
    return row


def acled_old_row(**values: str) -> dict[str, str]:
    """A row of the older layout (2020 extracts): numeric inter codes, data_id, iso3."""
    current = acled_row(**values)
    row = {name: current.get(name, "") for name in ACLED_OLD}
    row.update(
        data_id=values.get("data_id", "7000001"),
        event_id_no_cnty=current["event_id_cnty"].removeprefix("SYR"),
        inter1=values.get("inter1", "1"),
        inter2=values.get("inter2", "7"),
        interaction=values.get("interaction", "17"),
        iso3=values.get("iso3", "SYR"),
        event_date=values.get("event_date", "03 May 2017"),
    )
    return row


def ged_row(**values: str) -> dict[str, str]:
    """A GED 23.1 row: a state-based clash near Aleppo, dates as the GED's CSV writes them."""
    row = dict.fromkeys(GED, "")
    row.update(
        id="299515",
        relid="SYR-2019-1-11347-68",
        year="2019",
        active_year="1",
        code_status="Clear",
        type_of_violence="1",
        conflict_new_id="299",
        conflict_name="Syria: Government",
        dyad_new_id="11347",
        dyad_name="Government of Syria - Syrian insurgents",
        side_a_new_id="120",
        gwnoa="652",
        side_a="Government of Syria",
        side_b_new_id="6135",
        gwnob="",
        side_b="Syrian insurgents",
        number_of_sources="1",
        source_article='"SOHR,2019-05-10,Clashes in Aleppo countryside"',
        source_office="SOHR",
        source_date="2019-05-10",
        source_headline="Clashes in Aleppo countryside",
        where_prec="1",
        where_coordinates="Khan Tuman village",
        where_description="Khan Tuman",
        adm_1="Aleppo governorate",
        adm_2="Jebel Saman district",
        latitude="36.107",
        longitude="37.039",
        geom_wkt="POINT (37.039 36.107)",
        priogrid_gid="181035",
        country="Syria",
        country_id="652",
        region="Middle East",
        event_clarity="1",
        date_prec="1",
        date_start="2019-05-09 00:00:00.000",
        date_end="2019-05-09 00:00:00.000",
        deaths_a="4",
        deaths_b="6",
        deaths_civilians="0",
        deaths_unknown="0",
        best="10",
        high="10",
        low="9",
    )
    row.update(values)
    return row


def as_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def reasons(report) -> list[str]:
    return [failure.reason for failure in report.failures]


# --- 3. scope: the country first, then the point ---------------------------------------------


def test_another_countrys_row_is_skipped_even_with_an_empty_id():
    rows = [
        acled_old_row(event_id_cnty="", country="Iraq", latitude="33.3", longitude="44.4"),
        acled_old_row(event_id_cnty="SYR20002"),
    ]
    report = acled.import_file(as_csv(rows))
    assert (report.created, report.skipped, report.failed) == (1, 1, 0)
    assert report.skip_reasons == {"outside Syria": 1}


def test_a_blank_country_with_a_point_in_baghdad_is_refused_naming_the_distance():
    report = acled.import_file(
        as_csv([acled_row(country="", latitude="33.3152", longitude="44.3661")])
    )
    assert report.created == 0
    (reason,) = reasons(report)
    assert reason.startswith("latitude: the point (33.3152, 44.3661) lies ")
    assert "km outside Syria" in reason
    assert not Incident.objects.exists()


def test_a_blank_country_with_a_point_in_syria_is_kept_with_a_warning():
    report = acled.import_file(as_csv([acled_row(country="")]))
    assert report.created == 1
    assert [w.reason for w in report.warnings] == [
        "country is empty: taken because its point lies in Syria"
    ]


def test_swapped_coordinates_are_refused_and_the_swap_is_named():
    # Ariha's point with latitude and longitude swapped lies in Turkey.
    report = ucdp.import_file(as_csv([ged_row(latitude="37.039", longitude="36.107")]))
    assert report.created == 0
    (reason,) = reasons(report)
    assert "km outside Syria" in reason and "latitude and longitude look swapped" in reason


def test_a_border_town_just_outside_the_outline_is_kept_with_a_warning():
    # Kilis' southern edge, about 4 km into Turkey from the border at Bab al-Salameh.
    report = acled.import_file(as_csv([acled_row(latitude="36.675", longitude="37.09")]))
    assert report.created == 1 and report.failed == 0
    (warning,) = report.warnings
    assert "km outside Syria: kept as a place near the border" in warning.reason
    assert warning.external_id == "SYR20001"


# --- 1. the GED's own figures out of order ---------------------------------------------------


@pytest.mark.parametrize(
    ("event", "low", "best", "high", "incident_range"),
    [("304491", "5", "4", "5", (4, 4, 5)), ("299515", "9", "10", "9", (9, 10, 10))],
)
def test_ged_figures_out_of_order_are_kept_with_a_warning(event, low, best, high, incident_range):
    row = ged_row(id=event, low=low, best=best, high=high)
    report = ucdp.import_file(as_csv([row]))
    assert (report.created, report.failed) == (1, 0)
    (warning,) = report.warnings
    assert warning.external_id == event
    assert f"low {low}, best {best} and high {high} are not in order" in warning.reason

    record = ExternalRecord.objects.get(external_id=event)
    assert record.row == row  # verbatim
    incident = record.incident
    assert (incident.killed_low, incident.killed_best, incident.killed_high) == incident_range
    assert "out of order" in incident.figure_rationale
    claim = Claim.objects.get(external_record=record)
    assert (claim.killed_min, claim.killed_max) == (int(low), int(high))
    assert f"best {best}, low {low}, high {high}" in claim.notes


# --- 2. coalitions and associated actors -----------------------------------------------------


def _attributed(external_id: str) -> set[str]:
    incident = ExternalRecord.objects.get(external_id=external_id).incident
    return set(Attribution.objects.filter(incident=incident).values_list("actor__name", flat=True))


def test_a_ged_coalition_becomes_each_of_its_actors():
    row = ged_row(
        id="385610",
        type_of_violence="2",
        side_a="SDF",
        side_b="Jaysh al-Sanadid, MFS, PYD",
        dyad_name="SDF - Jaysh al-Sanadid, MFS, PYD",
    )
    report = ucdp.import_file(as_csv([row]))
    assert report.created == 1
    assert _attributed("385610") == {"SDF", "Jaysh al-Sanadid", "MFS", "PYD"}
    pyd = Actor.objects.get(name="PYD")
    assert Incident.objects.filter(attributions__actor=pyd).count() == 1
    assert not Actor.objects.filter(name__contains=",").exists()


def test_a_long_coalition_never_fails_its_row():
    members = ", ".join(f"Brigade of the martyr number {n} of the northern front" for n in range(8))
    long_name = "Syrian insurgents of the northern countryside united front " * 5
    rows = [
        ged_row(id="400001", side_b=members),
        ged_row(id="400002", side_b=long_name.strip()),
    ]
    report = ucdp.import_file(as_csv(rows))
    assert (report.created, report.failed) == (2, 0)
    assert len(_attributed("400001")) == 9  # the government and the eight brigades
    assert all(len(name) <= 200 for name in Actor.objects.values_list("name", flat=True))


def test_acleds_associated_actors_are_each_an_actor():
    row = acled_row(
        event_id_cnty="SYR30001",
        event_type="Battles",
        sub_event_type="Armed clash",
        actor1="Hayat Tahrir al-Sham",
        assoc_actor_1="Ahrar al-Sham; Jaish al-Izza",
        inter1="Rebel group",
        actor2="Military Forces of Syria (2000-2024)",
        assoc_actor_2="Military Forces of Russia (2000-); NDF: National Defence Forces",
        inter2="State forces",
    )
    acled.import_file(as_csv([row]))
    assert _attributed("SYR30001") == {
        "Hayat Tahrir al-Sham",
        "Ahrar al-Sham",
        "Jaish al-Izza",
        "Military Forces of Syria (2000-2024)",
        "Military Forces of Russia (2000-)",
        "NDF: National Defence Forces",
    }
    assert Actor.objects.get(name="Military Forces of Russia (2000-)").kind == "state_forces"
    claim = Claim.objects.get()
    assert claim.perpetrator.name == "Hayat Tahrir al-Sham"


def test_associated_civilians_are_actors_but_never_responsible():
    row = acled_row(assoc_actor_2="Civilians (Syria); Alawite Ethnic Group (Syria)")
    acled.import_file(as_csv([row]))
    assert _attributed("SYR20001") == {"Military Forces of Syria (2000-2024)"}
    assert Actor.objects.filter(name="Alawite Ethnic Group (Syria)").exists()


# --- 6. a reformatted file is not a changed one ----------------------------------------------


def test_the_same_ged_data_with_other_date_formats_is_unchanged():
    rows = [ged_row(id=str(300000 + n), latitude=f"{36.0 + n / 100:.3f}") for n in range(5)]
    first = ucdp.import_file(as_csv(rows))
    assert first.created == 5
    versions = dict(Incident.objects.values_list("pk", "version"))
    history = Incident.history.count()
    short = [
        {
            **row,
            "date_start": row["date_start"][:10],
            "date_end": row["date_end"][:10],
            "best": row["best"] + ".0",
            "side_b": f" {row['side_b']} ",
        }
        for row in rows
    ]
    again = ucdp.import_file(as_csv(short))
    assert (again.created, again.updated, again.skipped) == (0, 0, 5)
    assert dict(Incident.objects.values_list("pk", "version")) == versions
    assert Incident.history.count() == history
    # A real change among reformatted rows still updates.
    short[0]["best"] = "11"
    short[0]["high"] = "12"
    assert ucdp.import_file(as_csv(short)).updated == 1


def test_the_same_acled_event_in_the_older_layouts_date_format_is_unchanged():
    acled.import_file(as_csv([acled_row(event_date="2017-05-03")]))
    again = acled.import_file(as_csv([acled_row(event_date="03 May 2017", fatalities="3.0")]))
    assert (again.updated, again.skipped) == (0, 1)


# --- 4. the source's own geography -----------------------------------------------------------


def test_acleds_admin1_is_kept_over_the_outline_and_the_disagreement_noted():
    # Ein Terma: Rural Damascus for ACLED, inside Damascus by the coarse outline.
    rows = [
        acled_row(
            event_id_cnty="SYR40001",
            admin1="Rural Damascus",
            admin2="Rural Damascus",
            admin3="Arbin",
            location="Ein Terma",
            latitude="33.5186",
            longitude="36.3417",
        ),
        acled_row(event_id_cnty="SYR40002", admin1="Dara", latitude="32.6189", longitude="36.1021"),
    ]
    report = acled.import_file(as_csv(rows))
    assert report.created == 2
    ein_terma = ExternalRecord.objects.get(external_id="SYR40001").incident
    assert ein_terma.governorate.slug == "rif-dimashq-governorate"
    assert ein_terma.district is not None
    assert ein_terma.district.parent_id == ein_terma.governorate_id
    assert "ACLED names the governorate Rural Damascus; the point lies in Damascus" in (
        ein_terma.location_note
    )
    assert report.notes == {
        "governorate as the source names it, not where the outline puts the point": 1
    }
    daraa = ExternalRecord.objects.get(external_id="SYR40002").incident
    assert daraa.governorate.slug == "daraa-governorate"
    assert "names the governorate" not in daraa.location_note


def test_the_geds_adm_1_is_kept_over_the_outline():
    # Kinda: Idlib in both data sets, inside Latakia by the coarse outline.
    row = ged_row(
        id="261001",
        adm_1="Idlib governorate",
        adm_2="Jisr al-Shughur district",
        where_coordinates="Kinda village",
        latitude="35.75",
        longitude="36.2",
    )
    ucdp.import_file(as_csv([row]))
    incident = Incident.objects.get()
    assert incident.governorate.slug == "idlib-governorate"
    assert "the point lies in Latakia Governorate" in incident.location_note


# --- 5. an older extract does not overwrite a newer one --------------------------------------


def test_an_older_acled_extract_does_not_revert_the_newer_one():
    newer = [
        acled_row(event_id_cnty="SYR77978", fatalities="2", timestamp="1679000000"),
        acled_row(
            event_id_cnty="SYR77955",
            latitude="35.9306",
            longitude="36.6339",
            timestamp="1679000001",
        ),
        acled_row(event_id_cnty="SYR77990", fatalities="1", timestamp="1580000000"),
    ]
    acled.import_file(as_csv(newer))
    older = [
        acled_old_row(event_id_cnty="SYR77978", fatalities="1", timestamp="1582000000"),
        acled_old_row(
            event_id_cnty="SYR77955",
            latitude="35.8134",
            longitude="36.6103",
            timestamp="1582000001",
        ),
        # Newer in this extract than in the database: it updates.
        acled_old_row(event_id_cnty="SYR77990", fatalities="4", timestamp="1590000000"),
    ]
    report = acled.import_file(as_csv(older))
    assert (report.updated, report.skipped) == (1, 2)
    assert report.skip_reasons == {"older than the record kept": 2}
    assert "ACLED version 1582000000 < 1679000000" in report.preview[0]["reason"]
    kept = ExternalRecord.objects.get(external_id="SYR77978").incident
    assert kept.killed_best == 2
    moved = ExternalRecord.objects.get(external_id="SYR77955").incident
    assert (moved.latitude, moved.longitude) == (35.9306, 36.6339)
    assert ExternalRecord.objects.get(external_id="SYR77990").incident.killed_best == 4


# --- 8. the country is a setting -------------------------------------------------------------


def test_another_country_is_imported_when_the_setting_names_it(settings, client):
    settings.INCIDENT_MAP = {**settings.INCIDENT_MAP, "COUNTRY": "Lebanon"}
    beirut = acled_row(
        event_id_cnty="LBN5001",
        country="Lebanon",
        admin1="Beirut",
        admin2="Beirut",
        admin3="",
        location="Beirut - Dahieh",
        latitude="33.8486",
        longitude="35.5061",
    )
    rows = [beirut, acled_row(event_id_cnty="SYR5002")]
    report = acled.import_file(as_csv(rows))
    assert (report.created, report.skipped, report.failed) == (1, 1, 0)
    assert report.skip_reasons == {"outside Lebanon": 1}
    incident = ExternalRecord.objects.get(external_id="LBN5001").incident
    assert incident.governorate is None  # no gazetteer of Lebanon
    ged = ucdp.import_file(as_csv([ged_row(country="Lebanon", latitude="33.85", longitude="35.5")]))
    assert ged.created == 1

    # The map opens on the country; the gazetteer of Syria is not loaded into its map.
    from django.core.management import CommandError, call_command

    from mapping.country import default_view

    assert default_view() == ((33.9, 35.85), 9)
    page = client.get("/")
    assert b"33.9" in page.content and b"35.85" in page.content
    with pytest.raises(CommandError, match="no gazetteer of Lebanon"):
        call_command("load_gazetteer")


def test_syria_is_the_default_country(settings):
    from mapping.country import default_view, name

    assert name() == "Syria"
    assert default_view() == (tuple(settings.LEAFLET_CONFIG["DEFAULT_CENTER"]), 8)


# --- 7. duplicates that mean something -------------------------------------------------------


def _day_of_shelling(n: int) -> list[dict[str, str]]:
    """ACLED's way: a day of shelling around one town is many rows, a few hundred metres
    and a day apart, by the same actors, with similar figures."""
    return [
        acled_row(
            event_id_cnty=f"SYR6{k:04d}",
            event_date=f"2017-05-0{1 + k % 3}",
            sub_event_type="Shelling/artillery/missile attack",
            latitude=f"{35.8134 + (k % 5) * 0.002:.4f}",
            longitude=f"{36.6103 + (k % 4) * 0.002:.4f}",
            fatalities=str(1 + k % 2),
            notes=f"Regime forces shelled Ariha ({k}).",
        )
        for k in range(n)
    ]


def test_a_whole_acled_file_flags_no_pairs_among_its_own_rows():
    from incidents.models import DuplicateCandidate

    report = acled.import_file(as_csv(_day_of_shelling(40)))
    assert report.created == 40
    assert report.duplicates == 0 and not DuplicateCandidate.objects.exists()


def _ged_of(row: dict[str, str], **values: str) -> dict[str, str]:
    """The GED's row of an ACLED event: its point a little off, its own spelling of actors."""
    return ged_row(
        id=values.pop("id", "700001"),
        type_of_violence="3",
        side_a=values.pop("side_a", "Government of Syria"),
        side_b="Civilians",
        adm_1="Idlib governorate",
        where_coordinates="Ariha town",
        latitude=f"{float(row['latitude']) + 0.004:.4f}",
        longitude=row["longitude"],
        date_start=f"{row['event_date']} 00:00:00.000",
        date_end=f"{row['event_date']} 00:00:00.000",
        deaths_a="0",
        deaths_b="0",
        deaths_civilians=row["fatalities"],
        best=row["fatalities"],
        low=row["fatalities"],
        high=row["fatalities"],
        **values,
    )


def test_the_same_event_in_acled_and_the_ged_is_flagged_but_not_with_other_actors():
    from incidents.models import DuplicateCandidate

    event = acled_row()
    acled.import_file(as_csv([event]))
    report = ucdp.import_file(as_csv([_ged_of(event), _ged_of(event, id="700002", side_a="IS")]))
    assert report.created == 2
    (pair,) = DuplicateCandidate.objects.all()
    ids = {
        pair.first.external_records.get().external_id,
        pair.second.external_records.get().external_id,
    }
    assert ids == {"SYR20001", "700001"}
    assert "same actors: Government of Syria" in pair.reasons or any(
        reason.startswith("same actors") for reason in pair.reasons
    )


def test_a_researchers_own_incident_is_compared_with_imported_rows(researcher):
    from incidents import services
    from incidents.models import DuplicateCandidate

    own = services.incident_create(
        user=researcher,
        title="Airstrike on Ariha",
        event_type="airstrike",
        date_start=__import__("datetime").date(2017, 5, 3),
        date_end=__import__("datetime").date(2017, 5, 3),
        latitude=35.8136,
        longitude=36.6105,
        location_precision="settlement",
        place_name="Ariha",
    )
    report = acled.import_file(as_csv([acled_row()]))
    assert report.duplicates == 1
    pair = DuplicateCandidate.objects.get()
    assert own.pk in (pair.first_id, pair.second_id)


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        ("Military Forces of Syria (2000-2024)", "Government of Syria", True),
        ("Police Forces of Syria (2024-)", "Government of Syria", True),
        ("Islamic State (Syria)", "IS", True),
        ("SDF: Syrian Democratic Forces", "SDF", True),
        ("Hayat Tahrir al-Sham", "Hayat Tahrir al-Sham", True),
        ("Military Forces of Russia (2000-)", "Government of Syria", False),
        ("Islamic State (Syria)", "SDF", False),
    ],
)
def test_actor_names_of_the_two_data_sets_match(one, other, same):
    from incidents.duplicates import actor_keys

    def kind(name):
        return "state_forces" if "Forces of" in name or "Government" in name else "non_state"

    assert (not actor_keys(one, kind(one)).isdisjoint(actor_keys(other, kind(other)))) is same


# --- the three kinds of file: no in-scope row lost, the file's own totals kept --------------

COUNTRIES = [
    ("Syria", 36.2, 37.1),
    ("Iraq", 33.3, 44.4),
    ("Lebanon", 33.9, 35.5),
    ("Turkey", 37.0, 35.3),
]
OLD_ADMIN1 = ["Dara", "Deir ez Zor", "Al Hasakeh", "Ar Raqqa", "As Sweida", "Idleb", "Aleppo"]
SYRIAN_POINTS = [
    (32.6189, 36.1021),  # Daraa
    (35.3359, 40.1408),  # Deir ez-Zor
    (36.5024, 40.7477),  # Al-Hasakah
    (35.9500, 39.0100),  # Raqqa
    (32.7090, 36.5695),  # Suwayda
    (35.9306, 36.6339),  # Idlib
    (36.2021, 37.1343),  # Aleppo
]


def _old_extract() -> list[dict[str, str]]:
    """A 2020 extract of several countries, in the older layout: ids shared between
    countries' numbering, empty ids in other countries' rows, coalitions, old spellings."""
    rows = []
    for n in range(48):
        country, lat, lon = COUNTRIES[n % 4]
        syria = country == "Syria"
        admin1 = OLD_ADMIN1[n % 7] if syria else "Somewhere"
        point = SYRIAN_POINTS[n % 7] if syria else (lat, lon)
        rows.append(
            acled_old_row(
                data_id=str(7100000 + n),
                event_id_cnty=(f"SYR7{n:04d}" if syria else ("" if n % 8 == 1 else f"IRQ{n}")),
                event_date=f"{1 + n % 27:02d} March 2020",
                country=country,
                admin1=admin1,
                latitude=f"{point[0]:.4f}",
                longitude=f"{point[1]:.4f}",
                assoc_actor_1="NDF: National Defence Forces; Liwa al-Quds" if n % 3 == 0 else "",
                fatalities=str(n % 5),
                timestamp=str(1584000000 + n),
                iso3="SYR" if syria else "OTH",
            )
        )
    return rows


def _current_file() -> list[dict[str, str]]:
    return [
        acled_row(
            event_id_cnty=f"SYR8{n:04d}",
            event_date=f"2023-02-{1 + n % 28:02d}",
            admin1=["Daraa", "Deir-ez-Zor", "Hasakeh", "Raqqa", "Sweida", "Idleb", "Aleppo"][n % 7],
            latitude=f"{SYRIAN_POINTS[n % 7][0]:.4f}",
            longitude=f"{SYRIAN_POINTS[n % 7][1]:.4f}",
            fatalities=str((n * 7) % 11),
            timestamp=str(1677000000 + n),
        )
        for n in range(30)
    ]


def _ged_file(long_dates: bool) -> list[dict[str, str]]:
    rows = []
    for n in range(25):
        low, best, high = (n % 4, n % 4 + 1, n % 4 + 3)
        if n == 3:
            low, best, high = 5, 4, 5
        if n == 4:
            low, best, high = 9, 10, 9
        day = f"2019-06-{1 + n:02d}"
        rows.append(
            ged_row(
                id=str(310000 + n),
                side_b="Jaysh al-Sanadid, MFS, PYD" if n % 5 == 0 else "Syrian insurgents",
                date_start=f"{day} 00:00:00.000" if long_dates else day,
                date_end=f"{day} 00:00:00.000" if long_dates else day,
                latitude=f"{SYRIAN_POINTS[n % 7][0]:.4f}",
                longitude=f"{SYRIAN_POINTS[n % 7][1]:.4f}",
                adm_1="",
                low=str(low),
                best=str(best),
                high=str(high),
                country="Syria" if n < 22 else "Iraq",
            )
        )
    return rows


def _killed(dataset: str) -> tuple[int, int, int]:
    incidents = Incident.objects.filter(external_records__dataset=dataset)
    values = list(incidents.values_list("killed_low", "killed_best", "killed_high"))
    return tuple(sum(v[i] or 0 for v in values) for i in range(3))


def test_the_three_kinds_of_file_lose_no_row_and_keep_their_totals():
    old, current = _old_extract(), _current_file()
    old_syria = [row for row in old if row["country"] == "Syria"]
    report = acled.import_file(as_csv(old))
    assert report.failed == 0
    assert report.created == len(old_syria) and report.skipped == len(old) - len(old_syria)
    assert _killed("acled")[1] == sum(int(row["fatalities"]) for row in old_syria)

    report = acled.import_file(as_csv(current))
    assert (report.created, report.failed) == (len(current), 0)
    in_file = sum(int(row["fatalities"]) for row in old_syria + current)
    assert _killed("acled") == (in_file, in_file, in_file)
    # Every governorate is the one ACLED names, in both spellings.
    assert not Incident.objects.filter(governorate__isnull=True).exists()

    ged = _ged_file(long_dates=True)
    ged_syria = [row for row in ged if row["country"] == "Syria"]
    report = ucdp.import_file(as_csv(ged))
    assert (report.created, report.failed) == (len(ged_syria), 0)
    assert len(report.warnings) == 2  # the two rows out of order
    low, best, high = _killed("ucdp")
    assert best == sum(int(row["best"]) for row in ged_syria)
    assert low == sum(min(int(row[c]) for c in ("low", "best", "high")) for row in ged_syria)
    assert high == sum(max(int(row[c]) for c in ("low", "best", "high")) for row in ged_syria)
    claims = Claim.objects.filter(external_record__dataset="ucdp")
    assert sum(claims.values_list("killed_min", flat=True)) == sum(int(r["low"]) for r in ged_syria)
    assert sum(claims.values_list("killed_max", flat=True)) == sum(
        int(r["high"]) for r in ged_syria
    )

    again = ucdp.import_file(as_csv(_ged_file(long_dates=False)))
    assert (again.created, again.updated, again.failed) == (0, 0, 0)
    assert ExternalRecord.objects.count() == len(old_syria) + len(current) + len(ged_syria)

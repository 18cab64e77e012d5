"""ACLED events imported and exported again through the crosswalk come back as they were.

Rows of both ACLED layouts (the current one and the one before 2023) are made here with what
scrambled them before: battles (both sides held responsible), associated actors, several
named sources with their scale, IED and grenade events, numeric actor types, notes that
begin with the date, ACLED's own spellings of districts and subdistricts. Every column is
compared with the export's; a fact a researcher changes since makes its columns follow the
mapping, and leaves the others as ACLED wrote them.
"""

from __future__ import annotations

import csv
import io

import pytest

from incidents import crosswalk, services
from incidents.imports import acled
from incidents.models import EventType, ExternalRecord, Incident

CURRENT_ROWS = [
    {
        "event_id_cnty": "SYR30001",
        "event_date": "2025-03-07",
        "year": "2025",
        "time_precision": "1",
        "disorder_type": "Political violence",
        "event_type": "Battles",
        "sub_event_type": "Armed clash",
        "actor1": "Unidentified Armed Group (Syria)",
        "assoc_actor_1": "Assad Loyalist Militia",
        "inter1": "Political militia",
        "actor2": "Military Forces of Syria (2024-)",
        "assoc_actor_2": "Police Forces of Syria (2024-)",
        "inter2": "State forces",
        "interaction": "State forces-Political militia",
        "civilian_targeting": "",
        "iso": "760",
        "region": "Middle East",
        "country": "Syria",
        "admin1": "Lattakia",
        "admin2": "Jablah",
        "admin3": "Ein Elsharqiyeh",
        "location": "Jableh",
        "latitude": "35.3614",
        "longitude": "35.9256",
        "geo_precision": "1",
        "source": "Syrian Observatory for Human Rights; Enab Baladi; Step News Agency",
        "source_scale": "Other-National",
        "notes": "On 7 March 2025, gunmen attacked an army checkpoint in Jableh. 9 fatalities.",
        "fatalities": "9",
        "tags": "",
        "timestamp": "1741600100",
    },
    {
        "event_id_cnty": "SYR30002",
        "event_date": "2025-03-08",
        "year": "2025",
        "time_precision": "2",
        "disorder_type": "Political violence",
        "event_type": "Explosions/Remote violence",
        "sub_event_type": "Remote explosive/landmine/IED",
        "actor1": "Unidentified Armed Group (Syria)",
        "assoc_actor_1": "",
        "inter1": "Political militia",
        "actor2": "Civilians (Syria)",
        "assoc_actor_2": "Farmers (Syria); Alawite Ethnic Group (Syria)",
        "inter2": "Civilians",
        "interaction": "Political militia-Civilians",
        "civilian_targeting": "Civilian targeting",
        "iso": "760",
        "region": "Middle East",
        "country": "Syria",
        "admin1": "Hama",
        "admin2": "Masyaf",
        "admin3": "Wadi El-Oyoun",
        "location": "Masyaf",
        "latitude": "35.0653",
        "longitude": "36.3421",
        "geo_precision": "2",
        "source": "SANA",
        "source_scale": "National",
        "notes": "On 8 March 2025, an IED went off under a tractor near Masyaf, killing 2.",
        "fatalities": "2",
        "tags": "",
        "timestamp": "1741600200",
    },
    {
        "event_id_cnty": "SYR30003",
        "event_date": "2025-03-09",
        "year": "2025",
        "time_precision": "1",
        "disorder_type": "Political violence",
        "event_type": "Explosions/Remote violence",
        "sub_event_type": "Grenade",
        "actor1": "Unidentified Armed Group (Syria)",
        "assoc_actor_1": "",
        "inter1": "Political militia",
        "actor2": "",
        "assoc_actor_2": "",
        "inter2": "",
        "interaction": "Political militia only",
        "civilian_targeting": "",
        "iso": "760",
        "region": "Middle East",
        "country": "Syria",
        "admin1": "Tartous",
        "admin2": "Banyas",
        "admin3": "Banyas",
        "location": "Baniyas",
        "latitude": "35.1822",
        "longitude": "35.9403",
        "geo_precision": "1",
        "source": "Halab Today TV; Twitter",
        "source_scale": "New media-Subnational",
        "notes": "A grenade was thrown at a shop in Baniyas; no one was hurt.",
        "fatalities": "0",
        "tags": "",
        "timestamp": "1741600300",
    },
]

OLD_ROWS = [
    {
        "data_id": "9101",
        "iso": "760",
        "event_id_cnty": "SYR31001",
        "event_id_no_cnty": "31001",
        "event_date": "07 March 2025",
        "year": "2025",
        "time_precision": "1",
        "event_type": "Battles",
        "sub_event_type": "Armed clash",
        "actor1": "Hay'at Tahrir al-Sham",
        "assoc_actor_1": "",
        "inter1": "2",
        "actor2": "Military Forces of Syria (2000-2024)",
        "assoc_actor_2": "",
        "inter2": "1",
        "interaction": "12",
        "region": "Middle East",
        "country": "Syria",
        "admin1": "Lattakia",
        "admin2": "Lattakia",
        "admin3": "Lattakia",
        "location": "Al-Mukhtariyah",
        "latitude": "35.6280",
        "longitude": "35.9270",
        "geo_precision": "1",
        "source": "SNHR",
        "source_scale": "National",
        "notes": "On 7 March 2025, fighters clashed near al-Mukhtariyah. 4 fatalities.",
        "fatalities": "4",
        "timestamp": "1741000100",
        "iso3": "SYR",
    },
    {
        "data_id": "9102",
        "iso": "760",
        "event_id_cnty": "SYR31002",
        "event_id_no_cnty": "31002",
        "event_date": "8-Mar-25",
        "year": "2025",
        "time_precision": "3",
        "event_type": "Explosions/Remote violence",
        "sub_event_type": "Grenade",
        "actor1": "Unidentified Armed Group (Syria)",
        "assoc_actor_1": "",
        "inter1": "3",
        "actor2": "Civilians (Syria)",
        "assoc_actor_2": "",
        "inter2": "7",
        "interaction": "37",
        "region": "Middle East",
        "country": "Syria",
        "admin1": "Hama",
        "admin2": "Hama",
        "admin3": "",
        "location": "Hama",
        "latitude": "35.1318",
        "longitude": "36.7578",
        "geo_precision": "3",
        "source": "Syrian Observatory for Human Rights",
        "source_scale": "Other",
        "notes": "A grenade killed a civilian in Hama.",
        "fatalities": "1",
        "timestamp": "1741000200",
        "iso3": "SYR",
    },
]


def _csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _exported(layout: str) -> dict[str, dict[str, str]]:
    text = "".join(crosswalk.stream_acled_csv(Incident.objects.all(), internal=True, layout=layout))
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames) == crosswalk.LAYOUTS[layout]
    return {row["event_id_cnty"]: row for row in reader}


@pytest.mark.parametrize(
    "rows,layout",
    [(CURRENT_ROWS, crosswalk.CURRENT), (OLD_ROWS, crosswalk.PRE_2023)],
    ids=["current", "pre-2023"],
)
def test_an_imported_event_comes_back_unchanged_in_every_column(
    gazetteer_loaded, researcher, rows, layout
):
    report = acled.import_file(_csv(rows), user=researcher)
    assert (report.created, report.failed, report.skipped) == (len(rows), 0, 0)
    exported = _exported(layout)
    for row in rows:
        back = exported[row["event_id_cnty"]]
        differences = {
            column: (value, back[column]) for column, value in row.items() if back[column] != value
        }
        assert differences == {}, row["event_id_cnty"]


def test_an_event_of_the_other_layout_keeps_its_columns_and_gains_acleds_codes(
    gazetteer_loaded,
):
    acled.import_file(_csv(OLD_ROWS))
    acled.import_file(_csv(CURRENT_ROWS))
    current = _exported(crosswalk.CURRENT)["SYR31002"]
    for column in crosswalk.ACLED_COLUMNS:
        if column in OLD_ROWS[1]:
            assert current[column] == OLD_ROWS[1][column], column
    assert current["disorder_type"] == "Political violence"
    assert current["civilian_targeting"] == "Civilian targeting"
    assert current["tags"] == ""
    old = _exported(crosswalk.PRE_2023)["SYR30002"]
    for column in crosswalk.ACLED_COLUMNS_PRE_2023:
        if column in CURRENT_ROWS[1]:
            assert old[column] == CURRENT_ROWS[1][column], column
    assert (old["data_id"], old["event_id_no_cnty"], old["iso3"]) == ("", "30002", "SYR")


def test_facts_researchers_change_follow_the_mapping_and_the_rest_stays_acleds(
    gazetteer_loaded, researcher, reviewer
):
    acled.import_file(_csv(CURRENT_ROWS), user=researcher)
    battle = ExternalRecord.objects.get(external_id="SYR30001").incident
    services.incident_update(
        incident=battle,
        user=researcher,
        expected_version=battle.version,
        event_type=EventType.AMBUSH,
        summary="Gunmen ambushed an army checkpoint in Jableh.",
    )
    brigade = services.actor_create(
        user=None, slug="coastal-brigade", name="Coastal Brigade", kind="state_affiliated"
    )
    services.attribution_set(incident=battle, user=researcher, actor=brigade, confidence="probable")
    source = services.source_create(
        user=None,
        slug="a-witness",
        publisher="A local witness",
        headline="Interview",
        kind="witness_testimony",
    )
    services.claim_add(
        incident=battle, user=researcher, source=source, killed_min=9, quote="Nine died."
    )
    row = _exported(crosswalk.CURRENT)["SYR30001"]
    original = CURRENT_ROWS[0]
    # Changed: the type, the perpetrators and the notes follow the mapping.
    assert (row["event_type"], row["sub_event_type"]) == ("Battles", "Armed clash")
    assert row["actor1"] == "Coastal Brigade" and row["inter1"] == "Political militia"
    assert row["notes"].startswith("On 7 March 2025: Gunmen ambushed")
    assert row["timestamp"] != original["timestamp"]
    # The researchers' source is named after ACLED's own.
    assert row["source"] == original["source"] + "; A local witness"
    # Unchanged: ACLED's columns as ACLED wrote them.
    for column in (
        "event_date",
        "time_precision",
        "admin1",
        "admin2",
        "admin3",
        "location",
        "latitude",
        "longitude",
        "geo_precision",
        "source_scale",
        "fatalities",
    ):
        assert row[column] == original[column], column
    # The events nobody touched are still ACLED's rows.
    untouched = _exported(crosswalk.CURRENT)["SYR30002"]
    assert untouched == CURRENT_ROWS[1]


def test_the_command_writes_the_older_layout(gazetteer_loaded, tmp_path):
    from django.core.management import call_command

    acled.import_file(_csv(OLD_ROWS))
    path = tmp_path / "old.csv"
    call_command("export_acled", "--all", "--layout", "pre-2023", "--output", str(path))
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert rows == OLD_ROWS


def test_the_api_gives_either_layout_and_refuses_another(gazetteer_loaded, client, reviewer):
    acled.import_file(_csv(OLD_ROWS))
    client.force_login(reviewer)
    response = client.get("/api/v1/incidents.acled.csv?layout=pre-2023&status=draft")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8")
    assert list(csv.DictReader(io.StringIO(text))) == OLD_ROWS
    refused = client.get("/api/v1/incidents.acled.csv?layout=2019")
    assert refused.status_code == 400 and "layout" in refused.json()


def test_incidents_entered_here_map_to_the_older_layout(seeded):
    rows = {
        row["event_id_cnty"]: row
        for row in csv.DictReader(
            io.StringIO(
                "".join(crosswalk.stream_acled_csv(Incident.objects.all(), layout="pre-2023"))
            )
        )
    }
    currents = _exported(crosswalk.CURRENT)
    assert set(rows) == set(currents)
    codes = {word: str(code) for word, code in crosswalk.INTER_CODES.items()}
    for public_id, row in rows.items():
        current = currents[public_id]
        assert (row["data_id"], row["event_id_no_cnty"], row["iso3"]) == ("", "", "SYR")
        inters = [codes[current[name]] for name in ("inter1", "inter2") if current[name]]
        assert [row[name] for name in ("inter1", "inter2") if row[name]] == inters
        expected = "".join(sorted(inters)) if len(inters) == 2 else "".join(inters) + "0"
        assert row["interaction"] == (expected if inters else "")
        for column in crosswalk.ACLED_COLUMNS_PRE_2023:
            own = ("data_id", "event_id_no_cnty", "iso3", "inter1", "inter2", "interaction")
            if column not in own:
                assert row[column] == current[column], column
    assert rows["SY-2025-0001"]["inter2"] == "7"


def test_an_actor_found_by_alias_keeps_the_row_as_acled_wrote_it(gazetteer_loaded):
    services.actor_create(
        user=None,
        slug="hts",
        name="Hayat Tahrir al-Sham",
        kind="non_state",
        aliases=["Hay'at Tahrir al-Sham"],
    )
    acled.import_file(_csv(OLD_ROWS))
    incident = ExternalRecord.objects.get(external_id="SYR31001").incident
    assert "Hayat Tahrir al-Sham" in {a.actor.name for a in incident.attributions.all()}
    assert _exported(crosswalk.PRE_2023)["SYR31001"] == OLD_ROWS[0]

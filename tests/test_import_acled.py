"""ACLED imports: both layouts, the three date formats, what each column becomes, re-imports,
dry runs, bad rows and bad files, and the command's output."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from incidents import services
from incidents.imports import acled, available, importer
from incidents.imports.fields import parse_date, parse_int
from incidents.imports.report import FileRefused, RowError
from incidents.models import (
    Actor,
    Attribution,
    Claim,
    ExternalRecord,
    Incident,
    PublicIdSequence,
    Source,
    SourceKind,
    Status,
)

DATA = Path(__file__).parent / "data" / "imports"
CURRENT = DATA / "acled_current.csv"
OLD = DATA / "acled_old.csv"
BAD = DATA / "acled_bad.csv"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2025-03-07",
        "07 March 2025",
        "7 March 2025",
        "7-Mar-25",
        "07-Mar-2025",
        "2025-03-07 00:00:00.000",
    ],
)
def test_every_date_format_reads_as_the_same_day(text):
    assert parse_date(text, "event_date") == dt.date(2025, 3, 7)


@pytest.mark.parametrize("text", ["31 Feb 2025", "2025-13-01", "March 7", "7/3/2025", "yesterday"])
def test_a_date_that_is_not_one_names_its_column(text):
    with pytest.raises(RowError) as error:
        parse_date(text, "event_date")
    assert error.value.field == "event_date"
    assert text in str(error.value) and "2025-03-07" in str(error.value)


def test_the_registry_offers_the_data_set_importers():
    assert {"acled", "ucdp"} <= set(available())
    assert importer("acled") is acled.import_file
    with pytest.raises(LookupError):
        importer("shapefile")


# --- the current layout ---------------------------------------------------------------------


def test_the_current_layout_becomes_draft_incidents_with_acleds_claim(gazetteer_loaded, researcher):
    report = acled.import_file(CURRENT.read_bytes(), user=researcher)
    assert (report.created, report.updated, report.skipped, report.failed) == (3, 0, 2, 0)

    record = ExternalRecord.objects.get(dataset="acled", external_id="SYR1001")
    incident = record.incident
    assert incident.status == Status.DRAFT
    assert incident.public_id.startswith("SY-2025-")
    assert incident.title == "Attack in Jableh"
    assert incident.event_type == "attack_on_civilians"
    assert (incident.date_start, incident.date_end) == (dt.date(2025, 3, 7), dt.date(2025, 3, 7))
    assert incident.date_precision == "day"
    assert (incident.latitude, incident.longitude) == (35.3614, 35.9256)
    assert incident.location_precision == "settlement"
    assert incident.place_name == "Jableh"
    assert incident.governorate.slug == "latakia-governorate"
    assert incident.district is not None
    assert "geo precision 1" in incident.location_note
    assert incident.summary.startswith("On 7 March 2025, gunmen of the Syrian army killed 12")
    assert (incident.killed_low, incident.killed_best, incident.killed_high) == (12, 12, 12)
    assert incident.map_cx is not None and incident.map_tile is not None
    assert incident.created_by == researcher

    # The row, column by column, is kept with the record.
    assert record.row == _rows(CURRENT)[0]

    (claim,) = incident.claims.all()
    assert claim.external_record == record
    assert claim.source.slug == "acled" and claim.source.kind == SourceKind.DATASET
    assert claim.attributed_to == "Syrian Observatory for Human Rights; Enab Baladi"
    assert (claim.killed_min, claim.killed_max, claim.approximate) == (12, 12, False)
    assert claim.quote == _rows(CURRENT)[0]["notes"]
    assert claim.perpetrator.name == "Military Forces of Syria (2024-)"
    assert claim.date_as_reported == "2025-03-07"

    # Each named source is a Source, its kind guessed from its name.
    observatory = Source.objects.get(publisher="Syrian Observatory for Human Rights")
    assert observatory.kind == SourceKind.MONITOR_REPORT
    assert Source.objects.get(publisher="Enab Baladi").kind == SourceKind.NEWS_ARTICLE
    assert Source.objects.get(publisher="Twitter").kind == SourceKind.SOCIAL_MEDIA

    # The perpetrator is held responsible; the civilians are an actor, never responsible.
    assert [a.actor.name for a in incident.attributions.all()] == [
        "Military Forces of Syria (2024-)"
    ]
    assert incident.attributions.get().confidence == "alleged"
    assert Actor.objects.get(name="Civilians (Syria)").kind == "civilians"
    assert Actor.objects.get(name="Military Forces of Syria (2024-)").kind == "state_forces"

    # The history names the importer and the row.
    entry = incident.history.get()
    assert entry.history_user == researcher
    assert entry.history_change_reason == "Imported from ACLED SYR1001"
    assert claim.history.get().history_user == researcher


def test_event_types_and_precisions_map_to_the_products_vocabulary(gazetteer_loaded):
    acled.import_file(CURRENT.read_bytes())
    battle = ExternalRecord.objects.get(external_id="SYR1002").incident
    assert battle.event_type == "armed_clash"
    assert battle.date_precision == "week"
    assert battle.location_precision == "subdistrict"
    # In a battle both sides are held responsible.
    assert sorted(a.actor.name for a in battle.attributions.all()) == [
        "Assad Loyalist Militia",
        "Military Forces of Syria (2024-)",
    ]
    shelling = ExternalRecord.objects.get(external_id="SYR1004").incident
    assert shelling.event_type == "shelling"
    assert shelling.date_precision == "month"
    # Only a larger region is known: the governorate, and no district is claimed.
    assert shelling.location_precision == "governorate"
    assert shelling.governorate.slug == "hama-governorate" and shelling.district is None
    # A quoted note over two lines is kept whole.
    assert shelling.claims.get().quote == _rows(CURRENT)[4]["notes"]
    assert "\n" in shelling.claims.get().quote


def test_rows_outside_syria_and_non_violent_events_are_skipped_with_the_reason(gazetteer_loaded):
    report = acled.import_file(CURRENT.read_bytes())
    assert report.skip_reasons == {"not violence this map records": 1, "outside Syria": 1}
    skipped = {row["line"]: row for row in report.preview if row["action"] == "skipped"}
    assert skipped[4]["reason"] == "not violence this map records (Protests: Peaceful protest)"
    assert skipped[5]["reason"] == "outside Syria (Lebanon)"
    assert not ExternalRecord.objects.filter(external_id__in=["SYR1003", "LBN2001"]).exists()


def test_a_non_violent_event_that_killed_someone_is_kept_as_other_violence(gazetteer_loaded):
    rows = _rows(CURRENT)
    rows[2]["fatalities"] = "2"
    report = acled.import_file(_csv(rows))
    assert report.created == 4
    assert ExternalRecord.objects.get(external_id="SYR1003").incident.event_type == "other"


# --- the older layout, other date formats, actors deduplicated --------------------------------


def test_the_older_layout_and_its_date_formats(gazetteer_loaded):
    acled.import_file(CURRENT.read_bytes())
    report = acled.import_file(OLD.read_bytes())
    assert (report.created, report.failed) == (2, 0)
    executions = ExternalRecord.objects.get(external_id="SYR2001").incident
    assert executions.date_start == dt.date(2025, 3, 7)  # "07 March 2025"
    looting = ExternalRecord.objects.get(external_id="SYR2002").incident
    assert looting.date_start == dt.date(2025, 3, 8)  # "8-Mar-25"
    assert looting.event_type == "looting_arson"
    assert (looting.killed_low, looting.killed_best, looting.killed_high) == (0, 0, 0)
    # "military forces of syria  (2024-)" is the actor already known, not a second one.
    assert Actor.objects.filter(name__iexact="Military Forces of Syria (2024-)").count() == 1
    assert executions.attributions.get().actor.name == "Military Forces of Syria (2024-)"
    # Numeric inter codes: 1 state forces, 3 political militia (non-state), 7 civilians.
    assert Actor.objects.get(name="Unidentified Armed Group (Syria)").kind == "non_state"
    # The named source already created by the first file is reused.
    assert Source.objects.filter(publisher="Syrian Observatory for Human Rights").count() == 1
    assert set(ExternalRecord.objects.get(external_id="SYR2001").row) >= {"data_id", "iso3"}


def test_public_ids_come_from_the_sequence_as_a_block(gazetteer_loaded, incident):
    before = PublicIdSequence.objects.get(prefix="SY-2025").last_number
    acled.import_file(CURRENT.read_bytes())
    ids = sorted(ExternalRecord.objects.values_list("incident__public_id", flat=True), key=str)
    assert ids == [f"SY-2025-{n:04d}" for n in range(before + 1, before + 4)]
    assert PublicIdSequence.objects.get(prefix="SY-2025").last_number == before + 3


# --- idempotence ------------------------------------------------------------------------------


def test_importing_the_same_file_again_changes_nothing(gazetteer_loaded):
    acled.import_file(CURRENT.read_bytes())
    counts = (Incident.objects.count(), Claim.objects.count(), Attribution.objects.count())
    versions = dict(Incident.objects.values_list("id", "version"))
    report = acled.import_file(CURRENT.read_bytes())
    assert (report.created, report.updated, report.skipped, report.failed) == (0, 0, 5, 0)
    assert report.skip_reasons["unchanged since the last import"] == 3
    assert (Incident.objects.count(), Claim.objects.count(), Attribution.objects.count()) == counts
    assert ExternalRecord.objects.count() == 3
    assert dict(Incident.objects.values_list("id", "version")) == versions


def test_a_changed_row_updates_its_incident_and_claim(gazetteer_loaded, researcher, reviewer):
    acled.import_file(CURRENT.read_bytes(), user=researcher)
    incident = ExternalRecord.objects.get(external_id="SYR1001").incident
    rows = _rows(CURRENT)
    rows[0].update(
        fatalities="15",
        notes="Revised: 15 civilians were killed in Jableh.",
        actor2="Rebel Faction (Syria)",
        inter2="Rebel group",
        event_type="Battles",
        sub_event_type="Armed clash",
    )
    report = acled.import_file(_csv(rows), user=reviewer)
    assert (report.created, report.updated, report.skipped, report.failed) == (0, 1, 4, 0)
    updated = Incident.objects.get(pk=incident.pk)
    assert updated.public_id == incident.public_id
    assert updated.version == incident.version + 1
    assert updated.event_type == "armed_clash"
    assert updated.summary == "Revised: 15 civilians were killed in Jableh."
    assert (updated.killed_low, updated.killed_best, updated.killed_high) == (15, 15, 15)
    assert updated.updated_by == reviewer
    (claim,) = updated.claims.all()
    assert (claim.killed_min, claim.quote) == (15, "Revised: 15 civilians were killed in Jableh.")
    assert ExternalRecord.objects.get(external_id="SYR1001").row["fatalities"] == "15"
    assert sorted(a.actor.name for a in updated.attributions.all()) == [
        "Military Forces of Syria (2024-)",
        "Rebel Faction (Syria)",
    ]
    latest = updated.history.first()
    assert latest.history_user == reviewer
    assert latest.history_change_reason == "Updated from ACLED SYR1001"
    assert Incident.objects.count() == 3


def test_a_re_import_keeps_the_claims_researchers_added(gazetteer_loaded, source):
    from incidents import services

    acled.import_file(CURRENT.read_bytes())
    incident = ExternalRecord.objects.get(external_id="SYR1001").incident
    services.claim_add(
        incident=incident, user=None, source=source, killed_min=20, quote="At least 20 died."
    )
    rows = _rows(CURRENT)
    rows[0]["fatalities"] = "14"
    acled.import_file(_csv(rows))
    incident.refresh_from_db()
    assert incident.claims.count() == 2
    # Reconciled over both claims: 14 and at least 20, so no ceiling (never 20).
    assert (incident.killed_low, incident.killed_best, incident.killed_high) == (14, 14, None)
    assert incident.killed_high_open


def test_a_published_incident_updated_by_an_import_moves_on_the_map(gazetteer_loaded, reviewer):
    from incidents import services
    from incidents.models import PublishedMapCell

    acled.import_file(CURRENT.read_bytes())
    incident = ExternalRecord.objects.get(external_id="SYR1001").incident
    services.incident_publish(incident=incident, user=reviewer)
    old_cell = PublishedMapCell.objects.get()
    rows = _rows(CURRENT)
    rows[0].update(latitude="35.1822", longitude="35.9403", fatalities="13")
    acled.import_file(_csv(rows))
    cell = PublishedMapCell.objects.get()
    assert (cell.cx, cell.cy) != (old_cell.cx, old_cell.cy)
    assert (cell.count, cell.killed_best) == (1, 13)
    assert Incident.objects.get(pk=incident.pk).status == Status.PUBLISHED


# --- dry runs, bad rows, bad files ------------------------------------------------------------


def test_a_dry_run_reports_what_would_happen_and_writes_nothing(gazetteer_loaded):
    report = acled.import_file(CURRENT.read_bytes(), dry_run=True)
    assert report.dry_run
    assert (report.created, report.updated, report.skipped, report.failed) == (3, 0, 2, 0)
    assert [row["action"] for row in report.preview] == [
        "created",
        "created",
        "skipped",
        "skipped",
        "created",
    ]
    assert report.preview[0]["line"] == 2
    assert "Attack in Jableh" in report.preview[0]["summary"]
    assert not Incident.objects.exists()
    assert not Actor.objects.exists()
    assert not Source.objects.exists()
    assert "dry run" in report.summary()


def test_a_dry_run_of_a_known_file_says_which_rows_would_update(gazetteer_loaded):
    acled.import_file(CURRENT.read_bytes())
    rows = _rows(CURRENT)
    rows[1]["fatalities"] = "6"
    report = acled.import_file(_csv(rows), dry_run=True)
    assert (report.created, report.updated, report.skipped) == (0, 1, 4)
    assert ExternalRecord.objects.get(external_id="SYR1002").incident.killed_best == 5


def test_bad_rows_fail_with_their_line_and_reason_and_the_others_are_imported(gazetteer_loaded):
    report = acled.import_file(BAD.read_bytes())
    assert (report.created, report.failed) == (1, 5)
    failures = {failure.line: failure for failure in report.failures}
    assert failures[2].reason.startswith("event_date: '31 Feb 2025' is not a date")
    assert failures[2].external_id == "SYR3001"
    assert failures[3].reason == "latitude: 95.1 is outside [-90, 90]"
    assert failures[5].reason.startswith("time_precision: '9' is not one of ACLED's codes")
    assert failures[6].reason == "fatalities: 'many' is not a whole number"
    assert failures[7].reason == "event_date: 2099-01-01 is in the future"
    # No half records: only the good row left anything behind.
    assert Incident.objects.count() == Claim.objects.count() == 1
    assert ExternalRecord.objects.get().external_id == "SYR3003"


def test_a_row_with_the_wrong_number_of_values_fails_on_its_own_line(gazetteer_loaded):
    lines = CURRENT.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(2, "SYR9999,2025-03-07,only three values\n")
    report = acled.import_file("".join(lines).encode("utf-8"))
    assert report.failures[0].line == 3
    assert "3 values where the header has 31 columns" in report.failures[0].reason
    assert report.created == 3


def test_an_event_id_twice_in_a_file_fails_the_second_row(gazetteer_loaded):
    rows = _rows(CURRENT)
    rows.append(dict(rows[0], notes="Again."))
    report = acled.import_file(_csv(rows))
    # The fifth event's notes take two lines, so the sixth record starts on line 8.
    assert report.failures[0].line == 8
    assert report.failures[0].reason == "SYR1001 already appears on line 2"
    assert ExternalRecord.objects.filter(external_id="SYR1001").count() == 1


def test_a_file_with_a_bom_and_semicolons_is_read(gazetteer_loaded):
    rows = _rows(CURRENT)
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]), delimiter=";")
    writer.writeheader()
    writer.writerows(rows)
    report = acled.import_file(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))
    assert (report.created, report.failed) == (3, 0)


def test_a_file_with_the_wrong_columns_is_refused_naming_the_expected_ones(db):
    data = (DATA / "ucdp_ged.csv").read_bytes()
    with pytest.raises(FileRefused) as error:
        acled.import_file(data)
    message = str(error.value)
    assert message.startswith("This is not an ACLED export: the columns event_id_cnty")
    for column in acled.REQUIRED:
        assert column in message
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "The file is empty."),
        (
            "event_id_cnty;événement\n".encode("latin-1"),
            "not UTF-8 text (unreadable byte on line 1)",
        ),
        (b"PK\x03\x04\x00\x00binary", "not a text file"),
    ],
)
def test_an_unreadable_file_is_refused_with_what_was_expected(db, data, expected):
    with pytest.raises(FileRefused) as error:
        acled.import_file(data)
    assert expected in str(error.value)


# --- the command ------------------------------------------------------------------------------


def test_the_command_prints_the_summary_and_every_failed_row(gazetteer_loaded, capsys):
    call_command("import_acled", str(BAD), "--no-progress")
    out = capsys.readouterr().out
    assert "ACLED import of acled_bad.csv: 1 created, 0 updated, 0 skipped, 5 failed" in out
    assert "line 2 (SYR3001): event_date: '31 Feb 2025' is not a date" in out
    assert "line 7 (SYR3006): event_date: 2099-01-01 is in the future" in out


def test_the_command_shows_progress_and_the_skip_reasons(gazetteer_loaded, capsys):
    call_command("import_acled", str(CURRENT))
    captured = capsys.readouterr()
    assert "3 created, 0 updated, 2 skipped, 0 failed" in captured.out
    assert "skipped 1: outside Syria" in captured.out
    assert "100%" in captured.err


def test_the_commands_dry_run_writes_nothing(gazetteer_loaded, capsys):
    call_command("import_acled", str(CURRENT), "--dry-run", "--no-progress")
    assert "(dry run: nothing was written)" in capsys.readouterr().out
    assert not Incident.objects.exists()


def test_the_command_records_the_user_it_is_given(gazetteer_loaded, researcher):
    call_command("import_acled", str(CURRENT), "--no-progress", "--user", researcher.username)
    assert Incident.objects.first().history.get().history_user == researcher
    with pytest.raises(CommandError, match="There is no user 'nobody'"):
        call_command("import_acled", str(CURRENT), "--user", "nobody")


def test_the_command_refuses_a_wrong_file_with_the_expected_columns(db, tmp_path):
    with pytest.raises(CommandError) as error:
        call_command("import_acled", str(DATA / "ucdp_ged.csv"))
    assert "ucdp_ged.csv was not imported. This is not an ACLED export" in str(error.value)
    assert "geo_precision" in str(error.value)
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_acled", str(tmp_path / "missing.csv"))


def test_a_row_the_database_refuses_fails_alone_and_the_chunk_is_written(gazetteer_loaded):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite stores a NUL character; PostgreSQL refuses it")
    base = _rows(CURRENT)[0]
    rows = [dict(base, event_id_cnty=f"SYR50{n:02d}") for n in range(10)]
    # Past the first 4 KB, so the file as a whole is text; the database refuses the row.
    rows[8]["notes"] = "A note with a NUL \x00 character."
    report = acled.import_file(_csv(rows))
    assert (report.created, report.failed) == (9, 1)
    (failure,) = report.failures
    assert failure.line == 10 and failure.external_id == "SYR5008"
    assert failure.reason.startswith("could not be saved:")
    assert not ExternalRecord.objects.filter(external_id="SYR5008").exists()
    assert Incident.objects.count() == Claim.objects.count() == 9


def test_a_re_import_drops_the_kept_api_document_of_the_incident(gazetteer_loaded):
    from incidents.models import IncidentDocument
    from incidents.readmodel import documentcache

    acled.import_file(CURRENT.read_bytes())
    incident = ExternalRecord.objects.get(external_id="SYR1001").incident
    other = ExternalRecord.objects.get(external_id="SYR1002").incident
    documentcache.page_json([incident.pk, other.pk])
    assert IncidentDocument.objects.count() == 2
    rows = _rows(CURRENT)
    rows[0]["fatalities"] = "16"
    acled.import_file(_csv(rows))
    assert list(IncidentDocument.objects.values_list("incident_id", flat=True)) == [other.pk]
    (document,) = json.loads(documentcache.page_json([incident.pk]))
    assert document["killed"]["best"] == 16


# --- duplicates -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_event_given_by_acled_and_the_ged_is_flagged_as_a_possible_duplicate():
    from incidents.imports import ucdp
    from incidents.models import DuplicateCandidate, DuplicateStatus

    rows = _rows(CURRENT)
    # ACLED lists an event once: a row near another of its rows is another event.
    twin = {**rows[0], "event_id_cnty": "SYR9001", "fatalities": "11", "timestamp": "1741600099"}
    acled.import_file(_csv([*rows, twin]))
    assert not DuplicateCandidate.objects.exists()

    with (DATA / "ucdp_ged.csv").open(newline="", encoding="utf-8") as handle:
        ged = next(csv.DictReader(handle))
    ged.update(
        id="512399",
        where_coordinates="Jableh town",
        where_description="Jableh",
        adm_1="Latakia governorate",
        latitude="35.3614",
        longitude="35.9256",
        deaths_civilians="12",
        deaths_unknown="0",
        best="12",
        low="12",
        high="13",
    )
    data = _csv([ged])
    dry = ucdp.import_file(data, dry_run=True)
    assert dry.duplicates == 0 and not DuplicateCandidate.objects.exists()

    report = ucdp.import_file(data)
    first, second = (
        ExternalRecord.objects.get(dataset=dataset, external_id=ident).incident_id
        for dataset, ident in (("acled", rows[0]["event_id_cnty"]), ("ucdp", "512399"))
    )
    pair = DuplicateCandidate.objects.get(first=min(first, second), second=max(first, second))
    assert pair.status == DuplicateStatus.OPEN and pair.score >= 0.7
    assert any(reason.startswith("same actors") for reason in pair.reasons)
    assert report.duplicates >= 1 and "possible duplicates to review" in report.summary()
    assert report.as_dict()["duplicates"] == report.duplicates

    ucdp.import_file(data)  # again: the pair is kept, not repeated
    assert DuplicateCandidate.objects.filter(first=pair.first, second=pair.second).count() == 1


def test_a_figure_too_large_to_keep_fails_its_row_naming_the_column():
    with pytest.raises(RowError) as error:
        parse_int("100000000000000000000", "fatalities")
    assert error.value.field == "fatalities" and "larger than" in str(error.value)


def test_rows_merged_into_one_incident_update_its_claims_not_its_description(reviewer):
    rows = _rows(CURRENT)
    acled.import_file(CURRENT.read_bytes())
    keep, merge = (
        ExternalRecord.objects.get(dataset="acled", external_id=row["event_id_cnty"]).incident
        for row in rows[:2]
    )
    services.incident_update(
        incident=keep, user=reviewer, expected_version=keep.version, title="Chosen by a researcher"
    )
    keep.refresh_from_db()
    merge.refresh_from_db()
    services.incident_merge(keep=keep, merge=merge, user=reviewer)

    # Both rows revised by ACLED, in one file (one chunk): figures 30 and 20.
    rows[0] = {
        **rows[0],
        "fatalities": "30",
        "notes": "Revised: 30 killed.",
        "timestamp": "1741700000",
    }
    rows[1] = {
        **rows[1],
        "fatalities": "20",
        "notes": "Revised: 20 killed.",
        "timestamp": "1741700001",
    }
    report = acled.import_file(_csv(rows), user=reviewer)

    assert report.failures == []
    keep.refresh_from_db()
    assert keep.title == "Chosen by a researcher"
    assert keep.claims.count() == 2
    assert (keep.killed_low, keep.killed_high) == (20, 30)

"""UCDP GED imports: the GED's own figures with their breakdown, precisions, both date
formats, re-imports, and files or rows that cannot be taken."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import call_command

from incidents import services
from incidents.imports import ucdp
from incidents.imports.report import FileRefused
from incidents.models import Actor, Claim, ExternalRecord, FigureRule, Incident, Source, SourceKind

DATA = Path(__file__).parent / "data" / "imports"
GED = DATA / "ucdp_ged.csv"


def _rows() -> list[dict[str, str]]:
    with GED.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def test_best_low_and_high_become_the_figures_with_their_breakdown(gazetteer_loaded, researcher):
    report = ucdp.import_file(GED.read_bytes(), user=researcher)
    assert (report.created, report.updated, report.skipped, report.failed) == (2, 0, 1, 0)
    assert report.skip_reasons == {"outside Syria": 1}

    record = ExternalRecord.objects.get(dataset="ucdp", external_id="512345")
    incident = record.incident
    assert record.row == _rows()[0]
    assert (incident.killed_low, incident.killed_best, incident.killed_high) == (30, 42, 60)
    # The GED's best is its own judgement: kept as given, with a rationale saying so.
    assert incident.figure_rule == FigureRule.MANUAL
    assert incident.figure_rationale.startswith("UCDP GED's own estimates for event 512345")
    assert incident.civilians == 40
    assert incident.event_type == "attack_on_civilians"  # one-sided violence
    assert incident.title == "One-sided violence in Baniyas town: Government of Syria – Civilians"

    (claim,) = incident.claims.all()
    assert claim.source.slug == "ucdp-ged" and claim.source.kind == SourceKind.DATASET
    assert (claim.killed_min, claim.killed_max) == (30, 60)
    assert claim.civilians == 40
    assert claim.attributed_to == "Reuters; Agence France Presse"
    assert claim.quote == "Dozens killed in coastal Syria;Executions reported in Baniyas"
    assert "best 42, low 30, high 60" in claim.notes
    assert claim.external_record == record
    assert {"Reuters", "Agence France Presse"} <= set(
        Source.objects.values_list("publisher", flat=True)
    )
    # One-sided violence: the government is held responsible, civilians never are.
    assert [a.actor.name for a in incident.attributions.all()] == ["Government of Syria"]
    assert Actor.objects.get(name="Civilians").kind == "civilians"
    assert incident.history.get().history_change_reason == "Imported from UCDP GED 512345"
    assert incident.history.get().history_user == researcher


def test_a_government_sides_deaths_count_as_security_forces(gazetteer_loaded):
    ucdp.import_file(GED.read_bytes())
    clash = ExternalRecord.objects.get(external_id="512346").incident
    assert (clash.killed_low, clash.killed_best, clash.killed_high) == (11, 11, 15)
    assert (clash.security_forces, clash.combatants, clash.civilians) == (4, 7, 0)
    assert clash.event_type == "armed_clash"
    assert sorted(a.actor.name for a in clash.attributions.all()) == [
        "Assad loyalists",
        "Government of Syria",
    ]


def test_dates_and_precisions(gazetteer_loaded):
    ucdp.import_file(GED.read_bytes())
    exact = ExternalRecord.objects.get(external_id="512345").incident
    assert (exact.date_start, exact.date_end, exact.date_precision) == (
        dt.date(2025, 3, 7),
        dt.date(2025, 3, 7),
        "day",
    )
    assert exact.location_precision == "settlement"
    assert exact.governorate.slug == "tartus-governorate"
    # "2025-03-06 00:00:00.000" to "2025-03-09 00:00:00.000", date_prec 2 (two to six days)
    spread = ExternalRecord.objects.get(external_id="512346").incident
    assert (spread.date_start, spread.date_end, spread.date_precision) == (
        dt.date(2025, 3, 6),
        dt.date(2025, 3, 9),
        "days",
    )
    # where_prec 2: within 25 km of Jableh
    assert spread.location_precision == "district"
    assert "where_prec 2" in spread.location_note


@pytest.mark.parametrize(
    ("code", "date_precision", "where", "location_precision"),
    [
        ("3", "week", "3", "district"),
        ("4", "month", "4", "governorate"),
        ("5", "month", "6", "country"),
    ],
)
def test_every_precision_code_maps(
    gazetteer_loaded, code, date_precision, where, location_precision
):
    rows = _rows()[:1]
    rows[0].update(date_prec=code, where_prec=where)
    ucdp.import_file(_csv(rows))
    incident = Incident.objects.get()
    assert (incident.date_precision, incident.location_precision) == (
        date_precision,
        location_precision,
    )


def test_re_importing_is_idempotent_and_a_changed_row_updates(gazetteer_loaded):
    ucdp.import_file(GED.read_bytes())
    again = ucdp.import_file(GED.read_bytes())
    assert (again.created, again.updated, again.skipped) == (0, 0, 3)
    assert Incident.objects.count() == 2 and Claim.objects.count() == 2

    rows = _rows()
    rows[0].update(best="45", high="70", deaths_civilians="43")
    report = ucdp.import_file(_csv(rows))
    assert (report.created, report.updated) == (0, 1)
    incident = ExternalRecord.objects.get(external_id="512345").incident
    assert (incident.killed_low, incident.killed_best, incident.killed_high) == (30, 45, 70)
    assert incident.civilians == 43
    assert "best 45" in incident.figure_rationale
    assert incident.claims.get().killed_max == 70


def test_figures_a_researcher_set_by_hand_survive_a_re_import(gazetteer_loaded, researcher):
    ucdp.import_file(GED.read_bytes())
    incident = ExternalRecord.objects.get(external_id="512345").incident
    services.incident_set_figures(
        incident=incident,
        user=researcher,
        expected_version=incident.version,
        rule=FigureRule.MANUAL,
        figures={"killed_low": 35, "killed_best": 40, "killed_high": 50},
        rationale="Names checked against the local list.",
    )
    rows = _rows()
    rows[0]["best"] = "44"
    ucdp.import_file(_csv(rows))
    incident.refresh_from_db()
    assert (incident.killed_low, incident.killed_best, incident.killed_high) == (35, 40, 50)
    assert incident.figure_rationale == "Names checked against the local list."


def test_bad_rows_fail_with_their_line_and_reason(gazetteer_loaded):
    rows = _rows()
    rows[0].update(low="many")
    rows[1].update(date_start="06/03/2025")
    report = ucdp.import_file(_csv(rows))
    assert report.created == 0 and report.failed == 2
    assert report.failures[0].line == 2
    assert report.failures[0].reason == "low: 'many' is not a whole number"
    assert report.failures[1].reason.startswith("date_start: '06/03/2025' is not a date")
    assert not Incident.objects.exists() and not ExternalRecord.objects.exists()


def test_an_end_before_the_start_fails(gazetteer_loaded):
    rows = _rows()[:1]
    rows[0].update(date_start="2025-03-09", date_end="2025-03-07")
    report = ucdp.import_file(_csv(rows))
    assert report.failures[0].reason == "date_end: 2025-03-07 is before the start date"


def test_an_acled_file_is_refused_naming_the_ged_columns(db):
    with pytest.raises(FileRefused) as error:
        ucdp.import_file((DATA / "acled_current.csv").read_bytes())
    assert str(error.value).startswith("This is not a UCDP GED file: the columns id, relid")
    assert "deaths_civilians" in str(error.value)


def test_the_command(gazetteer_loaded, capsys):
    call_command("import_ucdp", str(GED), "--no-progress")
    out = capsys.readouterr().out
    assert "UCDP GED import of ucdp_ged.csv: 2 created, 0 updated, 1 skipped, 0 failed" in out
    assert "skipped 1: outside Syria" in out

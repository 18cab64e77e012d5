"""Round trips: the GeoJSON and CSV exports, downloaded through the API, import back into an
empty database with every incident, claim, source, actor, episode (with its aggregate
claims), attribution, victim group and outside data set id as they were.

A researcher's export carries everything but confidential sources; an anonymous one,
published incidents only and no researchers' notes. Re-importing changes nothing; bad
features and rows fail with their number and reason while the others are imported.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from incidents import fieldspec, services
from incidents.imports import geojson, own_csv
from incidents.imports.report import FileRefused
from incidents.models import (
    Actor,
    Attribution,
    Claim,
    DuplicateCandidate,
    Episode,
    EpisodeClaim,
    ExternalRecord,
    Incident,
    IncidentDocument,
    PublicIdSequence,
    Source,
    SourceKind,
    Status,
    VictimGroup,
)

from .conftest import incident_fields

API = "/api/v1"

# What an import restores exactly: every exported field but the timestamps (the import's
# own time) and the relations (compared by their natural keys below).
INCIDENT_FIELDS = tuple(
    f.name
    for f in fieldspec.incident_fields(exported=True)
    if f.kind not in ("relation", "timestamp")
)
CLAIM_FIELDS = fieldspec.CLAIM_VALUES
SOURCE_FIELDS = (*fieldspec.SOURCE_PUBLIC, *fieldspec.SOURCE_INTERNAL)


def snapshot(*, notes: bool = True, published_only: bool = False) -> dict[str, Any]:
    """Everything an export should carry, by natural key, in a comparable form.

    Confidential sources and their claims are left out: they never leave the admin.
    """
    incidents = Incident.objects.all()
    if published_only:
        incidents = incidents.filter(status=Status.PUBLISHED)
    result: dict[str, Any] = {"incidents": {}}
    for incident in incidents:
        row = {name: getattr(incident, name) for name in INCIDENT_FIELDS}
        for name in ("place", "governorate", "district", "episode"):
            related = getattr(incident, name)
            row[name] = related.slug if related else None
        row["merged_into"] = incident.merged_into.public_id if incident.merged_into else None
        row["published_at"] = (
            incident.published_at.replace(microsecond=0) if incident.published_at else None
        )
        row["claims"] = sorted(
            (
                claim.source.slug,
                claim.perpetrator.slug if claim.perpetrator else None,
                *(getattr(claim, name) for name in CLAIM_FIELDS if notes or name != "notes"),
            )
            for claim in incident.claims.filter(source__confidential=False)
        )
        row["attributions"] = sorted(
            (a.actor.slug, a.confidence, a.note) for a in incident.attributions.all()
        )
        row["victim_groups"] = sorted(g.slug for g in incident.victim_groups.all())
        row["external_ids"] = sorted(
            incident.external_records.values_list("dataset", "external_id")
        )
        result["incidents"][incident.public_id] = row
    fields = [f for f in SOURCE_FIELDS if notes or f != "notes"]
    result["sources"] = {
        s.slug: {name: getattr(s, name) for name in fields}
        for s in Source.objects.filter(confidential=False)
    }
    result["actors"] = {
        a.slug: (
            a.name,
            a.name_ar,
            a.aliases,
            a.kind,
            a.parent.slug if a.parent else None,
            a.affiliation_note,
            a.description,
        )
        for a in Actor.objects.all()
    }
    result["episodes"] = {
        e.slug: (
            e.title,
            e.title_ar,
            e.summary,
            e.summary_ar,
            e.date_start,
            e.date_end,
            sorted(
                (
                    c.measure,
                    c.source.slug,
                    *(
                        getattr(c, name)
                        for name in CLAIM_FIELDS
                        if name not in ("place_as_reported", "date_as_reported", "notes")
                    ),
                    c.notes if notes else "",
                )
                for c in e.claims.filter(source__confidential=False)
            ),
        )
        for e in Episode.objects.all()
    }
    result["victim_groups"] = {g.slug: (g.name, g.name_ar) for g in VictimGroup.objects.all()}
    return result


def wipe() -> None:
    """Empty the domain's tables (the gazetteer and the users stay), in a safe order."""
    IncidentDocument.objects.all().delete()
    DuplicateCandidate.objects.all().delete()
    ExternalRecord.objects.all().delete()
    while Incident.objects.filter(status=Status.MERGED).exists():  # before their targets
        Incident.objects.filter(status=Status.MERGED, merged_from__isnull=True).delete()
    Claim.objects.all().delete()
    Attribution.objects.all().delete()
    Incident.objects.all().delete()
    EpisodeClaim.objects.all().delete()
    Episode.objects.all().delete()
    Actor.objects.update(parent=None)
    Actor.objects.all().delete()
    Source.objects.all().delete()
    VictimGroup.objects.all().delete()
    PublicIdSequence.objects.all().delete()
    assert not Incident.objects.exists()


def body(response) -> bytes:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


@pytest.fixture
def everything(seeded, reviewer) -> None:
    """The seed, plus what it lacks: every status, figures set by hand, a confidential
    source, claim and source notes, an attribution note, outside data set ids, a formula."""
    secret = services.source_create(
        user=None,
        slug="confidential-witness",
        headline="Testimony of a witness",
        kind=SourceKind.WITNESS_TESTIMONY,
        confidential=True,
    )
    arza = Incident.objects.get(public_id="SY-2025-0001")
    services.claim_add(
        incident=arza,
        user=None,
        source=secret,
        killed_min=8,
        killed_max=8,
        quote="Eight men were shot, the witness says.",
    )
    first_claim = Claim.objects.filter(incident=arza, source__confidential=False).first()
    services.claim_update(claim=first_claim, user=None, notes="Checked against the map.")
    source = Source.objects.get(slug="article-1")
    services.source_update(source=source, user=None, notes="Archived on request.")
    actor = Actor.objects.get(slug="assad-loyalists")
    shown = Incident.objects.filter(status=Status.PUBLISHED).exclude(pk=arza.pk).first()
    services.attribution_set(
        incident=shown, user=None, actor=actor, confidence="probable", note="Two sources."
    )
    ExternalRecord.objects.create(
        incident=shown, dataset="acled", external_id="SYR12345", row={"event_id_cnty": "x"}
    )
    ExternalRecord.objects.create(incident=shown, dataset="ucdp", external_id="987654")

    def make(title: str, **extra: Any) -> Incident:
        return services.incident_create(
            user=None,
            claims=[{"source": source, "killed_min": 3, "quote": f"{title}: three killed."}],
            **incident_fields(title=title, **extra),
        )

    services.incident_submit_for_review(incident=make("In review"), user=None)
    retracted = make("Retracted", summary="-1 is not a formula here")
    services.incident_publish(incident=retracted, user=None)
    services.incident_retract(incident=retracted, user=None, reason="A duplicate report.")
    manual = make('=HYPERLINK("x")', title_ar="'=already quoted")
    services.incident_set_figures(
        incident=manual,
        user=None,
        expected_version=None,
        rule="manual",
        figures={"killed_low": 2, "killed_best": 3, "killed_high": 5, "civilians": 3},
        rationale="Two reports agree on three; one says five.",
    )
    services.incident_publish(incident=manual, user=None)
    # An open upper bound set by hand (the seed's own open bounds are reconciled ones).
    services.incident_set_figures(
        incident=Incident.objects.get(public_id="SY-2025-0007"),
        user=None,
        expected_version=None,
        rule="manual",
        figures={"killed_low": 5, "killed_best": 6, "killed_high_open": True},
        rationale="Five named; a sixth reported; more feared, no ceiling given.",
    )
    merged = make("Merged away")
    Incident.objects.filter(pk=merged.pk).update(status=Status.MERGED, merged_into=manual)


def export(kind: str, user=None) -> bytes:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return body(client.get(f"{API}/incidents.{kind}"))


@pytest.mark.parametrize("module,kind", [(geojson, "geojson"), (own_csv, "csv")])
def test_a_researchers_export_round_trips_everything(everything, reviewer, module, kind):
    data = export(kind, reviewer)
    assert b"confidential-witness" not in data
    before = snapshot()
    assert len(before["incidents"]) == Incident.objects.count() == 15
    wipe()

    report = module.import_file(data, user=reviewer)

    assert report.failures == []
    assert (report.created, report.updated, report.skipped) == (15, 0, 0)
    after = snapshot()
    for public_id, row in before["incidents"].items():
        assert after["incidents"][public_id] == row, public_id
    assert after == before
    # Open upper bounds come back open, reconciled or set by hand, and claims keep the
    # kind of figure their source stated.
    for public_id in ("SY-2025-0005", "SY-2025-0007"):
        restored = Incident.objects.get(public_id=public_id)
        assert (restored.killed_high, restored.killed_high_open) == (None, True), public_id
    assert Claim.objects.filter(figure_kind="at_least", killed_max=None).exists()
    assert Claim.objects.filter(figure_kind="more_than", killed_min=101).exists()

    again = module.import_file(data, user=reviewer)
    assert (again.created, again.updated, again.skipped, again.failed) == (0, 0, 15, 0)
    assert snapshot() == before


@pytest.mark.parametrize("module,kind", [(geojson, "geojson"), (own_csv, "csv")])
def test_an_anonymous_export_round_trips_the_published_record(everything, reviewer, module, kind):
    data = export(kind)
    assert b"confidential-witness" not in data and b"Testimony of a witness" not in data
    assert b"Archived on request" not in data and b"Checked against the map" not in data
    before = snapshot(notes=False, published_only=True)
    wipe()

    report = module.import_file(data, user=reviewer)

    assert report.failures == []
    assert report.created == len(before["incidents"]) == 11
    after = snapshot(notes=False)
    assert after["incidents"] == before["incidents"]
    for kind_ in ("actors", "episodes", "victim_groups"):
        assert after[kind_] == before[kind_]
    # Only the sources that published work or the episode's aggregates cite.
    assert set(after["sources"]) <= set(before["sources"])
    for slug, fields in after["sources"].items():
        assert fields == before["sources"][slug]


def test_reimporting_an_anonymous_export_keeps_confidential_claims_and_notes(everything, reviewer):
    data = export("geojson")
    report = geojson.import_file(data, user=reviewer)
    assert report.failures == [] and report.created == 0
    assert Claim.objects.filter(source__slug="confidential-witness").count() == 1
    assert Source.objects.get(slug="article-1").notes == "Archived on request."


def test_changes_in_the_file_update_the_records(everything, reviewer):
    data = json.loads(export("geojson", reviewer))
    feature = next(f for f in data["features"] if f["id"] == "SY-2025-0001")
    feature["properties"]["title"] = "Execution of eight men in Arza (revised)"
    feature["properties"]["sources"][0]["killed_max"] = 9  # 8 to 9: a range now
    feature["properties"]["sources"][0]["figure_kind"] = "range"
    feature["properties"]["victim_groups"] = ["civilians"]
    data["catalogue"]["actors"][0]["name_ar"] = "اسم جديد"
    slug = data["catalogue"]["actors"][0]["slug"]

    report = geojson.import_file(json.dumps(data).encode(), user=reviewer)

    assert (report.created, report.updated, report.failed) == (0, 1, 0)
    arza = Incident.objects.get(public_id="SY-2025-0001")
    assert arza.title.endswith("(revised)")
    assert arza.killed_high == 9
    assert list(arza.victim_groups.values_list("slug", flat=True)) == ["civilians"]
    assert arza.history.first().history_user == reviewer
    assert Actor.objects.get(slug=slug).name_ar == "اسم جديد"
    assert Incident.objects.count() == 15  # updated, never duplicated


def test_a_dry_run_writes_nothing(everything, reviewer):
    data = export("csv", reviewer)
    wipe()
    report = own_csv.import_file(data, dry_run=True, user=reviewer)
    assert report.created == 15 and report.dry_run and "dry run" in report.summary()
    assert not Incident.objects.exists() and not Source.objects.exists()


def test_status_is_restored_through_the_workflow_with_the_importing_user(everything, reviewer):
    data = export("geojson", reviewer)
    published_at = dict(
        Incident.objects.filter(published_at__isnull=False).values_list("public_id", "published_at")
    )
    wipe()
    geojson.import_file(data, user=reviewer)
    retracted = Incident.objects.get(title="Retracted")
    reasons = list(retracted.history.values_list("history_change_reason", flat=True))
    assert "Published" in reasons and "Retracted: A duplicate report." in reasons
    assert {h.history_user for h in retracted.history.all()} == {reviewer}
    for public_id, moment in published_at.items():
        restored = Incident.objects.get(public_id=public_id).published_at
        assert restored == moment.replace(microsecond=0)
    merged = Incident.objects.get(title="Merged away")
    assert merged.status == Status.MERGED and merged.merged_into.title.startswith("=HYPER")


def test_a_researcher_cannot_publish_by_importing(everything, researcher, reviewer):
    data = export("geojson", reviewer)
    wipe()
    report = geojson.import_file(data, user=researcher)
    published = [f for f in report.failures if "publish" in f.reason]
    statuses = [f["properties"]["status"] for f in json.loads(data)["features"]]
    assert len(published) == statuses.count("published") + statuses.count("retracted")
    assert report.created == statuses.count("draft") + statuses.count("in_review")
    assert not Incident.objects.filter(status=Status.PUBLISHED).exists()


def _plain(features: list[dict]) -> list[int]:
    """Indexes of features that neither are merged nor were merged into."""
    targets = {f["properties"]["merged_into"] for f in features}
    return [
        i
        for i, f in enumerate(features)
        if f["properties"]["status"] != Status.MERGED and f["id"] not in targets
    ]


def test_bad_features_fail_with_their_number_and_the_rest_is_imported(everything, reviewer):
    data = json.loads(export("geojson", reviewer))
    wipe()
    features = data["features"]
    a, b, c, d = _plain(features)[:4]
    features[a]["properties"]["date_start"] = "7 March"
    features[b]["geometry"] = {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}
    features[c]["properties"]["sources"][0]["source"] = "no-such-source"
    features[d]["properties"]["event_type"] = "picnic"
    features.append("not a feature")

    report = geojson.import_file(json.dumps(data).encode(), user=reviewer)

    by_line = {f.line: f.reason for f in report.failures}
    assert set(by_line) == {a + 1, b + 1, c + 1, d + 1, 16}
    assert "date_start" in by_line[a + 1] and "YYYY-MM-DD" in by_line[a + 1]
    assert "geometry" in by_line[b + 1]
    assert "no-such-source" in by_line[c + 1]
    assert "event_type" in by_line[d + 1]
    assert report.created == 11 == Incident.objects.count()
    for i in (a, b, c, d):
        assert not Incident.objects.filter(public_id=features[i]["id"]).exists()
    # Never half a record: the failed incidents' claims were not written either.
    assert Claim.objects.count() == sum(
        len(f["properties"]["sources"])
        for i, f in enumerate(features[:15])
        if i not in (a, b, c, d)
    )


def test_bad_csv_rows_fail_with_their_line(everything, reviewer):
    text = export("csv", reviewer).decode("utf-8-sig")
    wipe()
    reader = csv.reader(io.StringIO(text, newline=""))
    rows, starts = [], []
    while True:
        start = reader.line_num + 1
        try:
            rows.append(next(reader))
        except StopIteration:
            break
        starts.append(start)
    header = rows[0]
    rows[2][header.index("claims")] = "[{not json"
    rows[3][header.index("latitude")] = "north"
    out = io.StringIO()
    csv.writer(out).writerows(rows)

    report = own_csv.import_file(out.getvalue().encode(), user=reviewer)

    by_line = {f.line: f for f in report.failures}
    assert set(by_line) == {starts[2], starts[3]}
    assert by_line[starts[2]].external_id == rows[2][0]
    assert "claims" in by_line[starts[2]].reason and "JSON" in by_line[starts[2]].reason
    assert "latitude" in by_line[starts[3]].reason and "north" in by_line[starts[3]].reason
    assert report.created == 13


def test_files_that_are_not_exports_are_refused(db):
    with pytest.raises(FileRefused, match="FeatureCollection"):
        geojson.import_file(b'{"type": "Feature"}')
    with pytest.raises(FileRefused, match="not a GeoJSON"):
        geojson.import_file(b"\xff\xfe")
    with pytest.raises(FileRefused, match="claims"):
        own_csv.import_file(b"id,title\nSY-2025-0001,x\n")
    with pytest.raises(FileRefused, match="empty"):
        own_csv.import_file(b"")


def test_import_commands_report_progress_and_failures(everything, reviewer, tmp_path, capsys):
    data = json.loads(export("geojson", reviewer))
    data["features"][0]["properties"]["grade"] = "excellent"
    path = tmp_path / "incidents.geojson"
    path.write_text(json.dumps(data))
    wipe()
    call_command("import_geojson", str(path), "--dry-run")
    out = capsys.readouterr().out
    assert "14 created" in out and "1 failed" in out and "dry run" in out
    assert "feature 1" in out and "grade" in out
    assert not Incident.objects.exists()

    csv_path = tmp_path / "incidents.csv"
    call_command("import_geojson", str(path))
    csv_path.write_bytes(export("csv", reviewer))
    wipe()
    call_command("import_csv", str(csv_path))
    out = capsys.readouterr().out
    assert "14 created" in out and Incident.objects.count() == 14


@pytest.mark.parametrize("text", ["--5", "²", "5.5", "99999999999"])
def test_a_figure_that_is_not_a_whole_number_we_keep_names_its_field(text):
    from incidents.imports.exchange import integer
    from incidents.imports.report import RowError

    with pytest.raises(RowError) as error:
        integer(text, "killed_low")
    assert error.value.field == "killed_low"

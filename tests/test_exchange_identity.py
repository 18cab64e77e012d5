"""Round trips that never duplicate or overwrite: an export carries the link between each
claim and the outside data set row it came from (with the row), so re-importing the data
set's own files after a round trip changes nothing; incidents and actors of another
database are matched only when their identity agrees, never by a public id or slug that
happens to be the same."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from incidents import services
from incidents.identity import database_id
from incidents.imports import acled, geojson, own_csv, ucdp
from incidents.imports.batch import UNCHANGED
from incidents.models import Actor, Claim, ExternalRecord, Incident, SourceKind

from .test_round_trip import everything, export, wipe  # noqa: F401

DATA = Path(__file__).parent / "data" / "imports"


def _import_data_sets() -> dict[str, int]:
    found = {}
    for module, name in (
        (acled, "acled_current.csv"),
        (acled, "acled_old.csv"),
        (ucdp, "ucdp_ged.csv"),
    ):
        report = module.import_file((DATA / name).read_bytes())
        assert report.failures == []
        found[name] = report.created
    return found


@pytest.mark.parametrize("module,kind", [(geojson, "geojson"), (own_csv, "csv")])
def test_reimporting_the_data_sets_after_a_round_trip_changes_nothing(
    gazetteer_loaded, reviewer, module, kind
):
    created = _import_data_sets()
    claims = Claim.objects.count()
    records = dict(ExternalRecord.objects.values_list("external_id", "row"))
    data = export(kind, reviewer)
    wipe()

    report = module.import_file(data, user=reviewer)

    assert report.failures == [] and report.created == sum(created.values())
    assert dict(ExternalRecord.objects.values_list("external_id", "row")) == records
    dataset_claims = Claim.objects.filter(source__kind=SourceKind.DATASET)
    assert dataset_claims.count() == len(records)
    assert not dataset_claims.filter(external_record=None).exists()
    for module_, name in (
        (acled, "acled_current.csv"),
        (acled, "acled_old.csv"),
        (ucdp, "ucdp_ged.csv"),
    ):
        again = module_.import_file((DATA / name).read_bytes())
        assert (again.created, again.updated, again.failed) == (0, 0, 0), name
        assert again.skip_reasons.get(UNCHANGED) == created[name], name
    assert Claim.objects.count() == claims


FOREIGN = "8d7f6c1e-0000-4000-8000-000000000001"


def _foreign_feature(reviewer) -> dict:
    """SY-2025-0001 as another database exported it: the same public id, another event."""
    data = json.loads(export("geojson", reviewer))
    feature = next(f for f in data["features"] if f["id"] == "SY-2025-0001")
    assert feature["properties"]["origin_database"] == database_id()
    properties = feature["properties"]
    properties.update(
        origin_database=FOREIGN,
        title="Clashes near Idlib",
        attributions=[{"actor": "actor", "confidence": "alleged", "note": ""}],
        perpetrators=["actor"],
    )
    for claim in properties["sources"]:
        claim["perpetrator"] = None
    data["features"] = [feature]
    data["catalogue"]["actors"] = [
        {
            "slug": "actor",
            "name": "قوات الحكومة",
            "name_ar": "",
            "aliases": [],
            "kind": "state_forces",
            "affiliation_note": "",
            "description": "",
            "parent": None,
        }
    ]
    return data


def test_another_databases_incident_with_a_taken_public_id_is_imported_as_new(seeded, reviewer):
    hts = services.actor_create(user=None, slug="actor", name="هيئة تحرير الشام", kind="non_state")
    ours = Incident.objects.get(public_id="SY-2025-0001")
    services.attribution_set(incident=ours, user=None, actor=hts, confidence="alleged", note="")
    before = (ours.title, ours.killed_low, ours.killed_best, ours.killed_high, ours.claims.count())
    data = _foreign_feature(reviewer)
    count = Incident.objects.count()

    report = geojson.import_file(json.dumps(data).encode(), user=reviewer)

    assert report.failures == [] and (report.created, report.updated) == (1, 0)
    ours.refresh_from_db()
    assert (
        ours.title,
        ours.killed_low,
        ours.killed_best,
        ours.killed_high,
        ours.claims.count(),
    ) == before
    assert Actor.objects.get(slug="actor").name == "هيئة تحرير الشام"
    assert [a.actor.name for a in ours.attributions.all() if a.actor.slug == "actor"] == [hts.name]
    new_id = report.renamed["SY-2025-0001"]
    assert new_id != "SY-2025-0001" and Incident.objects.count() == count + 1
    theirs = Incident.objects.get(public_id=new_id)
    assert theirs.title == "Clashes near Idlib"
    assert [a.actor.name for a in theirs.attributions.all()] == ["قوات الحكومة"]
    assert (theirs.origin.database, theirs.origin.public_id) == (FOREIGN, "SY-2025-0001")

    again = geojson.import_file(json.dumps(data).encode(), user=reviewer)
    assert (again.created, again.updated, again.skipped) == (0, 0, 1)
    assert Incident.objects.count() == count + 1


def test_an_incident_sharing_an_outside_record_is_the_same_incident(seeded, reviewer):
    ours = Incident.objects.get(public_id="SY-2025-0002")
    ExternalRecord.objects.create(incident=ours, dataset="acled", external_id="SYR18016")
    data = _foreign_feature(reviewer)
    data["features"][0]["properties"]["external_ids"] = [{"dataset": "acled", "id": "SYR18016"}]
    data["features"][0]["properties"]["external_records"] = []

    report = geojson.import_file(json.dumps(data).encode(), user=reviewer)

    assert (report.created, report.updated, report.failed) == (0, 1, 0)
    assert Incident.objects.get(pk=ours.pk).title == "Clashes near Idlib"


def test_arabic_only_actor_names_get_distinct_meaningful_slugs(gazetteer_loaded):
    rows = list(csv.DictReader(io.StringIO((DATA / "acled_current.csv").read_text())))[:2]
    rows[0]["actor1"], rows[1]["actor1"] = "هيئة تحرير الشام", "قوات الحكومة"
    rows[1]["event_type"], rows[1]["sub_event_type"] = "Violence against civilians", "Attack"
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)

    assert acled.import_file(out.getvalue().encode()).failures == []

    slugs = {
        a.name: a.slug for a in Actor.objects.filter(name__in=["هيئة تحرير الشام", "قوات الحكومة"])
    }
    assert len(set(slugs.values())) == 2
    for slug in slugs.values():
        assert not re.fullmatch(r"actor(-\d+)?", slug), slug
    assert slugs["هيئة تحرير الشام"].startswith("hyia-thryr-alsham-")


class Interrupted(Exception):
    pass


def test_an_interrupted_import_keeps_its_batches_and_resumes(everything, reviewer, monkeypatch):  # noqa: F811
    from incidents.imports import exchange

    monkeypatch.setattr(exchange, "BATCH", 5)
    data = export("geojson", reviewer)
    wipe()

    def stop(done: int, total: int) -> None:
        if done == 7:
            raise Interrupted

    with pytest.raises(Interrupted):
        geojson.import_file(data, user=reviewer, progress=stop)
    assert Incident.objects.count() == 5  # the first batch, committed

    report = geojson.import_file(data, user=reviewer)
    assert report.failures == []
    assert (report.created, report.skipped) == (10, 5)


def test_import_commands_accept_no_progress(everything, reviewer, tmp_path, capsys):  # noqa: F811
    path = tmp_path / "incidents.csv"
    path.write_bytes(export("csv", reviewer))
    call_command("import_csv", str(path), "--no-progress", "--dry-run")
    captured = capsys.readouterr()
    assert "of 15 records" not in captured.err and "15 skipped" in captured.out

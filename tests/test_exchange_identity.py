"""Round trips that never duplicate or overwrite: an export carries the link between each
claim and the outside data set row it came from (with the row), so re-importing the data
set's own files after a round trip changes nothing; incidents and actors of another
database are matched only when their identity agrees, never by a public id or slug that
happens to be the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from incidents.imports import acled, geojson, own_csv, ucdp
from incidents.imports.batch import UNCHANGED
from incidents.models import Claim, ExternalRecord, SourceKind

from .test_round_trip import export, wipe

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

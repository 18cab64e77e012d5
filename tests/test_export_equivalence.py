"""The exports assembled per chunk write what the database wrote when it built every
feature and row itself, with a correlated subquery per list (``tests/export_reference``):
the same features, properties, CSV cells and catalogue, for anonymous readers and for
researchers, on the seed with every kind of value and on generated data, across chunks.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable

import pytest
from django.contrib.auth.models import User

from incidents import selectors
from incidents.api.exports import CSV_JSON_COLUMNS, stream_csv, stream_geojson
from incidents.models import Incident, IncidentOrigin
from tests import export_reference
from tests.test_round_trip import everything

__all__ = ["everything"]  # a fixture used below


def _text(pieces: Iterable[bytes | str]) -> str:
    return "".join(p.decode() if isinstance(p, bytes) else p for p in pieces)


def _visible(internal: bool):
    """What an anonymous reader's export holds, or a researcher's (every status, merged
    incidents too)."""
    if internal:
        reviewer = User.objects.get(username="victor")
        return selectors.incident_queryset(user=reviewer, include_merged=True)
    return selectors.incident_queryset(user=None)


def _same_geojson(internal: bool) -> dict:
    now = json.loads(_text(stream_geojson(_visible(internal), internal=internal)))
    before = json.loads(
        _text(export_reference.stream_geojson(_visible(internal), internal=internal))
    )
    assert [f["id"] for f in now["features"]] == [f["id"] for f in before["features"]]
    for feature, expected in zip(now["features"], before["features"], strict=True):
        assert feature == expected, feature["id"]
        assert list(feature["properties"]) == list(expected["properties"]), "key order"
    assert now["catalogue"] == before["catalogue"]
    assert now == before
    return now


def _csv_rows(text: str) -> list[list]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header = rows[0]
    json_at = [at for at, name in enumerate(header) if name in CSV_JSON_COLUMNS]
    for row in rows[1:]:
        for at in json_at:
            row[at] = json.loads(row[at]) if row[at] else row[at]
    return rows


def _same_csv(internal: bool) -> list[list]:
    now = _csv_rows(_text(stream_csv(_visible(internal), internal=internal)))
    before = _csv_rows(_text(export_reference.stream_csv(_visible(internal), internal=internal)))
    assert now[0] == before[0]
    assert len(now) == len(before)
    for row, expected in zip(now, before, strict=True):
        assert dict(zip(now[0], row, strict=True)) == dict(zip(now[0], expected, strict=True))
    return now


@pytest.fixture
def with_origin_and_merge(everything) -> None:
    """``everything`` already holds a merged incident; one incident also comes from another
    database's export."""
    incident = Incident.objects.get(public_id="SY-2025-0002")
    IncidentOrigin.objects.create(
        incident=incident, database="0b5f3c1e-2d6a-4c1b-9a55-6d8e4a1f2b3c", public_id="SY-2024-0042"
    )


@pytest.mark.parametrize("internal", [False, True], ids=["anonymous", "researcher"])
@pytest.mark.parametrize("chunk", [3, 2000])
def test_geojson_is_what_the_subqueries_built(with_origin_and_merge, settings, internal, chunk):
    settings.EXPORT_CHUNK_SIZE = chunk
    body = _same_geojson(internal)
    ids = {f["id"] for f in body["features"]}
    assert ("SY-2025-0002" in ids) and any(
        f["properties"]["external_records"] for f in body["features"]
    )
    assert any(f["properties"]["merged_into"] for f in body["features"]) == internal
    text = json.dumps(body)
    assert "confidential-witness" not in text
    assert ("Checked against the map." in text) == internal


@pytest.mark.parametrize("internal", [False, True], ids=["anonymous", "researcher"])
@pytest.mark.parametrize("chunk", [3, 2000])
def test_csv_is_what_the_subqueries_built(with_origin_and_merge, settings, internal, chunk):
    settings.EXPORT_CHUNK_SIZE = chunk
    rows = _same_csv(internal)
    text = json.dumps(rows)
    assert "confidential-witness" not in text
    assert ("Checked against the map." in text) == internal
    assert "'=HYPERLINK" in text  # the formula guard still applies


@pytest.fixture
def generated(transactional_db, reviewer) -> None:
    from bench.generate import generate

    generate(300, seed=5, batch=100)


@pytest.mark.parametrize("internal", [False, True], ids=["anonymous", "researcher"])
def test_exports_of_generated_data_are_what_the_subqueries_built(generated, settings, internal):
    settings.EXPORT_CHUNK_SIZE = 64
    assert len(_same_geojson(internal)["features"]) > 250
    assert len(_same_csv(internal)) > 250

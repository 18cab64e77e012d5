"""Incidents keep the ids of the outside data set rows they came from (ACLED event_id_cnty,
UCDP GED id) and show them in the API, its exports and its filters; a kept API document
never outlives a change to them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest

from incidents.models import ExternalRecord, Incident, Status

API = "/api/v1"
GEOJSON_SCHEMA = json.loads(
    (Path(__file__).parent / "data" / "geojson" / "FeatureCollection.json").read_text()
)


def body(response) -> bytes:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def linked(seeded) -> Incident:
    incident = Incident.objects.filter(status=Status.PUBLISHED).order_by("public_id").first()
    ExternalRecord.objects.create(incident=incident, dataset="acled", external_id="SYR40001")
    ExternalRecord.objects.create(incident=incident, dataset="ucdp", external_id="512345")
    return incident


def test_documents_show_the_external_ids(client, linked):
    document = client.get(f"{API}/incidents/{linked.public_id}/").json()
    assert document["acled_event_id"] == "SYR40001"
    assert document["ucdp_ged_id"] == "512345"
    assert document["external_ids"] == [
        {"dataset": "acled", "id": "SYR40001"},
        {"dataset": "ucdp", "id": "512345"},
    ]
    other = client.get(f"{API}/incidents/SY-2025-0002/").json()
    assert other["acled_event_id"] is None and other["external_ids"] == []


def test_a_kept_document_is_dropped_when_an_external_record_changes(client, linked):
    def listed() -> dict:
        page = client.get(f"{API}/incidents/?page_size=500").json()["results"]
        return next(doc for doc in page if doc["id"] == linked.public_id)

    assert listed()["acled_event_id"] == "SYR40001"  # now kept
    record = ExternalRecord.objects.get(dataset="acled")
    record.external_id = "SYR40002"
    record.save()
    assert listed()["acled_event_id"] == "SYR40002"
    record.delete()
    assert listed()["acled_event_id"] is None
    ExternalRecord.objects.create(incident=linked, dataset="acled", external_id="SYR40003")
    assert listed()["acled_event_id"] == "SYR40003"


def test_the_external_id_filter(client, linked):
    def found(value: str) -> set[str]:
        response = client.get(f"{API}/incidents/", {"external_id": value})
        assert response.status_code == 200, response.content
        return {doc["id"] for doc in response.json()["results"]}

    assert found("acled:SYR40001") == {linked.public_id}
    assert found("SYR40001") == {linked.public_id}
    assert found("ucdp:512345,acled:nothing") == {linked.public_id}
    assert found("ucdp:SYR40001") == set()
    for bad in ("gdelt:1", "a b", "acled:"):
        response = client.get(f"{API}/incidents/", {"external_id": bad})
        assert response.status_code == 400
        assert "external_id" in response.json()


def test_exports_carry_the_external_ids(client, linked, reviewer):
    collection = json.loads(body(client.get(f"{API}/incidents.geojson")))
    feature = next(f for f in collection["features"] if f["id"] == linked.public_id)
    assert feature["properties"]["acled_event_id"] == "SYR40001"
    assert feature["properties"]["ucdp_ged_id"] == "512345"
    assert {"dataset": "ucdp", "id": "512345"} in feature["properties"]["external_ids"]
    rows = csv.DictReader(io.StringIO(body(client.get(f"{API}/incidents.csv")).decode("utf-8-sig")))
    row = next(r for r in rows if r["id"] == linked.public_id)
    assert (row["acled_event_id"], row["ucdp_ged_id"]) == ("SYR40001", "512345")
    assert row["external_ids"] == "acled:SYR40001; ucdp:512345"


def test_a_researchers_geojson_has_unlocated_incidents_with_a_null_geometry(
    client, reviewer, seeded
):
    client.force_login(reviewer)
    collection = json.loads(body(client.get(f"{API}/incidents.geojson")))
    jsonschema.validate(collection, GEOJSON_SCHEMA)
    unlocated = Incident.objects.filter(latitude__isnull=True).values_list("public_id", flat=True)
    assert unlocated
    features = {f["id"]: f for f in collection["features"]}
    assert set(features) == set(Incident.objects.values_list("public_id", flat=True))
    for public_id in unlocated:
        assert features[public_id]["geometry"] is None
    catalogue = collection["catalogue"]
    assert {s["slug"] for s in catalogue["sources"]} == {
        "article-0",
        "article-1",
        "article-2",
        "article-3",
        "article-4",
    }
    parents = [a["parent"] for a in catalogue["actors"]]
    slugs = [a["slug"] for a in catalogue["actors"]]
    for index, parent in enumerate(parents):
        assert parent is None or slugs.index(parent) < index  # parents first

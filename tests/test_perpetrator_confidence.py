"""The attribution confidence as a filter: ``perpetrator_confidence`` is the least confidence
(alleged < probable < confirmed) an incident's attribution must have. The list, the map,
the statistics and the exports share the filter set and so agree; a bad value is a 400
naming the parameter; the schema documents the choices; the map's points carry each
perpetrator's confidence, which the public map shows."""

from __future__ import annotations

import csv
import io
import json

import pytest

from incidents.models import Attribution, Confidence, Status

API = "/api/v1"
AT_LEAST = {
    "alleged": ["alleged", "probable", "confirmed"],
    "probable": ["probable", "confirmed"],
    "confirmed": ["confirmed"],
}


def _expected(least: str, actors: list[str] | None = None) -> set[str]:
    held = Attribution.objects.filter(
        incident__status=Status.PUBLISHED, confidence__in=AT_LEAST[least]
    )
    if actors is not None:
        held = held.filter(actor__slug__in=actors)
    return set(held.values_list("incident__public_id", flat=True))


def _listed(client, query: str) -> set[str]:
    response = client.get(f"{API}/incidents/?page_size=500&{query}")
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_seed_has_every_confidence(seeded):
    # What the tests below tell apart.
    found = set(
        Attribution.objects.filter(incident__status=Status.PUBLISHED).values_list(
            "confidence", flat=True
        )
    )
    assert found == set(Confidence.values)


@pytest.mark.parametrize("least", ["alleged", "probable", "confirmed"])
def test_the_list_keeps_incidents_held_against_someone_at_least_that_surely(client, seeded, least):
    assert _listed(client, f"perpetrator_confidence={least}") == _expected(least)


def test_with_perpetrator_the_confidence_applies_to_the_actors_named(client, seeded):
    # An incident held against this actor only as alleged, and against another as
    # confirmed, is not a confirmed incident of this actor.
    confirmed_anyone = _expected("confirmed")
    actors = sorted(
        set(
            Attribution.objects.filter(incident__status=Status.PUBLISHED).values_list(
                "actor__slug", flat=True
            )
        )
    )
    for actor in actors:
        got = _listed(client, f"perpetrator={actor}&perpetrator_confidence=probable")
        # (the actors of the seed have no affiliates that are perpetrators of these)
        from incidents.api.filters import actor_ids_with_affiliates

        ids = actor_ids_with_affiliates([actor])
        expected = set(
            Attribution.objects.filter(
                incident__status=Status.PUBLISHED,
                actor_id__in=ids,
                confidence__in=AT_LEAST["probable"],
            ).values_list("incident__public_id", flat=True)
        )
        assert got == expected, actor
    assert confirmed_anyone  # the seed names someone as confirmed


def test_map_statistics_and_exports_agree_with_the_list(client, seeded):
    query = "perpetrator_confidence=probable&status=published"
    expected = _expected("probable")
    assert expected and expected != _expected("alleged")

    answer = client.get(f"{API}/map/?zoom=14&bbox=35,34,37,36.5&{query}").json()
    assert answer["mode"] == "incidents"
    on_map = {row["id"] for row in answer["incidents"]}
    assert on_map == expected

    stats = client.get(f"{API}/statistics/?{query}").json()
    assert stats["totals"]["incidents"] == len(expected)
    # by_perpetrator counts only the attributions the filter accepts.
    counted = {row["actor"]: row["incidents"] for row in stats["by_perpetrator"]}
    held = Attribution.objects.filter(
        incident__status=Status.PUBLISHED, confidence__in=AT_LEAST["probable"]
    )
    assert counted == {
        slug: held.filter(actor__slug=slug).count()
        for slug in set(held.values_list("actor__slug", flat=True))
    }

    text = _body(client.get(f"{API}/incidents.csv?{query}")).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["id"] for row in rows} == expected
    features = json.loads(_body(client.get(f"{API}/incidents.geojson?{query}")))["features"]
    assert {f["properties"]["id"] for f in features} == expected


def test_map_points_carry_each_perpetrators_confidence(client, seeded):
    answer = client.get(f"{API}/map/?zoom=14&bbox=35,34,37,36.5&status=published").json()
    named = [row for row in answer["incidents"] if row["perpetrators"]]
    assert named
    for row in named:
        stored = dict(
            Attribution.objects.filter(incident__public_id=row["id"]).values_list(
                "actor__slug", "confidence"
            )
        )
        assert row["perpetrator_confidence"] == stored
        assert sorted(row["perpetrator_confidence"]) == sorted(row["perpetrators"])


@pytest.mark.parametrize(
    "url",
    [
        "/incidents/?perpetrator_confidence=likely",
        "/incidents/?perpetrator_confidence=CONFIRMED",
        "/incidents/?perpetrator_confidence=alleged,confirmed",
        "/map/?zoom=8&perpetrator_confidence=sure",
        "/statistics/?perpetrator_confidence=1",
        "/incidents.csv?perpetrator_confidence=maybe",
        "/incidents.geojson?perpetrator_confidence=maybe",
    ],
)
def test_a_bad_confidence_is_400_naming_the_parameter(client, seeded, url):
    response = client.get(API + url)
    assert response.status_code == 400, response.content
    assert "perpetrator_confidence" in response.json()


def test_the_schema_documents_the_choices(client):
    document = client.get("/api/v1/schema/?format=json").json()
    for path in ["/api/v1/incidents/", "/api/v1/map/", "/api/v1/statistics/"]:
        parameters = {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}
        schema = parameters["perpetrator_confidence"]["schema"]
        assert schema["enum"] == ["alleged", "probable", "confirmed"]
        assert "least" in parameters["perpetrator_confidence"]["description"]

"""The REST API: reading with every filter and format, writing through the services,
optimistic concurrency, bad input, and query counts that do not grow with the page."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import services
from incidents.models import Claim, Incident, Source, SourceKind, Status

from .conftest import incident_fields

API = "/api/v1"
GEOJSON_SCHEMA = json.loads(
    (Path(__file__).parent / "data" / "geojson" / "FeatureCollection.json").read_text()
)


def ids(response) -> set[str]:
    return {row["id"] for row in response.json()["results"]}


def published_ids() -> set[str]:
    return set(Incident.objects.filter(status=Status.PUBLISHED).values_list("public_id", flat=True))


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- reading --------------------------------------------------------------------------------


def test_list_shows_published_incidents_with_claims_and_sources(client, seeded):
    response = client.get(f"{API}/incidents/?page_size=500")
    assert response.status_code == 200
    assert ids(response) == published_ids()
    assert "SY-2025-0011" not in ids(response)  # the Tuwaym draft
    arza = next(r for r in response.json()["results"] if r["id"] == "SY-2025-0001")
    assert arza["killed"]["best"] == 8
    assert arza["location"]["governorate"]["slug"] == "hama-governorate"
    assert arza["claims"] and all(c["quote"] for c in arza["claims"])
    assert arza["source_count"] == len({c["source"]["slug"] for c in arza["claims"]})


def test_keyset_pages_cover_everything_once(client, seeded):
    seen: list[str] = []
    url = f"{API}/incidents/?page_size=3&ordering=date_start"
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == len(published_ids())
    dates = [Incident.objects.get(public_id=i).date_start for i in seen]
    assert dates == sorted(dates)


def test_filters_each_narrow_the_list(client, seeded):
    def listed(query: str) -> set[str]:
        response = client.get(f"{API}/incidents/?page_size=500&{query}")
        assert response.status_code == 200, response.content
        return ids(response)

    published = Incident.objects.filter(status=Status.PUBLISHED)

    def expect(queryset) -> set[str]:
        return set(queryset.values_list("public_id", flat=True))

    # al-Mukhtariya and Al-Haffa lie inside this box; Baniyas and Arza do not.
    box = listed("bbox=36.0,35.5,36.1,35.7")
    assert box == expect(
        published.filter(
            longitude__gte=36.0, longitude__lte=36.1, latitude__gte=35.5, latitude__lte=35.7
        )
    )
    assert box and box != published_ids()
    assert listed("date_from=2025-03-08&date_to=2025-03-08") == expect(
        published.filter(date_start__lte="2025-03-08", date_end__gte="2025-03-08")
    )
    assert listed("event_type=summary_execution") == expect(
        published.filter(event_type="summary_execution")
    )
    assert listed("governorate=tartus-governorate") == expect(
        published.filter(governorate__slug="tartus-governorate")
    )
    assert listed("killed_min=20") == expect(published.filter(killed_best__gte=20))
    assert listed("killed_min=5&killed_max=10") == expect(
        published.filter(killed_best__gte=5, killed_best__lte=10)
    )
    assert listed("grade=confirmed,fair") == expect(
        published.filter(grade__in=["confirmed", "fair"])
    )
    assert listed("q=بانياس") == expect(published.filter(title_ar__contains="بانياس")) | expect(
        published.filter(place__name_ar__contains="بانياس")
    )
    assert listed("q=Mukhtar")
    assert listed("source=article-2") == expect(
        published.filter(claims__source__slug="article-2").distinct()
    )
    assert listed("publisher=the guardian") == listed("source=article-2")
    assert listed("episode=march-2025-coastal-violence") == expect(
        published.filter(episode__slug="march-2025-coastal-violence")
    )
    assert listed("location_precision=neighbourhood") == expect(
        published.filter(location_precision="neighbourhood")
    )


def test_perpetrator_filter_includes_affiliated_actors(client, seeded):
    from incidents.models import Attribution

    published = Attribution.objects.filter(incident__status=Status.PUBLISHED)
    by_child = ids(
        client.get(f"{API}/incidents/?page_size=500&perpetrator=mod-affiliated-factions")
    )
    assert by_child == set(
        published.filter(actor__slug="mod-affiliated-factions").values_list(
            "incident__public_id", flat=True
        )
    )
    by_parent = ids(
        client.get(f"{API}/incidents/?page_size=500&perpetrator=syrian-government-forces")
    )
    assert by_child and by_child <= by_parent
    assert by_parent == set(
        published.filter(
            actor__slug__in=[
                "syrian-government-forces",
                "mod-affiliated-factions",
                "pro-government-gunmen",
            ]
        ).values_list("incident__public_id", flat=True)
    )


def test_change_feed_returns_what_changed_since(client, seeded, reviewer):
    incident = Incident.objects.get(public_id="SY-2025-0004")
    incident.refresh_from_db()
    mark = incident.updated_at
    services.incident_update(
        incident=incident, user=reviewer, expected_version=incident.version, grade="fair"
    )
    changed = ids(
        client.get(
            f"{API}/incidents/",
            {"updated_since": mark.isoformat(), "ordering": "updated_at"},
        )
    )
    assert "SY-2025-0004" in changed
    later = incident.updated_at.replace(microsecond=0).isoformat()
    assert (
        client.get(f"{API}/incidents/", {"updated_since": "2099-01-01T00:00:00Z"}).json()["results"]
        == []
    )
    assert later


def test_detail_has_an_etag_and_drafts_are_not_found(client, seeded):
    response = client.get(f"{API}/incidents/SY-2025-0001/")
    incident = Incident.objects.get(public_id="SY-2025-0001")
    assert response["ETag"] == f'"{incident.version}"'
    assert client.get(f"{API}/incidents/SY-2025-0011/").status_code == 404
    assert client.get(f"{API}/incidents/SY-2099-0001/").status_code == 404


def test_geojson_is_a_valid_feature_collection_with_lon_lat(client, seeded):
    response = client.get(f"{API}/incidents.geojson")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    collection = json.loads(body(response))
    jsonschema.validate(collection, GEOJSON_SCHEMA)
    features = {f["id"]: f for f in collection["features"]}
    assert set(features) == published_ids()
    arza = Incident.objects.get(public_id="SY-2025-0001")
    assert features["SY-2025-0001"]["geometry"]["coordinates"] == [arza.longitude, arza.latitude]
    props = features["SY-2025-0001"]["properties"]
    assert props["killed_best"] == arza.killed_best
    assert {s["source"] for s in props["sources"]} == set(
        arza.claims.values_list("source__slug", flat=True)
    )
    assert isinstance(props["sources"][0]["approximate"], bool)
    filtered = json.loads(body(client.get(f"{API}/incidents.geojson?governorate=hama-governorate")))
    assert {f["properties"]["governorate"] for f in filtered["features"]} == {"hama-governorate"}


def test_csv_has_a_row_per_incident_and_defuses_formulas(client, seeded, reviewer, source):
    incident = services.incident_create(
        user=reviewer,
        claims=[{"source": source, "killed_min": 1, "quote": "One person was killed."}],
        **incident_fields(title='=HYPERLINK("http://evil.example")'),
    )
    services.incident_publish(incident=incident, user=reviewer)
    response = client.get(f"{API}/incidents.csv")
    assert response["Content-Type"].startswith("text/csv")
    text = body(response).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["id"] for row in rows} == published_ids()
    evil = next(row for row in rows if row["id"] == incident.public_id)
    assert evil["title"].startswith("'=")
    arza = next(row for row in rows if row["id"] == "SY-2025-0001")
    assert int(arza["killed_best"]) == 8 and int(arza["claim_count"]) >= 1


def test_statistics_match_the_incidents_and_keep_episode_aggregates_apart(client, seeded):
    stats = client.get(f"{API}/statistics/").json()
    published = Incident.objects.filter(status=Status.PUBLISHED)
    assert stats["totals"]["incidents"] == published.count()
    assert stats["totals"]["killed_best"] == sum(i.killed_best or 0 for i in published)
    assert sum(d["incidents"] for d in stats["by_day"]) == published.count()
    assert sum(g["incidents"] for g in stats["by_governorate"]) == published.count()
    assert sum(t["incidents"] for t in stats["by_event_type"]) == published.count()
    episode = stats["episodes"][0]
    assert episode["incidents_in_episode"]["killed_best"] <= stats["totals"]["killed_best"]
    assert episode["reported_aggregates"]  # the monitors' figures, beside the sums
    assert stats["totals"]["killed_best"] < max(a["best"] for a in episode["reported_aggregates"])
    tartus = client.get(f"{API}/statistics/?governorate=tartus-governorate").json()
    assert (
        tartus["totals"]["incidents"]
        == published.filter(governorate__slug="tartus-governorate").count()
    )


def test_map_gives_points_when_few_and_cells_when_many(client, seeded, settings):
    points = client.get(f"{API}/map/?zoom=8").json()
    assert points["mode"] == "incidents"
    assert {p["id"] for p in points["incidents"]} == {
        i for i in published_ids() if Incident.objects.get(public_id=i).latitude is not None
    }
    assert all(p["source_count"] >= 1 for p in points["incidents"])
    settings.INCIDENT_MAP = {**settings.INCIDENT_MAP, "MAP_MAX_POINTS": 2}
    cells = client.get(f"{API}/map/?zoom=6").json()
    assert cells["mode"] == "cells" and cells["incidents"] == []
    assert sum(c["count"] for c in cells["cells"]) == points["totals"]["incidents"]
    assert cells["totals"] == points["totals"]
    assert len(cells["cells"]) < points["totals"]["incidents"]
    for cell in cells["cells"]:
        min_lon, min_lat, max_lon, max_lat = cell["bounds"]
        assert min_lon <= cell["longitude"] <= max_lon and min_lat <= cell["latitude"] <= max_lat


def test_catalogues_hide_confidential_sources_and_unpublished_work(client, seeded, researcher):
    Source.objects.create(
        slug="secret", headline="Witness", kind=SourceKind.WITNESS_TESTIMONY, confidential=True
    )
    anonymous = {s["slug"] for s in client.get(f"{API}/sources/?limit=500").json()["results"]}
    assert "secret" not in anonymous
    assert client.get(f"{API}/sources/secret/").status_code == 404
    client.force_login(researcher)
    signed_in = {s["slug"] for s in client.get(f"{API}/sources/?limit=500").json()["results"]}
    assert "secret" not in signed_in
    assert client.get(f"{API}/actors/").json()["count"] >= 1
    episode = client.get(f"{API}/episodes/march-2025-coastal-violence/").json()
    assert episode["incidents"]["incidents"] >= 1 and episode["reported_aggregates"]


# --- writing ---------------------------------------------------------------------------------


def _create_body(**overrides):
    payload = {
        "title": "Shelling of a market",
        "event_type": "shelling",
        "date_start": "2025-03-07",
        "date_end": "2025-03-07",
        "latitude": 35.36,
        "longitude": 35.93,
        "place_name": "Jableh market",
        "claims": [{"source": "monitor-report", "killed_min": 12, "quote": "At least 12."}],
        "perpetrators": [],
    }
    payload.update(overrides)
    return payload


def test_an_actor_named_twice_as_perpetrator_is_400_naming_the_field(client, researcher, source):
    actor = services.actor_create(user=researcher, slug="a-group", name="A group")
    twice = [{"actor": actor.slug, "confidence": "alleged"}] * 2
    client.force_login(researcher)
    answer = client.post(
        f"{API}/incidents/", _create_body(perpetrators=twice), content_type="application/json"
    )
    assert answer.status_code == 400
    assert set(answer.json()) == {"perpetrators"}
    assert not Incident.objects.exists()


def test_researcher_creates_and_edits_with_if_match(client, researcher, source):
    client.force_login(researcher)
    created = client.post(f"{API}/incidents/", _create_body(), content_type="application/json")
    assert created.status_code == 201, created.content
    document = created.json()
    assert document["status"] == "draft" and document["killed"]["best"] == 12
    url = f"{API}/incidents/{document['id']}/"
    incident = Incident.objects.get(public_id=document["id"])
    assert incident.created_by == researcher
    assert incident.history.first().history_user == researcher

    no_precondition = client.patch(url, {"title": "New"}, content_type="application/json")
    assert no_precondition.status_code == 428
    edited = client.patch(
        url, {"title": "New"}, content_type="application/json", HTTP_IF_MATCH=created["ETag"]
    )
    assert edited.status_code == 200 and edited.json()["title"] == "New"
    assert edited["ETag"] != created["ETag"]

    stale = client.patch(
        url, {"title": "Lost"}, content_type="application/json", HTTP_IF_MATCH=created["ETag"]
    )
    assert stale.status_code == 412
    assert Incident.objects.get(public_id=document["id"]).title == "New"


def test_claims_through_the_api_recompute_the_figures(client, researcher, source, news_source):
    client.force_login(researcher)
    document = client.post(
        f"{API}/incidents/", _create_body(), content_type="application/json"
    ).json()
    url = f"{API}/incidents/{document['id']}/claims/"
    added = client.post(
        url,
        {
            "source": "news-article",
            "killed_min": 10,
            "killed_max": 15,
            "figure_kind": "range",
            "quote": "Between 10 and 15 were killed.",
        },
        content_type="application/json",
        HTTP_IF_MATCH=f'"{document["version"]}"',
    )
    assert added.status_code == 201, added.content
    killed = added.json()["killed"]
    # The first claim says "at least 12": the high stays open beside the range.
    assert (killed["low"], killed["high"], killed["high_open"]) == (10, None, True)
    assert added.json()["claims"][-1]["figure_kind"] == "range"
    claim_id = added.json()["claims"][-1]["id"]
    removed = client.delete(f"{url}{claim_id}/", HTTP_IF_MATCH=added["ETag"])
    assert removed.status_code == 200 and removed.json()["killed"]["low"] == 12
    # A kind the figures do not fit is a 400 naming the field, and nothing is written.
    refused = client.post(
        url,
        {"source": "news-article", "killed_min": 10, "figure_kind": "exact", "quote": "Ten."},
        content_type="application/json",
        HTTP_IF_MATCH=removed["ETag"],
    )
    assert refused.status_code == 400 and "figure_kind" in refused.content.decode()


def test_a_step_the_incident_is_not_ready_for_is_409_naming_what_is_missing(client, researcher):
    # A well-formed request refused for the incident's state: 409 Conflict, not 400.
    draft = services.incident_create(
        user=researcher, **incident_fields(latitude=None, longitude=None, place_name="")
    )
    client.force_login(researcher)
    answer = client.post(
        f"{API}/incidents/{draft.public_id}/submit/", HTTP_IF_MATCH=f'"{draft.version}"'
    )
    assert answer.status_code == 409
    assert "status" in answer.json()
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_workflow_endpoints_follow_the_roles(client, researcher, reviewer, source):
    client.force_login(researcher)
    document = client.post(
        f"{API}/incidents/", _create_body(), content_type="application/json"
    ).json()
    base = f"{API}/incidents/{document['id']}"
    submitted = client.post(f"{base}/submit/", HTTP_IF_MATCH=f'"{document["version"]}"')
    assert submitted.status_code == 200 and submitted.json()["status"] == "in_review"
    assert client.post(f"{base}/publish/", HTTP_IF_MATCH=submitted["ETag"]).status_code == 403
    client.force_login(reviewer)
    published = client.post(f"{base}/publish/", HTTP_IF_MATCH=submitted["ETag"])
    assert published.status_code == 200 and published.json()["status"] == "published"
    no_reason = client.post(
        f"{base}/retract/", {}, content_type="application/json", HTTP_IF_MATCH=published["ETag"]
    )
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    retracted = client.post(
        f"{base}/retract/",
        {"reason": "Duplicate of another record."},
        content_type="application/json",
        HTTP_IF_MATCH=published["ETag"],
    )
    assert retracted.status_code == 200 and retracted.json()["status"] == "retracted"
    assert Incident.objects.get(public_id=document["id"]).history.first().history_user == reviewer


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, field",
    [
        ("bbox=abc", "bbox"),
        ("bbox=1,2,3", "bbox"),
        ("bbox=36,35,35,36", "bbox"),
        ("bbox=0,-91,1,1", "bbox"),
        ("bbox=nan,1,2,3", "bbox"),
        ("bbox=1,2,inf,3", "bbox"),
        ("date_from=2025-03-10&date_to=2025-03-01", "date_to"),
        ("date_from=yesterday", "date_from"),
        ("event_type=picnic", "event_type"),
        ("killed_min=ten", "killed_min"),
        ("killed_min=-1", "killed_min"),
        ("killed_min=NaN", "killed_min"),
        ("killed_min=9&killed_max=3", "killed_max"),
        ("perpetrator=nobody", "perpetrator"),
        ("governorate=atlantis", "governorate"),
        ("source=secret", "source"),
        ("ordering=title", "ordering"),
        ("page_size=100000", "page_size"),
        ("page_size=0", "page_size"),
        ("cursor=!!!", "cursor"),
        ("updated_since=soon", "updated_since"),
        ("colour=red", "colour"),
        ("grade=fair&grade=weak", "grade"),
    ],
)
def test_bad_filters_are_400_naming_the_parameter(client, seeded, query, field):
    Source.objects.create(
        slug="secret", headline="Witness", kind=SourceKind.WITNESS_TESTIMONY, confidential=True
    )
    response = client.get(f"{API}/incidents/?{query}")
    assert response.status_code == 400, response.content
    assert field in response.json()


@pytest.mark.parametrize(
    "url", ["/map/?zoom=99", "/map/", "/map/?zoom=5&bbox=1,1", "/statistics/?date_to=x"]
)
def test_bad_map_and_statistics_queries_are_400(client, seeded, url):
    assert client.get(API + url).status_code == 400


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"latitude": 95}, "latitude"),
        ({"latitude": "north"}, "latitude"),
        ({"date_end": "2025-03-01"}, "date_end"),
        ({"event_type": "picnic"}, "event_type"),
        (
            {
                "claims": [
                    {"source": "monitor-report", "killed_min": 9, "killed_max": 3, "quote": "x"}
                ]
            },
            "claims",
        ),
        ({"claims": [{"source": "monitor-report", "killed_min": -4, "quote": "x"}]}, "claims"),
        ({"claims": [{"source": "nowhere", "quote": "x"}]}, "claims"),
        ({"date_start": "2999-01-01", "date_end": "2999-01-02"}, "date_start"),
        ({"status": "published"}, None),
    ],
)
def test_bad_bodies_are_400_and_write_nothing(client, researcher, source, payload, field):
    client.force_login(researcher)
    before = (Incident.objects.count(), Claim.objects.count())
    response = client.post(
        f"{API}/incidents/", _create_body(**payload), content_type="application/json"
    )
    if field is None:
        # Unknown and read-only fields are ignored, never applied: the incident is a draft.
        assert response.status_code == 201 and response.json()["status"] == "draft"
        return
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert (Incident.objects.count(), Claim.objects.count()) == before


def test_nan_infinity_wrong_type_and_oversized_bodies(client, researcher, source, settings):
    client.force_login(researcher)
    raw = json.dumps(_create_body()).replace("35.36", "NaN")
    assert client.post(f"{API}/incidents/", raw, content_type="application/json").status_code == 400
    raw = json.dumps(_create_body()).replace("35.36", "Infinity")
    assert client.post(f"{API}/incidents/", raw, content_type="application/json").status_code == 400
    assert (
        client.post(
            f"{API}/incidents/", "title=x", content_type="application/x-www-form-urlencoded"
        ).status_code
        == 415
    )
    assert (
        client.post(f"{API}/incidents/", "{not json", content_type="application/json").status_code
        == 400
    )
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    big = _create_body(summary="x" * 5000)
    response = client.post(f"{API}/incidents/", big, content_type="application/json")
    assert response.status_code == 413
    assert Incident.objects.count() == 0


def test_anonymous_clients_are_throttled(client, seeded, settings):
    settings.INCIDENT_MAP = {**settings.INCIDENT_MAP, "API_ANON_RATE": "3/minute"}
    codes = [client.get(f"{API}/actors/").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[-1] == 429


# --- queries ---------------------------------------------------------------------------------


def _make_published(count: int, reviewer, source) -> None:
    for n in range(count):
        incident = services.incident_create(
            user=reviewer,
            claims=[
                {"source": source, "killed_min": n, "quote": f"{n} killed."},
                {"source": source, "killed_min": n + 1, "quote": f"{n + 1} killed."},
            ],
            **incident_fields(title=f"Incident {n}"),
        )
        services.incident_publish(incident=incident, user=reviewer)


@pytest.mark.parametrize("url", ["/incidents/?page_size=500", "/incidents.geojson", "/map/?zoom=9"])
def test_query_count_does_not_grow_with_the_page(client, reviewer, source, url):
    _make_published(3, reviewer, source)
    with CaptureQueriesContext(connection) as few:
        assert body(client.get(API + url))
    _make_published(12, reviewer, source)
    with CaptureQueriesContext(connection) as many:
        assert body(client.get(API + url))
    assert len(many) == len(few)


@pytest.mark.parametrize(
    "url",
    [
        "/places/?q=Jableh&governorate=a%00b",
        "/incidents/?q=a%00b",
        "/incidents/?governorate=x%00",
        "/sources/?limit=1%00",
    ],
)
def test_nul_characters_in_parameters_are_400(client, seeded, url):
    response = client.get(API + url)
    assert response.status_code == 400

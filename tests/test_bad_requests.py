"""Odd requests get a 4xx that says what is wrong, or a correct answer: never a 500.

A NUL character anywhere in an address or a parameter, dates at the edge of the calendar,
bodies nested too deeply, and values of the wrong JSON type.
"""

from __future__ import annotations

import pytest

from incidents.models import Incident

API = "/api/v1"

READS = [
    f"{API}/incidents/",
    f"{API}/map/?zoom=6",
    f"{API}/statistics/",
    f"{API}/incidents.geojson",
    f"{API}/incidents.csv",
    f"{API}/incidents.acled.csv",
]


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _with(url: str, query: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{query}"


@pytest.mark.parametrize(
    "url, where",
    [
        ("/incidents/SY%00/", "path"),
        ("/incidents/SY-2025-0001/?x=%00", "x"),
        ("/episodes/coastal%00/", "path"),
        (f"{API}/incidents/SY%00/", "path"),
        (f"{API}/incidents/SY%00/claims/", "path"),
        (f"{API}/sources/a%00/", "path"),
        (f"{API}/incidents/?q=a%00b", "q"),
    ],
)
def test_a_nul_character_anywhere_is_a_400_naming_where(client, db, url, where):
    response = client.get(url)
    assert response.status_code == 400
    text = response.content.decode()
    assert where in text and "NUL" in text


def test_dates_at_the_edges_of_the_calendar_are_answered(client, seeded):
    for url in READS:
        for query in [
            "date_from=0001-01-01",
            "date_from=0001-01-05&date_to=9999-12-31",
            "updated_since=0001-01-01T00:00:00%2B05:00",
            "updated_since=9999-12-31T23:59:59-05:00",
        ]:
            response = client.get(_with(url, query))
            assert response.status_code == 200, (url, query, _body(response)[:500])


def test_the_earliest_date_from_keeps_every_incident(client, seeded):
    everything = client.get(f"{API}/incidents/?page_size=500").json()["results"]
    since_day_one = client.get(f"{API}/incidents/?page_size=500&date_from=0001-01-01").json()
    assert {r["id"] for r in since_day_one["results"]} == {r["id"] for r in everything}
    assert (
        client.get(f"{API}/incidents/?updated_since=9999-12-31T23:59:59-05:00").json()["results"]
        == []
    )


@pytest.mark.parametrize("depth", [2_000, 10_000])
def test_a_body_nested_too_deeply_is_a_400(client, researcher, source, depth):
    client.force_login(researcher)
    response = client.post(
        f"{API}/incidents/", "[" * depth + "]" * depth, content_type="application/json"
    )
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]
    assert Incident.objects.count() == 0


# --- JSON types ------------------------------------------------------------------------------


def _create_body(**overrides) -> dict:
    body = {
        "title": "Shelling of a market",
        "event_type": "shelling",
        "date_start": "2025-03-07",
        "date_end": "2025-03-07",
        "latitude": 35.36,
        "longitude": 35.93,
        "claims": [{"source": "monitor-report", "killed_min": 12, "quote": "Twelve died."}],
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"title": 123}, "title"),
        ({"title": ["a"]}, "title"),
        ({"summary": {"en": "x"}}, "summary"),
        ({"latitude": True}, "latitude"),
        ({"latitude": "35.36"}, "latitude"),
        ({"event_type": 1}, "event_type"),
        ({"date_start": 20250307}, "date_start"),
        ({"episode": 1}, "episode"),
        ({"victim_groups": "civilians"}, "victim_groups"),
        ({"figure_rule": "manual", "figures": {"killed_best": "12"}}, "figures"),
        ({"claims": [{"source": "monitor-report", "killed_min": "12", "quote": "x"}]}, "claims"),
        ({"claims": [{"source": "monitor-report", "killed_min": True, "quote": "x"}]}, "claims"),
        ({"claims": [{"source": "monitor-report", "quote": 5}]}, "claims"),
        ({"claims": [{"source": "monitor-report", "quote": "x", "approximate": 1}]}, "claims"),
        ({"claims": [{"source": "monitor-report", "quote": "x", "approximate": "yes"}]}, "claims"),
    ],
)
def test_values_of_the_wrong_json_type_are_400_and_write_nothing(
    client, researcher, source, overrides, field
):
    client.force_login(researcher)
    response = client.post(
        f"{API}/incidents/", _create_body(**overrides), content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Incident.objects.count() == 0


@pytest.mark.parametrize(
    "url, body, field",
    [
        ("/sources/", {"slug": "s", "headline": 5, "kind": "news_article"}, "headline"),
        ("/actors/", {"slug": "a", "name": "A", "aliases": [1, 2]}, "aliases"),
        ("/episodes/", {"slug": 7, "title": "E", "date_start": "2025-03-06"}, "slug"),
        ("/episodes/", {"slug": "e", "title": True, "date_start": "2025-03-06"}, "title"),
        ("/actors/", {"slug": "a", "name": "A", "parent": ""}, "parent"),
        # Longer than 500 characters as sent, even if trimming its spaces would shorten it.
        (
            "/sources/",
            {"slug": "s", "headline": "   " + "x" * 499, "kind": "news_article"},
            "headline",
        ),
    ],
)
def test_catalogue_writes_refuse_the_wrong_json_type(client, reviewer, url, body, field):
    client.force_login(reviewer)
    response = client.post(API + url, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_a_partial_breakdown_is_accepted_with_the_rest_unknown(client, researcher, source):
    client.force_login(researcher)
    response = client.post(
        f"{API}/incidents/",
        _create_body(
            figure_rule="manual",
            figures={"killed_low": 12, "killed_best": 12, "killed_high": 15, "children": 4},
            figure_rationale="Hospital lists.",
        ),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    killed = response.json()["killed"]
    assert (killed["best"], killed["breakdown"]["children"]) == (12, 4)
    assert killed["breakdown"]["women"] is None


def test_numbers_stay_numbers(client, researcher, source):
    client.force_login(researcher)
    response = client.post(
        f"{API}/incidents/",
        _create_body(latitude=35, longitude=35.93),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert Incident.objects.get().latitude == 35.0

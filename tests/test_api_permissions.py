"""Who may do what through the API: anonymous, researcher, reviewer and admin, on draft and
published incidents, for every endpoint and method. Writes obey the admin's rules."""

from __future__ import annotations

import json

import pytest
from rest_framework.authtoken.models import Token

from incidents import services
from incidents.models import Incident, Status

from .conftest import incident_fields

API = "/api/v1"
ROLES = ["anonymous", "researcher", "reviewer", "admin"]


@pytest.fixture
def people(researcher, reviewer, superuser):
    return {"anonymous": None, "researcher": researcher, "reviewer": reviewer, "admin": superuser}


@pytest.fixture
def records(researcher, reviewer, source):
    draft = services.incident_create(
        user=researcher,
        claims=[{"source": source, "killed_min": 3, "quote": "Three were killed."}],
        **incident_fields(title="Draft incident"),
    )
    published = services.incident_create(
        user=researcher,
        claims=[{"source": source, "killed_min": 5, "quote": "Five were killed."}],
        **incident_fields(title="Published incident"),
    )
    services.incident_publish(incident=published, user=reviewer)
    return {"draft": draft, "published": published}


def _as(client, people, role):
    if people[role] is not None:
        client.force_login(people[role])
    return client


def _read(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode()


READS = [
    "/incidents/?page_size=500",
    "/incidents.geojson",
    "/incidents.csv",
    "/statistics/",
    "/map/?zoom=8",
    "/incidents/?q=incident",
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", READS)
def test_reads_show_drafts_to_researchers_only(client, people, records, role, url):
    response = _as(client, people, role).get(API + url)
    assert response.status_code == 200
    text = _read(response)
    draft_id = records["draft"].public_id
    if url.startswith("/statistics/"):
        totals = json.loads(text)["totals"]
        assert totals["incidents"] == (1 if role == "anonymous" else 2)
    else:
        assert records["published"].public_id in text
        assert (draft_id in text) == (role != "anonymous")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", ["draft", "published"])
def test_detail_and_claims(client, people, records, role, state):
    incident = records[state]
    visible = state == "published" or role != "anonymous"
    for url in (f"/incidents/{incident.public_id}/", f"/incidents/{incident.public_id}/claims/"):
        response = _as(client, people, role).get(API + url)
        assert response.status_code == (200 if visible else 404)


# (role, state) -> expected status of an edit
EDIT = {
    ("anonymous", "draft"): 401,
    ("anonymous", "published"): 401,
    ("researcher", "draft"): 200,
    ("researcher", "published"): 403,
    ("reviewer", "draft"): 200,
    ("reviewer", "published"): 200,
    ("admin", "draft"): 200,
    ("admin", "published"): 200,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", ["draft", "published"])
def test_edit(client, people, records, role, state):
    incident = records[state]
    response = _as(client, people, role).patch(
        f"{API}/incidents/{incident.public_id}/",
        {"title": "Changed"},
        content_type="application/json",
        HTTP_IF_MATCH=f'"{incident.version}"',
    )
    assert response.status_code == EDIT[(role, state)], response.content
    changed = Incident.objects.get(pk=incident.pk).title == "Changed"
    assert changed == (response.status_code == 200)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", ["draft", "published"])
def test_add_claim(client, people, records, role, state, news_source):
    incident = records[state]
    response = _as(client, people, role).post(
        f"{API}/incidents/{incident.public_id}/claims/",
        {"source": news_source.slug, "killed_min": 4, "quote": "Four were killed."},
        content_type="application/json",
        HTTP_IF_MATCH=f'"{incident.version}"',
    )
    expected = {200: 201}.get(EDIT[(role, state)], EDIT[(role, state)])
    assert response.status_code == expected, response.content


@pytest.mark.parametrize(
    "role, expected", [("anonymous", 401), ("researcher", 403), ("reviewer", 200), ("admin", 200)]
)
def test_publish_and_retract(client, people, records, role, expected):
    draft, published = records["draft"], records["published"]
    client = _as(client, people, role)
    response = client.post(
        f"{API}/incidents/{draft.public_id}/publish/", HTTP_IF_MATCH=f'"{draft.version}"'
    )
    # Anonymous writes are refused before any lookup, so a draft's existence leaks nothing.
    assert response.status_code == expected
    response = client.post(
        f"{API}/incidents/{published.public_id}/retract/",
        {"reason": "Wrong place."},
        content_type="application/json",
        HTTP_IF_MATCH=f'"{published.version}"',
    )
    assert response.status_code == expected
    status = Incident.objects.get(pk=published.pk).status
    assert (status == Status.RETRACTED) == (expected == 200)


@pytest.mark.parametrize(
    "role, expected", [("anonymous", 401), ("researcher", 201), ("reviewer", 201), ("admin", 201)]
)
def test_create(client, people, source, role, expected):
    payload = {
        "title": "New incident",
        "event_type": "shelling",
        "date_start": "2025-03-07",
        "date_end": "2025-03-07",
        "claims": [{"source": source.slug, "killed_min": 2, "quote": "Two were killed."}],
    }
    response = _as(client, people, role).post(
        f"{API}/incidents/", payload, content_type="application/json"
    )
    assert response.status_code == expected
    assert Incident.objects.filter(title="New incident").exists() == (expected == 201)


@pytest.mark.parametrize(
    "endpoint, payload",
    [
        ("/sources/", {"slug": "s1", "headline": "A report", "kind": "monitor_report"}),
        ("/actors/", {"slug": "a1", "name": "A group"}),
        (
            "/episodes/",
            {"slug": "e1", "title": "A wave", "date_start": "2025-03-01", "date_end": "2025-03-02"},
        ),
    ],
)
@pytest.mark.parametrize(
    "role, expected", [("anonymous", 401), ("researcher", 201), ("reviewer", 201), ("admin", 201)]
)
def test_catalogue_writes(client, people, endpoint, payload, role, expected):
    response = _as(client, people, role).post(
        API + endpoint, payload, content_type="application/json"
    )
    assert response.status_code == expected, response.content


def test_a_user_without_a_role_cannot_write(client, db, source, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password="pw-nobody")
    client.force_login(nobody)
    response = client.post(
        f"{API}/incidents/",
        {
            "title": "x",
            "event_type": "shelling",
            "date_start": "2025-03-07",
            "date_end": "2025-03-07",
        },
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not Incident.objects.exists()


def test_token_authentication_and_session_csrf(researcher, source, db):
    from django.test import Client

    token = Token.objects.create(user=researcher)
    payload = json.dumps(
        {
            "title": "By token",
            "event_type": "shelling",
            "date_start": "2025-03-07",
            "date_end": "2025-03-07",
        }
    )
    strict = Client(enforce_csrf_checks=True)
    by_token = strict.post(
        f"{API}/incidents/",
        payload,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert by_token.status_code == 201
    assert Incident.objects.get(title="By token").created_by == researcher
    strict.force_login(researcher)
    no_csrf = strict.post(f"{API}/incidents/", payload, content_type="application/json")
    assert no_csrf.status_code == 403 and "CSRF" in no_csrf.json()["detail"]

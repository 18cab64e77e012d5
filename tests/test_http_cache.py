"""HTTP caching of public answers (incidents.httpcache): validators, Cache-Control, Vary,
304s without the work, and nothing of a signed-in reader in a shared cache."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from incidents import services
from incidents.models import Incident
from tests.conftest import incident_fields

API = "/api/v1"

# Every public GET and the policy it should carry: (address, stale-while-revalidate).
PUBLIC = [
    ("/", True),
    ("/incidents/SY-2025-0001/", False),
    ("/episodes/march-2025-coastal-violence/", False),
    (f"{API}/map/?zoom=8", True),
    (f"{API}/statistics/", True),
    (f"{API}/statistics/?governorate=latakia-governorate", True),
    (f"{API}/incidents/", False),
    (f"{API}/incidents.geojson", False),
    (f"{API}/incidents.csv", False),
    (f"{API}/incidents.acled.csv", False),
    (f"{API}/sources/", False),
    (f"{API}/actors/", False),
    (f"{API}/episodes/", False),
    (f"{API}/episodes/march-2025-coastal-violence/", False),
    (f"{API}/places/?q=Jableh", False),
]


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _vary(response) -> set[str]:
    return {part.strip().lower() for part in response.get("Vary", "").split(",") if part.strip()}


@pytest.fixture
def episode_slug(seeded) -> str:
    from incidents.models import Episode

    return Episode.objects.order_by("pk").values_list("slug", flat=True).first()


def _address(address: str, episode_slug: str) -> str:
    return address.replace("march-2025-coastal-violence", episode_slug)


@pytest.mark.parametrize(("address", "stale"), PUBLIC)
def test_public_gets_carry_a_validator_and_a_short_public_lifetime(
    client: Client, seeded, episode_slug: str, address: str, stale: bool, settings
) -> None:
    settings.HTTP_MAX_AGE, settings.HTTP_STALE_WHILE_REVALIDATE = 5, 7
    response = client.get(_address(address, episode_slug))
    assert response.status_code == 200, _body(response)[:300]
    expected = "public, max-age=5" + (", stale-while-revalidate=7" if stale else "")
    assert response["Cache-Control"] == expected
    assert response["ETag"].startswith('"') and len(response["ETag"]) > 10
    assert {"accept-language", "cookie"} <= _vary(response)
    if address.startswith(API):
        assert "authorization" in _vary(response)
    # Nothing of this reader in it: no cookie (CSRF, session, language).
    assert not response.cookies


@pytest.mark.parametrize(("address", "stale"), PUBLIC)
def test_a_current_copy_is_answered_304_without_a_query(
    client: Client, seeded, episode_slug: str, address: str, stale: bool
) -> None:
    address = _address(address, episode_slug)
    first = client.get(address)
    _body(first)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(address, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == first["Cache-Control"]
    assert len(queries) == 0, [q["sql"] for q in queries]
    # A proxy that compresses marks the validator weak; it still matches.
    weak = client.get(address, HTTP_IF_NONE_MATCH=f'W/{first["ETag"]}, "other"')
    assert weak.status_code == 304


def test_validators_differ_by_address_language_and_format(client: Client, seeded) -> None:
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en")["ETag"]
    arabic = client.get("/", HTTP_ACCEPT_LANGUAGE="ar")["ETag"]
    filtered = client.get("/?grade=fair", HTTP_ACCEPT_LANGUAGE="en")["ETag"]
    assert len({english, arabic, filtered}) == 3
    json = client.get(f"{API}/statistics/", HTTP_ACCEPT="application/json")
    assert "accept" in _vary(json)
    assert json["ETag"] != client.get(f"{API}/statistics/", HTTP_ACCEPT="*/*")["ETag"]
    # The browsable API's page holds a CSRF token of its reader: never shared.
    html = client.get(f"{API}/statistics/", HTTP_ACCEPT="text/html")
    assert html.cookies and html["Cache-Control"] == "private, no-store"
    assert "ETag" not in html
    # The language cookie counts as much as the header.
    client.cookies["django_language"] = "ar"
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="en")["ETag"] == arabic


def _publish_new(reviewer, source, **fields) -> Incident:
    incident = services.incident_create(
        user=reviewer,
        claims=[{"source": source, "killed_min": 40, "quote": "At least 40 were killed."}],
        **incident_fields(**fields),
    )
    return services.incident_publish(incident=incident, user=reviewer)


def test_a_publication_and_a_retraction_end_every_validator_and_kept_answer(
    client: Client, seeded, reviewer, source, django_capture_on_commit_callbacks
) -> None:
    pages = ["/", f"{API}/statistics/", f"{API}/map/?zoom=8", f"{API}/incidents/"]
    before = {page: client.get(page) for page in pages}
    count = before[f"{API}/statistics/"].json()["totals"]["incidents"]
    with django_capture_on_commit_callbacks(execute=True):
        incident = _publish_new(reviewer, source, title="A new massacre")
    for page in pages:
        response = client.get(page, HTTP_IF_NONE_MATCH=before[page]["ETag"])
        assert response.status_code == 200, page
        assert response["ETag"] != before[page]["ETag"]
    assert client.get(f"{API}/statistics/").json()["totals"]["incidents"] == count + 1
    assert incident.public_id in client.get(f"{API}/map/?zoom=8").content.decode()
    page = client.get(f"/incidents/{incident.public_id}/")
    assert page.status_code == 200 and "A new massacre" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        services.incident_retract(incident=incident, user=reviewer, reason="Not verified.")
    assert client.get(f"{API}/statistics/").json()["totals"]["incidents"] == count
    assert incident.public_id not in client.get(f"{API}/map/?zoom=8").content.decode()
    gone = client.get(f"/incidents/{incident.public_id}/")
    assert gone.status_code == 404
    assert gone["Cache-Control"] == "no-cache"


def test_kept_pages_and_answers_are_served_without_a_query(client: Client, seeded) -> None:
    for address in ("/", "/incidents/SY-2025-0001/", f"{API}/statistics/", f"{API}/map/?zoom=8"):
        first = client.get(address)
        with CaptureQueriesContext(connection) as queries:
            second = client.get(address)
        assert second.status_code == 200
        assert second.content == first.content
        assert len(queries) == 0, (address, [q["sql"] for q in queries])


@pytest.mark.parametrize("how", ["session", "token"])
def test_a_signed_in_reader_gets_private_answers_with_no_shared_validator(
    seeded, researcher, how: str
) -> None:
    client = Client()
    headers = {}
    if how == "session":
        client.force_login(researcher)
    else:
        headers["HTTP_AUTHORIZATION"] = f"Token {Token.objects.create(user=researcher).key}"
    draft = Incident.objects.get(public_id="SY-2025-0011")
    anonymous = Client().get(f"{API}/incidents/?status=draft")
    assert draft.public_id not in anonymous.content.decode()  # the public never sees drafts
    for address in (
        f"{API}/incidents/?status=draft",
        f"{API}/incidents/{draft.public_id}/",
        f"{API}/statistics/",
        f"{API}/map/?zoom=8",
        "/",
        "/incidents/SY-2025-0001/",
    ):
        response = client.get(address, **headers)
        assert response.status_code == 200, address
        assert response["Cache-Control"] == "private, no-store", address
        assert "cookie" in _vary(response)
        if address.startswith(API):
            assert "authorization" in _vary(response)
        # The API's version ETag (for If-Match) stays; no validator of the public answer.
        public_tag = Client().get(address)
        if "ETag" in response and public_tag.status_code == 200:
            assert response["ETag"] != public_tag.get("ETag"), address
        # A copy a signed-in reader holds is never answered 304 from the public validator.
        if public_tag.status_code == 200 and "ETag" in public_tag:
            again = client.get(address, HTTP_IF_NONE_MATCH=public_tag["ETag"], **headers)
            assert again.status_code == 200, address
    assert (
        draft.public_id in client.get(f"{API}/incidents/?status=draft", **headers).content.decode()
    )


def test_signed_in_statistics_count_drafts_and_do_not_reach_anonymous_readers(
    seeded, researcher
) -> None:
    researcher_client = Client()
    researcher_client.force_login(researcher)
    theirs = researcher_client.get(f"{API}/statistics/").json()["totals"]["incidents"]
    public = Client().get(f"{API}/statistics/").json()["totals"]["incidents"]
    assert theirs > public
    assert researcher_client.get(f"{API}/statistics/").json()["totals"]["incidents"] == theirs


def test_public_pages_set_no_cookie_and_the_language_switch_needs_no_token(seeded) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get("/")
    assert not page.cookies
    assert "csrfmiddlewaretoken" not in page.content.decode()
    switched = client.post("/i18n/setlang/", {"language": "ar", "next": "/"})
    assert switched.status_code == 302 and switched["Location"] == "/"
    assert switched.cookies["django_language"].value == "ar"
    # It sets a cookie: never cacheable by a shared cache.
    assert switched["Cache-Control"] == "private, no-store"
    assert client.get("/")["Content-Language"] == "ar"
    refused = client.post(
        "/i18n/setlang/", {"language": "ar", "next": "https://elsewhere.example/"}
    )
    assert refused["Location"] == "/"


def test_answers_of_one_reader_are_never_public(client: Client, seeded) -> None:
    # The Swagger page carries a CSP nonce of its own.
    docs = client.get(f"{API}/docs/")
    assert "nonce-" in docs["Content-Security-Policy"]
    assert docs["Cache-Control"] == "private, no-store"
    # The admin's login page sets the CSRF cookie.
    login = client.get("/admin/login/")
    assert login.cookies and "private" in login["Cache-Control"]
    # Refused and missing answers of a public view are not kept by proxies.
    bad = client.get(f"{API}/statistics/?grade=nonsense")
    assert bad.status_code == 400 and bad["Cache-Control"] == "no-cache"
    assert "ETag" not in bad


def test_a_draft_edit_leaves_public_validators_alone(
    client: Client, seeded, researcher, django_capture_on_commit_callbacks
) -> None:
    before = client.get(f"{API}/statistics/")["ETag"]
    draft = Incident.objects.get(public_id="SY-2025-0011")
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_edit(
            incident=draft,
            user=researcher,
            expected_version=draft.version,
            title="A draft, renamed",
        )
    assert client.get(f"{API}/statistics/", HTTP_IF_NONE_MATCH=before).status_code == 304


def test_the_api_schema_says_which_reads_may_be_answered_304(client: Client, db) -> None:
    paths = client.get(f"{API}/schema/?format=json").json()["paths"]
    assert "304" in paths["/api/v1/statistics/"]["get"]["responses"]
    assert "304" in paths["/api/v1/incidents/"]["get"]["responses"]
    # The detail's ETag is its version, for If-Match: never a 304.
    assert "304" not in paths["/api/v1/incidents/{public_id}/"]["get"]["responses"]
    assert "304" not in paths["/api/v1/incidents/"]["post"]["responses"]

"""The OpenAPI document is valid, and the API keeps to it under generated input.

schemathesis builds requests from the schema itself (valid and invalid values for every
parameter and body) and sends them through the WSGI application; no response may be a
server error, use a status code or content type the schema does not list, or break the
schema's description of the response.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application

SCHEMA_URL = "/api/v1/schema/?format=json"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, application)


def test_schema_is_valid_openapi_3(client):
    response = client.get(SCHEMA_URL)
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    validate(document)
    paths = document["paths"]
    for path in [
        "/api/v1/incidents/",
        "/api/v1/incidents/{public_id}/",
        "/api/v1/incidents.geojson",
        "/api/v1/incidents.csv",
        "/api/v1/statistics/",
        "/api/v1/map/",
        "/api/v1/sources/",
        "/api/v1/actors/",
        "/api/v1/episodes/",
    ]:
        assert path in paths
    listed = {p["name"] for p in paths["/api/v1/incidents/"]["get"]["parameters"]}
    assert {"bbox", "date_from", "date_to", "perpetrator", "q", "updated_since"} <= listed
    for operations in paths.values():
        for method, operation in operations.items():
            assert operation.get("description") or operation.get("summary") or method
            assert "400" in operation["responses"] or method == "get"


def test_docs_are_served_offline(client):
    page = client.get("/api/v1/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "//cdn" not in page and "unpkg" not in page
    assert client.get("/api/v1/redoc/").status_code == 200


@pytest.fixture
def api_data(seeded, settings):
    settings.INCIDENT_MAP = {**settings.INCIDENT_MAP, "API_ANON_RATE": "", "API_USER_RATE": ""}


@pytest.fixture(autouse=True)
def _keep_the_test_connection_open():
    # schemathesis calls the WSGI application directly, so Django's request signals close
    # the database connection after each request, and with it the test's transaction (on
    # PostgreSQL; SQLite's in-memory database is never closed). Django's test client
    # disconnects the same handler while it makes a request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_anonymous_requests_keep_to_the_schema(case, api_data):
    case.call_and_validate(checks=CHECKS)


@schema.include(method=["POST", "PATCH", "DELETE"]).parametrize()
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_researcher_writes_keep_to_the_schema(case, api_data, researcher):
    token, _ = Token.objects.get_or_create(user=researcher)
    case.call_and_validate(checks=CHECKS, headers={"Authorization": f"Token {token.key}"})


def _schema(client) -> dict:
    return json.loads(client.get(SCHEMA_URL).content)


def test_catalogue_paging_is_bounded_documented_and_enforced(client, seeded):
    for name in ("sources", "actors", "episodes"):
        parameters = {
            p["name"]: p["schema"]
            for p in _schema(client)["paths"][f"/api/v1/{name}/"]["get"]["parameters"]
        }
        assert (parameters["limit"]["minimum"], parameters["limit"]["maximum"]) == (1, 500)
        assert (parameters["offset"]["minimum"], parameters["offset"]["maximum"]) == (
            0,
            10_000_000,
        )
        for query, field in [
            ("limit=0", "limit"),
            ("limit=501", "limit"),
            ("offset=-1", "offset"),
            ("offset=x", "offset"),
            ("offset=10000001", "offset"),
        ]:
            response = client.get(f"/api/v1/{name}/?{query}")
            assert response.status_code == 400, (name, query)
            assert list(response.json()) == [field]
        assert client.get(f"/api/v1/{name}/?limit=500&offset=10000000").status_code == 200


def test_every_operation_documents_414_and_if_match_has_a_pattern(client):
    document = _schema(client)
    for operations in document["paths"].values():
        for operation in operations.values():
            assert "414" in operation["responses"]
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "If-Match":
                    assert parameter["schema"]["pattern"]


def test_a_catalogue_slug_already_in_use_is_409(client, seeded, reviewer):
    client.force_login(reviewer)
    slug = client.get("/api/v1/sources/").json()["results"][0]["slug"]
    response = client.post(
        "/api/v1/sources/",
        {"slug": slug, "headline": "Another", "kind": "news_article"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert "slug" in response.json()


def test_an_empty_filter_value_is_400_naming_it(client, seeded):
    for url in ["/api/v1/incidents/", "/api/v1/statistics/", "/api/v1/map/?zoom=5&"]:
        joiner = "" if url.endswith("&") else "?"
        response = client.get(f"{url}{joiner}date_from=&bbox=")
        assert response.status_code == 400
        assert set(response.json()) == {"date_from", "bbox"}


def test_a_patch_body_is_required_and_not_empty_and_external_ids_have_a_pattern(client):
    document = _schema(client)
    for path in [
        "/api/v1/incidents/{public_id}/",
        "/api/v1/incidents/{public_id}/claims/{claim_id}/",
    ]:
        body = document["paths"][path]["patch"]["requestBody"]
        assert body["required"] is True
    for name in ["PatchedIncidentInputRequest", "PatchedClaimInputRequest"]:
        assert document["components"]["schemas"][name]["minProperties"] == 1
    listed = {p["name"]: p for p in document["paths"]["/api/v1/incidents/"]["get"]["parameters"]}
    assert "acled|ucdp" in listed["external_id"]["schema"]["pattern"]

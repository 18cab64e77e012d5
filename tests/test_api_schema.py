"""The OpenAPI document is valid, and the API keeps to it under generated input.

schemathesis builds requests from the schema itself (valid and invalid values for every
parameter and body) and sends them through the WSGI application; no response may be a
server error, use a status code or content type the schema does not list, or break the
schema's description of the response.
"""

from __future__ import annotations

import json
import re

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
from tests import schemathesis_hooks

SCHEMA_URL = "/api/v1/schema/?format=json"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, application)
# The hooks make generated requests name records a running server has, for the check
# `positive_data_acceptance` of the full run. This pass leaves that check out, and builds its
# cases when tests are collected, before any database exists: it keeps them as generated.
schemathesis.hooks.unregister(schemathesis_hooks.map_case)


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


# Every operation is a test of its own. Most of its requests come from schemathesis's coverage
# phase (every boundary and wrong value the schema defines, thousands in all, whatever
# max_examples says); max_examples only bounds the random cases added after them.
@schema.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_anonymous_requests_keep_to_the_schema(case, api_data):
    case.call_and_validate(checks=CHECKS)


@schema.include(method=["POST", "PATCH", "DELETE"]).parametrize()
@settings(
    max_examples=5,
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


def test_a_sources_address_is_an_http_address_or_empty_as_documented(client, reviewer):
    # The document gave "format: uri" or an empty string, which validators read as two
    # matches for "" (oneOf fails): now one pattern, which the server applies as written.
    source = _schema(client)["components"]["schemas"]["SourceRequest"]["properties"]
    choices = source["archive_url"]["oneOf"]
    assert all("format" not in choice for choice in choices)
    pattern = next(choice["pattern"] for choice in choices if "pattern" in choice)
    client.force_login(reviewer)
    for n, (address, accepted) in enumerate(
        [("", True), ("https://example.org/a?b=1", True), ("ftp://example.org", False)]
    ):
        if address:
            assert (re.fullmatch(pattern, address) is not None) is accepted
        response = client.post(
            "/api/v1/sources/",
            {"slug": f"s{n}", "headline": "H", "kind": "news_article", "archive_url": address},
            content_type="application/json",
        )
        assert (response.status_code == 201) is accepted, response.content


def test_catalogue_paging_takes_ascii_digits_once(client, db):
    # "²" passed str.isdigit() and then failed int(): a 500.
    for query in ["limit=%C2%B2", "offset=%C2%B2", "limit=1&limit=2"]:
        response = client.get(f"/api/v1/episodes/?{query}")
        assert response.status_code == 400, query
        assert set(response.json()) == {query.split("=")[0]}


def test_an_empty_filter_value_is_400_naming_it(client, seeded):
    for url in ["/api/v1/incidents/", "/api/v1/statistics/", "/api/v1/map/?zoom=5&"]:
        joiner = "" if url.endswith("&") else "?"
        response = client.get(f"{url}{joiner}date_from=&bbox=")
        assert response.status_code == 400
        assert set(response.json()) == {"date_from", "bbox"}


def test_a_list_filter_with_an_empty_item_is_400_naming_it(client, seeded):
    # "location_precision=," was read as no filter at all and answered every incident.
    for query in ["location_precision=,", "grade=confirmed,", "episode=,"]:
        response = client.get(f"/api/v1/incidents.csv?{query}")
        assert response.status_code == 400, query
        assert set(response.json()) == {query.split("=")[0]}


def test_an_empty_cursor_is_400_naming_it(client, seeded):
    # The schema asks for at least one character; an empty cursor was read as "no cursor".
    response = client.get("/api/v1/incidents/?cursor=")
    assert response.status_code == 400
    assert set(response.json()) == {"cursor"}


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


def test_every_string_a_client_sends_excludes_nul(client):
    document = _schema(client)
    free_text = []

    def walk(schema):
        if isinstance(schema, list):
            for item in schema:
                walk(item)
        elif isinstance(schema, dict):
            if schema.get("type") == "string" and not {"enum", "format"} & schema.keys():
                free_text.append(schema)
            for value in (schema.get("properties") or {}).values():
                walk(value)
            for key in ("items", "allOf", "oneOf", "anyOf"):
                walk(schema.get(key))

    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                walk(parameter["schema"])
    for name, component in document["components"]["schemas"].items():
        if name.endswith("Request"):
            walk(component)
    assert len(free_text) > 50
    for schema in free_text:
        if schema.get("maxLength") != 0:
            assert schema.get("pattern"), schema
            assert not re.search(schema["pattern"].replace("\\x00", "\x00"), "a\x00b"), schema
            if schema.get("minLength", 0) >= 1:
                # Read with white space trimmed: a value of white space alone is blank.
                assert not re.search(schema["pattern"], "\t "), schema
                assert re.search(schema["pattern"], "a"), schema
    quote = document["components"]["schemas"]["ClaimInputRequest"]["properties"]["quote"]
    assert quote["pattern"] in ("^[^\\x00]*$", "^[^\\x00]*[^\\s\\x00][^\\x00]*$")


def _catalogue(client) -> schemathesis_hooks.Catalogue:
    return schemathesis_hooks.Catalogue.read(lambda path: client.get(path).json())


def _as_sent(query: dict) -> dict:
    # As schemathesis sends them: the list filters are not exploded, but comma-separated.
    return {name: ",".join(v) if isinstance(v, list) else v for name, v in query.items()}


def test_generated_filters_are_made_to_name_records_the_server_shows(client, seeded):
    catalogue = _catalogue(client)
    assert catalogue.slugs["episode"] == ["march-2025-coastal-violence"]
    assert len(catalogue.slugs["governorate"]) == 14
    generated = {
        **{name: ["0", "\u00e9x"] for name in schemathesis_hooks.QUERY_SLUGS},
        "date_from": "2025-03-31",
        "date_to": "2025-03-01",
        "killed_min": "9",
        "killed_max": "2",
        "cursor": "0",
        "bbox": "517.7,9748008124311599314878082.7,-0.5,-57709.6",
    }
    response = client.get("/api/v1/incidents/", _as_sent(generated))
    assert response.status_code == 400
    assert set(response.json()) == {
        *schemathesis_hooks.QUERY_SLUGS,
        *("date_to", "killed_max", "bbox"),
    }
    generated["episode"] = "0,\u00e9x"
    query = schemathesis_hooks.realistic_query(generated, catalogue)
    assert (query["date_from"], query["killed_min"]) == ("2025-03-01", "2")
    assert query["bbox"] == "-0.5,-90.0,180.0,90.0"
    response = client.get("/api/v1/incidents/", _as_sent(query))
    assert response.status_code == 200, response.content
    del query["cursor"]  # only the list of incidents is paged
    for url in ["/api/v1/statistics/", "/api/v1/incidents.csv"]:
        response = client.get(url, _as_sent(query))
        assert response.status_code == 200, response.content
    places = schemathesis_hooks.realistic_query(
        {"q": "Jableh", "governorate": "0,1"}, catalogue, lists=False
    )
    assert client.get("/api/v1/places/", places).status_code == 200
    # A kind the server has no record of is left out rather than invented.
    empty = schemathesis_hooks.Catalogue(slugs={"episode": []})
    assert "episode" not in schemathesis_hooks.realistic_query({"episode": ["0"]}, empty)


def test_generated_bodies_are_made_to_name_records_and_keep_dates_in_order(
    client, seeded, researcher
):
    catalogue = _catalogue(client)
    client.force_login(researcher)
    episode = schemathesis_hooks.realistic_episode(
        {"slug": "later", "title": "T", "date_start": "2025-03-09", "date_end": "2025-03-01"},
        catalogue,
    )
    response = client.post("/api/v1/episodes/", episode, content_type="application/json")
    assert response.status_code == 201, response.content
    incident = schemathesis_hooks.realistic_incident(
        {
            "title": "T",
            "event_type": "shelling",
            "date_start": "2025-03-09",
            "date_end": "2025-03-01",
            "place": "0",
            "governorate": "0",
            "district": "0",
            "episode": "0",
            "victim_groups": ["0", "1"],
            "claims": [{"source": "0", "quote": "q", "perpetrator": "0", "killed_min": 5}],
            "perpetrators": [{"actor": "0", "confidence": "alleged"}],
        },
        catalogue,
    )
    response = client.post("/api/v1/incidents/", incident, content_type="application/json")
    assert response.status_code == 201, response.content
    actor = {"slug": "new", "name": "N", "parent": "0"}
    actor = schemathesis_hooks.realistic_actor(actor, catalogue)
    response = client.post("/api/v1/actors/", actor, content_type="application/json")
    assert response.status_code == 201, response.content


def test_input_text_limits_are_the_databases():
    # A longer limit in the API than in the table documents values that are then refused
    # (400) as a schema-valid request (schemathesis found attributed_to at 300 against 200).
    from django.core.exceptions import FieldDoesNotExist

    from incidents.api import serializers as s
    from incidents.models import Claim, Incident

    checked = 0
    for serializer, model in [
        (s.ClaimInputSerializer, Claim),
        (s.IncidentInputSerializer, Incident),
    ]:
        for name, field in serializer().fields.items():
            limit = getattr(field, "max_length", None)
            try:
                column = model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if limit and getattr(column, "max_length", None):
                assert limit <= column.max_length, (serializer.__name__, name)
                checked += 1
    assert checked >= 5

"""Anonymous reads go to the read replicas; signed-in users' requests and all writes stay on
the primary (config.replicas).

The replica is Django's test mirror of the primary (``replica_1``, tests/conftest.py): one
database reached through a second connection, so each test below counts which connection
ran the queries. The tests commit (``transaction=True``) so that the second connection sees
what the first wrote.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connections, router
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token

from config.replicas import ReplicaRouter, reading_from
from incidents import services
from incidents.models import Incident
from tests.conftest import MIRROR_ALIAS

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db(databases=["default", MIRROR_ALIAS], transaction=True)

PUBLIC_READS = [
    "/",
    "/api/v1/incidents/?ordering=-published_at",
    "/api/v1/map/?zoom=7",
    "/api/v1/statistics/",
]


@pytest.fixture
def replicas(settings):
    settings.DATABASE_REPLICAS = [MIRROR_ALIAS]


@pytest.fixture
def published(incident, reviewer) -> Incident:
    return services.incident_publish(incident=incident, user=reviewer)


def _selects(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")
    ]


def _read(client, url: str, **extra) -> tuple[int, list[str], list[str]]:
    """Status of ``GET url`` and the SELECTs it ran on the primary and on the replica."""
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[MIRROR_ALIAS]) as replica,
    ):
        response = client.get(url, **extra)
        if response.streaming:
            b"".join(response.streaming_content)
    return response.status_code, _selects(primary), _selects(replica)


@pytest.mark.parametrize("url", PUBLIC_READS)
def test_anonymous_reads_go_to_the_replica(client, replicas, published, url):
    status, primary, replica = _read(client, url)
    assert status == 200
    assert replica, "an anonymous read ran no query on the replica"
    assert primary == [], primary


def test_an_anonymous_incident_page_and_document_read_the_replica(client, replicas, published):
    for url in [
        reverse("incidents:incident-detail", args=[published.public_id]),
        reverse("api:incident-detail", args=[published.public_id]),
    ]:
        status, primary, replica = _read(client, url)
        assert (status, primary) == (200, []), (url, primary)
        assert any("incidents_incident" in sql for sql in replica), url


def test_a_streamed_export_keeps_reading_the_replica_while_it_streams(client, replicas, published):
    # The rows are read after the view has returned, as the response is sent.
    status, primary, replica = _read(client, reverse("api:incident-geojson"))
    assert (status, primary) == (200, [])
    assert any("incidents_incident" in sql for sql in replica)


def test_a_signed_in_researcher_reads_the_primary_and_sees_what_they_just_wrote(
    client, replicas, researcher, source
):
    client.force_login(researcher)
    created = client.post(
        reverse("api:incident-list"),
        {
            "title": "Shelling of a bakery",
            "event_type": "shelling",
            "date_start": "2025-03-08",
            "date_end": "2025-03-08",
            "latitude": 35.36,
            "longitude": 35.93,
            "place_name": "Jableh",
            "claims": [{"source": source.slug, "killed_min": 3, "quote": "Three were killed."}],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    public_id = created.json()["id"]
    for url in [reverse("api:incident-detail", args=[public_id]), *PUBLIC_READS]:
        status, primary, replica = _read(client, url)
        assert status == 200, url
        assert replica == [], (url, replica)
        assert primary, url


def test_a_token_client_reads_the_primary(client, replicas, researcher, incident):
    # Tokens are checked by the API view, after the middleware: the header alone decides.
    token = Token.objects.create(user=researcher)
    status, primary, replica = _read(
        client,
        reverse("api:incident-detail", args=[incident.public_id]),
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert (status, replica) == (200, [])
    assert primary


def test_anonymous_writes_and_sign_ins_use_the_primary(client, replicas, researcher):
    with CaptureQueriesContext(connections[MIRROR_ALIAS]) as replica:
        refused = client.post(reverse("api:incident-list"), {}, content_type="application/json")
        signed_in = client.post(
            reverse("admin:login"), {"username": "rita", "password": "pw-rita", "next": "/admin/"}
        )
    assert refused.status_code in {401, 403}
    assert signed_in.status_code == 302
    assert replica.captured_queries == []


def test_without_replicas_everything_reads_the_primary(client, published):
    for url in PUBLIC_READS:
        status, primary, replica = _read(client, url)
        assert status == 200 and replica == [] and primary, url


def test_a_row_read_from_a_replica_is_written_back_to_the_primary(replicas, published, reviewer):
    with reading_from(MIRROR_ALIAS):
        incident = Incident.objects.get(pk=published.pk)
        assert incident._state.db == MIRROR_ALIAS
        # Django's own fallback would send the save to the database the row came from.
        assert router.db_for_write(Incident, instance=incident) == "default"
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[MIRROR_ALIAS]) as replica,
    ):
        services.incident_retract(
            incident=incident, user=reviewer, reason="Duplicate of another record."
        )
    assert replica.captured_queries == []
    assert any(q["sql"].startswith("UPDATE") for q in primary.captured_queries)


def test_replicas_are_never_migrated(settings):
    settings.DATABASE_REPLICAS = [MIRROR_ALIAS]
    assert ReplicaRouter().allow_migrate(MIRROR_ALIAS, "incidents") is False
    assert ReplicaRouter().allow_migrate("default", "incidents") is None


def _settings_with(**env: str) -> subprocess.CompletedProcess[str]:
    show = (
        "from django.conf import settings as s; "
        "print(s.DATABASE_REPLICAS); "
        "print([(s.DATABASES[a]['HOST'], s.DATABASES[a]['TEST']['MIRROR']) "
        "for a in s.DATABASE_REPLICAS])"
    )
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_REPLICA_URLS"}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", show],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_replica_urls_become_mirrored_aliases():
    result = _settings_with(
        DATABASE_URL="postgres://app@db-primary:5432/incidentmap",
        DATABASE_REPLICA_URLS="postgres://app@db-r1:5432/incidentmap, "
        "postgres://app@db-r2:5432/incidentmap",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "['replica_1', 'replica_2']",
        "[('db-r1', 'default'), ('db-r2', 'default')]",
    ]
    none = _settings_with(DATABASE_URL="postgres://app@db-primary:5432/incidentmap")
    assert none.stdout.splitlines()[0] == "[]", none.stderr


def test_a_replica_of_another_kind_of_database_is_refused():
    result = _settings_with(
        DATABASE_URL="postgres://app@db-primary:5432/incidentmap",
        DATABASE_REPLICA_URLS="sqlite:///elsewhere.sqlite3",
    )
    assert result.returncode != 0
    assert "replica 1 is not the same kind of database" in result.stderr

"""Exports stream as they are computed, from one snapshot, and a failed one is visibly cut.

Outside a transaction Django declares its server-side cursor ``WITH HOLD``, so PostgreSQL
computed a whole export before sending its first feature (23 s of 29 s at 300,000
incidents). The exports now read inside one read-only transaction: the cursor is an
ordinary one and rows are made as they are fetched. And when a stream fails after its
``200`` was sent, the client must be able to tell: the connection ends without the chunked
encoding's last chunk and the GeoJSON without its closing ``]}``.
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.db import DatabaseError, connection, connections
from django.test import Client

from incidents import services
from incidents.models import Incident, SourceKind
from tests.conftest import incident_fields
from tests.processes import (
    _migrated_sqlite_file,
    environment,
    process_database_url,
    start_servers,
)

__all__ = ["_migrated_sqlite_file", "process_database_url"]  # fixtures used below

EXPORTS = ["/api/v1/incidents.geojson", "/api/v1/incidents.csv", "/api/v1/incidents.acled.csv"]


def _published(source, count: int) -> list[Incident]:
    made = []
    for n in range(count):
        incident = services.incident_create(
            user=None,
            claims=[{"source": source, "killed_min": n + 1, "quote": f"{n + 1} were killed."}],
            **incident_fields(title=f"Shelling number {n}", longitude=35.9 + n / 1000),
        )
        made.append(services.incident_publish(incident=incident, user=None))
    return made


def _pieces(response) -> Iterator[bytes]:
    for piece in response.streaming_content:
        yield piece if isinstance(piece, bytes) else piece.encode()


def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "PostgreSQL only (run with DATABASE_URL=postgres://...): SQLite has no "
            "server-side cursors, and its exports read in autocommit."
        )


@pytest.mark.parametrize("path", EXPORTS)
def test_an_export_reads_inside_one_transaction_with_an_ordinary_cursor(
    path: str, transactional_db: None, source, settings
) -> None:
    _postgresql_only()
    settings.EXPORT_CHUNK_SIZE = 2
    _published(source, 7)
    response = Client().get(path)
    assert response.status_code == 200
    pieces = _pieces(response)
    next(pieces)  # the head, written before any query
    next(pieces)  # the first rows: the cursor is open now, with rows still to come
    assert connection.in_atomic_block, "the export's queries ran outside a transaction"
    with connection.cursor() as cursor:
        cursor.execute("SELECT is_holdable FROM pg_cursors")
        holdable = [row[0] for row in cursor.fetchall()]
        cursor.execute("SHOW transaction_isolation")
        isolation = cursor.fetchone()[0]
    # WITH HOLD makes PostgreSQL compute every row before the first one leaves.
    assert holdable and not any(holdable), holdable
    assert isolation == "repeatable read"
    rest = b"".join(pieces)
    assert not connection.in_atomic_block
    if path.endswith(".geojson"):
        assert rest.endswith(b"}")


def test_the_features_and_catalogue_of_an_export_come_from_one_snapshot(
    transactional_db: None, source, news_source, settings
) -> None:
    """An incident published (from another connection) while the features stream is in
    neither the features nor the catalogue at the end; the catalogue names exactly the
    sources the streamed features cite."""
    _postgresql_only()
    settings.EXPORT_CHUNK_SIZE = 2
    _published(source, 5)
    response = Client().get("/api/v1/incidents.geojson")
    pieces = _pieces(response)
    head = next(pieces) + next(pieces)

    def publish_elsewhere() -> None:
        try:
            _published(news_source, 1)
        finally:
            connections.close_all()

    thread = threading.Thread(target=publish_elsewhere)
    thread.start()
    thread.join()
    assert Incident.objects.count() == 5  # this connection still reads its snapshot
    body = json.loads(head + b"".join(pieces))
    assert len(body["features"]) == 5
    assert [s["slug"] for s in body["catalogue"]["sources"]] == [source.slug]
    assert Incident.objects.count() == 6  # the snapshot ended with the export


def test_an_export_on_sqlite_streams_too(transactional_db: None, source, settings) -> None:
    settings.EXPORT_CHUNK_SIZE = 2
    _published(source, 7)
    body = b"".join(_pieces(Client().get("/api/v1/incidents.geojson")))
    assert len(json.loads(body)["features"]) == 7
    assert not connection.in_atomic_block


@pytest.mark.parametrize("path", EXPORTS)
def test_an_export_cut_by_a_failure_reads_as_incomplete_to_the_client(
    path: str, process_database_url: str
) -> None:
    """A real server streams an export; its database connection is ended mid-way (as a
    database restart or fail-over would); the client sees a transfer error, never a
    well-formed file with rows missing."""
    if not process_database_url.startswith("postgres"):
        pytest.skip(
            "Needs PostgreSQL (run with DATABASE_URL=postgres://...): the failure is made "
            "by ending the export's own database session from outside."
        )
    source = services.source_create(
        user=None,
        slug="a-monitor",
        publisher="A monitor",
        headline="A report",
        kind=SourceKind.MONITOR_REPORT,
    )
    # Rows of about 200 kB each, and a client that reads nothing after the first piece
    # with a receive buffer it fixes small: the export (about 8 MB in every format) cannot
    # fit in the socket buffers, so the server is still inside its export transaction,
    # waiting to send, when its session is ended. With small rows the server could finish
    # the whole export before the session was looked for.
    quote = "They were killed in the shelling of the market. " * 4000
    made = set()
    for n in range(40):
        incident = services.incident_create(
            user=None,
            claims=[{"source": source, "killed_min": n + 1, "quote": quote}],
            **incident_fields(title=f"Shelling number {n}", summary=quote, longitude=35.9),
        )
        made.add(services.incident_publish(incident=incident, user=None).public_id)
    logs: list[str] = []
    env = environment(
        process_database_url, DEBUG="0", EXPORT_CHUNK_SIZE="2", API_ANON_RATE="1000/minute"
    )
    servers = start_servers(1, env, logs)
    (url,) = next(servers)
    try:
        address = urlsplit(url)
        reader = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        reader.settimeout(30)
        reader.connect((address.hostname, address.port))
        client = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        client.sock = reader
        client.request("GET", path)
        response = client.getresponse()
        assert response.status == 200
        assert response.getheader("Transfer-Encoding") == "chunked"
        first = response.read1()
        assert first
        ended: list[tuple[bool]] = []
        deadline = time.monotonic() + 10
        with connection.cursor() as cursor:
            while not ended and time.monotonic() < deadline:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND state = 'idle in transaction'"
                )
                ended = cursor.fetchall()
                if not ended:
                    time.sleep(0.05)
        assert ended == [(True,)], "no export was waiting inside its transaction"
        with pytest.raises(http.client.IncompleteRead) as cut:
            response.read()
        body = first + cut.value.partial
        # Rows went missing (every format names each incident by its public id; the cut may
        # come before the first), and nothing in what arrived says the file is whole. The cut
        # can fall between two features, so the body may end with a feature's closing brace;
        # the collection is never closed (its catalogue follows the last feature), and the
        # body does not parse.
        arrived = {found.decode() for found in re.findall(rb"SY-\d{4}-\d+", body)}
        assert len(arrived & made) < len(made)
        if path.endswith(".geojson"):
            assert b'],"catalogue":' not in body
            with pytest.raises(json.JSONDecodeError):
                json.loads(body)
        client.close()
    finally:
        servers.close()
    assert "Export stopped after" in "".join(logs)


def test_a_failed_stream_is_logged(
    transactional_db: None, source, settings, caplog: pytest.LogCaptureFixture
) -> None:
    """The same cut, in process: the error is logged and raised, never swallowed."""
    _postgresql_only()
    settings.EXPORT_CHUNK_SIZE = 2
    _published(source, 7)
    response = Client().get("/api/v1/incidents.csv")
    pieces = _pieces(response)
    next(pieces)
    next(pieces)
    from django.db import connections

    pid = connection.connection.info.backend_pid
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    with (
        caplog.at_level(logging.ERROR, logger="incidents.api.exports"),
        pytest.raises(DatabaseError),
    ):
        b"".join(pieces)
    assert "Export stopped after" in caplog.text
    connection.close()

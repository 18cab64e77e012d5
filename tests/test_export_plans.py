"""Exports stay linear in the number of incidents: each incident's outside data set ids are
read from an index on the incident, never by walking every record of the data set.

Timings belong to ``bench/export_bench.py``; here the query plans are checked, on the
database the suite runs on, for the query that reads a chunk's records (which give
``acled_event_id`` and ``ucdp_ged_id``, GeoJSON and CSV alike).
"""

from __future__ import annotations

from django.db import connection, transaction

from incidents.api.exports import incident_rows, record_rows
from incidents.models import ExternalRecord, Incident

INDEX = "external_record_incident_idx"


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        # With a handful of rows a sequential scan is cheapest: the question is which
        # index the planner would use on a large table.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_first_external_ids_are_read_through_the_incident(seeded):
    incident = Incident.objects.first()
    ExternalRecord.objects.create(incident=incident, dataset="acled", external_id="SYR1")
    ExternalRecord.objects.create(incident=incident, dataset="ucdp", external_id="2")
    ids = list(Incident.objects.values_list("pk", flat=True))
    text = plan(record_rows(ids))
    # A chunk's records are read through the index on their incident; the unique
    # (data set, id) index is never walked.
    assert INDEX in text, text
    assert "external_record_unique" not in text, text


def test_the_incidents_rows_read_the_incidents_once(seeded):
    """The rows the exports stream read the incidents table once: no subquery per row, and
    no join of the table with itself for ``merged_into`` (which hashed the whole table)."""
    sql, _ = incident_rows(Incident.objects.all()).query.sql_with_params()
    assert sql.count('FROM "incidents_incident"') == 1, sql
    assert 'JOIN "incidents_incident"' not in sql, sql
    assert "SELECT" not in sql.split("FROM", 1)[1], sql


def test_a_chunks_ids_are_one_text_parameter(seeded):
    """A chunk's ids reach the database as one parameter, the array's text: never a list
    the driver would adapt id by id into thousands of constants for the server to parse
    and plan, for each query of each chunk."""
    ids = sorted(Incident.objects.values_list("pk", flat=True))
    queryset = record_rows([*ids, *range(10**9, 10**9 + 2000)])
    sql, params = queryset.query.sql_with_params()
    assert len(params) == 1, params
    assert isinstance(params[0], str), type(params[0])
    assert str(10**9 + 1999) not in sql, sql[:200]
    incident = Incident.objects.get(pk=ids[-1])
    ExternalRecord.objects.create(incident=incident, dataset="acled", external_id="SYR1")
    assert [row[:3] for row in queryset] == [(incident.pk, "acled", "SYR1")]

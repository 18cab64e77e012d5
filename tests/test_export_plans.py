"""Exports stay linear in the number of incidents: each incident's outside data set ids are
read from an index on the incident, never by walking every record of the data set.

Timings belong to ``bench/export_bench.py``; here the query plans are checked, on the
database the suite runs on, for the subqueries that give ``acled_event_id`` and
``ucdp_ged_id`` (GeoJSON and CSV alike).
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from incidents.api.exports import csv_rows, geojson_features
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


@pytest.mark.parametrize(
    "rows,lookups", [(geojson_features, 2), (csv_rows, 1)], ids=["geojson", "csv"]
)
def test_first_external_ids_are_read_through_the_incident(seeded, rows, lookups):
    incident = Incident.objects.first()
    ExternalRecord.objects.create(incident=incident, dataset="acled", external_id="SYR1")
    ExternalRecord.objects.create(incident=incident, dataset="ucdp", external_id="2")
    text = plan(rows(Incident.objects.all(), internal=True))
    # GeoJSON: once for ACLED and once for UCDP. CSV: the records are read once, and the
    # first ids taken from them. The unique (data set, id) index is never walked.
    assert text.count(INDEX) >= lookups, text
    assert "external_record_unique" not in text, text

"""What the incidents table costs on disk: one index per purpose.

A public id is looked up whole (pages, the API, imports), never by prefix, so one unique
index serves it; PostgreSQL's second, pattern-matching index beside it was as large and
unused (migration 0015).
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from incidents.models import Incident


def _indexes_on_public_id() -> list[tuple[str, str]]:
    table = Incident._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table]
            )
            return [(name, sql) for name, sql in cursor.fetchall() if "public_id" in sql]
        cursor.execute(f"PRAGMA index_list('{table}')")
        found = []
        for row in cursor.fetchall():
            name = row[1]
            cursor.execute(f"PRAGMA index_info('{name}')")
            columns = [info[2] for info in cursor.fetchall()]
            if "public_id" in columns:
                found.append((name, ",".join(columns)))
        return found


def test_exactly_one_index_covers_the_public_id(db):
    indexes = _indexes_on_public_id()
    assert len(indexes) == 1, indexes
    _, definition = indexes[0]
    if connection.vendor == "postgresql":
        assert definition.startswith("CREATE UNIQUE INDEX"), definition
        assert "pattern_ops" not in definition


def test_the_public_id_stays_unique(incident):
    with pytest.raises(IntegrityError), transaction.atomic():
        Incident.objects.filter(pk=incident.pk).update(public_id="SY-2025-9999")
        clone = Incident.objects.get(pk=incident.pk)
        clone.pk = None
        clone.save()


def test_a_lookup_by_public_id_uses_the_index(incident):
    query = Incident.objects.filter(public_id=incident.public_id)
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor, transaction.atomic():
        if connection.vendor == "postgresql":
            # A table of one row is read whole whatever its indexes: ask for the plan the
            # planner makes where reading it whole costs more (a large table).
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    (index_name, _), *_ = _indexes_on_public_id()
    assert index_name in plan, plan

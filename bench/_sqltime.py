"""The database's own time for one request's statements, each run alone.

On a shared, loaded machine a request's wall time is mostly waiting for a core; the
statements' execution times, as ``EXPLAIN ANALYZE`` reports them when each runs again by
itself right after the request (so with the request's cache of pages), show what a quiet
machine would spend in the database. PostgreSQL only; None elsewhere.
"""

from __future__ import annotations

import json


def statements_of(run) -> list[str]:
    """The SQL of every statement ``run()`` sends (parameters interpolated)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        run()
    return [query["sql"] for query in captured.captured_queries]


def sql_alone(statements: list[str]) -> tuple[float, int] | None:
    """(seconds of planning and execution summed, statements) of the reading statements,
    each run again alone under ``EXPLAIN ANALYZE``, with the settings the request set
    (``SET LOCAL`` lines are run too, in one transaction)."""
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        return None
    total, counted = 0.0, 0
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in statements:
            head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
            if head == "SET":
                cursor.execute(sql)
            if head not in ("SELECT", "WITH"):
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            total += (plan[0]["Planning Time"] + plan[0]["Execution Time"]) / 1000
            counted += 1
        transaction.set_rollback(True)
    return total, counted

"""Statements a PostgreSQL connection prepares once and then executes by name.

A page's documents built afresh take three statements whose planning is about a third of
their time at a million incidents (1 to 2 ms each, against 2 to 5 ms of execution), paid
again on every page. Prepared on the connection, a statement is parsed once; PostgreSQL
plans its first executions for their values and then, where a plan for any values costs no
more, keeps that one (``plan_cache_mode``, by default ``auto``). Persistent connections
(``CONN_MAX_AGE``) are what make it pay; a connection made for one request prepares once and
gains nothing, but loses nothing either.

A prepared statement belongs to the database session, not to a transaction: a rolled-back
transaction keeps it, and a new connection (Django reconnects after an error, or when a
connection reaches its age) starts with none. What each connection has prepared is kept
beside it, keyed by the driver's connection object, so it is forgotten with the session.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass

_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Statement:
    """A statement to prepare: its name (unique in this module's users), its parameters'
    types, and its text with ``$1``, ``$2``... for them."""

    name: str
    types: tuple[str, ...]
    sql: str


def execute(connection, cursor, statement: Statement, params: Sequence) -> None:
    """Execute ``statement`` on ``cursor`` (of ``connection``, PostgreSQL) with ``params``,
    preparing it first if this session has not."""
    raw = connection.connection
    done = _PREPARED.get(raw)
    if done is None:
        done = _PREPARED[raw] = set()
    if statement.name not in done:
        # Through the driver's own cursor, as Django sets up a session (its time zone, say):
        # made once a session, it is not a request's statement, and a request's count of
        # statements must not depend on whether its connection is new.
        cursor.cursor.execute(
            f"PREPARE {statement.name} ({', '.join(statement.types)}) AS {statement.sql}"
        )
        done.add(statement.name)
    marks = ", ".join(["%s"] * len(params))
    cursor.execute(f"EXECUTE {statement.name} ({marks})", list(params))

"""Free-text search in incidents' titles, summaries and place names, served by an index.

The ``q`` filter matches text anywhere in the English or Arabic title or summary or the
place name, ignoring case. ``icontains`` over five columns reads every incident; at a
million that is a second or more. Each database gets an index that answers "which incidents
hold this text" without reading them all:

PostgreSQL  a trigram index (``pg_trgm``, GIN) on one expression joining the five columns;
            ``ILIKE '%text%'`` on that expression is answered from the index.
SQLite      an FTS5 table with the trigram tokenizer, kept by triggers on the incident
            table; a quoted phrase matches any substring of three characters or more.

Both answer substrings, like the ``icontains`` they replace; shorter text (one or two
characters) has no trigram, so it falls back to reading the columns.

SQLite drops a table's triggers when Django rebuilds the table in a migration (it does so
for most column changes), so :func:`ensure_index` runs after every ``migrate`` as well as
in the migration that made the index: missing triggers are made again and the FTS table is
rebuilt from the incidents, so it can never silently fall behind.
"""

from __future__ import annotations

from typing import Any

from django.db import connection as default_connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

INCIDENT_TABLE = "incidents_incident"
COLUMNS = ("title", "title_ar", "summary", "summary_ar", "place_name")
MIN_INDEXED_LENGTH = 3  # a trigram

# PostgreSQL: the expression indexed and searched (the same call in both, so they match).
PG_FUNCTION = "incident_search_text"
PG_INDEX = "incidents_incident_text_trgm"
_PG_CALL = f"{PG_FUNCTION}({', '.join(COLUMNS)})"

# SQLite: the FTS5 table and its triggers.
FTS_TABLE = "incidents_incident_text"
_TRIGGERS = {
    f"{FTS_TABLE}_insert": (
        f"AFTER INSERT ON {INCIDENT_TABLE} BEGIN "
        f"INSERT INTO {FTS_TABLE}(rowid, {', '.join(COLUMNS)}) "
        f"VALUES (new.id, {', '.join('new.' + c for c in COLUMNS)}); END"
    ),
    f"{FTS_TABLE}_delete": (
        f"AFTER DELETE ON {INCIDENT_TABLE} BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {', '.join(COLUMNS)}) "
        f"VALUES ('delete', old.id, {', '.join('old.' + c for c in COLUMNS)}); END"
    ),
    f"{FTS_TABLE}_update": (
        f"AFTER UPDATE OF {', '.join(COLUMNS)} ON {INCIDENT_TABLE} BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {', '.join(COLUMNS)}) "
        f"VALUES ('delete', old.id, {', '.join('old.' + c for c in COLUMNS)}); "
        f"INSERT INTO {FTS_TABLE}(rowid, {', '.join(COLUMNS)}) "
        f"VALUES (new.id, {', '.join('new.' + c for c in COLUMNS)}); END"
    ),
}


def ensure_index(connection: Any = None) -> None:
    """Make the text index of ``connection``'s database if it is missing (idempotent)."""
    connection = connection or default_connection
    if INCIDENT_TABLE not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _ensure_postgresql(cursor)
        elif connection.vendor == "sqlite":
            _ensure_sqlite(cursor)


def _ensure_postgresql(cursor: Any) -> None:
    # pg_trgm is a trusted extension: the database's owner may create it.
    cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    parameters = ", ".join(f"{column} text" for column in COLUMNS)
    joined = " || E'\\n' || ".join(f"coalesce({column}, '')" for column in COLUMNS)
    cursor.execute(
        f"CREATE OR REPLACE FUNCTION {PG_FUNCTION}({parameters}) RETURNS text "
        f"LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT {joined} $$"
    )
    cursor.execute(
        f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON {INCIDENT_TABLE} "
        f"USING gin ({_PG_CALL} gin_trgm_ops)"
    )


def _ensure_sqlite(cursor: Any) -> None:
    cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
    present = {row[0] for row in cursor.fetchall()}
    rebuild = False
    if FTS_TABLE not in present:
        cursor.execute(
            f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5({', '.join(COLUMNS)}, "
            f"content='{INCIDENT_TABLE}', content_rowid='id', tokenize='trigram')"
        )
        rebuild = True
    for name, body in _TRIGGERS.items():
        if name not in present:
            cursor.execute(f"CREATE TRIGGER {name} {body}")
            rebuild = True
    if rebuild:  # rows written while a trigger was missing are in no index yet
        cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


def drop_index(connection: Any = None) -> None:
    """Undo :func:`ensure_index` (the migration's reverse)."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}({', '.join(['text'] * 5)})")
        elif connection.vendor == "sqlite":
            for name in _TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def text_condition(text: str, connection: Any = None) -> Q:
    """The incidents whose title, summary (English or Arabic) or place name holds ``text``,
    ignoring case, as a condition on incidents; through the index when one can serve."""
    connection = connection or default_connection
    if len(text) >= MIN_INDEXED_LENGTH:
        if connection.vendor == "postgresql":
            return Q(
                pk__in=RawSQL(
                    f"SELECT id FROM {INCIDENT_TABLE} WHERE {_PG_CALL} ILIKE %s ESCAPE '\\'",
                    [_like_pattern(text)],
                )
            )
        if connection.vendor == "sqlite":
            phrase = '"' + text.replace('"', '""') + '"'
            return Q(
                pk__in=RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [phrase])
            )
    condition = Q()
    for column in COLUMNS:
        condition |= Q(**{f"{column}__icontains": text})
    return condition

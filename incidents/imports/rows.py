"""Inserting many rows of a model, with their history, at the speed of the database.

``bulk_create`` compiles every value through the field machinery (a few microseconds each),
which dominates an import of a hundred thousand rows of five tables and their histories.
Here each column's conversion is chosen once per table and the rows are plain dicts. On
PostgreSQL they are sent with ``COPY`` (new keys taken from the table's sequence first); on
SQLite with one multi-row ``INSERT ... RETURNING id`` per batch (SQLite 3.35+), or one
prepared statement over all rows when no keys are needed.

Rows are completed the way ``Model.save()`` would complete them: field defaults, and the
``auto_now``/``auto_now_add`` stamps. :meth:`Table.history` builds the matching rows of the
model's django-simple-history table (the same values, plus the history's user, date, type
and reason), so a bulk insert leaves the same trail a save would. No signals are sent:
callers do what the signals would have done (see ``batch.after_import``).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, models

Row = dict[str, Any]


def _identity(value: Any) -> Any:
    return value


class Table:
    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.fields = [
            field
            for field in model._meta.concrete_fields
            if not isinstance(field, models.AutoField | models.BigAutoField)
        ]
        self.pk = model._meta.pk
        self.stamped = [
            field.attname
            for field in self.fields
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        ]
        self.defaults = {
            field.attname: field.get_default()
            for field in self.fields
            if field.attname not in self.stamped
        }
        self.converters = [self._converter(field) for field in self.fields]
        quote = connection.ops.quote_name
        # Names from the model's own metadata, quoted; every value is a parameter.
        self.head = (
            f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608
            f"({', '.join(quote(field.column) for field in self.fields)}) VALUES "
        )
        self.returning = f" RETURNING {quote(self.pk.column)}"
        # The driver's own cursor is used (no debug wrapper, no placeholder rewriting), so
        # the placeholder is the driver's: sqlite3 takes "?", psycopg "%s".
        mark = "?" if connection.vendor == "sqlite" else "%s"
        self.placeholder = "(" + ", ".join([mark] * len(self.fields)) + ")"
        limit = 32000 if connection.vendor == "sqlite" else 60000
        self.batch = max(1, min(1000, limit // max(1, len(self.fields))))

    @staticmethod
    def _converter(field: models.Field) -> Callable[[Any], Any]:
        if isinstance(field, models.JSONField):
            return lambda value: field.get_db_prep_save(value, connection)
        if isinstance(field, models.DateTimeField):
            cache: dict[datetime, Any] = {}

            def convert_datetime(value: Any) -> Any:
                if value is None:
                    return None
                if value not in cache:
                    cache[value] = connection.ops.adapt_datetimefield_value(value)
                return cache[value]

            return convert_datetime
        if isinstance(field, models.DateField) and connection.vendor == "sqlite":
            return lambda value: None if value is None else value.isoformat()
        return _identity

    def complete(self, row: Row, now: datetime) -> Row:
        """The row with every column: given values, then defaults, then the stamps."""
        full = {**self.defaults, **row}
        for name in self.stamped:
            if full.get(name) is None:
                full[name] = now
        return full

    def insert(self, rows: Sequence[Row], *, returning: bool = False) -> list[Any]:
        """Insert complete rows; with ``returning``, their new primary keys, in order."""
        names = [field.attname for field in self.fields]
        special = [
            (index, convert)
            for index, convert in enumerate(self.converters)
            if convert is not _identity
        ]

        def values(row: Row) -> list[Any]:
            out = [row[name] for name in names]
            for index, convert in special:
                out[index] = convert(out[index])
            return out

        connection.ensure_connection()
        cursor = connection.connection.cursor()
        # Driver errors become Django's (IntegrityError, DataError, ...), as with the ORM.
        with connection.wrap_database_errors:
            if connection.vendor == "postgresql":
                return self._copy(cursor, rows, returning)
            return self._run(cursor, rows, values, returning)

    def _copy(self, cursor: Any, rows: Sequence[Row], returning: bool) -> list[Any]:
        """PostgreSQL: COPY, about twice as fast as multi-row INSERTs. New keys are taken
        from the table's own sequence first, so they are known without RETURNING."""
        quote = connection.ops.quote_name
        names = [field.attname for field in self.fields]
        formats = [_csv_format(field) for field in self.fields]
        columns = [quote(field.column) for field in self.fields]
        ids: list[Any] = []
        try:
            if returning:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [self.model._meta.db_table, self.pk.column, len(rows)],
                )
                ids = [value for (value,) in cursor.fetchall()]
                columns.insert(0, quote(self.pk.column))
            buffer = io.StringIO()
            write = buffer.write
            pairs = list(zip(names, formats, strict=True))
            for index, row in enumerate(rows):
                fields = [str(ids[index])] if returning else []
                for name, render in pairs:
                    value = row[name]
                    fields.append("" if value is None else render(value))
                write(",".join(fields))
                write("\n")
            buffer.seek(0)
            cursor.copy_expert(
                f"COPY {quote(self.model._meta.db_table)} ({', '.join(columns)}) "
                "FROM STDIN WITH (FORMAT csv)",
                buffer,
            )
        finally:
            cursor.close()
        return ids

    def _run(self, cursor: Any, rows: Sequence[Row], values: Any, returning: bool) -> list[Any]:
        ids: list[Any] = []
        try:
            if not returning and connection.vendor == "sqlite":
                # sqlite3 runs one prepared statement over all rows, in C: faster than
                # parsing a statement of a thousand rows.
                cursor.executemany(self.head + self.placeholder, [values(row) for row in rows])
                return ids
            for start in range(0, len(rows), self.batch):
                batch = rows[start : start + self.batch]
                params: list[Any] = []
                for row in batch:
                    params += values(row)
                sql = self.head + ", ".join([self.placeholder] * len(batch))
                if returning:
                    cursor.execute(sql + self.returning, params)
                    ids.extend(value for (value,) in cursor.fetchall())
                else:
                    cursor.execute(sql, params)
        finally:
            cursor.close()
        return ids


def _quoted(value: Any) -> str:
    # Always quoted, so that an empty string stays one (an unquoted empty field is NULL).
    return '"' + str(value).replace('"', '""') + '"'


def _csv_format(field: models.Field) -> Callable[[Any], str]:
    """How COPY's CSV format spells a (non-null) value of the field."""
    if isinstance(field, models.JSONField):
        return lambda value: _quoted(json.dumps(value, cls=field.encoder))
    if isinstance(field, models.BooleanField):
        return lambda value: "t" if value else "f"
    if isinstance(field, models.DateField):  # DateTimeField too: ISO 8601 with the offset
        return lambda value: value.isoformat()
    if isinstance(field, models.IntegerField | models.FloatField | models.ForeignKey):
        return repr
    return _quoted


class HistoryTable(Table):
    """The django-simple-history table of a model."""

    def __init__(self, model: type[models.Model]) -> None:
        super().__init__(model.history.model)  # type: ignore[attr-defined]
        self.source_pk = model._meta.pk.attname

    def copy_from_table(
        self,
        main: Table,
        ids: Sequence[Any],
        *,
        now: datetime,
        kind: str,
        user_id: int | None,
        reasons: Sequence[str],
    ) -> None:
        """The history rows of rows just written, copied by the database from the table
        itself (one INSERT ... SELECT), so they need not be built and sent a second time."""
        quote = connection.ops.quote_name
        main_columns = {field.attname: field.column for field in main.fields}
        main_columns[self.source_pk] = main.pk.column
        sqlite = connection.vendor == "sqlite"
        given = {
            "history_date": "%(now)s",
            "history_type": "%(kind)s",
            "history_user_id": "%(user)s",
            "history_change_reason": "json_extract(r.value, '$[1]')" if sqlite else "r.reason",
        }
        columns, expressions = [], []
        for field in self.fields:
            columns.append(quote(field.column))
            if field.attname in given:
                expressions.append(given[field.attname])
            else:
                expressions.append(f"m.{quote(main_columns[field.attname])}")
        head = (
            f"INSERT INTO {quote(self.model._meta.db_table)} ({', '.join(columns)}) "
            f"SELECT {', '.join(expressions)} "
        )
        main_table, main_pk = quote(main.model._meta.db_table), quote(main.pk.column)
        params: dict[str, Any] = {"kind": kind, "user": user_id}
        if sqlite:
            # The ids and reasons as one JSON array of pairs; CROSS JOIN keeps SQLite's
            # loop over the pairs, each finding its row by key.
            sql = (
                head + "FROM json_each(%(pairs)s) AS r "
                f"CROSS JOIN {main_table} m ON m.{main_pk} = json_extract(r.value, '$[0]')"
            )
            params["pairs"] = json.dumps(list(zip(ids, reasons, strict=True)))
            params["now"] = connection.ops.adapt_datetimefield_value(now)
        else:
            sql = (
                head + f"FROM {main_table} m "
                "JOIN unnest(%(ids)s::bigint[], %(reasons)s::text[]) AS r(pk, reason) "
                f"ON m.{main_pk} = r.pk"
            )
            params.update(now=now, ids=list(ids), reasons=list(reasons))
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


_TABLES: dict[tuple[str, str], Table] = {}


def table(model: type[models.Model], *, history: bool = False) -> Table:
    """The (cached) table of a model, or of its history; per database vendor."""
    key = (f"{model._meta.label}{'+history' if history else ''}", connection.vendor)
    if key not in _TABLES:
        _TABLES[key] = HistoryTable(model) if history else Table(model)
    return _TABLES[key]


def insert_with_history(
    model: type[models.Model],
    rows: Sequence[Row],
    *,
    now: datetime,
    user_id: int | None,
    reasons: Sequence[str] | str,
    history: bool = True,
) -> list[Any]:
    """Insert rows of ``model`` and one "created" history row each; the new primary keys.

    ``history=False`` writes no history rows (for records that are themselves a trail)."""
    if not rows:
        return []
    main = table(model)
    full = [main.complete(row, now) for row in rows]
    ids = main.insert(full, returning=True)
    if not history:
        return ids
    if isinstance(reasons, str):
        reasons = [reasons] * len(rows)
    trail = table(model, history=True)
    assert isinstance(trail, HistoryTable)
    trail.copy_from_table(main, ids, now=now, kind="+", user_id=user_id, reasons=reasons)
    return ids

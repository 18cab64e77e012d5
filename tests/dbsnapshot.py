"""Expensive test data built once per test process, then copied in for each test that asks.

Loading the gazetteer and the seed through their loaders (the services, history, map cells,
kept documents) takes seconds; well over a hundred tests need them. The first test that asks
for a :class:`Snapshot` runs the real loader inside its own transaction, notes every row the
loader wrote (tables compared before and after), and carries on with that data. Every later
test gets the same rows inserted directly (``COPY`` on PostgreSQL, multi-row inserts on
SQLite), which takes milliseconds, inside its own transaction, rolled back as usual.

The copy is the loader's output, not an approximation of it: rows are taken byte for byte from
the database, with the keys the loader gave them. So that those keys never collide with rows a
test made before asking for the data, the loader runs with every table's key sequence moved
far ahead (:data:`Snapshot.base`). When a copy cannot be made faithfully (the loader changed a
row that existed before it ran, or an insert is refused because the test already holds a
conflicting row), the real loader runs instead: slower, never wrong.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Model


@dataclass
class _Table:
    name: str
    model: type[Model]
    pk: str
    columns: list[str]


def _tables() -> list[_Table]:
    existing = set(connection.introspection.table_names())
    tables = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table not in existing:
            continue
        tables.append(
            _Table(
                name=meta.db_table,
                model=model,
                pk=meta.pk.column,
                columns=[f.column for f in meta.local_concrete_fields],
            )
        )
    return tables


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _rows(cursor: Any, table: _Table) -> dict[Any, tuple]:
    cols = ", ".join(_q(c) for c in table.columns)
    cursor.execute(f"SELECT {cols} FROM {_q(table.name)}")  # noqa: S608 (names from models)
    index = table.columns.index(table.pk)
    return {row[index]: tuple(row) for row in cursor.fetchall()}


def _move_sequences(cursor: Any, tables: list[_Table], base: int) -> None:
    """Make the next generated key of every table at least ``base``."""
    for table in tables:
        field = table.model._meta.pk
        if field.get_internal_type() not in ("AutoField", "BigAutoField", "SmallAutoField"):
            continue
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, %s), "
                "GREATEST(%s, (SELECT last_value FROM pg_sequences "
                "WHERE schemaname || '.' || sequencename = pg_get_serial_sequence(%s, %s))))",
                [table.name, table.pk, base, table.name, table.pk],
            )
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table.name])
            row = cursor.fetchone()
            if row is None:
                cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table.name, base]
                )
            elif row[0] < base:
                cursor.execute(
                    "UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [base, table.name]
                )


class _Unfaithful(Exception):
    """The copy would differ from what the loader writes: run the loader instead."""


@dataclass
class Snapshot:
    """The rows one loader writes, captured on first use and copied in afterwards."""

    name: str
    load: Callable[[], Any]
    base: int
    _data: dict[str, tuple[_Table, Any]] | None = None
    _attempts: int = 0
    _tables: list[_Table] = field(default_factory=list)

    def apply(self) -> bool:
        """Put the loader's rows in the database; True when they are the captured copy.

        False means the loader ran for real and its keys are not the captured ones, so a
        snapshot whose rows refer to these must load for real too.
        """
        if self._data is None:
            if self._attempts >= 3:
                self.load()
                return False
            self._attempts += 1
            return self._capture()
        try:
            with transaction.atomic():
                self._restore()
        except _Unfaithful:
            self.load()
            return False
        return True

    def _capture(self) -> bool:
        self._tables = _tables()
        with connection.cursor() as cursor:
            before = {t.name: _rows(cursor, t) for t in self._tables}
            _move_sequences(cursor, self._tables, self.base)
        self.load()
        data: dict[str, tuple[_Table, Any]] = {}
        with connection.cursor() as cursor:
            for table in self._tables:
                after = _rows(cursor, table)
                old = before[table.name]
                if any(after.get(pk) != row for pk, row in old.items()):
                    # The loader changed or removed rows this test had made: a copy of its
                    # new rows alone would not reproduce that. Try again in another test.
                    return False
                new = [row for pk, row in after.items() if pk not in old]
                if new:
                    keys = set(after) - set(old)
                    data[table.name] = (table, self._pack(cursor, table, new, keys))
        self._data = data
        return True

    def _pack(self, cursor: Any, table: _Table, rows: list[tuple], keys: set[Any]) -> Any:
        if connection.vendor != "postgresql":
            return rows
        # COPY's text form gives back every type exactly as PostgreSQL stored it.
        buffer = io.StringIO()
        cols = ", ".join(_q(c) for c in table.columns)
        key_list = ", ".join(["%s"] * len(keys))
        query = cursor.mogrify(
            f"SELECT {cols} FROM {_q(table.name)} WHERE {_q(table.pk)} IN ({key_list})",  # noqa: S608
            list(keys),
        ).decode()
        cursor.copy_expert(f"COPY ({query}) TO STDOUT", buffer)
        return buffer.getvalue()

    def _restore(self) -> None:
        assert self._data is not None
        models = []
        with connection.cursor() as cursor:
            for table, packed in self._data.values():
                cols = ", ".join(_q(c) for c in table.columns)
                try:
                    if connection.vendor == "postgresql":
                        cursor.copy_expert(
                            f"COPY {_q(table.name)} ({cols}) FROM STDIN", io.StringIO(packed)
                        )
                    else:
                        marks = ", ".join(["%s"] * len(table.columns))
                        cursor.executemany(
                            f"INSERT INTO {_q(table.name)} ({cols}) VALUES ({marks})",  # noqa: S608
                            packed,
                        )
                except Exception as error:  # a row the test holds already: load for real
                    raise _Unfaithful(str(error)) from error
                models.append(table.model)
            if connection.vendor == "postgresql":
                for statement in connection.ops.sequence_reset_sql(no_style(), models):
                    cursor.execute(statement)

"""JSON built by the database, for PostgreSQL and SQLite alike.

Exports let the database write each GeoJSON feature itself (``json_build_object`` on
PostgreSQL, ``json_object`` on SQLite), so streaming a large FeatureCollection costs the
application little more than copying bytes. Every expression here renders as JSON *text*:
psycopg2 would otherwise decode JSON columns into Python objects only for us to encode
them again.
"""

from __future__ import annotations

from django.db.models import Aggregate, Expression, Func, TextField, Value


class _VendorFunc(Func):
    output_field = TextField()
    functions: dict[str, str] = {}

    def as_sql(self, compiler, connection, **extra_context):
        function = self.functions.get(connection.vendor)
        if function is None:
            raise NotImplementedError(f"{type(self).__name__} has no {connection.vendor} form.")
        return super().as_sql(compiler, connection, function=function, **extra_context)


class JSONBuildObject(_VendorFunc):
    """A JSON object from keyword pairs: ``JSONBuildObject(type=Value("Feature"), ...)``."""

    functions = {"postgresql": "json_build_object", "sqlite": "json_object"}

    def __init__(self, **fields: Expression) -> None:
        expressions: list[Expression] = []
        for key, value in fields.items():
            expressions.extend((Value(key), value))
        super().__init__(*expressions)


class JSONBuildArray(_VendorFunc):
    functions = {"postgresql": "json_build_array", "sqlite": "json_array"}


class JSONGroupArray(Aggregate):
    """The aggregated values as one JSON array (``[]`` for none is left to the caller)."""

    output_field = TextField()
    function = "json_group_array"

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="json_agg", **extra_context)


class AsJSON(Func):
    """Mark a text value (a subquery's result) as JSON so that it nests, not quotes.

    PostgreSQL keeps the type of a JSON subquery; SQLite loses it, and ``json()`` restores
    it. A missing value becomes an empty array.
    """

    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, template="json(COALESCE(%(expressions)s, '[]'))", **extra_context
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="COALESCE((%(expressions)s)::json, '[]'::json)",
            **extra_context,
        )


class JSONBoolean(Func):
    """A boolean column as JSON ``true``/``false`` (SQLite stores 0 and 1)."""

    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="json(CASE WHEN %(expressions)s THEN 'true' ELSE 'false' END)",
            **extra_context,
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="%(expressions)s", **extra_context)


class UTCTimestamp(Func):
    """A timestamp as ISO 8601 text in UTC, ``2025-03-10T12:00:00Z``."""

    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            # Twice escaped: once for the template, once for the driver's placeholders.
            template="strftime('%%%%Y-%%%%m-%%%%dT%%%%H:%%%%M:%%%%SZ', %(expressions)s)",
            **extra_context,
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template=(
                "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
            ),
            **extra_context,
        )


class AsText(Func):
    """The JSON value as text, so the driver hands it over without decoding it."""

    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="%(expressions)s", **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, template="(%(expressions)s)::text", **extra_context
        )


class StringGroup(Aggregate):
    """The aggregated strings joined with ``"; "``."""

    output_field = TextField()
    function = "group_concat"
    template = "%(function)s(%(expressions)s, '; ')"

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="string_agg", **extra_context)


class JSONOrNull(Func):
    """A JSON value that may be SQL NULL (then JSON ``null``), e.g. a CASE of objects.

    SQLite forgets that a CASE's result is JSON and would quote it; ``json()`` restores it.
    """

    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, template="json(%(expressions)s)", **extra_context
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="%(expressions)s", **extra_context)


class OrderedGroup(Func):
    """The rows of a correlated queryset gathered into one value, in the queryset's order.

    The queryset selects ``item`` and the columns it is ordered by (``k0``, ``k1``, ...).
    PostgreSQL orders inside the aggregate; SQLite (before 3.44 it has no ORDER BY in
    aggregates) aggregates a subquery that is itself ordered, which it reads in order.
    ``kind`` is ``"json"`` (a JSON array; ``objects`` when items are JSON objects) or
    ``"text"`` (strings joined with ``"; "``).
    """

    output_field = TextField()

    def __init__(self, subquery: Expression, *, keys: int, kind: str, objects: bool = False):
        super().__init__(subquery)
        self.keys, self.kind, self.objects = keys, kind, objects

    def as_sqlite(self, compiler, connection, **extra_context):
        if self.kind == "json":
            item = "json(_i.item)" if self.objects else "_i.item"
            function = f"json_group_array({item})"
        else:
            function = "group_concat(_i.item, '; ')"
        return super().as_sql(
            compiler,
            connection,
            template=f"(SELECT {function} FROM %(expressions)s _i)",  # noqa: S608 (constants)
            **extra_context,
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        order = ", ".join(f"_i.k{n}" for n in range(self.keys))
        if self.kind == "json":
            function = f"json_agg(_i.item ORDER BY {order})"
        else:
            function = f"string_agg(_i.item, '; ' ORDER BY {order})"
        return super().as_sql(
            compiler,
            connection,
            template=f"(SELECT {function} FROM %(expressions)s _i)",  # noqa: S608 (constants)
            **extra_context,
        )

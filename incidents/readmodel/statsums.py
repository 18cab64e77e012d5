"""Keeping ``PublishedStatisticsSum`` in step: published incidents summed at the grains the
statistics read, so that the unfiltered public view and the common filters (dates,
governorate, event type) cost a few thousand rows instead of every incident.

Each grain groups on some of an incident's keys: its first day (or that day's month), its
governorate, event type and episode, and (for the perpetrators) the actor of each of its
attributions. Every save or delete of an incident or attribution adds to the rows the
difference its write made to the incident's share of them (:func:`apply`, from the state
before the write as the database holds it, read in the write's own transaction); where
that state is unknown or the rows prove to have drifted, the rows of the incident's keys
are summed again from the incidents (:func:`refresh`). Writes that bypass ``save()`` call
:func:`rebuild`. Unpublished incidents are never summed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import connections, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from incidents.models import Attribution, Incident, PublishedStatisticsSum, Status
from incidents.validation import STORED_IS_ROW

# grain -> the keys it groups on. "actor" and "confidence" are an attribution's; "co_actor"
# and "co_confidence" those of every attribution of the same incident (itself included),
# so that the perpetrators of the incidents held against one actor are sums too.
GRAINS: dict[int, tuple[str, ...]] = {
    1: ("day",),
    2: ("day", "governorate"),
    3: ("day", "event_type"),
    4: ("month", "governorate", "event_type", "episode"),
    5: ("month", "actor", "confidence"),
    6: ("month", "governorate", "actor", "confidence"),
    7: ("month", "event_type", "actor", "confidence"),
    8: ("day", "actor", "confidence"),
    9: ("month", "episode", "actor", "confidence"),
    10: ("month", "actor", "confidence", "co_actor", "co_confidence"),
    11: ("month", "governorate", "place"),
    12: ("month", "event_type", "place"),
    13: ("month", "actor", "confidence", "place"),
    # A few hundred rows each: the breakdowns of the unfiltered view and of a date range.
    14: ("month", "governorate"),
    15: ("month", "event_type"),
    16: ("month", "episode"),
    # The places of a view without dates, one row a place and key: the dashboard's top
    # places read a few hundred rows instead of a place's every month.
    17: ("governorate", "place"),
    18: ("event_type", "place"),
    19: ("actor", "confidence", "place"),
}
# The keys an attribution brings (the others are the incident's).
ATTRIBUTION_KEYS = frozenset({"actor", "confidence", "co_actor", "co_confidence"})

# An incident's key: (first day, governorate id, event type, episode id, place id).
Key = tuple[date, int | None, str, int | None, int | None]

_INPUTS = (
    "status",
    "date_start",
    "governorate_id",
    "event_type",
    "episode_id",
    "place_id",
    "killed_low",
    "killed_best",
    "killed_high",
    "killed_high_open",
)

# The table's columns each key fills, in the order of the insert.
_COLUMNS = {
    "day": "day",
    "month": "month",
    "governorate": "governorate_id",
    "event_type": "event_type",
    "episode": "episode_id",
    "place": "place_id",
    "actor": "actor_id",
    "confidence": "confidence",
    "co_actor": "co_actor_id",
    "co_confidence": "co_confidence",
}
_TEXT_KEYS = frozenset({"event_type", "confidence", "co_confidence"})
_FIGURE_COLUMNS = ("incidents", "killed_low", "killed_best", "killed_high", "killed_high_open")
# The table's constraint of one row a key (made on PostgreSQL 15 and later).
_ONE_ROW_A_KEY = "statsum_one_row_a_key"


def month_of(day: date) -> date:
    return day.replace(day=1)


def _next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _source(prefix: str) -> dict:
    """The expression each key is read from (``prefix`` reaches the incident)."""
    return {
        "day": F(f"{prefix}date_start"),
        "month": TruncMonth(f"{prefix}date_start"),
        "governorate": F(f"{prefix}governorate_id"),
        "event_type": F(f"{prefix}event_type"),
        "episode": F(f"{prefix}episode_id"),
        "place": F(f"{prefix}place_id"),
        "actor": F("actor_id"),
        "confidence": F("confidence"),
        "co_actor": F("incident__attributions__actor_id"),
        "co_confidence": F("incident__attributions__confidence"),
    }


def _sums(prefix: str) -> dict:
    return {
        "s_high": Coalesce(Sum(Coalesce(f"{prefix}killed_high", f"{prefix}killed_best")), 0),
        "s_open": Count(f"{prefix}pk", filter=Q(**{f"{prefix}killed_high_open": True})),
        "s_incidents": Count(f"{prefix}pk"),
        "s_low": Coalesce(Sum(f"{prefix}killed_low"), 0),
        "s_best": Coalesce(Sum(f"{prefix}killed_best"), 0),
    }


def _aggregate(grain: int, where: Q, apps=None):
    """The grain's sums of the published incidents matching ``where`` (on the incident), as
    a queryset of ``k_<key>`` and the sums; ``apps``: a migration's models."""
    names = GRAINS[grain]
    with_actor = bool(ATTRIBUTION_KEYS & set(names))
    prefix = "incident__" if with_actor else ""
    incident_model = apps.get_model("incidents", "Incident") if apps else Incident
    attribution_model = apps.get_model("incidents", "Attribution") if apps else Attribution
    base = (
        attribution_model.objects.filter(incident__status=Status.PUBLISHED)
        if with_actor
        else incident_model.objects.filter(status=Status.PUBLISHED)
    )
    chosen = where
    if with_actor:
        where = _prefixed(where, prefix)
    sources = _source(prefix)
    found = (
        base.filter(where)
        .annotate(**{f"k_{name}": sources[name] for name in names})
        .values(*(f"k_{name}" for name in names))
        .annotate(**_sums(prefix))
        .order_by()
    )
    connection = connections[found.db]
    if with_actor and chosen and connection.vendor == "postgresql":
        # The attributions of the incidents chosen, looked up by incident: as a join, the
        # planner reads every attribution (a month's few thousand incidents make its
        # estimate of the index's cost too high), and in an INSERT it cannot share that
        # read between workers. An array made once leaves it the index on the incident.
        # (A rebuild, which reads them all, keeps the join.)
        chosen = incident_model.objects.filter(status=Status.PUBLISHED).filter(chosen).order_by()
        ids_sql, ids_params = chosen.values("pk").query.get_compiler(using=found.db).as_sql()
        table = attribution_model._meta.db_table
        aliases = [
            alias
            for alias, join in found.query.alias_map.items()
            if join.table_name == table and found.query.alias_refcount.get(alias)
        ]
        quote = found.query.get_compiler(using=found.db).quote_name_unless_alias
        # Quoted aliases and Django's compiled query; the values are parameters.
        found = found.extra(  # noqa: S610
            where=[f"{quote(alias)}.incident_id = ANY(ARRAY({ids_sql}))" for alias in aliases],
            params=list(ids_params) * len(aliases),
        )
    return found


# The keys a grain's rows are written in the order of at a rebuild: the filtered-on key
# first, so that the rows a filter reads (one event type's, one actor's) lie together in the
# table instead of one a page.
_WRITE_ORDER = ("actor", "governorate", "event_type", "day", "month")


def _insert(
    pairs: list[tuple[int, Q]], apps=None, *, ordered: bool = False, replacing: bool = False
) -> None:
    """One ``INSERT ... SELECT`` of the rows of each (grain, incidents) pair: the sums are
    made and written by the database, whatever their number. ``ordered``: the rows are
    written in the order of ``_WRITE_ORDER`` (one pair). ``replacing``: the rows just
    deleted are written again, and a row another write made meanwhile (its transaction
    began after the delete) takes these sums, made after it committed, rather than the
    insert failing on the table's one row a key."""
    model = (
        apps.get_model("incidents", "PublishedStatisticsSum") if apps else PublishedStatisticsSum
    )
    using = transaction.get_connection().alias
    connection = connections[using]
    quote = connection.ops.quote_name
    key_columns = list(_COLUMNS)
    selects, params = [], []
    for grain, where in pairs:
        sql, grain_params = _aggregate(grain, where, apps).query.get_compiler(using=using).as_sql()
        names = GRAINS[grain]
        # Typed NULLs: the first SELECT of a UNION names the columns' types.
        picked = [
            f"g.{quote('k_' + name)}"
            if name in names
            else (
                "''"
                if name in _TEXT_KEYS
                else f"CAST(NULL AS {'date' if name in ('day', 'month') else 'bigint'})"
            )
            for name in key_columns
        ]
        # The month of a day, made by the database: a date (SQLite keeps dates as text,
        # and its month as a timestamp's text).
        if "month" in names and connection.vendor == "sqlite":
            picked[key_columns.index("month")] = f"substr(g.{quote('k_month')}, 1, 10)"
        # A day's rows name its month too, so that any grain sums by month.
        if "day" in names and "month" not in names:
            day = f"g.{quote('k_day')}"
            picked[key_columns.index("month")] = (
                f"CAST(date_trunc('month', {day}) AS date)"
                if connection.vendor == "postgresql"
                else f"substr({day}, 1, 8) || '01'"
            )
        for name in _TEXT_KEYS & set(names):
            picked[key_columns.index(name)] = f"COALESCE(g.{quote('k_' + name)}, '')"
        figures = ["g.s_incidents", "g.s_low", "g.s_best", "g.s_high", "g.s_open"]
        selects.append(
            f"SELECT {grain}, {', '.join(picked)}, {', '.join(figures)} "  # noqa: S608
            f"FROM ({sql}) g"
        )
        params.extend(grain_params)
    if not selects:
        return
    order = ""
    if ordered and len(pairs) == 1:
        names = GRAINS[pairs[0][0]]
        keys = [f"g.{quote('k_' + name)}" for name in _WRITE_ORDER if name in names]
        order = f" ORDER BY {', '.join(keys)}" if keys else ""
    columns = ["grain", *(_COLUMNS[name] for name in key_columns), *_FIGURE_COLUMNS]
    # Constants of this module and Django's compiled queries (values as parameters).
    statement = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(c) for c in columns)}) " + " UNION ALL ".join(selects) + order
    )
    if replacing and connection.features.supports_nulls_distinct_unique_constraints:
        taken = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in _FIGURE_COLUMNS)
        statement += f" ON CONFLICT ON CONSTRAINT {quote(_ONE_ROW_A_KEY)} DO UPDATE SET {taken}"
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _prefixed(where: Q, prefix: str) -> Q:
    """``where`` (conditions on the incident) as seen from its attributions."""
    result = Q()
    result.connector = where.connector
    result.negated = where.negated
    for child in where.children:
        if isinstance(child, Q):
            result.children.append(_prefixed(child, prefix))
        else:
            name, value = child
            result.children.append((f"{prefix}{name}", value))
    return result


def _matching(grain: int, keys: set[Key]) -> tuple[Q, Q]:
    """For the incidents' keys: (the grain's rows to replace, the incidents to sum again)."""
    names = GRAINS[grain]
    rows = Q()
    incidents = Q()
    projected = set()
    kept = [name for name in names if name not in ATTRIBUTION_KEYS]
    for day, governorate, event_type, episode, place in keys:
        parts = {
            "day": day,
            "month": month_of(day),
            "governorate": governorate,
            "event_type": event_type,
            "episode": episode,
            "place": place,
        }
        projected.add(tuple(parts[name] for name in kept))
    for values in projected:
        row = Q(grain=grain)
        incident = Q()
        for name, value in zip(kept, values, strict=True):
            if name == "day":
                row &= Q(day=value)
                incident &= Q(date_start=value)
            elif name == "month":
                row &= Q(month=value)
                incident &= Q(date_start__gte=value, date_start__lt=_next_month(value))
            elif name == "event_type":
                row &= Q(event_type=value or "")
                incident &= Q(event_type=value)
            else:
                column = f"{name}_id"
                row &= Q(**{column: value}) if value is not None else Q(**{f"{name}__isnull": True})
                incident &= (
                    Q(**{column: value}) if value is not None else Q(**{f"{name}__isnull": True})
                )
        rows |= row
        incidents |= incident
    return rows, incidents


# No savepoint of its own: a failed refresh fails the write that asked for it.
@transaction.atomic(savepoint=False)
def refresh(keys: Iterable[Key | None]) -> None:
    """Recompute, at every grain, the rows of the incidents' keys given."""
    wanted = {key for key in keys if key is not None and key[0] is not None}
    if not wanted:
        return
    # Two statements, whatever the number of grains: one delete, and one insert of the
    # sums the database makes for every grain.
    stale = Q()
    pairs = []
    for grain in GRAINS:
        rows, incidents = _matching(grain, wanted)
        stale |= rows
        pairs.append((grain, incidents))
    PublishedStatisticsSum.objects.filter(stale).delete()
    _insert(pairs, replacing=True)


@transaction.atomic
def rebuild_grains(grains: Iterable[int], apps=None) -> None:
    """Recompute the rows of ``grains`` alone from the incidents (a migration that adds
    grains); ``apps``: a migration's models."""
    model = (
        apps.get_model("incidents", "PublishedStatisticsSum") if apps else PublishedStatisticsSum
    )
    grains = list(grains)
    model.objects.filter(grain__in=grains)._raw_delete(model.objects.db)
    for grain in grains:
        _insert([(grain, Q())], apps, ordered=True)
    _analyze(model)


def _analyze(model) -> None:
    """Have the database sample the table again. A grain added whole is new to the
    planner's statistics, and too small a share of the table for PostgreSQL's autovacuum
    to sample it soon: meanwhile each write's read of its rows (:func:`apply`) took an
    index that matches the whole grain (about 50,000 rows at a million incidents, 30 to 80
    ms a publication instead of 2)."""
    connection = connections[model.objects.db]
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


@transaction.atomic
def rebuild(apps=None) -> int:
    """Recompute every row from the incidents (after writes that bypass ``save()``);
    ``apps``: a migration's models. Returns the number of rows."""
    model = (
        apps.get_model("incidents", "PublishedStatisticsSum") if apps else PublishedStatisticsSum
    )
    model.objects.all()._raw_delete(model.objects.db)
    for grain in GRAINS:
        _insert([(grain, Q())], apps, ordered=True)
    _analyze(model)
    return model.objects.count()


def key_of(values: dict | Incident) -> Key | None:
    get = values.get if isinstance(values, dict) else lambda name: getattr(values, name, None)
    if get("date_start") is None:
        return None
    return (
        get("date_start"),
        get("governorate_id"),
        get("event_type"),
        get("episode_id"),
        get("place_id"),
    )


# --- keeping the rows by deltas -----------------------------------------------------------
#
# An incident's share of the sums is a function of its own values and of its attributions'
# (actor, confidence): :func:`contribution` makes it in Python, with the semantics of
# ``_aggregate`` and ``_insert``. A write reads, in the database and in its own transaction,
# the incident's state before it (its row locked), and adds (after - before) to the rows:
# one read of those rows and at most three writes, whatever the number of grains. No state
# outlives the write that read it (a rolled-back write leaves nothing behind); where the
# state before is unknown, the rows of the incident's keys are summed again (``refresh``).

# An incident's state: its values (``_INPUTS``) and its attributions' (pk, actor, confidence).
State = tuple[dict, tuple[tuple[int, int, str], ...]]
# A row: (grain, day, month, governorate, event type, episode, place, actor, confidence,
# co-actor, co-confidence), the columns of ``_COLUMNS`` after the grain.
RowKey = tuple


def _figures(values: dict) -> tuple[int, int, int, int, int]:
    low, best, high = values["killed_low"], values["killed_best"], values["killed_high"]
    return (
        1,
        low or 0,
        best or 0,
        (high if high is not None else best) or 0,
        1 if values["killed_high_open"] is True else 0,
    )


def contribution(state: State | None) -> dict[RowKey, list[int]]:
    """The rows an incident in ``state`` adds to, at every grain, and what it adds."""
    found: dict[RowKey, list[int]] = {}
    if state is None:
        return found
    values, attributions = state
    if values["status"] != Status.PUBLISHED:
        return found
    day = values["date_start"]
    parts = {
        "day": day,
        "month": None if day is None else month_of(day),
        "governorate": values["governorate_id"],
        # Text keys as plain text: an instance may hold a choice as its enum member, which
        # is equal to its text but written (``repr``) otherwise, and the rows are locked in
        # the order of their keys' ``repr`` (``_upsert``).
        "event_type": str(values["event_type"] or ""),
        "episode": values["episode_id"],
        "place": values["place_id"],
    }
    figures = _figures(values)
    held = [(actor, str(confidence or "")) for _pk, actor, confidence in attributions]
    for grain, names in GRAINS.items():
        if "co_actor" in names:
            choices = [
                {"actor": a, "confidence": c, "co_actor": b, "co_confidence": d}
                for a, c in held
                for b, d in held
            ]
        elif "actor" in names:
            choices = [{"actor": a, "confidence": c} for a, c in held]
        else:
            choices = [{}]
        for chosen in choices:
            key: list = [grain]
            for name in _COLUMNS:
                if name in names:
                    key.append(chosen[name] if name in ATTRIBUTION_KEYS else parts[name])
                elif name == "month" and "day" in names:
                    key.append(parts["month"])  # a day's rows name its month
                else:
                    key.append("" if name in _TEXT_KEYS else None)
            row = found.setdefault(tuple(key), [0, 0, 0, 0, 0])
            for index, figure in enumerate(figures):
                row[index] += figure
    return found


def _difference(pairs: Iterable[tuple[State | None, State | None]]) -> dict[RowKey, list[int]]:
    delta: dict[RowKey, list[int]] = {}
    for before, after in pairs:
        for sign, state in ((-1, before), (1, after)):
            for key, figures in contribution(state).items():
                row = delta.setdefault(key, [0, 0, 0, 0, 0])
                for index, figure in enumerate(figures):
                    row[index] += sign * figure
    return {key: figures for key, figures in delta.items() if any(figures)}


def _locking(queryset):
    """``queryset`` locking its rows, in a transaction (PostgreSQL; SQLite locks the
    database on the first write)."""
    if transaction.get_connection().in_atomic_block:
        return queryset.select_for_update(of=("self",))
    return queryset


def read_states(where: Q) -> dict[int, State]:
    """The state of the incidents matching ``where``, read from the database (locked)."""
    rows = (
        _locking(Incident.objects.filter(where))
        .values_list(
            "pk", *_INPUTS, "attributions__pk", "attributions__actor_id", "attributions__confidence"
        )
        .order_by()
    )
    states: dict[int, State] = {}
    count = len(_INPUTS)
    for row in rows:
        pk, values, attribution = row[0], row[1 : count + 1], row[count + 1 :]
        state = states.setdefault(pk, (dict(zip(_INPUTS, values, strict=True)), ()))
        if attribution[0] is not None:
            states[pk] = (state[0], (*state[1], attribution))
    return states


# The columns the table's indexes lead with (after the grain): compared with ``=``. The
# others are compared null-safely, which no index answers: else the planner ANDs the rows of
# a co-perpetrator's whole index with those of the grain's (a millisecond a pair at 1M).
_INDEXED = frozenset({"day", "month", "governorate_id", "event_type", "actor_id"})


def _row_sql(key: RowKey, quote, vendor: str) -> tuple[str, list]:
    """The condition that picks the row of ``key`` (its every key column), and its values."""
    same = "IS NOT DISTINCT FROM" if vendor == "postgresql" else "IS"
    parts, params = [f"{quote('grain')} = %s"], [key[0]]
    for column, value in zip(_COLUMNS.values(), key[1:], strict=True):
        if value is None:
            parts.append(f"{quote(column)} IS NULL")
        else:
            parts.append(f"{quote(column)} {'=' if column in _INDEXED else same} %s")
            params.append(value)
    return "(" + " AND ".join(parts) + ")", params


def _fallback_keys(pairs: list[tuple[State | None, State | None]]) -> list[Key | None]:
    return [key_of(state[0]) for pair in pairs for state in pair if state is not None]


# No savepoint of its own: a failed update fails the write that asked for it.
@transaction.atomic(savepoint=False)
def apply(pairs: list[tuple[State | None, State | None]]) -> None:
    """Add (after - before) of each pair of an incident's states to the rows. Where the
    table holds one row a key, every row the write touches is locked (and what only adds
    to rows added) in one upsert, in the order of the keys; elsewhere the rows are read
    with one statement. Then what takes from rows: at most an update, a delete and an
    insert. Written as SQL: the ORM's making of a few dozen rows' conditions and CASEs cost
    more than the database's work."""
    delta = _difference(pairs)
    if not delta:
        return
    connection = transaction.get_connection()
    if connection.features.supports_nulls_distinct_unique_constraints:
        rows = _upsert(connection, delta)
        delta = {key: figures for key, figures in delta.items() if min(figures) < 0}
    else:
        rows = _read(connection, delta)
    if rows is None:
        refresh(_fallback_keys(pairs))
        return
    changed, emptied, added = [], [], []
    for key, figures in delta.items():
        pk, before = rows.get(key, (None, [0] * 5))
        after = [old + change for old, change in zip(before, figures, strict=True)]
        if min(after) < 0 or (after[0] == 0 and any(after)):
            # More taken away than was there: the rows have drifted; summed again.
            refresh(_fallback_keys(pairs))
            return
        if pk is None:
            added.append([*key, *after])
        elif after[0] == 0:
            emptied.append(pk)
        else:
            changed.append([pk, *figures])
    quote = connection.ops.quote_name
    table = quote(PublishedStatisticsSum._meta.db_table)
    with connection.cursor() as cursor:
        if emptied:
            marks = ", ".join(["%s"] * len(emptied))
            cursor.execute(f"DELETE FROM {table} WHERE {quote('id')} IN ({marks})", emptied)  # noqa: S608
        if changed:
            # Each row moved by its change (``column1`` is the id, the others the figures).
            marks = ", ".join(["(" + ", ".join(["%s"] * 6) + ")"] * len(changed))
            sets = ", ".join(
                f"{quote(c)} = {table}.{quote(c)} + v.column{i + 2}"
                for i, c in enumerate(_FIGURE_COLUMNS)
            )
            cursor.execute(
                f"UPDATE {table} SET {sets} FROM (VALUES {marks}) AS v "  # noqa: S608
                f"WHERE {table}.{quote('id')} = v.column1",
                [value for row in changed for value in row],
            )
        if added:
            columns = [*_KEY_COLUMNS, *_FIGURE_COLUMNS]
            marks = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(added))
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
                f"VALUES {marks}",
                [value for row in added for value in row],
            )


_KEY_COLUMNS = ("grain", *_COLUMNS.values())


def _found(cursor) -> dict[RowKey, tuple[int, list[int]]] | None:
    """The rows a statement returned (the id, the key's columns, the figures), by key; None
    if a key has two rows (the rows have drifted)."""
    date_field = PublishedStatisticsSum._meta.get_field("day")
    rows: dict[RowKey, tuple[int, list[int]]] = {}
    for found in cursor.fetchall():
        key = list(found[1 : len(_KEY_COLUMNS) + 1])
        for index in (1, 2):  # day, month (text on SQLite)
            key[index] = date_field.to_python(key[index])
        key = tuple(key)
        if key in rows:
            return None
        rows[key] = (found[0], list(found[len(_KEY_COLUMNS) + 1 :]))
    return rows


def _returned(quote) -> str:
    return ", ".join(quote(c) for c in ("id", *_KEY_COLUMNS, *_FIGURE_COLUMNS))


def _read(connection, delta: dict[RowKey, list[int]]) -> dict | None:
    """The rows of ``delta``'s keys, read in one statement (locked on PostgreSQL)."""
    quote = connection.ops.quote_name
    table = quote(PublishedStatisticsSum._meta.db_table)
    conditions, params = [], []
    for key in delta:
        condition, values = _row_sql(key, quote, connection.vendor)
        conditions.append(condition)
        params.extend(values)
    lock = " FOR UPDATE" if connection.in_atomic_block and connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        # Constants of this module; the values are parameters.
        cursor.execute(
            f"SELECT {_returned(quote)} FROM {table} WHERE {' OR '.join(conditions)}{lock}",  # noqa: S608
            params,
        )
        return _found(cursor)


def _upsert(connection, delta: dict[RowKey, list[int]]) -> dict | None:
    """Lock the row of every key of ``delta`` in one ``INSERT ... ON CONFLICT DO UPDATE``,
    in the order of the keys, and add there the differences none of whose figures is
    negative: a new key inserted, a known one moved on. A key the write takes from is
    proposed at zero (the table's checks refuse a negative proposed row, even one that
    meets an existing row), so that its row is locked, or made at zero where it was
    missing, and the caller takes from it.

    One statement in the order of the keys: two writes lock the rows they share in the
    same order, whichever of them add and which take (a write that locked the rows it adds
    to, then those it takes from, could wait for a row the other held while holding one
    the other waited for). Returns the rows by key (none for a write that only adds), or
    None where they have drifted (a row at no incident with figures left, made where a row
    was missing)."""
    quote = connection.ops.quote_name
    table = quote(PublishedStatisticsSum._meta.db_table)
    columns = [*_KEY_COLUMNS, *_FIGURE_COLUMNS]
    rows = sorted(delta.items(), key=lambda item: repr(item[0]))
    marks = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(rows))
    moved = ", ".join(
        f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in _FIGURE_COLUMNS
    )
    zero = [0] * len(_FIGURE_COLUMNS)
    taking = any(min(figures) < 0 for _, figures in rows)
    # A write that only adds (a publication) needs back no more than each row's incidents.
    returned = _returned(quote) if taking else quote("incidents")
    with connection.cursor() as cursor:
        # Constants of this module; the values are parameters.
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) VALUES {marks} "  # noqa: S608
            f"ON CONFLICT ON CONSTRAINT {quote(_ONE_ROW_A_KEY)} DO UPDATE SET {moved} "
            f"RETURNING {returned}",
            [
                value
                for key, figures in rows
                for value in (*key, *(figures if min(figures) >= 0 else zero))
            ],
        )
        if not taking:
            return {} if all(found[0] > 0 for found in cursor.fetchall()) else None
        found = _found(cursor)
    if found is None:
        return None
    for key, figures in rows:
        row = found.get(key)
        if row is None or (min(figures) >= 0 and row[1][0] <= 0):
            return None
    return found


def _attnames(model, update_fields) -> set[str] | None:
    if update_fields is None:
        return None
    return {model._meta.get_field(name).attname for name in update_fields}


_BEFORE = "_statistics_sums_before"


@receiver(pre_save, sender=Incident, dispatch_uid="statistics_sums_before_save")
def _incident_saving(sender, instance: Incident, raw: bool = False, **kwargs) -> None:
    # Always set (or cleared) here, so that nothing read for an earlier, failed save is used.
    instance.__dict__[_BEFORE] = None
    if raw:
        return
    written = _attnames(sender, kwargs.get("update_fields"))
    if written is not None and not written & set(_INPUTS):
        instance.__dict__[_BEFORE] = ("unchanged",)
        return
    if instance.pk is None:
        instance.__dict__[_BEFORE] = ("state", None)
        return
    if _share_unchanged(sender, instance):
        instance.__dict__[_BEFORE] = ("unchanged",)
        return
    instance.__dict__[_BEFORE] = ("state", read_states(Q(pk=instance.pk)).get(instance.pk))


def _share_unchanged(sender, instance: Incident) -> bool:
    """Whether a save leaves the incident's share of the rows as it was, known without a
    query: only where the writer holds the row as the instance read it
    (``validation.STORED_IS_ROW``), and the incident is unpublished before and after, or
    keeps every value the rows read (its perpetrators do not change with its row)."""
    if not instance.__dict__.get(STORED_IS_ROW):
        return False
    stored = instance.stored_values() or {}
    if any(name not in stored for name in _INPUTS):
        return False
    if stored["status"] != Status.PUBLISHED and instance.status != Status.PUBLISHED:
        return True
    return all(
        stored[name]
        == sender._meta.get_field(name.removesuffix("_id")).to_python(getattr(instance, name))
        for name in _INPUTS
    )


@receiver(post_save, sender=Incident, dispatch_uid="statistics_sums_on_save")
def _incident_saved(sender, instance: Incident, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    before = instance.__dict__.pop(_BEFORE, None)
    if before == ("unchanged",):
        return
    if before is None:
        # The state before is unknown: the rows of where it is are summed again.
        refresh([key_of(instance)])
        return
    state = before[1]
    written = _attnames(sender, kwargs.get("update_fields"))
    values = dict(state[0]) if state is not None else {}
    for name in _INPUTS:
        if written is None or name in written or name not in values:
            field = sender._meta.get_field(name.removesuffix("_id"))
            values[name] = field.to_python(getattr(instance, name))
    apply([(state, (values, state[1] if state is not None else ()))])


@receiver(pre_save, sender=Attribution, dispatch_uid="statistics_sums_attribution_saving")
def _attribution_saving(sender, instance: Attribution, raw: bool = False, **kwargs) -> None:
    instance.__dict__[_BEFORE] = None
    if raw:
        return
    written = _attnames(sender, kwargs.get("update_fields"))
    if written is not None and not written & {"incident_id", "actor_id", "confidence"}:
        instance.__dict__[_BEFORE] = ("unchanged",)
        return
    # The incident it is given to, and the one it was in (when it moves).
    where = Q(pk=instance.incident_id)
    if instance.pk is not None:
        where |= Q(pk__in=Attribution.objects.filter(pk=instance.pk).values("incident_id"))
    instance.__dict__[_BEFORE] = ("state", read_states(where))


@receiver(post_save, sender=Attribution, dispatch_uid="statistics_sums_attribution_saved")
def _attribution_saved(sender, instance: Attribution, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    before = instance.__dict__.pop(_BEFORE, None)
    if before == ("unchanged",):
        return
    if before is None:
        _refresh_incident(instance.incident_id)
        return
    states: dict[int, State] = before[1]
    pairs = []
    for pk, (values, attributions) in states.items():
        kept = tuple(a for a in attributions if a[0] != instance.pk)
        if pk == instance.incident_id:
            kept = (*kept, (instance.pk, instance.actor_id, instance.confidence))
        pairs.append(((values, attributions), (values, kept)))
    apply(pairs)


def _refresh_incident(pk: int) -> None:
    incident = Incident.objects.filter(pk=pk).values(*_INPUTS).first()
    if incident is not None and incident["status"] == Status.PUBLISHED:
        refresh([key_of(incident)])


# A delete: Django's collector sends pre_delete for every instance it deletes (an incident
# and its attributions), then deletes them in batches, then sends post_delete for each. The
# states are read at pre_delete (nothing deleted yet), kept on the object the delete started
# from, and each post_delete adds what changed since the state last applied. Every
# pre_delete reads afresh, so a delete that failed leaves nothing a later one uses.
_DELETING = "_statistics_sums_deleting"


def _deleting(origin, instance) -> dict[int, State | None]:
    holder = origin if origin is not None else instance
    return holder.__dict__.setdefault(_DELETING, {})


@receiver(pre_delete, sender=Incident, dispatch_uid="statistics_sums_before_delete")
def _incident_deleting(sender, instance: Incident, origin=None, **kwargs) -> None:
    _deleting(origin, instance)[instance.pk] = read_states(Q(pk=instance.pk)).get(instance.pk)


@receiver(pre_delete, sender=Attribution, dispatch_uid="statistics_sums_attribution_deleting")
def _attribution_deleting(sender, instance: Attribution, origin=None, **kwargs) -> None:
    pk = instance.incident_id
    _deleting(origin, instance)[pk] = read_states(Q(pk=pk)).get(pk)


@receiver(post_delete, sender=Incident, dispatch_uid="statistics_sums_on_delete")
def _incident_deleted(sender, instance: Incident, origin=None, **kwargs) -> None:
    pending = _deleting(origin, instance)
    if instance.pk not in pending:
        refresh([key_of(instance)])
        return
    apply([(pending.pop(instance.pk), None)])


@receiver(post_delete, sender=Attribution, dispatch_uid="statistics_sums_attribution_deleted")
def _attribution_deleted(sender, instance: Attribution, origin=None, **kwargs) -> None:
    pending = _deleting(origin, instance)
    pk = instance.incident_id
    if pk not in pending:
        _refresh_incident(pk)
        return
    before = pending[pk]
    if before is None or all(a[0] != instance.pk for a in before[1]):
        return  # counted by an earlier post_delete of the same delete
    after = (before[0], tuple(a for a in before[1] if a[0] != instance.pk))
    # The attributions deleted with it are taken away by their own post_delete.
    pending[pk] = after
    apply([(before, after)])

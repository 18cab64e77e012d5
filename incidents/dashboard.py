"""The dashboard's figures: killed per month as a range, incidents per month by event type,
governorate and perpetrator (with the attribution's confidence), and the top places.

For the unfiltered view and the filters the precomputed sums know (dates, governorates or
event types, perpetrators with their affiliates: see ``statistics.Summable``) the figures are
read from ``PublishedStatisticsSum`` (``readmodel.statsums``): a few hundred to a few tens of
thousands of rows whatever the number of incidents, the partial months at the edges of a
date range counted from the incidents. Otherwise everything is counted in two statements
over the filtered incidents: one groups the incidents themselves in every way the charts
need at once (on PostgreSQL with ``GROUPING SETS``, one pass over the rows; on SQLite, which
has no grouping sets, the same groups as a ``UNION ALL`` over the rows kept once in a
materialised ``WITH``), the other groups their attributions by month, actor and confidence.

The sums are those of :mod:`incidents.statistics` and of the map's totals: ``killed_high``
adds each incident's high, or its best where the high is open, and ``killed_high_open``
counts the incidents whose high is open, so that a chart says "N or more" instead of
inventing a ceiling. An incident is counted in the month its date range starts. An incident
held against two perpetrators counts once for each, so the perpetrators' rows do not add up
to the total.

The answer holds codes and the records' own names (English and Arabic), never a translated
label, so that one answer serves both languages (it is kept per publication generation in
the shared cache by the API view); the page and the CSV add the labels.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections, transaction
from django.db.models import CharField, F, Func, Q, QuerySet, Sum

from mapping.models import Place

from .models import Actor, Confidence, Incident
from .statistics import (
    Summable,
    co_perpetrators,
    incident_figures,
    repeated_incidents,
    summed_rows,
    whole_months,
)

FIGURES = ("incidents", "killed_low", "killed_best", "killed_high", "killed_high_open")
CONFIDENCES = (Confidence.CONFIRMED, Confidence.PROBABLE, Confidence.ALLEGED)
TOP_PLACES = 10

# The CSV files of the dashboard, one a chart: name -> what it holds.
CHARTS = {
    "killed-by-month": "Killed per month: the sums of the incidents' low, best and high.",
    "event-types": "Incidents per month by event type.",
    "governorates": "Incidents per month by governorate.",
    "perpetrators": "Incidents per month by perpetrator and attribution confidence.",
    "places": f"The {TOP_PLACES} places with the most killed (best estimate).",
}

NOTES = [
    "Figures are sums of each incident's reconciled range (low, best, high).",
    "killed_high_open counts the incidents whose high is open (no source gives a ceiling, "
    "e.g. 'at least 7'); they add their best to killed_high, so when killed_high_open is "
    "above 0, killed_high is a floor of the high: 'N or more'.",
    "An incident counts in the month its date range starts (months are YYYY-MM).",
    "An incident attributed to several perpetrators counts once for each of them, so the "
    "perpetrators' rows do not add up to the totals.",
    f"top_places are the {TOP_PLACES} places with the most killed (best estimate), then the "
    "most incidents; incidents without a place are left out of them only.",
]


class _Month(Func):
    """The month of a date column: ``YYYY-MM`` on SQLite, which keeps dates as text; on
    PostgreSQL the number ``YYYYMM``, cheaper to make and to group by than text
    (:func:`_month_text` reads both)."""

    output_field = CharField()
    template = "substr(%(expressions)s, 1, 7)"

    def as_postgresql(self, compiler, connection, **extra):
        template = (
            "(EXTRACT(YEAR FROM %(expressions)s)::int * 100 "
            "+ EXTRACT(MONTH FROM %(expressions)s)::int)"
        )
        return self.as_sql(compiler, connection, template=template)


def _month_text(value: str | int | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return f"{value // 100:04d}-{value % 100:02d}"


@contextmanager
def _settings_for_one_pass(using: str) -> Iterator[None]:
    """On PostgreSQL, for the two statements only: memory enough to group every set in hash
    tables instead of sorting on disk, and no JIT compilation, which costs more than it
    saves on a query of a second or less. (``SET LOCAL`` ends with the transaction.)"""
    connection = connections[using]
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '64MB'")
                cursor.execute("SET LOCAL jit = off")
        yield


# The sums, over the rows ``f`` of the filtered incidents.
_SUMS_SQL = (
    "COUNT(*), SUM(f.lo), SUM(f.be), SUM(COALESCE(f.hi, f.be)), "
    "SUM(CASE WHEN f.op THEN 1 ELSE 0 END)"
)

# The groups the charts need, each named by the columns it groups by (of m: month, et:
# event type, gov: governorate, pl: place).
_GROUPS = {
    "total": (),
    "month": ("m",),
    "event_type": ("m", "et"),
    "governorate": ("m", "gov"),
    "place": ("pl",),
}
_COLUMNS = ("m", "et", "gov", "pl")


def _grouping_mask(columns: tuple[str, ...]) -> int:
    """PostgreSQL's ``GROUPING(m, et, gov, pl)`` of a group: a bit set per column not grouped."""
    mask = 0
    for column in _COLUMNS:
        mask = (mask << 1) | (0 if column in columns else 1)
    return mask


def _rows_sql(incidents: QuerySet[Incident]) -> tuple[str, tuple[Any, ...], str]:
    rows = incidents.order_by().values(
        iid=F("id"),
        m=_Month("date_start"),
        et=F("event_type"),
        gov=F("governorate_id"),
        pl=F("place_id"),
        lo=F("killed_low"),
        be=F("killed_best"),
        hi=F("killed_high"),
        op=F("killed_high_open"),
    )
    sql, params = rows.query.get_compiler(using=rows.db).as_sql()
    return sql, tuple(params), rows.db


def _incident_groups(sql: str, params: tuple[Any, ...], using: str) -> list[tuple]:
    """Rows ``(group name, m, et, gov, pl, *sums)`` for every group of ``_GROUPS``."""
    connection = connections[using]
    columns = ", ".join(f"f.{c}" for c in _COLUMNS)
    if connection.vendor == "postgresql":
        names = {_grouping_mask(cols): name for name, cols in _GROUPS.items()}
        sets = ", ".join("(" + ", ".join(f"f.{c}" for c in cols) + ")" for cols in _GROUPS.values())
        query = (
            # Constants and Django's compiled query (values as parameters).
            f"SELECT GROUPING({columns}), {columns}, {_SUMS_SQL} "  # noqa: S608
            f"FROM ({sql}) AS f GROUP BY GROUPING SETS ({sets})"
        )
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return [(names[row[0]], *row[1:]) for row in cursor.fetchall()]
    parts = []
    for name, cols in _GROUPS.items():
        selected = ", ".join(f"f.{c}" if c in cols else "NULL" for c in _COLUMNS)
        group_by = (" GROUP BY " + ", ".join(f"f.{c}" for c in cols)) if cols else ""
        parts.append(f"SELECT '{name}', {selected}, {_SUMS_SQL} FROM f{group_by}")  # noqa: S608
    query = f"WITH f AS MATERIALIZED ({sql}) " + " UNION ALL ".join(parts)
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def _attribution_groups(
    sql: str, params: tuple[Any, ...], using: str, *, few: bool = False
) -> list[tuple]:
    """Rows ``(m, actor id, confidence, *sums)`` of the filtered incidents' attributions.

    ``few``: the incidents are a few (the edges of a date range): on PostgreSQL their
    attributions are looked up by incident (``= ANY`` of an array of their ids), where the
    planner would read every attribution to join them."""
    where, where_params = "", ()
    if few and connections[using].vendor == "postgresql":
        where, where_params = (
            f"WHERE a.incident_id = ANY(ARRAY(SELECT e.iid FROM ({sql}) e)) ",  # noqa: S608
            params,
        )
    query = (
        f"SELECT f.m, a.actor_id, a.confidence, {_SUMS_SQL} "  # noqa: S608
        f"FROM incidents_attribution a JOIN ({sql}) AS f ON f.iid = a.incident_id {where}"
        "GROUP BY f.m, a.actor_id, a.confidence"
    )
    with connections[using].cursor() as cursor:
        cursor.execute(query, (*params, *where_params))
        return cursor.fetchall()


def _figures(sums: tuple | None = None) -> dict[str, int]:
    values = sums or (0,) * len(FIGURES)
    return {name: int(value or 0) for name, value in zip(FIGURES, values, strict=True)}


def _add(into: dict[str, int], figures: dict[str, int]) -> None:
    for name in FIGURES:
        into[name] += figures[name]


def _months_between(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    end = (int(last[:4]), int(last[5:7]))
    months = []
    while (year, month) <= end:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _series(
    key: str | None, name: str | None, name_ar: str | None, months: list[str]
) -> dict[str, Any]:
    return {
        "key": key,
        "name": name,
        "name_ar": name_ar,
        "incidents": [0] * len(months),
        "totals": _figures(),
    }


def _live_groups(
    incidents: QuerySet[Incident], *, few: bool = False
) -> tuple[list[tuple], list[tuple]]:
    """(incident groups, attribution groups) of ``incidents``, counted from the rows: see
    :func:`_incident_groups` and :func:`_attribution_groups` (months as ``YYYY-MM``)."""
    sql, params, using = _rows_sql(incidents)
    with _settings_for_one_pass(using):
        groups = [
            (name, _month_text(m), *row) for name, m, *row in _incident_groups(sql, params, using)
        ]
        attributed = [
            (_month_text(m), *rest) for m, *rest in _attribution_groups(sql, params, using, few=few)
        ]
    return groups, attributed


def _month_key(month) -> str:
    """``YYYY-MM`` of a date (SQLite gives its text)."""
    if isinstance(month, str):
        return month[:7]
    return f"{month.year:04d}-{month.month:02d}"


def _repeated_groups(
    repeated: list[tuple[int, dict[str, Any]]], co: dict[int, list[tuple[int, str]]]
) -> tuple[list[tuple], list[tuple]]:
    """Negative rows of :func:`_live_groups`'s groups (incident groups, attribution groups)
    taking away the incidents the rows of several actors counted more than once
    (``statistics.repeated_incidents``)."""
    groups: list[tuple] = []
    attributed: list[tuple] = []
    for times, values in repeated:
        figures = incident_figures(values, times)
        sums = tuple(-figures[name] for name in FIGURES)
        m = _month_key(values["date_start"])
        groups += [
            ("month", m, None, None, None, *sums),
            ("event_type", m, values["event_type"], None, None, *sums),
            ("governorate", m, None, values["governorate_id"], None, *sums),
            ("place", None, None, None, values["place_id"], *sums),
        ]
        attributed += [
            (m, actor_id, confidence, *sums) for actor_id, confidence in co.get(values["id"], ())
        ]
    return groups, attributed


def _subtracted(rows: list[tuple], negative: list[tuple], *, keys: int) -> list[tuple]:
    """``rows`` (one a key: their first ``keys`` values) with the figures of ``negative``
    added to those of the same key; a row left with no incident goes. Tens of thousands of
    rows: only the rows a negative one names are made again."""
    rows = list(rows)
    at = {row[:keys]: index for index, row in enumerate(rows)}
    changed: dict[int, list[int]] = {}
    for row in negative:
        index = at.get(row[:keys])
        if index is None:  # (an incident counted too many times is in the rows)
            index = at[row[:keys]] = len(rows)
            rows.append((*row[:keys], *[0] * (len(row) - keys)))
        figures = changed.setdefault(index, [int(v or 0) for v in rows[index][keys:]])
        for i, value in enumerate(row[keys:]):
            figures[i] += value
    found = list(rows)
    for index, figures in changed.items():
        found[index] = (*rows[index][:keys], *figures) if figures[0] else None
    return [row for row in found if row is not None]


def _summed_groups(
    incidents: QuerySet[Incident], summable: Summable
) -> tuple[list[tuple], list[tuple]] | None:
    """The groups of :func:`_live_groups` from the precomputed sums (``statsums``): the
    whole months of the date range from the monthly rows, the incidents outside them
    counted live; None when no grain answers the filter (governorates and event types at
    once; a perpetrator with either)."""
    bounds = whole_months(summable)
    with_actor = summable.actors is not None
    gov, et = summable.governorates is not None, summable.event_types is not None
    if bounds is False or (gov and et) or (with_actor and (gov or et)):
        return None
    lo, hi = bounds
    sums = {f"s_{name}": Sum(name) for name in FIGURES}
    month_keys: dict = {}

    def read(grain: int, *columns: str) -> list[tuple]:
        """The grain's rows grouped by ``columns`` (a month as ``YYYY-MM``): tuples of the
        columns and the sums, read as tuples (tens of thousands at 1,000,000 incidents)."""
        rows = summed_rows(grain, summable, lo, hi).values_list(*columns).annotate(**sums)
        # Read with the cursor: Django's converters of each value cost more than the query.
        sql, params = rows.order_by().query.get_compiler(using=rows.db).as_sql()
        with connections[rows.db].cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        if "month" not in columns:
            return fetched
        at = columns.index("month")
        found = []
        for row in fetched:
            month = row[at]
            key = month_keys.get(month)
            if key is None:
                key = month_keys[month] = _month_key(month)
            found.append((*row[:at], key, *row[at + 1 :]))
        return found

    # The months and the event types and governorates per month: the incidents of the
    # filter at one grain each (an actor's: the attributions to it, one an incident).
    # (The grains of one key where no other is filtered on: a few hundred rows.)
    incident_grain = 5 if with_actor else (14 if gov else (15 if et else 16))
    groups: list[tuple] = [
        ("month", m, None, None, None, *rest) for m, *rest in read(incident_grain, "month")
    ]
    groups += [
        ("event_type", m, key, None, None, *rest)
        for m, key, *rest in read(7 if with_actor else (4 if gov else 15), "month", "event_type")
    ]
    groups += [
        ("governorate", m, None, key, None, *rest)
        for m, key, *rest in read(6 if with_actor else (4 if et else 14), "month", "governorate_id")
    ]
    place_grain = 13 if with_actor else (12 if et else 11)
    groups += [
        ("place", None, None, None, key, *rest) for key, *rest in read(place_grain, "place_id")
    ]
    if with_actor:
        attributed = read(10, "month", "co_actor_id", "co_confidence")
    else:
        attributed = read(6 if gov else (7 if et else 5), "month", "actor_id", "confidence")
    repeated = repeated_incidents(summable, lo, hi)
    if repeated:
        # Several actors (a perpetrator and its affiliates): an incident held against k of
        # them is in k actors' rows; negative rows (merged below) count it once.
        co = co_perpetrators(values["id"] for _, values in repeated)
        negative_groups, negative_attributed = _repeated_groups(repeated, co)
        groups = _subtracted(groups, negative_groups, keys=5)
        attributed = _subtracted(attributed, negative_attributed, keys=3)
    if lo is None and hi is None:
        # Every key once: the total is the months'.
        total = [sum(row[5 + i] or 0 for row in groups if row[0] == "month") for i in range(5)]
        return [("total", None, None, None, None, *total), *groups], attributed
    outside = Q()
    if lo is not None:
        outside |= Q(date_start__lt=lo)
    if hi is not None:
        outside |= Q(date_start__gte=hi)
    if lo is not None or hi is not None:
        edge_groups, edge_attributed = _live_groups(incidents.filter(outside), few=True)
        groups += edge_groups
        attributed += edge_attributed
    # One total, and one row a key (the top places may be in the sums and the edges).
    merged: dict[tuple, list[int]] = {}
    for name, m, g_et, g_gov, pl, *row in groups:
        if name == "total":
            continue
        into = merged.setdefault((name, m, g_et, g_gov, pl), [0] * len(FIGURES))
        for i, value in enumerate(row):
            into[i] += int(value or 0)
    total = [0] * len(FIGURES)
    for (name, *_keys), row in merged.items():
        if name == "month":
            total = [a + b for a, b in zip(total, row, strict=True)]
    merged_attributed: dict[tuple, list[int]] = {}
    for m, actor_id, confidence, *row in attributed:
        into = merged_attributed.setdefault((m, actor_id, confidence), [0] * len(FIGURES))
        for i, value in enumerate(row):
            into[i] += int(value or 0)
    return (
        [("total", None, None, None, None, *total)]
        + [(*keys, *row) for keys, row in merged.items()],
        [(*keys, *row) for keys, row in merged_attributed.items()],
    )


def dashboard_figures(
    *, incidents: QuerySet[Incident], summable: Summable | None = None
) -> dict[str, Any]:
    """The dashboard's figures for ``incidents`` (already filtered, and visible to the
    reader): see the module. ``summable``: the incidents are the published ones matching
    that filter, which the precomputed sums may answer (the caller vouches for it)."""
    found = _summed_groups(incidents, summable) if summable is not None else None
    groups, attributed = found if found is not None else _live_groups(incidents)

    by_group: dict[str, list[tuple]] = defaultdict(list)
    for name, *row in groups:
        by_group[name].append(tuple(row))
    total_rows = by_group["total"]
    totals = _figures(total_rows[0][4:]) if total_rows else _figures()

    seen = sorted({row[0] for row in by_group["month"] if row[0]})
    months = _months_between(seen[0], seen[-1]) if seen else []
    index = {month: i for i, month in enumerate(months)}

    killed_by_month = {name: [0] * len(months) for name in FIGURES}
    for m, _et, _gov, _pl, *sums in by_group["month"]:
        for name, value in _figures(tuple(sums)).items():
            killed_by_month[name][index[m]] = value

    event_types: dict[str, dict[str, Any]] = {}
    for m, et, _gov, _pl, *sums in by_group["event_type"]:
        series = event_types.setdefault(et, _series(et, None, None, months))
        figures = _figures(tuple(sums))
        series["incidents"][index[m]] = figures["incidents"]
        _add(series["totals"], figures)

    place_ids = {row[2] for row in by_group["governorate"] if row[2] is not None}
    place_ids |= {row[3] for row in by_group["place"] if row[3] is not None}
    places = {
        row["id"]: row
        for row in Place.objects.filter(pk__in=place_ids).values(
            "id", "slug", "name", "name_ar", "parent__name", "parent__name_ar"
        )
    }

    governorates: dict[int | None, dict[str, Any]] = {}
    for m, _et, gov, _pl, *sums in by_group["governorate"]:
        if gov not in governorates:
            place = places.get(gov, {})
            governorates[gov] = _series(
                place.get("slug"), place.get("name"), place.get("name_ar"), months
            )
        figures = _figures(tuple(sums))
        governorates[gov]["incidents"][index[m]] = figures["incidents"]
        _add(governorates[gov]["totals"], figures)

    ranked = sorted(
        (row for row in by_group["place"] if row[3] is not None),
        key=lambda row: (-(row[6] or 0), -(row[4] or 0), places[row[3]]["name"]),
    )
    top_places = [
        {
            "key": places[row[3]]["slug"],
            "name": places[row[3]]["name"],
            "name_ar": places[row[3]]["name_ar"],
            "within": places[row[3]]["parent__name"],
            "within_ar": places[row[3]]["parent__name_ar"],
            "totals": _figures(tuple(row[4:])),
        }
        for row in ranked[:TOP_PLACES]
    ]

    actors = {
        row["id"]: row
        for row in Actor.objects.filter(pk__in={row[1] for row in attributed}).values(
            "id", "slug", "name", "name_ar"
        )
    }
    # Tens of thousands of rows (month x actor x confidence) at a million incidents: summed
    # into plain lists first, made into the answer's dicts once an actor.
    width = len(months)
    summed: dict[int, tuple[list[int], dict[str, list[int]], list[int]]] = {}
    for m, actor_id, confidence, *sums in attributed:
        entry = summed.get(actor_id)
        if entry is None:
            entry = summed[actor_id] = (
                [0] * width,
                {c: [0] * width for c in CONFIDENCES},
                [0] * len(FIGURES),
            )
        by_month, by_confidence, figures = entry
        at = index[m]
        count = int(sums[0] or 0)
        by_month[at] += count
        column = by_confidence.get(confidence)
        if column is None:
            column = by_confidence[confidence] = [0] * width
        column[at] += count
        for i, value in enumerate(sums):
            if value:
                figures[i] += int(value)
    perpetrators: dict[int, dict[str, Any]] = {}
    for actor_id, (by_month, by_confidence, figures) in summed.items():
        actor = actors[actor_id]
        series = _series(actor["slug"], actor["name"], actor["name_ar"], months)
        series["incidents"] = by_month
        series["totals"] = dict(zip(FIGURES, figures, strict=True))
        series["by_confidence"] = by_confidence
        series["confidence_totals"] = {c: sum(column) for c, column in by_confidence.items()}
        perpetrators[actor_id] = series

    def ordered(series: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(series, key=lambda s: (-s["totals"]["incidents"], s["key"] or "~"))

    return {
        "totals": totals,
        "months": months,
        "killed_by_month": killed_by_month,
        "event_types": ordered(list(event_types.values())),
        "governorates": ordered(list(governorates.values())),
        "perpetrators": ordered(list(perpetrators.values())),
        "top_places": top_places,
        "notes": NOTES,
    }

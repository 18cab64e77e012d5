"""The dashboard's figures: killed per month as a range, incidents per month by event type,
governorate and perpetrator (with the attribution's confidence), and the top places.

For the unfiltered view and the filters the precomputed sums know (dates, governorates or
event types, perpetrators with their affiliates: see ``statistics.Summable``) the figures are
read from ``PublishedStatisticsSum`` (``readmodel.statsums``): a few hundred to a few tens of
thousands of rows whatever the number of incidents, the partial months at the edges of a
date range counted from the incidents. On PostgreSQL the database hands each series over
as arrays (its months and their incidents), so that a few hundred rows reach Python; the
top places of a view without dates are read from the grains of places without months.
Otherwise everything is counted in two statements over the filtered incidents: one groups
the incidents themselves in every way the charts need at once (on PostgreSQL with
``GROUPING SETS``, one pass over the rows; on SQLite, which has no grouping sets, the same
groups as a ``UNION ALL`` over the rows kept once in a materialised ``WITH``), the other
groups their attributions by month, actor and confidence.

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


def _figures(sums: tuple | list | None = None) -> dict[str, int]:
    values = sums or (0,) * len(FIGURES)
    return {name: int(value or 0) for name, value in zip(FIGURES, values, strict=True)}


def _month_number(value: Any) -> int:
    """A month as a number of months (year * 12 + month - 1), from a date, ``YYYY-MM...``
    text (SQLite's dates, :func:`_month_text`) or PostgreSQL's ``YYYYMM``."""
    if isinstance(value, str):
        return int(value[:4]) * 12 + int(value[5:7]) - 1
    if isinstance(value, int):
        return (value // 100) * 12 + value % 100 - 1
    return value.year * 12 + value.month - 1


def _month_name(number: int) -> str:
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


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


# A series of a chart before it is shaped: [month numbers, incidents of each, the sums of
# ``FIGURES``]. A month may come more than once (the sums and the edges of a date range):
# its incidents add up.
_Series = list


def _new_series() -> _Series:
    return [[], [], [0] * len(FIGURES)]


def _into(series: _Series, months: list[int], counts: list[int], sums) -> None:
    series[0] += months
    series[1] += counts
    totals = series[2]
    for i, value in enumerate(sums):
        if value:
            totals[i] += int(value)


class _Tally:
    """A view's figures gathered from sums and counted rows, keyed by what each chart
    shows, then shaped into the answer once (:meth:`answer`)."""

    def __init__(self) -> None:
        self.total: list[int] | None = None  # None: the months' sum
        self.months: dict[int, list[int]] = {}
        self.event_types: dict[str | None, _Series] = {}
        self.governorates: dict[int | None, _Series] = {}
        self.places: dict[int, list[int]] = {}
        # actor id -> confidence -> series
        self.perpetrators: dict[int, dict[str, _Series]] = {}

    def add_month(self, month: int, sums) -> None:
        into = self.months.setdefault(month, [0] * len(FIGURES))
        for i, value in enumerate(sums):
            into[i] += int(value or 0)

    def add_place(self, place: int, sums) -> None:
        into = self.places.setdefault(place, [0] * len(FIGURES))
        for i, value in enumerate(sums):
            into[i] += int(value or 0)

    def add_series(self, chart: dict, key, months: list[int], counts: list[int], sums) -> None:
        series = chart.get(key)
        if series is None:
            series = chart[key] = _new_series()
        _into(series, months, counts, sums)

    def add_perpetrator(self, actor: int, confidence: str, months, counts, sums) -> None:
        self.add_series(self.perpetrators.setdefault(actor, {}), confidence, months, counts, sums)

    def add_rows(self, groups: list[tuple], attributed: list[tuple]) -> None:
        """The rows of :func:`_live_groups` (their "total" row is left to the caller)."""
        for name, m, et, gov, pl, *sums in groups:
            if name == "place":
                if pl is not None:
                    self.add_place(pl, sums)
            elif name != "total":
                month = _month_number(m)
                if name == "month":
                    self.add_month(month, sums)
                else:
                    chart = self.event_types if name == "event_type" else self.governorates
                    key = et if name == "event_type" else gov
                    self.add_series(chart, key, [month], [int(sums[0] or 0)], sums)
        for m, actor_id, confidence, *sums in attributed:
            count = int(sums[0] or 0)
            self.add_perpetrator(actor_id, confidence, [_month_number(m)], [count], sums)

    def answer(self) -> dict[str, Any]:
        seen = sorted(self.months)
        first = seen[0] if seen else 0
        width = seen[-1] - first + 1 if seen else 0
        months = [_month_name(first + i) for i in range(width)]

        def column(series: _Series) -> list[int]:
            found = [0] * width
            for month, count in zip(series[0], series[1], strict=True):
                found[month - first] += count
            return found

        total = self.total
        if total is None:
            total = [sum(sums[i] for sums in self.months.values()) for i in range(len(FIGURES))]
        killed_by_month = {name: [0] * width for name in FIGURES}
        for month, sums in self.months.items():
            for name, value in zip(FIGURES, sums, strict=True):
                killed_by_month[name][month - first] = value

        def series(key, name, name_ar, found: _Series) -> dict[str, Any]:
            return {
                "key": key,
                "name": name,
                "name_ar": name_ar,
                "incidents": column(found),
                "totals": dict(zip(FIGURES, found[2], strict=True)),
            }

        event_types = [series(key, None, None, found) for key, found in self.event_types.items()]

        place_ids = {key for key in self.governorates if key is not None} | set(self.places)
        places = {
            row["id"]: row
            for row in Place.objects.filter(pk__in=place_ids).values(
                "id", "slug", "name", "name_ar", "parent__name", "parent__name_ar"
            )
        }
        governorates = []
        for key, found in self.governorates.items():
            place = places.get(key, {})
            governorates.append(
                series(place.get("slug"), place.get("name"), place.get("name_ar"), found)
            )

        ranked = sorted(
            self.places.items(),
            key=lambda item: (-item[1][2], -item[1][0], places[item[0]]["name"]),
        )
        top_places = [
            {
                "key": places[pk]["slug"],
                "name": places[pk]["name"],
                "name_ar": places[pk]["name_ar"],
                "within": places[pk]["parent__name"],
                "within_ar": places[pk]["parent__name_ar"],
                "totals": _figures(sums),
            }
            for pk, sums in ranked[:TOP_PLACES]
        ]

        actors = {
            row["id"]: row
            for row in Actor.objects.filter(pk__in=set(self.perpetrators)).values(
                "id", "slug", "name", "name_ar"
            )
        }
        perpetrators = []
        for actor_id, by_confidence_found in self.perpetrators.items():
            actor = actors[actor_id]
            by_month = [0] * width
            by_confidence: dict[str, list[int]] = {c: [0] * width for c in CONFIDENCES}
            figures = [0] * len(FIGURES)
            for confidence, found in by_confidence_found.items():
                counts = by_confidence.get(confidence)
                if counts is None:
                    counts = by_confidence[confidence] = [0] * width
                for month, count in zip(found[0], found[1], strict=True):
                    counts[month - first] += count
                    by_month[month - first] += count
                figures = [a + b for a, b in zip(figures, found[2], strict=True)]
            perpetrators.append(
                {
                    "key": actor["slug"],
                    "name": actor["name"],
                    "name_ar": actor["name_ar"],
                    "incidents": by_month,
                    "totals": dict(zip(FIGURES, figures, strict=True)),
                    "by_confidence": by_confidence,
                    "confidence_totals": {c: sum(counts) for c, counts in by_confidence.items()},
                }
            )

        def ordered(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return sorted(found, key=lambda s: (-s["totals"]["incidents"], s["key"] or "~"))

        return {
            "totals": _figures(total),
            "months": months,
            "killed_by_month": killed_by_month,
            "event_types": ordered(event_types),
            "governorates": ordered(governorates),
            "perpetrators": ordered(perpetrators),
            "top_places": top_places,
            "notes": NOTES,
        }


def _read_sums(grain: int, summable: Summable, lo, hi, *columns: str) -> list[tuple]:
    """The grain's rows of the filter grouped by ``columns``: tuples of the columns and the
    sums, read with the cursor (Django's converters of each value cost more than the
    query)."""
    sums = {f"s_{name}": Sum(name) for name in FIGURES}
    rows = summed_rows(grain, summable, lo, hi).values_list(*columns).annotate(**sums)
    sql, params = rows.order_by().query.get_compiler(using=rows.db).as_sql()
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _read_series(grain: int, summable: Summable, lo, hi, *keys: str) -> list[tuple]:
    """The grain's rows of the filter as series: one tuple a value of ``keys``, of those
    values, the month numbers and incidents of each month, and the sums of every month.

    On PostgreSQL the database gathers each series into arrays (``array_agg``): a few
    hundred rows to read instead of tens of thousands (an actor's months and confidences
    at a million incidents). The rows are gathered as they are, without summing them by
    month first (which costs the database more than it saves): a month may come more than
    once in a series (other keys of the grain, e.g. two governorates), and adds up."""
    found_rows = summed_rows(grain, summable, lo, hi)
    connection = connections[found_rows.db]
    width = len(keys)
    names = [f"k{i}" for i in range(width)]
    figures = [f"s{i}" for i in range(len(FIGURES))]
    if connection.vendor == "postgresql":
        rows = found_rows.values_list("month", *keys, *FIGURES)
        sql, params = rows.order_by().query.get_compiler(using=rows.db).as_sql()
        # The month's number in floating point: cheaper than EXTRACT's numeric, and exact.
        month = "(date_part('year', g.m) * 12 + date_part('month', g.m) - 1)::int"
        selected = ", ".join(
            [
                *(f"g.{name}" for name in names),
                f"array_agg({month})",
                "array_agg(g.s0)",
                *(f"SUM(g.{name})::bigint" for name in figures),
            ]
        )
        query = (
            # Constants and Django's compiled query (values as parameters).
            f"SELECT {selected} FROM ({sql}) AS g (m, {', '.join([*names, *figures])}) "  # noqa: S608
            f"GROUP BY {', '.join(f'g.{name}' for name in names)}"
        )
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()
    sums = {f"s_{name}": Sum(name) for name in FIGURES}
    rows = found_rows.values_list("month", *keys).annotate(**sums)
    sql, params = rows.order_by().query.get_compiler(using=rows.db).as_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    found: dict[tuple, _Series] = {}
    for month, *row in fetched:
        key = tuple(row[:width])
        series = found.get(key)
        if series is None:
            series = found[key] = _new_series()
        sums = row[width:]
        _into(series, [_month_number(month)], [int(sums[0] or 0)], sums)
    return [(*key, months, counts, *sums) for key, (months, counts, sums) in found.items()]


def _repeated_groups(
    repeated: list[tuple[int, dict[str, Any]]], co: dict[int, list[tuple[int, str]]]
) -> tuple[list[tuple], list[tuple]]:
    """Negative rows in the shape of :func:`_live_groups`'s (incident groups, attribution
    groups) taking away the incidents the rows of several actors counted more than once
    (``statistics.repeated_incidents``)."""
    groups: list[tuple] = []
    attributed: list[tuple] = []
    for times, values in repeated:
        figures = incident_figures(values, times)
        sums = tuple(-figures[name] for name in FIGURES)
        m = values["date_start"]
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


def _summed_tally(incidents: QuerySet[Incident], summable: Summable) -> _Tally | None:
    """The figures from the precomputed sums (``statsums``): the whole months of the date
    range from the monthly rows, the incidents outside them counted live; None when no
    grain answers the filter (governorates and event types at once; a perpetrator with
    either)."""
    bounds = whole_months(summable)
    with_actor = summable.actors is not None
    gov, et = summable.governorates is not None, summable.event_types is not None
    if bounds is False or (gov and et) or (with_actor and (gov or et)):
        return None
    lo, hi = bounds
    tally = _Tally()
    # The months and the event types and governorates per month: the incidents of the
    # filter at one grain each (an actor's: the attributions to it, one an incident).
    # (The grains of one key where no other is filtered on: a few hundred rows.)
    incident_grain = 5 if with_actor else (14 if gov else (15 if et else 16))
    month_keys: dict = {}
    for month, *sums in _read_sums(incident_grain, summable, lo, hi, "month"):
        number = month_keys.get(month)
        if number is None:
            number = month_keys[month] = _month_number(month)
        tally.add_month(number, sums)
    event_type_grain = 7 if with_actor else (4 if gov else 15)
    for key, months, counts, *sums in _read_series(
        event_type_grain, summable, lo, hi, "event_type"
    ):
        tally.add_series(tally.event_types, key, months, counts, sums)
    governorate_grain = 6 if with_actor else (4 if et else 14)
    for key, months, counts, *sums in _read_series(
        governorate_grain, summable, lo, hi, "governorate_id"
    ):
        tally.add_series(tally.governorates, key, months, counts, sums)
    # Without dates, the grains of places without months: one row a place.
    if lo is None and hi is None:
        place_grain = 19 if with_actor else (18 if et else 17)
    else:
        place_grain = 13 if with_actor else (12 if et else 11)
    for key, *sums in _read_sums(place_grain, summable, lo, hi, "place_id"):
        if key is not None:
            tally.add_place(key, sums)
    if with_actor:
        attributed = _read_series(10, summable, lo, hi, "co_actor_id", "co_confidence")
    else:
        grain = 6 if gov else (7 if et else 5)
        attributed = _read_series(grain, summable, lo, hi, "actor_id", "confidence")
    for actor_id, confidence, months, counts, *sums in attributed:
        tally.add_perpetrator(actor_id, confidence, months, counts, sums)
    repeated = repeated_incidents(summable, lo, hi)
    if repeated:
        # Several actors (a perpetrator and its affiliates): an incident held against k of
        # them is in k actors' rows; negative rows count it once.
        co = co_perpetrators(values["id"] for _, values in repeated)
        tally.add_rows(*_repeated_groups(repeated, co))
    if lo is not None or hi is not None:
        outside = Q()
        if lo is not None:
            outside |= Q(date_start__lt=lo)
        if hi is not None:
            outside |= Q(date_start__gte=hi)
        # One total, the months' (the edges' own total row is left out).
        tally.add_rows(*_live_groups(incidents.filter(outside), few=True))
    return tally


def dashboard_figures(
    *, incidents: QuerySet[Incident], summable: Summable | None = None
) -> dict[str, Any]:
    """The dashboard's figures for ``incidents`` (already filtered, and visible to the
    reader): see the module. ``summable``: the incidents are the published ones matching
    that filter, which the precomputed sums may answer (the caller vouches for it)."""
    tally = _summed_tally(incidents, summable) if summable is not None else None
    if tally is None:
        groups, attributed = _live_groups(incidents)
        tally = _Tally()
        tally.add_rows(groups, attributed)
        total_rows = [row for row in groups if row[0] == "total"]
        tally.total = [int(value or 0) for value in total_rows[0][5:]] if total_rows else None
    return tally.answer()

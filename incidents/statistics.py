"""Counts and casualty sums for any set of incidents, by day, area, perpetrator and type.

Sums of ``killed_low``, ``killed_best`` and ``killed_high`` are sums of each incident's
reconciled range, so the totals are a range too. An incident whose high is open ("at least
7") adds its best to ``killed_high``, and ``killed_high_open`` counts such incidents: when
it is above 0, the total's high is open as well and ``killed_high`` is its floor.

An incident held against two perpetrators counts once for each of them, so the rows
``by_perpetrator`` do not add up to the total; the response says so. Episode aggregates
reported by monitors stand beside the incident sums and are never added to them.

How it is computed: the incidents are read once for the breakdowns by day, governorate,
event type and episode (one ``GROUPING SETS`` query on PostgreSQL; on SQLite, which has no
grouping sets, one ``GROUP BY`` a breakdown asked for), and the attributions once, joined to
the filtered incidents, for the perpetrators. The totals are the sum of any one of those
breakdowns (every incident has exactly one first day, one event type, one governorate or
none), so they cost no pass of their own. A caller that needs one breakdown only (the map's
timeline reads the days) names it, and the others are not computed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import connections
from django.db.models import Count, Q, QuerySet, Sum

from mapping.models import Place

from .models import Actor, Attribution, Episode, Incident, PublishedStatisticsSum, Status
from .reconciliation import high_or_best, open_highs
from .selectors import EpisodeSummary, User, can_see_unpublished, episode_measures, episode_summary

# The breakdowns a client may ask for (``breakdown=by_day,by_event_type``), in the order of
# the response. The totals and the notes always come.
BREAKDOWNS = ("by_day", "by_governorate", "by_perpetrator", "by_event_type", "episodes")

# The high's sums first: they read killed_high, killed_best and killed_high_open, which in
# the same annotate() would otherwise name the sums of those columns already made.
_SUMS = {
    "killed_high": Sum(high_or_best()),
    "killed_high_open": open_highs(),
    "incidents": Count("id"),
    "killed_low": Sum("killed_low"),
    "killed_best": Sum("killed_best"),
}
_FIGURES = ("incidents", "killed_low", "killed_best", "killed_high", "killed_high_open")

# The incidents' columns grouped on, per breakdown, for the one pass over the incidents.
_GROUPED = {
    "by_day": "date_start",
    "by_governorate": "governorate_id",
    "by_event_type": "event_type",
    "episodes": "episode_id",
}

NOTES = [
    "Figures are sums of each incident's reconciled range (low, best, high).",
    "killed_high_open counts the incidents whose high is open (no source gives a "
    "ceiling, e.g. 'at least 7'); they add their best to killed_high, so when "
    "killed_high_open is above 0, killed_high is a floor of the high: 'N or more'.",
    "by_day counts an incident on the first day of its date range.",
    "An incident attributed to several perpetrators counts once for each of them, "
    "so by_perpetrator does not add up to the totals.",
    "Episode aggregates reported by monitors are shown beside the incident sums and "
    "never added to them.",
]


def _figures(row: dict[str, Any]) -> dict[str, int]:
    return {name: row.get(name) or 0 for name in _FIGURES}


def _add(total: dict[str, int], row: dict[str, int]) -> None:
    for name in _FIGURES:
        total[name] += row[name]


def _grouped_sqlite(incidents: QuerySet[Incident], names: Iterable[str]) -> dict[str, dict]:
    """{breakdown: {key: figures}}, one GROUP BY per breakdown."""
    result: dict[str, dict] = {}
    for name in names:
        column = _GROUPED[name]
        result[name] = {
            row[column]: _figures(row)
            for row in incidents.values(column).annotate(**_SUMS).order_by()
        }
    return result


def _grouped_postgresql(incidents: QuerySet[Incident], names: Iterable[str]) -> dict[str, dict]:
    """{breakdown: {key: figures}} in one pass: GROUPING SETS over the filtered incidents."""
    names = list(names)
    columns = [_GROUPED[name] for name in names]
    inner = incidents.order_by().values(
        *columns, "killed_low", "killed_best", "killed_high", "killed_high_open"
    )
    compiler = inner.query.get_compiler(using=inner.db)
    inner_sql, params = compiler.as_sql()
    connection = connections[inner.db]
    quoted = [connection.ops.quote_name(column) for column in columns]
    sets = ", ".join(f"({column})" for column in quoted)
    # GROUPING() tells a set's own NULL key (an incident with no governorate) from the
    # NULL of the columns a set does not group on.
    flags = ", ".join(f"GROUPING({column})" for column in quoted)
    # Column names are the module's constants; the values are parameters of the inner query.
    sql = (
        f"SELECT {flags}, {', '.join(quoted)}, COUNT(*), SUM(s.killed_low), "  # noqa: S608
        "SUM(s.killed_best), SUM(COALESCE(s.killed_high, s.killed_best)), "
        "COUNT(*) FILTER (WHERE s.killed_high_open) "
        f"FROM ({inner_sql}) s GROUP BY GROUPING SETS ({sets})"
    )
    result: dict[str, dict] = {name: {} for name in names}
    width = len(names)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            flags_row, keys, sums = row[:width], row[width : 2 * width], row[2 * width :]
            index = flags_row.index(0) if width > 1 else 0
            result[names[index]][keys[index]] = _figures(dict(zip(_FIGURES, sums, strict=True)))
    return result


def _grouped(incidents: QuerySet[Incident], names: Iterable[str]) -> dict[str, dict]:
    names = list(names)
    if not names:
        return {}
    if connections[incidents.db].vendor == "postgresql":
        return _grouped_postgresql(incidents, names)
    return _grouped_sqlite(incidents, names)


def _perpetrator_sums(
    incidents: QuerySet[Incident], least_confidence: Sequence[str] | None = None
) -> dict[int, dict[str, int]]:
    # The attributions joined once to the filtered incidents (the filters' own conditions,
    # EXISTS for a perpetrator, never join them again). The incidents held against nobody
    # make the NULL group, left out (a filter on it would join the attributions twice).
    # ``least_confidence``: only attributions of these confidences count (the filter on the
    # same join, before the grouping, constrains the rows grouped).
    if least_confidence is not None:
        incidents = incidents.filter(attributions__confidence__in=list(least_confidence))
    rows = incidents.order_by().values("attributions__actor_id").annotate(**_SUMS)
    return {
        row["attributions__actor_id"]: _figures(row)
        for row in rows
        if row["attributions__actor_id"] is not None
    }


def _by_perpetrator(sums: dict[int, dict[str, int]]) -> list[dict[str, Any]]:
    actors = Actor.objects.filter(pk__in=list(sums)).values("pk", "slug", "name", "name_ar")
    found = [
        {"actor": a["slug"], "name": a["name"], "name_ar": a["name_ar"], **sums[a["pk"]]}
        for a in actors
    ]
    return sorted(found, key=lambda row: (-row["killed_best"], row["actor"]))


@dataclass(frozen=True)
class Summable:
    """A filter the precomputed sums answer: published incidents only, with at most a date
    range, governorates and event types, or a date range and actors (``None``: not filtered
    on): the incidents held against any of ``actors`` (the perpetrators named with their
    affiliates). ``confidences``: with ``actors``, the confidences of an attribution to one
    of them that select an incident (every one when None).

    An incident held against two of the actors is in the rows of both: summing their rows
    counts it twice, so what was counted more than once is taken away again
    (:func:`repeated_incidents`)."""

    date_from: date | None = None
    date_to: date | None = None
    governorates: tuple[int, ...] | None = None
    event_types: tuple[str, ...] | None = None
    actors: tuple[int, ...] | None = None
    confidences: tuple[str, ...] | None = None


_SUM_FIELDS = {
    "incidents": Sum("incidents"),
    "killed_low": Sum("killed_low"),
    "killed_best": Sum("killed_best"),
    "killed_high": Sum("killed_high"),
    "killed_high_open": Sum("killed_high_open"),
}
# The sums' key column of each breakdown.
_SUM_KEYS = {
    "by_day": "day",
    "by_governorate": "governorate_id",
    "by_event_type": "event_type",
    "episodes": "episode_id",
    "by_perpetrator": "actor_id",
}


def _next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _sum_grain(name: str, summable: Summable) -> int | None:
    """The grain of ``statsums.GRAINS`` that answers the breakdown ``name`` for the filter,
    or None."""
    governorates, event_types = summable.governorates, summable.event_types
    if summable.actors is not None:
        if governorates is not None or event_types is not None:
            return None
        return {
            "by_day": 8,
            "by_governorate": 6,
            "by_event_type": 7,
            "episodes": 9,
            "by_perpetrator": 10,
        }[name]
    if name == "by_day":
        if governorates is not None and event_types is not None:
            return None
        return (
            1 if governorates is None and event_types is None else (2 if event_types is None else 3)
        )
    if name == "by_perpetrator":
        if governorates is not None and event_types is not None:
            return None
        return (
            5 if governorates is None and event_types is None else (6 if event_types is None else 7)
        )
    # The monthly grains of one key where the other keys are not filtered on.
    if name == "by_governorate" and event_types is None:
        return 14
    if name == "by_event_type" and governorates is None:
        return 15
    if name == "episodes" and governorates is None and event_types is None:
        return 16
    return 4


def whole_months(summable: Summable) -> tuple[date | None, date | None] | bool:
    """(the first day of the first whole month of the range, the first day of the month
    after its last whole month), None for no bound; False when the range holds no whole
    month."""
    first, last = summable.date_from, summable.date_to
    if (first and first.year == date.max.year) or (last and last.year == date.max.year):
        return False  # no month after it to bound a range with
    lo = None if first is None else (first if first.day == 1 else _next_month(first))
    hi = None if last is None else _next_month(last.replace(day=1))
    if last is not None and _next_month(last.replace(day=1)) - timedelta(days=1) != last:
        hi = last.replace(day=1)
    if lo is not None and hi is not None and lo >= hi:
        return False
    return lo, hi


def summed_rows(
    grain: int,
    summable: Summable,
    lo: date | None,
    hi: date | None,
    *,
    co_confidences: Sequence[str] | None = None,
) -> QuerySet[PublishedStatisticsSum]:
    """The grain's rows of the filter's incidents that began in [lo, hi)."""
    from .readmodel.statsums import GRAINS

    found = PublishedStatisticsSum.objects.filter(grain=grain)
    column = "day" if "day" in GRAINS[grain] else "month"
    if lo is not None:
        found = found.filter(**{f"{column}__gte": lo})
    if hi is not None:
        found = found.filter(**{f"{column}__lt": hi})
    if summable.governorates is not None:
        found = found.filter(governorate_id__in=summable.governorates)
    if summable.event_types is not None:
        found = found.filter(event_type__in=summable.event_types)
    if summable.actors is not None:
        found = found.filter(actor_id__in=summable.actors)
        if summable.confidences is not None:
            found = found.filter(confidence__in=summable.confidences)
    if co_confidences is not None:
        found = found.filter(
            **{"co_confidence__in" if grain == 10 else "confidence__in": list(co_confidences)}
        )
    return found.order_by()


# An incident's values that the breakdowns read, for the incidents counted more than once.
REPEATED_VALUES = (
    "id",
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
# Ids looked up in one statement.
_CHUNK = 5000


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for at in range(0, len(ids), _CHUNK):
        yield ids[at : at + _CHUNK]


def repeated_incidents(
    summable: Summable, lo: date | None, hi: date | None
) -> list[tuple[int, dict[str, Any]]] | None:
    """The published incidents that began in [lo, hi) which the rows of the filter's actors
    count more than once, as (times too many, the incident's ``REPEATED_VALUES``): an
    incident held against k of the actors (at the filter's confidences) is in k actors'
    rows, k - 1 times too many. None when the filter names one actor (an incident is held
    against an actor once).

    The attributions to the actors are read once (grouped by incident), then the few
    incidents held against several of them by their ids."""
    if summable.actors is None or len(summable.actors) < 2:
        return None
    held = Attribution.objects.filter(actor_id__in=summable.actors)
    if summable.confidences is not None:
        held = held.filter(confidence__in=summable.confidences)
    times = dict(
        held.order_by()
        .values("incident_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("incident_id", "n")
    )
    found = []
    for ids in _chunks(sorted(times)):
        incidents = Incident.objects.filter(pk__in=ids, status=Status.PUBLISHED)
        if lo is not None:
            incidents = incidents.filter(date_start__gte=lo)
        if hi is not None:
            incidents = incidents.filter(date_start__lt=hi)
        for values in incidents.order_by().values(*REPEATED_VALUES):
            found.append((times[values["id"]] - 1, values))
    return found


def co_perpetrators(
    incident_ids: Iterable[int], confidences: Sequence[str] | None = None
) -> dict[int, list[tuple[int, str]]]:
    """{incident id: [(actor id, confidence) of each of its attributions]}, the attributions
    at ``confidences`` only when given."""
    found: dict[int, list[tuple[int, str]]] = {}
    for ids in _chunks(sorted(set(incident_ids))):
        attributions = Attribution.objects.filter(incident_id__in=ids)
        if confidences is not None:
            attributions = attributions.filter(confidence__in=list(confidences))
        for incident_id, actor_id, confidence in attributions.order_by().values_list(
            "incident_id", "actor_id", "confidence"
        ):
            found.setdefault(incident_id, []).append((actor_id, confidence))
    return found


def incident_figures(values: dict[str, Any], times: int = 1) -> dict[str, int]:
    """An incident's share of the figures (``times`` over)."""
    best = values["killed_best"] or 0
    high = values["killed_high"]
    return {
        "incidents": times,
        "killed_low": times * (values["killed_low"] or 0),
        "killed_best": times * best,
        "killed_high": times * (high if high is not None else best),
        "killed_high_open": times * (1 if values["killed_high_open"] else 0),
    }


def _take_away(sums: dict, key: Any, figures: dict[str, int]) -> None:
    """Takes ``figures`` away from the key's sums; a key left with no incident goes."""
    into = sums.setdefault(key, dict.fromkeys(_FIGURES, 0))
    for name in _FIGURES:
        into[name] -= figures[name]
    if into["incidents"] == 0:
        del sums[key]


def _from_sums(
    incidents: QuerySet[Incident],
    summable: Summable,
    names: list[str],
    perpetrators: bool,
    least_confidence: Sequence[str] | None = None,
) -> tuple[dict[str, dict], dict[int, dict[str, int]]] | None:
    """The breakdowns ``names`` (and the perpetrators' sums) from the precomputed sums: the
    whole months inside the date range from the monthly rows (the days from the daily
    ones), and the incidents outside them (the range's partial months, and those that
    began before it and end in it) from the incidents themselves. None when the sums
    cannot answer (no whole month in the range; no grain for the filter)."""
    bounds = whole_months(summable)
    wanted = [*names, *(["by_perpetrator"] if perpetrators else [])]
    grains = {name: _sum_grain(name, summable) for name in wanted}
    if bounds is False or None in grains.values():
        return None
    lo, hi = bounds
    grouped: dict[str, dict] = {}
    for name in names:
        column = _SUM_KEYS[name]
        grouped[name] = {
            row[column]: _figures(row)
            for row in summed_rows(grains[name], summable, lo, hi)
            .values(column)
            .annotate(**_SUM_FIELDS)
        }
    perpetrator_sums: dict[int, dict[str, int]] = {}
    if perpetrators:
        grain = grains["by_perpetrator"]
        column = "co_actor_id" if grain == 10 else "actor_id"
        perpetrator_sums = {
            row[column]: _figures(row)
            for row in summed_rows(grain, summable, lo, hi, co_confidences=least_confidence)
            .values(column)
            .annotate(**_SUM_FIELDS)
        }
    repeated = repeated_incidents(summable, lo, hi)
    if repeated:
        for times, values in repeated:
            figures = incident_figures(values, times)
            for name in names:
                _take_away(grouped[name], values[_GROUPED[name]], figures)
        if perpetrators:
            # Each co-perpetrator of such an incident (its attributions at the confidences
            # by_perpetrator counts) was given its figures as many times too many.
            co = co_perpetrators((values["id"] for _, values in repeated), least_confidence)
            for times, values in repeated:
                figures = incident_figures(values, times)
                for actor_id, _confidence in co.get(values["id"], ()):
                    _take_away(perpetrator_sums, actor_id, figures)
    outside = Q()
    if lo is not None:
        outside |= Q(date_start__lt=lo)
    if hi is not None:
        outside |= Q(date_start__gte=hi)
    if lo is not None or hi is not None:
        edge = incidents.filter(outside)
        for name, sums in _grouped(edge, names).items():
            for key, figures in sums.items():
                _add(grouped[name].setdefault(key, dict.fromkeys(_FIGURES, 0)), figures)
        if perpetrators:
            for key, figures in _perpetrator_sums(edge, least_confidence).items():
                _add(perpetrator_sums.setdefault(key, dict.fromkeys(_FIGURES, 0)), figures)
    return grouped, perpetrator_sums


def _by_governorate(sums: dict[int | None, dict[str, int]]) -> list[dict[str, Any]]:
    places = {
        p["pk"]: p
        for p in Place.objects.filter(pk__in=[k for k in sums if k is not None]).values(
            "pk", "slug", "name", "name_ar"
        )
    }
    rows = []
    for key, figures in sums.items():
        place = places.get(key) or {"slug": None, "name": None, "name_ar": None}
        rows.append(
            {
                "governorate": place["slug"],
                "name": place["name"],
                "name_ar": place["name_ar"],
                **figures,
            }
        )
    # As the database ordered them: NULL slugs last.
    return sorted(
        rows,
        key=lambda r: (-r["killed_best"], r["governorate"] is None, r["governorate"] or ""),
    )


def _episode_from_sums(episode: Episode) -> EpisodeSummary:
    """The episode's published incidents summed from the precomputed sums."""
    sums = PublishedStatisticsSum.objects.filter(grain=4, episode=episode).aggregate(**_SUM_FIELDS)
    return EpisodeSummary(
        episode=episode,
        incident_count=sums["incidents"] or 0,
        killed_low=sums["killed_low"] or 0,
        killed_best=sums["killed_best"] or 0,
        killed_high=sums["killed_high"] or 0,
        measures=episode_measures(episode=episode),
        killed_high_open=sums["killed_high_open"] or 0,
    )


def _episodes(
    sums: dict[int | None, dict[str, int]], user: User | None, *, from_sums: bool = False
) -> list[dict]:
    episodes = []
    ids = [key for key in sums if key is not None]
    for episode in Episode.objects.filter(pk__in=ids).order_by("date_start", "slug"):
        summary = (
            _episode_from_sums(episode)
            if from_sums
            else episode_summary(episode=episode, user=user)
        )
        episodes.append(
            {
                "episode": episode.slug,
                "title": episode.title,
                "title_ar": episode.title_ar,
                "incidents_in_view": sums[episode.pk],
                "incidents_in_episode": {
                    "incidents": summary.incident_count,
                    "killed_low": summary.killed_low,
                    "killed_best": summary.killed_best,
                    "killed_high": summary.killed_high,
                    "killed_high_open": summary.killed_high_open,
                },
                "reported_aggregates": [
                    {
                        "measure": measure.measure,
                        "measure_ar": measure.measure_ar,
                        "low": measure.reconciled.low,
                        "best": measure.reconciled.best,
                        "high": measure.reconciled.high,
                        "high_open": measure.reconciled.high_open,
                        "claims": len(measure.claims),
                    }
                    for measure in summary.measures
                ],
            }
        )
    return episodes


def incident_statistics(
    *,
    incidents: QuerySet[Incident],
    user: User | None,
    breakdowns: Iterable[str] = BREAKDOWNS,
    summable: Summable | None = None,
    least_confidence: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The totals, the ``breakdowns`` asked for (all by default) and the notes.

    ``summable``: the incidents are the published ones matching that filter, which the
    precomputed sums may answer (the caller vouches for it). ``least_confidence``: the
    attribution confidences that count in ``by_perpetrator`` (the filter
    ``perpetrator_confidence`` chose them); every one when None."""
    wanted = [name for name in BREAKDOWNS if name in set(breakdowns)]
    incidents = incidents.order_by()
    grouped_names = [name for name in wanted if name in _GROUPED]
    # The totals are the sum of any one grouped breakdown (its NULL group included: the
    # incidents with no governorate or no episode); the event types when none is asked.
    if not grouped_names:
        grouped_names = ["by_event_type"]
    perpetrators = "by_perpetrator" in wanted
    summed = (
        _from_sums(incidents, summable, grouped_names, perpetrators, least_confidence)
        if summable is not None
        else None
    )
    if summed is not None:
        grouped, perpetrator_sums = summed
    else:
        grouped = _grouped(incidents, grouped_names)
        perpetrator_sums = _perpetrator_sums(incidents, least_confidence) if perpetrators else {}
    totals = dict.fromkeys(_FIGURES, 0)
    for figures in grouped[grouped_names[0]].values():
        _add(totals, figures)
    answer: dict[str, Any] = {"totals": totals}
    for name in wanted:
        if name == "by_day":
            answer[name] = [{"date": day, **grouped[name][day]} for day in sorted(grouped[name])]
        elif name == "by_governorate":
            answer[name] = _by_governorate(grouped[name])
        elif name == "by_event_type":
            answer[name] = [
                {"event_type": key, **grouped[name][key]} for key in sorted(grouped[name])
            ]
        elif name == "by_perpetrator":
            answer[name] = _by_perpetrator(perpetrator_sums)
        elif name == "episodes":
            # A reader who sees published incidents only gets the episode's incidents from
            # the sums as well.
            answer[name] = _episodes(
                grouped[name],
                user,
                from_sums=summed is not None and not can_see_unpublished(user),
            )
    answer["notes"] = NOTES
    return answer

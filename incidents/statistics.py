"""Counts and casualty sums for any set of incidents, by day, area, perpetrator and type.

Sums of ``killed_low``, ``killed_best`` and ``killed_high`` are sums of each incident's
reconciled range, so the totals are a range too. An incident whose high is open ("at least
7") adds its best to ``killed_high``, and ``killed_high_open`` counts such incidents: when
it is above 0, the total's high is open as well and ``killed_high`` is its floor.

An incident held against two perpetrators counts once for each of them, so the rows
``by_perpetrator`` do not add up to the total; the response says so. Episode aggregates
reported by monitors stand beside the incident sums and are never added to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Count, QuerySet, Sum

from .models import Attribution, Episode, Incident
from .reconciliation import high_or_best, open_highs
from .selectors import User, episode_summary

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


def _figures(row: dict[str, Any]) -> dict[str, int]:
    return {name: row.get(name) or 0 for name in _FIGURES}


def incident_statistics(
    *,
    incidents: QuerySet[Incident],
    user: User | None,
    least_confidence: Sequence[str] | None = None,
) -> dict[str, Any]:
    """``least_confidence``: the attribution confidences that count in ``by_perpetrator``
    (the filter ``perpetrator_confidence`` chose them); every one when None."""
    incidents = incidents.order_by()
    totals = _figures(incidents.aggregate(**_SUMS))
    by_day = [
        {"date": row["date_start"], **_figures(row)}
        for row in incidents.values("date_start").annotate(**_SUMS).order_by("date_start")
    ]
    by_governorate = [
        {
            "governorate": row["governorate__slug"],
            "name": row["governorate__name"],
            "name_ar": row["governorate__name_ar"],
            **_figures(row),
        }
        for row in incidents.values(
            "governorate__slug", "governorate__name", "governorate__name_ar"
        )
        .annotate(**_SUMS)
        .order_by("-killed_best", "governorate__slug")
    ]
    by_event_type = [
        {"event_type": row["event_type"], **_figures(row)}
        for row in incidents.values("event_type").annotate(**_SUMS).order_by("event_type")
    ]
    attributed = Attribution.objects.filter(incident__in=incidents.values("pk")).order_by()
    if least_confidence is not None:
        attributed = attributed.filter(confidence__in=list(least_confidence))
    by_perpetrator = [
        {
            "actor": row["actor__slug"],
            "name": row["actor__name"],
            "name_ar": row["actor__name_ar"],
            **_figures(row),
        }
        for row in attributed.values("actor__slug", "actor__name", "actor__name_ar")
        .annotate(
            incidents=Count("incident_id"),
            killed_low=Sum("incident__killed_low"),
            killed_best=Sum("incident__killed_best"),
            killed_high=Sum(high_or_best("incident__")),
            killed_high_open=open_highs("incident__"),
        )
        .order_by("-killed_best", "actor__slug")
    ]
    episode_ids = incidents.exclude(episode=None).values("episode").distinct()
    episodes = []
    for episode in Episode.objects.filter(pk__in=episode_ids).order_by("date_start", "slug"):
        summary = episode_summary(episode=episode, user=user)
        in_view = _figures(incidents.filter(episode=episode).aggregate(**_SUMS))
        episodes.append(
            {
                "episode": episode.slug,
                "title": episode.title,
                "title_ar": episode.title_ar,
                "incidents_in_view": in_view,
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
    return {
        "totals": totals,
        "by_day": by_day,
        "by_governorate": by_governorate,
        "by_perpetrator": by_perpetrator,
        "by_event_type": by_event_type,
        "episodes": episodes,
        "notes": [
            "Figures are sums of each incident's reconciled range (low, best, high).",
            "killed_high_open counts the incidents whose high is open (no source gives a "
            "ceiling, e.g. 'at least 7'); they add their best to killed_high, so when "
            "killed_high_open is above 0, killed_high is a floor of the high: 'N or more'.",
            "by_day counts an incident on the first day of its date range.",
            "An incident attributed to several perpetrators counts once for each of them, "
            "so by_perpetrator does not add up to the totals.",
            "Episode aggregates reported by monitors are shown beside the incident sums and "
            "never added to them.",
        ],
    }

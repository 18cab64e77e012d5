"""Keeping ``PublishedStatisticsSum`` in step: published incidents summed at the grains the
statistics read, so that the unfiltered public view and the common filters (dates,
governorate, event type) cost a few thousand rows instead of every incident.

Each grain groups on some of an incident's keys: its first day (or that day's month), its
governorate, event type and episode, and (for the perpetrators) the actor of each of its
attributions. Every save or delete of an incident or attribution that may change a sum
recomputes, at each grain, the rows of the keys the incident was in and is in, from the
incidents themselves: however often that runs, the rows cannot drift. Writes that bypass
``save()`` call :func:`rebuild`. Unpublished incidents are never summed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from incidents.models import Attribution, Incident, PublishedStatisticsSum, Status

# grain -> the keys it groups on.
GRAINS: dict[int, tuple[str, ...]] = {
    1: ("day",),
    2: ("day", "governorate", "event_type", "episode"),
    3: ("month", "governorate", "event_type", "episode"),
    4: ("month", "actor"),
    5: ("month", "governorate", "actor"),
    6: ("month", "event_type", "actor"),
}

# An incident's key: (first day, governorate id, event type, episode id).
Key = tuple[date, int | None, str, int | None]

_INPUTS = (
    "status",
    "date_start",
    "governorate_id",
    "event_type",
    "episode_id",
    "killed_low",
    "killed_best",
    "killed_high",
    "killed_high_open",
)


def month_of(day: date) -> date:
    return day.replace(day=1)


def _next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _source(grain: int, prefix: str):
    """The expression each key of a grain is read from (``prefix`` reaches the incident)."""
    return {
        "day": F(f"{prefix}date_start"),
        "month": TruncMonth(f"{prefix}date_start"),
        "governorate": F(f"{prefix}governorate_id"),
        "event_type": F(f"{prefix}event_type"),
        "episode": F(f"{prefix}episode_id"),
        "actor": F("actor_id"),
    }


def _sums(prefix: str) -> dict:
    return {
        "s_high": Sum(Coalesce(f"{prefix}killed_high", f"{prefix}killed_best")),
        "s_open": Count(f"{prefix}pk", filter=Q(**{f"{prefix}killed_high_open": True})),
        "s_incidents": Count(f"{prefix}pk"),
        "s_low": Sum(f"{prefix}killed_low"),
        "s_best": Sum(f"{prefix}killed_best"),
    }


def _rows(grain: int, where: Q, apps=None) -> list[PublishedStatisticsSum]:
    """The grain's rows for the published incidents matching ``where`` (on the incident);
    ``apps``: a migration's models instead of today's."""
    names = GRAINS[grain]
    with_actor = "actor" in names
    prefix = "incident__" if with_actor else ""
    incident_model = apps.get_model("incidents", "Incident") if apps else Incident
    attribution_model = apps.get_model("incidents", "Attribution") if apps else Attribution
    sum_model = apps.get_model("incidents", "PublishedStatisticsSum") if apps else None
    base = (
        attribution_model.objects.filter(incident__status=Status.PUBLISHED)
        if with_actor
        else incident_model.objects.filter(status=Status.PUBLISHED)
    )
    if with_actor:
        where = _prefixed(where, prefix)
    sources = _source(grain, prefix)
    rows = (
        base.filter(where)
        .annotate(**{f"k_{name}": sources[name] for name in names})
        .values(*(f"k_{name}" for name in names))
        .annotate(**_sums(prefix))
        .order_by()
    )
    found = []
    for row in rows:
        keys = {name: row[f"k_{name}"] for name in names}
        if "month" in keys and hasattr(keys["month"], "date"):
            keys["month"] = keys["month"].date()
        found.append(
            (sum_model or PublishedStatisticsSum)(
                grain=grain,
                day=keys.get("day"),
                month=keys.get("month"),
                governorate_id=keys.get("governorate"),
                event_type=keys.get("event_type") or "",
                episode_id=keys.get("episode"),
                actor_id=keys.get("actor"),
                incidents=row["s_incidents"],
                killed_low=row["s_low"] or 0,
                killed_best=row["s_best"] or 0,
                killed_high=row["s_high"] or 0,
                killed_high_open=row["s_open"] or 0,
            )
        )
    return found


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
    for day, governorate, event_type, episode in keys:
        parts = {
            "day": day,
            "month": month_of(day),
            "governorate": governorate,
            "event_type": event_type,
            "episode": episode,
        }
        projected.add(tuple(parts[name] for name in names if name != "actor"))
    kept = [name for name in names if name != "actor"]
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
    # One delete and one insert for all the grains; one aggregate each.
    stale = Q()
    fresh: list[PublishedStatisticsSum] = []
    for grain in GRAINS:
        rows, incidents = _matching(grain, wanted)
        stale |= rows
        fresh.extend(_rows(grain, incidents))
    PublishedStatisticsSum.objects.filter(stale).delete()
    PublishedStatisticsSum.objects.bulk_create(fresh)


@transaction.atomic
def rebuild(apps=None) -> int:
    """Recompute every row from the incidents (after writes that bypass ``save()``);
    ``apps``: a migration's models."""
    model = (
        apps.get_model("incidents", "PublishedStatisticsSum") if apps else PublishedStatisticsSum
    )
    model.objects.all().delete()
    made = 0
    for grain in GRAINS:
        made += len(model.objects.bulk_create(_rows(grain, Q(), apps), 5000))
    return made


def key_of(values: dict | Incident) -> Key | None:
    get = values.get if isinstance(values, dict) else lambda name: getattr(values, name, None)
    if get("date_start") is None:
        return None
    return (get("date_start"), get("governorate_id"), get("event_type"), get("episode_id"))


@receiver(post_save, sender=Incident, dispatch_uid="statistics_sums_on_save")
def _incident_saved(sender, instance: Incident, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    stored = None if kwargs.get("created") else instance.stored_values()
    was_published = (
        False
        if kwargs.get("created")
        else stored is None or stored.get("status", Status.PUBLISHED) == Status.PUBLISHED
    )
    if not was_published and instance.status != Status.PUBLISHED:
        return
    if stored is not None and all(
        name in stored and stored[name] == getattr(instance, name) for name in _INPUTS
    ):
        return
    left = key_of(stored) if stored is not None and "date_start" in stored else None
    if stored is None and not kwargs.get("created"):
        # Where it was is unknown: every row of its month is summed again.
        left = None
    refresh([key_of(instance), left])


@receiver(post_delete, sender=Incident, dispatch_uid="statistics_sums_on_delete")
def _incident_deleted(sender, instance: Incident, **kwargs) -> None:
    refresh([key_of(instance)])


@receiver(post_save, sender=Attribution, dispatch_uid="statistics_sums_attribution_saved")
@receiver(post_delete, sender=Attribution, dispatch_uid="statistics_sums_attribution_deleted")
def _attribution_changed(sender, instance: Attribution, **kwargs) -> None:
    incident = (
        Incident.objects.filter(pk=instance.incident_id)
        .values("status", "date_start", "governorate_id", "event_type", "episode_id")
        .first()
    )
    if incident is None or incident["status"] != Status.PUBLISHED:
        return
    refresh([key_of(incident)])

"""Keeping the tables derived from incidents in step: ``PublishedMapCell`` (published
incidents summed per map cell) and ``IncidentSpan`` (the longest incident).

Every save or delete of an incident refreshes the cell it is in and the cell it left,
unless the save changed nothing a cell sums (an incident unpublished before and after, or
a published one whose status, point and figures stayed: its title, say); refreshing a
cell recomputes it from the incidents, so the table cannot drift however often it is
refreshed. Writes that bypass ``save()`` (bulk loads, raw SQL) call
:func:`rebuild`, which recomputes everything.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connections, router, transaction
from django.db.models import DurationField, ExpressionWrapper, F, Max, Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from incidents.models import Incident, IncidentSpan, PublishedMapCell, Status
from incidents.reconciliation import cell_sums

from . import generation, statsums

Cell = tuple[int, int]
_SPAN_TABLE = IncidentSpan._meta.db_table


def _sum_rows(incidents):
    # An open high adds the incident's best to the cell's high and counts in
    # killed_high_open (see incidents.reconciliation.cell_sums).
    return (
        incidents.filter(status=Status.PUBLISHED, map_cx__isnull=False)
        .values("map_cx", "map_cy")
        .annotate(**cell_sums())
        .order_by()
    )


def _sums(incidents) -> list[PublishedMapCell]:
    return [
        PublishedMapCell(
            cx=row["map_cx"],
            cy=row["map_cy"],
            count=row["count"],
            killed_low=row["killed_low"] or 0,
            killed_best=row["killed_best"] or 0,
            killed_high=row["killed_high"] or 0,
            killed_high_open=row["killed_high_open"] or 0,
            latitude_sum=row["latitude_sum"],
            longitude_sum=row["longitude_sum"],
        )
        for row in _sum_rows(incidents)
    ]


# No savepoint of its own: a failed refresh fails the write that asked for it.
@transaction.atomic(savepoint=False)
def refresh(cells: Iterable[Cell | tuple[None, None]]) -> None:
    wanted = {cell for cell in cells if cell[0] is not None and cell[1] is not None}
    if not wanted:
        return
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        _refresh_in_one_statement(connection, sorted(wanted))
        return
    where = Q()
    for cx, cy in wanted:
        where |= Q(cx=cx, cy=cy)
    PublishedMapCell.objects.filter(where).delete()
    incidents = Q()
    for cx, cy in wanted:
        incidents |= Q(map_cx=cx, map_cy=cy)
    PublishedMapCell.objects.bulk_create(_sums(Incident.objects.filter(incidents)))


_CELL_TABLE = PublishedMapCell._meta.db_table
_CELL_FIGURES = (
    "count",
    "killed_low",
    "killed_best",
    "killed_high",
    "killed_high_open",
    "latitude_sum",
    "longitude_sum",
)


def _refresh_in_one_statement(connection, wanted: list[Cell]) -> None:
    """PostgreSQL: the cells summed again, written over, and those left with no incident
    deleted, in one statement (the same sums as :func:`_sums`, made by the same query)."""
    incidents = Q()
    for cx, cy in wanted:
        incidents |= Q(map_cx=cx, map_cy=cy)
    sums_sql, sums_params = _sum_rows(Incident.objects.filter(incidents)).query.sql_with_params()
    pairs = ", ".join(["(%s, %s)"] * len(wanted))
    zero_when_empty = {"killed_low", "killed_best", "killed_high", "killed_high_open"}
    values = ", ".join(
        f"COALESCE({name}, 0)" if name in zero_when_empty else name for name in _CELL_FIGURES
    )
    updates = ", ".join(f"{name} = excluded.{name}" for name in _CELL_FIGURES)
    # Names are the model's own; the cells and the incidents' filter are parameters.
    sql = (
        f"WITH sums AS ({sums_sql}), "  # noqa: S608
        f"gone AS (DELETE FROM {_CELL_TABLE} WHERE (cx, cy) IN ({pairs}) "
        "AND (cx, cy) NOT IN (SELECT map_cx, map_cy FROM sums)) "
        f"INSERT INTO {_CELL_TABLE} (cx, cy, {', '.join(_CELL_FIGURES)}) "
        f"SELECT map_cx, map_cy, {values} FROM sums "
        f"ON CONFLICT (cx, cy) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*sums_params, *(v for cell in wanted for v in cell)])


def longest_days() -> int:
    # Read by every date filter of every incident read: one plain statement, where the
    # ORM's building of it cost twenty times the lookup.
    connection = connections[router.db_for_read(IncidentSpan)]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT longest_days FROM {_SPAN_TABLE} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
    return row[0] if row is not None else _recompute_span()


def _recompute_span() -> int:
    span = Incident.objects.aggregate(
        longest=Max(
            ExpressionWrapper(F("date_end") - F("date_start"), output_field=DurationField())
        )
    )["longest"]
    longest = span.days if span is not None else 0
    IncidentSpan.objects.update_or_create(pk=1, defaults={"longest_days": longest})
    return longest


def _grow_span(days: int) -> None:
    if not IncidentSpan.objects.filter(pk=1).exists():
        _recompute_span()
    IncidentSpan.objects.filter(pk=1, longest_days__lt=days).update(longest_days=days)


@transaction.atomic
def rebuild() -> int:
    _recompute_span()
    PublishedMapCell.objects.all().delete()
    statsums.rebuild()  # the statistics' sums, derived from the same incidents
    # Whatever the cells were (a bulk write may have left them behind), the map changes now.
    generation.changed()
    return len(PublishedMapCell.objects.bulk_create(_sums(Incident.objects.all()), 5000))


# What a cell's sums read of an incident; a save that changes none of it leaves its cells.
_CELL_INPUTS = (
    "status",
    "map_cx",
    "map_cy",
    "killed_low",
    "killed_best",
    "killed_high",
    "latitude",
    "longitude",
)


def _changed(stored: dict | None, instance: Incident, names: tuple[str, ...]) -> bool:
    if stored is None:
        return True  # a new row, or one not read from the database
    return any(name not in stored or stored[name] != getattr(instance, name) for name in names)


@receiver(post_save, sender=Incident, dispatch_uid="map_cells_on_save")
def _on_save(sender, instance: Incident, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    # The values the row had before this save (the instance remembers what it read).
    stored = instance.stored_values()
    if (
        instance.date_start is not None
        and instance.date_end is not None
        and _changed(stored, instance, ("date_start", "date_end"))
    ):
        _grow_span((instance.date_end - instance.date_start).days)
    if kwargs.get("created"):
        was_published = False
    else:
        was_published = stored is None or stored.get("status", Status.PUBLISHED) == Status.PUBLISHED
    if not was_published and instance.status != Status.PUBLISHED:
        return  # unpublished before and after: no cell counts it
    if not _changed(stored, instance, _CELL_INPUTS):
        return
    left = (None, None) if stored is None else (stored.get("map_cx"), stored.get("map_cy"))
    refresh([(instance.map_cx, instance.map_cy), left])


@receiver(post_delete, sender=Incident, dispatch_uid="map_cells_on_delete")
def _on_delete(sender, instance: Incident, **kwargs) -> None:
    refresh([(instance.map_cx, instance.map_cy)])

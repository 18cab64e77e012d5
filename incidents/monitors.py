"""An episode's monitors' totals as a table: a row per monitor, a column per kind of measure.

Monitors count different things over different days: SNHR's civilians killed by Assad
loyalists over four days is not SOHR's civilians killed from 6 to 8 March. The table puts
each monitor's figures for one kind of measure (all deaths, civilians, security forces,
executions) in one column, so they sit side by side, and says for each column whether two
monitors' figures count the same measure over the same dates (they may be compared) or
not (they may not, and the page says so).

A monitor is who made the count, as the claim records it (``attributed_to``), else the
source's publisher. The breakdown of a total of deaths, civilians or security forces (its
civilians or security forces) is shown in that column too, marked as part of the claim's
own measure. The claims come from the
caller, which has already left out every confidential source's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from .models import EpisodeClaim, MeasureKind

# Breakdown fields that are a column of their own ...
BREAKDOWN_COLUMNS = ("civilians", "security_forces")
# ... shown from the totals they break down (an execution count's civilians are the
# executions again, and a count of other things is not split into these columns).
BREAKDOWN_OF = frozenset({"all_deaths", "civilians", "security_forces"})


@dataclass(frozen=True)
class Entry:
    """One figure in one cell."""

    claim: EpisodeClaim
    kind: str
    # The breakdown value of a claim of another kind; None for the claim's own figure.
    breakdown: int | None = None

    @property
    def measure(self) -> str:
        return self.claim.measure

    @property
    def covers(self) -> tuple[date | None, date | None]:
        return (self.claim.covers_from, self.claim.covers_to)

    @property
    def dated(self) -> bool:
        return self.claim.covers_from is not None and self.claim.covers_to is not None

    @property
    def key(self) -> tuple[str, date | None, date | None]:
        """Two entries count the same thing when their measure and dates are the same."""
        return (self.measure.strip().casefold(), *self.covers)


@dataclass
class Row:
    monitor: str
    cells: dict[str, list[Entry]] = field(default_factory=dict)

    @property
    def width(self) -> int:
        """How many kinds of measure the monitor reports."""
        return sum(1 for entries in self.cells.values() if entries)


@dataclass(frozen=True)
class Comparison:
    """What a column says about its monitors: ``comparable`` lists the groups of monitors
    counting the same measure over the same dates; ``differ`` is True when some monitors'
    figures in it count different things (or undated ones) and cannot be compared."""

    kind: str
    monitors: list[str]
    comparable: list[tuple[str, list[str]]]  # (measure, monitors)
    differ: bool


@dataclass(frozen=True)
class MonitorTable:
    kinds: list[str]  # the columns, in MeasureKind's order, only those with a figure
    rows: list[Row]
    comparisons: list[Comparison]

    def cell(self, row: Row, kind: str) -> list[Entry]:
        return row.cells.get(kind, [])


def monitor_of(claim: EpisodeClaim) -> str:
    return (claim.attributed_to or "").strip() or (claim.source.publisher or "").strip()


def _entries(claim: EpisodeClaim) -> Iterable[Entry]:
    yield Entry(claim=claim, kind=claim.measure_kind)
    if claim.measure_kind not in BREAKDOWN_OF:
        return
    for name in BREAKDOWN_COLUMNS:
        value = getattr(claim, name)
        if value is not None and name != claim.measure_kind:
            yield Entry(claim=claim, kind=name, breakdown=value)


def _compare(kind: str, rows: list[Row]) -> Comparison | None:
    present = [row for row in rows if row.cells.get(kind)]
    if len(present) < 2:
        return None
    by_key: dict[tuple, set[str]] = {}
    measure_of: dict[tuple, str] = {}
    for row in present:
        for entry in row.cells[kind]:
            if entry.dated:
                by_key.setdefault(entry.key, set()).add(row.monitor)
                measure_of.setdefault(entry.key, entry.measure)
    comparable = [
        (measure_of[key], sorted(monitors)) for key, monitors in by_key.items() if len(monitors) > 1
    ]
    # Some figures stand alone: no other monitor counts their measure over their dates.
    shared = {key for key, monitors in by_key.items() if len(monitors) > 1}
    differ = any(
        not entry.dated or entry.key not in shared for row in present for entry in row.cells[kind]
    )
    return Comparison(
        kind=kind,
        monitors=[row.monitor for row in present],
        comparable=comparable,
        differ=differ,
    )


def monitor_table(claims: Iterable[EpisodeClaim], *, unknown: str) -> MonitorTable:
    """The table of ``claims`` (none confidential); ``unknown`` names a monitor nobody named.

    Rows go from the monitor that reports the most kinds of measure to the fewest."""
    rows: dict[str, Row] = {}
    for claim in claims:
        name = monitor_of(claim) or unknown
        row = rows.setdefault(name, Row(monitor=name))
        for entry in _entries(claim):
            row.cells.setdefault(entry.kind, []).append(entry)
    ordered = sorted(rows.values(), key=lambda row: (-row.width, row.monitor.casefold()))
    kinds = [kind for kind in MeasureKind.values if any(row.cells.get(kind) for row in ordered)]
    comparisons = [c for kind in kinds if (c := _compare(kind, ordered)) is not None]
    return MonitorTable(kinds=kinds, rows=ordered, comparisons=comparisons)

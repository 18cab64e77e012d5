"""How an incident's published casualty range is derived from its sources' claims.

The default rule, *range of claims*:

* **low** is the lowest minimum any source claims;
* **high** is the highest figure any source claims (its maximum, or its minimum when it
  gives none: "at least 40" claims 40);
* **best** is the *lower median* of the claims' central figures, where a claim's central
  figure is its single figure, or the midpoint (rounded down) of its range. The lower
  median is always a figure that some source actually gave or implied, it is not pulled
  up by a single outlying claim, and with two conflicting sources it takes the lower
  one: "at least 125" against "at least 134" gives low 125, best 125, high 134.

The *source hierarchy* rule applies the same computation to the claims of the
highest-ranked kind of source only (by default monitor reports, then witness testimony,
news articles, official statements, social media; tunable in
``settings.INCIDENT_MAP["SOURCE_HIERARCHY"]``).

Breakdowns (civilians, children, ...) take the highest figure any of the counted claims
gives, because sources report them as "including N children": a floor, not a total.

Claims without a figure (a source that only reports that the event happened) support the
incident but take no part in the range. These functions are pure: they take figures and
return figures, so the same rule serves incidents and episode aggregates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings

from .models import BREAKDOWN_FIELDS, FigureRule, SourceKind

DEFAULT_SOURCE_HIERARCHY: tuple[str, ...] = (
    SourceKind.MONITOR_REPORT,
    SourceKind.WITNESS_TESTIMONY,
    SourceKind.NEWS_ARTICLE,
    SourceKind.OFFICIAL_STATEMENT,
    SourceKind.SOCIAL_MEDIA,
)


@dataclass(frozen=True)
class ClaimedFigure:
    minimum: int | None
    maximum: int | None = None
    source_kind: str = SourceKind.NEWS_ARTICLE
    breakdown: dict[str, int | None] = field(default_factory=dict)

    @property
    def counts(self) -> bool:
        return self.minimum is not None

    @property
    def top(self) -> int:
        assert self.minimum is not None
        return self.maximum if self.maximum is not None else self.minimum

    @property
    def central(self) -> int:
        assert self.minimum is not None
        return (self.minimum + self.top) // 2


@dataclass(frozen=True)
class Reconciled:
    low: int | None
    best: int | None
    high: int | None
    breakdown: dict[str, int | None]
    claims_counted: int

    @property
    def is_empty(self) -> bool:
        return self.low is None


EMPTY = Reconciled(None, None, None, dict.fromkeys(BREAKDOWN_FIELDS), 0)


def source_hierarchy() -> tuple[str, ...]:
    return tuple(settings.INCIDENT_MAP.get("SOURCE_HIERARCHY", DEFAULT_SOURCE_HIERARCHY))


def range_of_claims(claims: Iterable[ClaimedFigure]) -> Reconciled:
    counted = [claim for claim in claims if claim.counts]
    if not counted:
        return EMPTY
    centrals = sorted(claim.central for claim in counted)
    breakdown: dict[str, int | None] = {}
    for name in BREAKDOWN_FIELDS:
        values = [c.breakdown[name] for c in counted if c.breakdown.get(name) is not None]
        breakdown[name] = max(values) if values else None  # type: ignore[type-var]
    return Reconciled(
        low=min(claim.minimum for claim in counted),  # type: ignore[type-var]
        best=centrals[(len(centrals) - 1) // 2],
        high=max(claim.top for claim in counted),
        breakdown=breakdown,
        claims_counted=len(counted),
    )


def by_source_hierarchy(
    claims: Sequence[ClaimedFigure], hierarchy: Sequence[str] | None = None
) -> Reconciled:
    ranking = list(hierarchy or source_hierarchy())
    counted = [claim for claim in claims if claim.counts]
    if not counted:
        return EMPTY

    def rank(claim: ClaimedFigure) -> int:
        return ranking.index(claim.source_kind) if claim.source_kind in ranking else len(ranking)

    best_rank = min(rank(claim) for claim in counted)
    return range_of_claims(claim for claim in counted if rank(claim) == best_rank)


def reconcile(rule: str, claims: Sequence[ClaimedFigure]) -> Reconciled:
    if rule == FigureRule.RANGE_OF_CLAIMS:
        return range_of_claims(claims)
    if rule == FigureRule.SOURCE_HIERARCHY:
        return by_source_hierarchy(claims)
    raise ValueError(f"Rule {rule!r} is not computed from claims")

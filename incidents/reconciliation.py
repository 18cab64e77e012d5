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
incident but take no part in the range.

Only **public claims** count: a claim of a confidential source takes no part in the range,
since a published range that moved with it would publish its figure ("8" from the only
public claim shown as 8 / 8 / 80). A reviewer may decide that the range counts the
confidential claims too (``Incident.figures_include_confidential``); the public record then
says that it does and how many claims are confidential, never which or what they say.

These functions are pure: they take figures and return figures, so the same rule serves
incidents and episode aggregates (:func:`recompute_public_figures` excepted, a data
migration's helper).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone

from .models import BREAKDOWN_FIELDS, FigureRule, SourceKind, Status

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
    confidential: bool = False

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


def public_claims(
    claims: Iterable[ClaimedFigure], *, include_confidential: bool = False
) -> list[ClaimedFigure]:
    """The claims a published range is computed from (see the module's docstring)."""
    return [claim for claim in claims if include_confidential or not claim.confidential]


def reconcile(
    rule: str, claims: Sequence[ClaimedFigure], *, include_confidential: bool = False
) -> Reconciled:
    """The range by ``rule`` from the public claims (all of them with
    ``include_confidential``, which a reviewer decides for the incident)."""
    claims = public_claims(claims, include_confidential=include_confidential)
    if rule == FigureRule.RANGE_OF_CLAIMS:
        return range_of_claims(claims)
    if rule == FigureRule.SOURCE_HIERARCHY:
        return by_source_hierarchy(claims)
    raise ValueError(f"Rule {rule!r} is not computed from claims")


def recompute_public_figures(apps: Any) -> int:
    """Recompute the figures of every incident whose range a confidential claim could have
    moved, from its public claims, and refresh the map cells they are in.

    For the data migration that introduced public-only ranges; ``apps`` is an app registry
    (a migration's historical one, or ``django.apps.apps``). Figures set by hand stay.
    Returns how many incidents changed.
    """
    incident_model = apps.get_model("incidents", "Incident")
    claim_model = apps.get_model("incidents", "Claim")
    cell_model = apps.get_model("incidents", "PublishedMapCell")
    figure_names = ("killed_low", "killed_best", "killed_high", *BREAKDOWN_FIELDS)
    touched = (
        claim_model.objects.filter(source__confidential=True)
        .exclude(incident__figure_rule=FigureRule.MANUAL)
        .filter(incident__figures_include_confidential=False)
        .values_list("incident_id", flat=True)
        .distinct()
    )
    changed, cells = 0, set()
    for incident in incident_model.objects.filter(pk__in=list(touched)).order_by("pk"):
        claims = [
            ClaimedFigure(
                minimum=row["killed_min"],
                maximum=row["killed_max"],
                source_kind=row["source__kind"],
                breakdown={name: row[name] for name in BREAKDOWN_FIELDS},
                confidential=row["source__confidential"],
            )
            for row in claim_model.objects.filter(incident_id=incident.pk)
            .order_by("id")
            .values(
                "killed_min",
                "killed_max",
                "source__kind",
                "source__confidential",
                *BREAKDOWN_FIELDS,
            )
        ]
        result = reconcile(incident.figure_rule, claims)
        values = {
            "killed_low": result.low,
            "killed_best": result.best,
            "killed_high": result.high,
            **result.breakdown,
        }
        if all(getattr(incident, name) == values[name] for name in figure_names):
            continue
        # The update moves updated_at too, so kept API documents of the incident are stale.
        incident_model.objects.filter(pk=incident.pk).update(updated_at=timezone.now(), **values)
        changed += 1
        if incident.map_cx is not None:
            cells.add((incident.map_cx, incident.map_cy))
    for cx, cy in sorted(cells):
        sums = incident_model.objects.filter(
            status=Status.PUBLISHED, map_cx=cx, map_cy=cy
        ).aggregate(
            count=Count("id"),
            killed_low=Sum("killed_low"),
            killed_best=Sum("killed_best"),
            killed_high=Sum("killed_high"),
            latitude_sum=Sum("latitude"),
            longitude_sum=Sum("longitude"),
        )
        cell_model.objects.filter(cx=cx, cy=cy).delete()
        if sums["count"]:
            cell_model.objects.create(
                cx=cx,
                cy=cy,
                count=sums["count"],
                killed_low=sums["killed_low"] or 0,
                killed_best=sums["killed_best"] or 0,
                killed_high=sums["killed_high"] or 0,
                latitude_sum=sums["latitude_sum"],
                longitude_sum=sums["longitude_sum"],
            )
    return changed

"""How an incident's published casualty range is derived from its sources' claims.

The default rule, *range of claims*:

* **low** is the lowest minimum any source claims;
* **high** is the highest maximum any source claims, or **open** when any counted claim
  has no maximum: "at least 40" sets no ceiling, so no ceiling is published ("40 or
  more"), however high another source's maximum is. The range is the span of what the
  sources claim, and a claim open above spans every higher figure too. An open high is
  ``high=None`` with ``high_open=True``; it is never replaced by the highest minimum;
* **best** is the *lower median* of the claims' central figures, where a claim's central
  figure is its single figure, the midpoint (rounded down) of its range, or **its minimum
  when it gives no maximum**: when only a floor is known, the floor is the one figure the
  source gave, and any figure above it would be one that no source stated. The lower
  median is always a figure that some source actually gave or implied, it is not pulled
  up by a single outlying claim, and with two conflicting sources it takes the lower
  one: "at least 125" against "at least 134" gives low 125, best 125, high open.

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
incidents and episode aggregates (the data migrations' helpers excepted).

Sums over incidents (map cells, map and statistics totals, episodes) add each incident's
high, or its best where the high is open (:func:`high_or_best`), and count the incidents
whose high is open (:func:`open_highs`): when any is, the total's high is open too, and the
sum is its floor ("1,234 or more"), never a ceiling.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
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
    def open_above(self) -> bool:
        """A floor without a ceiling: "at least 40", "more than 100"."""
        return self.minimum is not None and self.maximum is None

    @property
    def central(self) -> int:
        """The claim's own best figure: its single figure, the midpoint (rounded down) of
        its range, or its minimum when it has no maximum."""
        assert self.minimum is not None
        top = self.maximum if self.maximum is not None else self.minimum
        return (self.minimum + top) // 2


@dataclass(frozen=True)
class Reconciled:
    low: int | None
    best: int | None
    high: int | None
    breakdown: dict[str, int | None]
    claims_counted: int
    high_open: bool = False  # no ceiling: ``high`` is then None

    @property
    def is_empty(self) -> bool:
        return self.low is None

    def incident_figures(self) -> dict[str, int | bool | None]:
        """The incident's figure fields (``incidents.fieldspec.FIGURES``) with these values."""
        return {
            "killed_low": self.low,
            "killed_best": self.best,
            "killed_high": self.high,
            "killed_high_open": self.high_open,
            **self.breakdown,
        }


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
    high_open = any(claim.open_above for claim in counted)
    return Reconciled(
        low=min(claim.minimum for claim in counted),  # type: ignore[type-var]
        best=centrals[(len(centrals) - 1) // 2],
        high=None if high_open else max(claim.maximum for claim in counted),  # type: ignore[type-var]
        breakdown=breakdown,
        claims_counted=len(counted),
        high_open=high_open,
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
    claim_model = apps.get_model("incidents", "Claim")
    touched = (
        claim_model.objects.filter(source__confidential=True)
        .exclude(incident__figure_rule=FigureRule.MANUAL)
        .filter(incident__figures_include_confidential=False)
        .values_list("incident_id", flat=True)
        .distinct()
    )
    return _recompute(apps, list(touched))


def recompute_open_bounds(apps: Any) -> int:
    """Recompute the figures of every incident with a claim open above ("at least 7"), whose
    high used to be that claim's minimum and is now open, and refresh the map cells.

    For the data migration that introduced open upper bounds (see :func:`recompute_public_figures`
    for ``apps``). Figures set by hand stay. Returns how many incidents changed.
    """
    claim_model = apps.get_model("incidents", "Claim")
    touched = (
        claim_model.objects.filter(killed_min__isnull=False, killed_max__isnull=True)
        .exclude(incident__figure_rule=FigureRule.MANUAL)
        .values_list("incident_id", flat=True)
        .distinct()
    )
    return _recompute(apps, list(touched))


def _recompute(apps: Any, incident_ids: list[int]) -> int:
    incident_model = apps.get_model("incidents", "Incident")
    claim_model = apps.get_model("incidents", "Claim")
    cell_model = apps.get_model("incidents", "PublishedMapCell")
    # An earlier migration runs this before open highs existed: there a high is the highest
    # figure claimed, as it then was (the next migration recomputes it).
    has_open = any(f.name == "killed_high_open" for f in incident_model._meta.fields)
    figure_names = ("killed_low", "killed_best", "killed_high", *BREAKDOWN_FIELDS)
    if has_open:
        figure_names = (*figure_names, "killed_high_open")
    changed, cells = 0, set()
    for incident in incident_model.objects.filter(pk__in=incident_ids).order_by("pk"):
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
        result = reconcile(
            incident.figure_rule,
            claims,
            include_confidential=incident.figures_include_confidential,
        )
        values = result.incident_figures()
        if not has_open:
            del values["killed_high_open"]
            if result.high_open:
                values["killed_high"] = max(
                    c.maximum if c.maximum is not None else c.minimum
                    for c in public_claims(
                        claims, include_confidential=incident.figures_include_confidential
                    )
                    if c.counts
                )
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
        ).aggregate(**cell_sums(with_open=has_open))
        cell_model.objects.filter(cx=cx, cy=cy).delete()
        if sums["count"]:
            cell_model.objects.create(
                cx=cx,
                cy=cy,
                **{name: value or 0 for name, value in sums.items() if not name.endswith("_sum")},
                latitude_sum=sums["latitude_sum"],
                longitude_sum=sums["longitude_sum"],
            )
    return changed


def high_or_best(prefix: str = "") -> Coalesce:
    """An incident's high, or its best where the high is open: summed over incidents, the
    total's high when no high is open, and a floor of it when some are (say how many with
    :func:`open_highs`). ``prefix`` reaches the incident through a relation."""
    return Coalesce(f"{prefix}killed_high", f"{prefix}killed_best")


def open_highs(prefix: str = "") -> Count:
    """How many of the incidents summed have an open high."""
    return Count(f"{prefix}pk", filter=Q(**{f"{prefix}killed_high_open": True}))


def cell_sums(*, with_open: bool = True) -> dict[str, Any]:
    """A map cell's sums of its published incidents (``PublishedMapCell``'s fields)."""
    # The high's sums first: they read killed_high, killed_best and killed_high_open, which
    # in the same annotate() would otherwise name the sums of those columns already made.
    sums: dict[str, Any] = {"killed_high": Sum(high_or_best())}
    if with_open:
        sums["killed_high_open"] = open_highs()
    sums.update(
        count=Count("id"),
        killed_low=Sum("killed_low"),
        killed_best=Sum("killed_best"),
        latitude_sum=Sum("latitude"),
        longitude_sum=Sum("longitude"),
    )
    return sums

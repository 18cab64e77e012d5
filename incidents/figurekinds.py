"""How a source's way of stating a number becomes a claim's minimum and maximum.

Sources rarely give a plain count. "At least 40", "more than 100", "around 10", "between
30 and 50", "up to 20" and "dozens" each say something different about the dead, and a
claim records each of them the same way wherever it is entered: the article-drafting tool
reads the phrase, the admin's claim form offers a guided entry per kind, and both call
:func:`claim_figure`, so there is one rule for each kind:

- exact       "15 were killed"        → minimum 15, maximum 15
- at least    "at least 40"           → minimum 40, no maximum (the upper bound stays open)
- more than   "more than 100"         → minimum 101, no maximum (the count is above 100)
- around      "around 10"             → minimum 10, maximum 10, approximate
              "about 30 to 50"        → minimum 30, maximum 50, approximate
- range       "between 30 and 50"     → minimum 30, maximum 50
- up to       "up to 20"              → minimum 0, maximum 20
- vague       "dozens", "hundreds"    → no figure: the claim supports the incident but
                                        takes no part in its range

The kind is stored with the claim (``FigureClaim.figure_kind``), so that the record says
how the source put it, not only the numbers it became; a claim entered before kinds
existed, or imported from an outside data set, has none.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class FigureKind(models.TextChoices):
    EXACT = "exact", _("Exact")
    AT_LEAST = "at_least", _("At least")
    MORE_THAN = "more_than", _("More than")
    AROUND = "around", _("Around")
    RANGE = "range", _("Range (between … and …)")
    UP_TO = "up_to", _("Up to")
    VAGUE = "vague", _("Vague (dozens, hundreds)")


# The rule of each kind in words, shown beside the claim form's guided entry.
RULES: dict[str, str] = {
    FigureKind.EXACT: _("“15 were killed”: minimum 15, maximum 15."),
    FigureKind.AT_LEAST: _(
        "“At least 40”: minimum 40, no maximum. The upper bound stays open: "
        "the incident is published as “40 or more”."
    ),
    FigureKind.MORE_THAN: _(
        "“More than 100”: minimum 101 (the count is above 100), no maximum; "
        "the upper bound stays open."
    ),
    FigureKind.AROUND: _(
        "“Around 10”: minimum 10, maximum 10, marked approximate. "
        "“About 30 to 50”: give both figures."
    ),
    FigureKind.RANGE: _("“Between 30 and 50”: minimum 30, maximum 50."),
    FigureKind.UP_TO: _("“Up to 20”: minimum 0, maximum 20."),
    FigureKind.VAGUE: _(
        "“Dozens”, “hundreds”: no figure. The claim supports the incident "
        "but takes no part in its range."
    ),
}

# Kinds whose guided entry takes a second figure (the end of a range).
TAKES_SECOND = frozenset({FigureKind.RANGE, FigureKind.AROUND})


@dataclass(frozen=True)
class ClaimFigure:
    """A claim's figure fields, as the kind's rule sets them."""

    killed_min: int | None
    killed_max: int | None
    approximate: bool

    def as_dict(self) -> dict[str, int | bool | None]:
        return {
            "killed_min": self.killed_min,
            "killed_max": self.killed_max,
            "approximate": self.approximate,
        }


def claim_figure(kind: str, figure: int | None = None, second: int | None = None) -> ClaimFigure:
    """Minimum, maximum and approximate for ``figure`` (and ``second``) stated as ``kind``.

    Raises ``ValidationError`` keyed ``figure`` or ``second`` when the figures do not fit
    the kind (a missing number, a negative one, a range running backwards).
    """
    if kind not in FigureKind.values:
        raise ValidationError(
            {"figure_kind": _("Unknown figure kind “%(kind)s”.") % {"kind": kind}}
        )
    if kind == FigureKind.VAGUE:
        return ClaimFigure(None, None, False)
    if figure is None:
        raise ValidationError({"figure": _("Give the figure the source states.")})
    if figure < 0 or (second is not None and second < 0):
        raise ValidationError({"figure": _("A figure cannot be negative.")})
    if second is not None and kind not in TAKES_SECOND:
        raise ValidationError({"second": _("Only a range takes a second figure.")})
    if kind == FigureKind.EXACT:
        return ClaimFigure(figure, figure, False)
    if kind == FigureKind.AT_LEAST:
        return ClaimFigure(figure, None, False)
    if kind == FigureKind.MORE_THAN:
        return ClaimFigure(figure + 1, None, False)
    if kind == FigureKind.UP_TO:
        return ClaimFigure(0, figure, False)
    if kind == FigureKind.AROUND:
        if second is not None and second < figure:
            raise ValidationError({"second": _("The second figure cannot be below the first.")})
        return ClaimFigure(figure, figure if second is None else second, True)
    # a range
    if second is None:
        raise ValidationError({"second": _("A range needs the figure it runs to.")})
    if second <= figure:
        raise ValidationError(
            {"second": _("A range runs to a higher figure; one figure is an exact count.")}
        )
    return ClaimFigure(figure, second, False)


def entered_figures(
    kind: str, killed_min: int | None, killed_max: int | None
) -> tuple[int | None, int | None]:
    """The figure (and second figure) that :func:`claim_figure` turns into these values:
    what the guided entry shows for a stored claim."""
    if kind == FigureKind.MORE_THAN and killed_min is not None:
        return killed_min - 1, None
    if kind == FigureKind.UP_TO:
        return killed_max, None
    if kind in (FigureKind.AT_LEAST, FigureKind.EXACT):
        return killed_min, None
    if kind in TAKES_SECOND and killed_max is not None and killed_max != killed_min:
        return killed_min, killed_max
    return killed_min, None


def kind_of(killed_min: int | None, killed_max: int | None, approximate: bool) -> str:
    """A kind whose rule gives these values: for a figure made of several (a sentence's
    counts added up), where no single phrase states it. Empty when there is no figure."""
    if killed_min is None:
        return ""
    if killed_max is None:
        return FigureKind.AT_LEAST
    if approximate:
        return FigureKind.AROUND
    if killed_max == killed_min:
        return FigureKind.EXACT
    return FigureKind.RANGE


def fits(kind: str, killed_min: int | None, killed_max: int | None, approximate: bool) -> bool:
    """Whether stored values are what ``kind``'s rule gives (the model's and the database's
    check; a claim without a kind fits anything)."""
    if not kind:
        return True
    if kind == FigureKind.VAGUE:
        return killed_min is None and killed_max is None
    if killed_min is None:
        return False
    if kind in (FigureKind.AT_LEAST, FigureKind.MORE_THAN):
        return killed_max is None
    if killed_max is None:
        return False
    if kind == FigureKind.EXACT:
        return killed_max == killed_min and not approximate
    if kind == FigureKind.AROUND:
        return killed_max >= killed_min and approximate
    if kind == FigureKind.UP_TO:
        return killed_min == 0
    return killed_max > killed_min  # a range


def kind_condition() -> models.Q:
    """:func:`fits` as a database condition, for the claims' check constraint."""
    q = models.Q
    return (
        q(figure_kind="")
        | q(figure_kind=FigureKind.VAGUE, killed_min__isnull=True, killed_max__isnull=True)
        | q(
            figure_kind__in=[FigureKind.AT_LEAST, FigureKind.MORE_THAN],
            killed_min__isnull=False,
            killed_max__isnull=True,
        )
        # Each comparison with its IS NOT NULL: a CHECK whose condition is NULL passes.
        | q(
            figure_kind=FigureKind.EXACT,
            killed_min__isnull=False,
            killed_max__isnull=False,
            killed_max=models.F("killed_min"),
            approximate=False,
        )
        | q(
            figure_kind=FigureKind.AROUND,
            killed_min__isnull=False,
            killed_max__isnull=False,
            killed_max__gte=models.F("killed_min"),
            approximate=True,
        )
        | q(
            figure_kind=FigureKind.UP_TO,
            killed_min__isnull=False,
            killed_min=0,
            killed_max__isnull=False,
        )
        | q(
            figure_kind=FigureKind.RANGE,
            killed_min__isnull=False,
            killed_max__isnull=False,
            killed_max__gt=models.F("killed_min"),
        )
    )

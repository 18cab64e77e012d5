"""The about and methodology page, and the codebook of the exports.

Nothing on these pages that the code or the data can say is typed into a template: the
period and places covered are read from the published records; the event types, grades,
precisions and confidences are the vocabularies the map's filters show
(``incidents.vocabulary``), so a new value appears here without editing the page; the worked
examples of the low / best / high rules are published claims run through the same functions
that reconcile every incident (``incidents.reconciliation``); the codebook's columns are the
exporters' own (``incidents.codebook``).

The examples are chosen among a bounded number of records (the earliest published ones), so
that the page costs the same at a million incidents; it is kept rendered per publication
generation like the other public pages.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Min, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language, gettext

from mapping.models import PRECISION_RADIUS_M

from . import codebook, reconciliation, selectors, vocabulary
from .httpcache import PAGE, public
from .models import EpisodeClaim, FigureRule
from .reconciliation import ClaimedFigure, Reconciled
from .views import _figure_text as figure_text

# How many of the earliest published incidents, and of the public episode claims, the
# worked examples are chosen from.
EXAMPLE_CANDIDATES = 200


def _localized(text: str, text_ar: str) -> str:
    return text_ar if get_language() == "ar" and text_ar else text


@dataclass(frozen=True)
class Term:
    code: str
    label: str
    meaning: str = ""
    count: int | None = None
    note: str = ""


def _terms(labels: dict, meanings: dict | None = None, counts: dict | None = None) -> list[Term]:
    return [
        Term(
            code=code,
            label=str(label),
            meaning=str((meanings or {}).get(code, "")),
            count=(counts or {}).get(code, 0) if counts is not None else None,
        )
        for code, label in labels.items()
    ]


def coverage() -> dict[str, Any]:
    """What the published records cover: how many, their first and last days, the
    governorates they are in, and how many of each event type."""
    published = selectors.incident_queryset(user=None).order_by()
    span = published.aggregate(
        count=Count("pk"), first=Min("date_start"), last=Max("date_end"), updated=Max("updated_at")
    )
    governorates = [
        {"name": _localized(row["governorate__name"], row["governorate__name_ar"]), "count": n}
        for row, n in (
            (row, row["n"])
            for row in published.exclude(governorate=None)
            .values("governorate__name", "governorate__name_ar")
            .annotate(n=Count("pk"))
            .order_by("-n", "governorate__name")
        )
    ]
    by_type = dict(published.values_list("event_type").annotate(n=Count("pk")).order_by())
    return {
        **span,
        "governorates": governorates,
        "event_types": _terms(vocabulary.EVENT_TYPES, counts=by_type),
        "unlocated": published.filter(governorate=None).count(),
    }


@dataclass
class ExampleClaim:
    who: str
    figure: str
    minimum: int | None
    maximum: int | None
    central: int | None


@dataclass
class Example:
    """Claims and the range the reconciliation functions make of them."""

    title: str
    url: str
    claims: list[ExampleClaim]
    result: Reconciled
    centrals: list[int] = field(default_factory=list)
    without_figure: int = 0
    open_claim: str = ""  # how a claim with no ceiling put it

    @property
    def score(self) -> tuple[int, int, int]:
        # Claims that disagree teach most, then an open high, then more claims.
        return (len(set(self.centrals)), int(self.result.high_open), len(self.centrals))


def _example(title: str, url: str, rows: list[Any], who: Any) -> Example:
    figures = [
        ClaimedFigure(minimum=row.killed_min, maximum=row.killed_max, source_kind=row.source.kind)
        for row in rows
    ]
    result = reconciliation.range_of_claims(figures)
    claims = [
        ExampleClaim(
            who=who(row),
            figure=figure_text(row),
            minimum=row.killed_min,
            maximum=row.killed_max,
            central=claimed.central if claimed.counts else None,
        )
        for row, claimed in zip(rows, figures, strict=True)
    ]
    open_rows = [row for row in rows if row.killed_min is not None and row.killed_max is None]
    return Example(
        title=title,
        url=url,
        claims=claims,
        result=result,
        centrals=sorted(c.central for c in figures if c.counts),
        without_figure=sum(1 for c in figures if not c.counts),
        open_claim=figure_text(open_rows[0]) if open_rows else "",
    )


def incident_example() -> Example | None:
    """The published incident, among the earliest, whose claims teach the rules best.

    Only incidents whose range is the range of their public claims qualify (not one set by
    hand, by the source hierarchy, or counting confidential claims), so that the example's
    result is the incident's published range."""
    incidents = (
        selectors.incident_queryset(user=None)
        .filter(figure_rule=FigureRule.RANGE_OF_CLAIMS, figures_include_confidential=False)
        .order_by("date_start", "pk")
        .prefetch_related(
            Prefetch("claims", queryset=selectors.visible_claims(user=None).order_by("id"))
        )[:EXAMPLE_CANDIDATES]
    )
    found: Example | None = None
    for incident in incidents:
        rows = list(incident.claims.all())
        if sum(1 for row in rows if row.killed_min is not None) < 2:
            continue
        example = _example(
            _localized(incident.title, incident.title_ar),
            reverse("incidents:incident-detail", args=[incident.public_id]),
            rows,
            lambda row: row.attributed_to or row.source.publisher or row.source.headline,
        )
        if found is None or example.score > found.score:
            found = example
    return found


def episode_example() -> Example | None:
    """The measure of an episode (a monitor's total, e.g. civilians executed on one day)
    whose public claims teach the rules best."""
    claims = (
        EpisodeClaim.objects.filter(
            episode__in=selectors.episode_queryset(user=None).order_by().values("pk"),
            source__confidential=False,
        )
        .select_related("source", "episode")
        .order_by("episode_id", "measure", "id")[:EXAMPLE_CANDIDATES]
    )
    groups: dict[tuple[int, str], list[EpisodeClaim]] = {}
    for claim in claims:
        groups.setdefault((claim.episode_id, claim.measure), []).append(claim)
    found: Example | None = None
    for rows in groups.values():
        if sum(1 for row in rows if row.killed_min is not None) < 2:
            continue
        episode = rows[0].episode
        example = _example(
            f"{_localized(episode.title, episode.title_ar)}: {rows[0].measure}",
            reverse("incidents:episode-detail", args=[episode.slug]),
            rows,
            lambda row: row.attributed_to or row.source.publisher or row.source.headline,
        )
        if found is None or example.score > found.score:
            found = example
    return found


def _radius_note(code: str) -> str:
    metres = PRECISION_RADIUS_M.get(code, 0)
    if not metres:
        return gettext("drawn as a point")
    if metres < 1000:
        return gettext("drawn as an area about %(n)s m across") % {"n": 2 * metres}
    return gettext("drawn as an area about %(n)s km across") % {"n": 2 * metres // 1000}


def vocabularies() -> dict[str, list[Term]]:
    precisions = _terms(vocabulary.LOCATION_PRECISIONS, vocabulary.LOCATION_PRECISION_MEANINGS)
    return {
        "grades": _terms(vocabulary.GRADES, vocabulary.GRADE_MEANINGS),
        "date_precisions": _terms(vocabulary.DATE_PRECISIONS, vocabulary.DATE_PRECISION_MEANINGS),
        "location_precisions": [
            Term(t.code, t.label, t.meaning, note=_radius_note(t.code)) for t in precisions
        ],
        "confidences": _terms(vocabulary.CONFIDENCES, vocabulary.CONFIDENCE_MEANINGS),
        "figure_rules": _terms(vocabulary.FIGURE_RULES),
        "source_hierarchy": [
            Term(code, vocabulary.label(vocabulary.SOURCE_KINDS, code))
            for code in reconciliation.source_hierarchy()
        ],
        "breakdown": _terms(vocabulary.BREAKDOWN),
    }


@public(PAGE)
def about(request: HttpRequest) -> HttpResponse:
    covered = coverage()
    updated: date | None = covered["updated"].date() if covered["updated"] else None
    site = request.build_absolute_uri(reverse("incidents:home"))
    cite = gettext("Incident map, %(site)s, data as published on %(date)s.") % {
        # The address and the date read left to right inside an Arabic sentence too.
        "site": f"\u2066{site}\u2069",
        "date": f"\u2066{(updated or date.today()).isoformat()}\u2069",
    }
    context = {
        "coverage": covered,
        "vocabularies": vocabularies(),
        # A monitor's total first: sources disagree most there.
        "examples": [episode_example(), incident_example()],
        "contact_email": settings.CONTACT_EMAIL,
        "cite": cite,
    }
    return render(request, "incidents/about.html", context)


@public(PAGE)
def codebook_page(request: HttpRequest) -> HttpResponse:
    return render(request, "incidents/codebook.html", {"columns": codebook.columns()})


@public(PAGE)
def codebook_csv(request: HttpRequest) -> HttpResponse:
    """The codebook as a CSV file, in the reader's language."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["column", "in_csv", "in_geojson", "type", "description", "values"])
    for column in codebook.columns():
        description = column.description
        if column.geojson_description:
            description += " GeoJSON: " + column.geojson_description
        type_label = column.type_label
        if column.geojson_type:
            type_label += f" (GeoJSON: {column.geojson_type_label})"
        writer.writerow(
            [
                column.name,
                "true" if column.in_csv else "false",
                "true" if column.in_geojson else "false",
                type_label,
                description,
                "; ".join(f"{code} = {label}" for code, label in column.values),
            ]
        )
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="codebook.csv"'
    return response

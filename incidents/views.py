"""Public pages: the map (and its embeddable copy), the dashboard, each incident's record,
the episodes and each episode.

Views stay thin: they ask the selectors, which decide what the visitor may see. The public
pages always show published records only, even to a signed-in researcher; drafts live in
the admin. The map page itself holds no data: its JavaScript reads the API (always asking
for ``status=published``) and gets its configuration and interface strings through
``json_script``, so no inline script is needed.
"""

from __future__ import annotations

import functools
import posixpath
import re
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from mapping import country, palette
from mapping.models import PRECISION_RADIUS_M

from . import evidence, monitors, selectors, vocabulary
from .figurekinds import FigureKind
from .httpcache import HOME, PAGE, Policy, public
from .models import BREAKDOWN_FIELDS, Episode, EvidenceFile, Incident

# Interface strings the map's JavaScript needs, translated on the server.
MAP_STRINGS = {
    "incidents": _("incidents"),
    "killed": _("killed"),
    "killedRange": _("Killed (low–best–high)"),
    "killedUnknown": _("no figure reported"),
    # An open upper bound ("at least 7"): never shown as a ceiling.
    "orMore": _("%(n)s or more"),
    "bestIs": _("best %(n)s"),
    "openHighs": _("Incidents with no upper bound"),
    "date": _("Date"),
    "place": _("Place"),
    "perpetrators": _("Perpetrators"),
    "grade": _("Verification"),
    "sources": _("Sources"),
    "openRecord": _("Open the full record"),
    "cell": _("Incidents in this area"),
    "zoomIn": _("Zoom in to see them one by one"),
    "zoomInToList": _("Zoom in or narrow the filters to list incidents one by one."),
    "noIncidents": _("No published incident matches this view."),
    "moreNotListed": _("more in view, not listed; zoom in to see them"),
    "loading": _("Loading…"),
    "loadFailed": _("The map could not load incidents. Try again."),
    "detailsFailed": _("The incident's details could not be loaded. Try again."),
    "none": _("none named"),
    "several": _("Several perpetrators"),
    "unknownPerpetrator": _("No perpetrator named"),
    "preciseLocation": _("Location known precisely"),
    "areaLocation": _(
        "Approximate location (dashed): the dashed circle or governorate outline is the area "
        "it stands for"
    ),
    "areaOnHover": _(
        "Approximate location (dashed): point at it or choose it to see the area it stands for"
    ),
    "cellLegend": _(
        "Many incidents: a circle per area, sized and labelled by the number of incidents"
    ),
    "cellLabelLegend": _("Click a circle to list its incidents (1.2K = 1,200)."),
    "cellCount": _("%(count)s incidents in this area"),
    "cellOnePlace": _("%(count)s incidents at one place"),
    "onePlaceNote": _(
        "All of them are recorded at the same point: zooming in will not separate them. "
        "They are listed below."
    ),
    "zoomInCell": _("Zoom in to this area"),
    "cellNewest": _("Its incidents, newest first"),
    "showMore": _("Show more"),
    "sizeLegend": _("Circle size grows with the number killed (best estimate)"),
    "rangeLegend": _(
        "Killed: low–best–high: the lowest figure a source gives, the best estimate, the highest"
    ),
    "widerThanView": _(
        "Incidents located only to an area wider than this view are listed but not drawn; "
        "zoom out to see their area."
    ),
    "legend": _("Legend"),
    "stacked": _("%(count)s incidents at this point"),
    "stackBack": _("All incidents at this point"),
    "filterRefused": _("The filter “%(name)s” in this address was refused: %(reason)s"),
    "clearFilter": _("Clear this filter"),
    # Chips of the filters that have no field in the form (map/share.js).
    "chips": {"episode": _("Episode: %(name)s")},
    "removeFilter": _("Remove the filter “%(name)s”"),
    "embedTitle": _("Map of published incidents"),
    "copied": _("Embed code copied."),
    "copyFailed": _("The code could not be copied for you: it is selected, copy it yourself."),
    "showOnMap": _("Show on the map:"),
    "closePopup": _("Close"),
    # The link to an incident's page, which shows its id only.
    "recordOf": _("Full record of “%(title)s” (%(id)s)"),
    "areaAround": _("The area around %(point)s"),
    "cellListCount": _("Incidents: %(count)s"),
    "cellListLabel": _("The areas in view with the most incidents"),
    "incidentListLabel": _("Incidents in view, most killed first"),
    # The timeline (map/timeline.js).
    "timelineLoading": _("Loading the timeline…"),
    "timelineFailed": _("The timeline could not load. Change a filter to try again."),
    "timelineEmpty": _("No incident to chart for these filters."),
    "timelineSummary": _(
        "%(total)s %(what)s from %(first)s to %(last)s, counted on the first day of each "
        "incident; the most on %(peak)s: %(peakValue)s."
    ),
    "timelineChosen": _("Press Enter to apply this range, Escape to go back."),
}


def _localized(text: str, text_ar: str) -> str:
    """The Arabic text on the Arabic site where the record has one, else the English."""
    if get_language() == "ar" and text_ar:
        return text_ar
    return text


def _tiles() -> list[dict[str, Any]]:
    """The tile layers of LEAFLET_CONFIG, for the map scripts."""
    return [
        {"name": name, "url": url, "attribution": options.get("attribution", ""), **options}
        for name, url, options in settings.LEAFLET_CONFIG["TILES"]
    ]


def _map_config(choices: selectors.FilterChoices) -> dict[str, Any]:
    leaflet = settings.LEAFLET_CONFIG
    incident_url = reverse("incidents:incident-detail", args=["PUBLIC_ID"])
    center, zoom = country.default_view()
    return {
        "center": list(center),
        "zoom": zoom,
        "minZoom": leaflet["MIN_ZOOM"],
        "maxZoom": leaflet["MAX_ZOOM"],
        "tiles": _tiles(),
        "language": get_language(),
        "api": {
            "map": reverse("api:map"),
            "incident": reverse("api:incident-detail", args=["PUBLIC_ID"]),
            "list": reverse("api:incident-list"),
            "statistics": reverse("api:statistics"),
            "governorates": reverse("api:governorates"),
            "districts": reverse("api:districts"),
            "csv": reverse("api:incident-csv"),
            "geojson": reverse("api:incident-geojson"),
        },
        "incidentUrl": incident_url,
        "maxPoints": settings.INCIDENT_MAP["MAP_MAX_POINTS"],
        "precisionRadius": {str(k): v for k, v in PRECISION_RADIUS_M.items()},
        "labels": {
            "event_type": {k: str(v) for k, v in vocabulary.EVENT_TYPES.items()},
            "grade": {k: str(v) for k, v in vocabulary.GRADES.items()},
            "date_precision": {k: str(v) for k, v in vocabulary.DATE_PRECISIONS.items()},
            "location_precision": {k: str(v) for k, v in vocabulary.LOCATION_PRECISIONS.items()},
            "confidence": {k: str(v) for k, v in vocabulary.CONFIDENCES.items()},
        },
        "actors": {actor.slug: _localized(actor.name, actor.name_ar) for actor in choices.actors},
        "strings": _strings(MAP_STRINGS),
        "feed": reverse("incidents:incident-feed"),
        "embed": reverse("incidents:embed"),
        "home": reverse("incidents:home"),
        "episodes": {
            episode.slug: _localized(episode.name, episode.name_ar) for episode in choices.episodes
        },
        "palette": palette.palette(),
    }


def _strings(strings: dict[str, Any]) -> dict[str, Any]:
    """Lazy translations as text, in the language of the request, at any depth."""
    return {
        key: _strings(value) if isinstance(value, dict) else str(value)
        for key, value in strings.items()
    }


def _governorates(choices: selectors.FilterChoices) -> list[tuple[str, str]]:
    return [(place.slug, _localized(place.name, place.name_ar)) for place in choices.governorates]


# The specifier of each static import of an ES module (``import ... from "./x.js";``).
_IMPORT = re.compile(r"""\bfrom\s*["'](\.{1,2}/[^"']+)["']""")


@functools.cache
def _modules_of(entry: str) -> tuple[str, ...]:
    """The static paths of the ES modules ``entry`` imports, at any depth, in the order
    found. The map page names them all in ``<link rel="modulepreload">``, so the browser
    fetches them at once instead of one level of imports after another."""
    found: list[str] = []
    waiting = [entry]
    while waiting:
        name = waiting.pop(0)
        path = finders.find(name)
        if not path:
            continue
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        for specifier in _IMPORT.findall(text):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(name), specifier))
            if target not in found and target != entry:
                found.append(target)
                waiting.append(target)
    return tuple(found)


def _map_page(request: HttpRequest, *, embed: bool) -> HttpResponse:
    # The filters' choices are kept per publication generation: a view of the map costs
    # no query of its own (the incidents come from the API).
    choices = selectors.filter_choices()
    config = _map_config(choices)
    governorates = _governorates(choices)
    context = {
        "map_config": config,
        "event_types": list(config["labels"]["event_type"].items()),
        "grades": list(config["labels"]["grade"].items()),
        "actors": list(config["actors"].items()),
        "governorates": governorates,
        "embed": embed,
        "modules": _modules_of("mapping/map.js"),
        "embed_url": request.build_absolute_uri(reverse("incidents:embed")),
    }
    return render(request, "incidents/home.html", context)


@public(HOME)
def home(request: HttpRequest) -> HttpResponse:
    return _map_page(request, embed=False)


# The embedded map is not kept rendered (incidents.httpcache's PAGE): its framing headers
# come from the settings on every answer.
EMBED = Policy("embed", stale_while_revalidate=True)


@public(EMBED)
def embed(request: HttpRequest) -> HttpResponse:
    """The map alone, for an <iframe> on another site, with the filters in its address.

    Every other page may be framed by no one (``X-Frame-Options: DENY`` and CSP
    ``frame-ancestors 'none'``); this one by the origins of ``EMBED_ALLOWED_ORIGINS``
    (none by default, any site only where it says ``*``)."""
    response = _map_page(request, embed=True)
    origins = settings.EMBED_ALLOWED_ORIGINS
    if origins:
        response._csp_replace = {"frame-ancestors": list(origins)}  # type: ignore[attr-defined]
        # frame-ancestors says who may; the older header can only say "nobody" or "us".
        response.xframe_options_exempt = True  # type: ignore[attr-defined]
    return response


def _figure_text(claim: Any) -> str:
    if claim.killed_min is None:
        return gettext("no figure")
    # As the source put it, where the claim records how (incidents.figurekinds).
    if claim.killed_max is None:
        if claim.figure_kind == FigureKind.MORE_THAN:
            return gettext("more than %(n)s") % {"n": claim.killed_min - 1}
        return gettext("at least %(n)s") % {"n": claim.killed_min}
    if claim.figure_kind == FigureKind.UP_TO:
        return gettext("up to %(n)s") % {"n": claim.killed_max}
    if claim.killed_max == claim.killed_min:
        if claim.approximate:
            return gettext("about %(n)s") % {"n": claim.killed_min}
        return str(claim.killed_min)
    return f"{claim.killed_min}–{claim.killed_max}"


def _breakdown(row: Any) -> list[tuple[str, int]]:
    return [
        (str(vocabulary.BREAKDOWN[name]), getattr(row, name))
        for name in BREAKDOWN_FIELDS
        if getattr(row, name) is not None
    ]


def _public_files(files: list[EvidenceFile]) -> list[dict[str, Any]]:
    return [
        {
            "url": reverse("incidents:evidence-file", args=[item.token]),
            "type": evidence.type_label(item.blob.content_type),
            "size": evidence.size_text(item.blob.size),
            "sha256": item.blob.sha256,
            "description": item.description,
        }
        for item in files
    ]


@public(PAGE)
def incident_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    # The public page shows the published record to everyone, signed in or not.
    try:
        incident = selectors.incident_get(public_id=public_id, user=None)
    except Incident.DoesNotExist as missing:
        # A record merged into another lives on there: send its readers (and links) on.
        target = selectors.incident_merged_target(public_id=public_id, user=None)
        if target is not None:
            return redirect("incidents:incident-detail", public_id=target, permanent=True)
        raise Http404("No published incident with this id.") from missing
    permalink = request.build_absolute_uri(
        reverse("incidents:incident-detail", args=[incident.public_id])
    )
    visible_claims = list(incident.claims.all())
    files = selectors.public_evidence_by_source(list({c.source_id for c in visible_claims}))
    claims = []
    for claim in visible_claims:
        claims.append(
            {
                "claim": claim,
                # A source cited twice lists its files once, at its first claim.
                "files": _public_files(files.pop(claim.source_id, [])),
                "figure": _figure_text(claim),
                "kind": vocabulary.label(vocabulary.SOURCE_KINDS, claim.source.kind),
                "publisher": claim.source.publisher or gettext("Unknown publisher"),
                "breakdown": _breakdown(claim),
            }
        )
    attributions = [
        {
            "name": _localized(a.actor.name, a.actor.name_ar),
            "confidence": vocabulary.label(vocabulary.CONFIDENCES, a.confidence),
            "confidence_value": a.confidence,
            "note": a.note,
            "parent": _localized(a.actor.parent.name, a.actor.parent.name_ar)
            if a.actor.parent
            else "",
        }
        for a in incident.attributions.all()
    ]
    title = _localized(incident.title, incident.title_ar)
    updated = incident.updated_at.date().isoformat()
    # Ids, dates and the address read left to right inside an Arabic sentence too, and an
    # id or a date is never cut at a hyphen: each is an element of its own.
    cite = mark_safe(  # noqa: S308 - the sentence is escaped here, each part by format_html
        conditional_escape(
            gettext('"%(title)s" (%(id)s), Incident map, record last updated %(updated)s. %(url)s')
        )
        % {
            "title": format_html("<bdi>{}</bdi>", title),
            "id": format_html('<bdi dir="ltr" class="unbroken">{}</bdi>', incident.public_id),
            "updated": format_html('<bdi dir="ltr" class="unbroken">{}</bdi>', updated),
            "url": format_html('<bdi dir="ltr" class="cite-url">{}</bdi>', permalink),
        }
    )
    radius = PRECISION_RADIUS_M.get(incident.location_precision, 0)
    # An incident located only to its governorate or district stands for that area: the
    # small map draws its outline (the circle stays where the outline cannot be had).
    area = {"governorate": incident.governorate, "district": incident.district}.get(
        incident.location_precision
    )
    outline = (
        {"url": reverse(f"api:{incident.location_precision}s"), "slug": area.slug}
        if area is not None
        else None
    )
    context = {
        "incident": incident,
        "title": title,
        "other_title": incident.title if title != incident.title else incident.title_ar,
        "summary": _localized(incident.summary, incident.summary_ar),
        "event_type": vocabulary.label(vocabulary.EVENT_TYPES, incident.event_type),
        "date_precision": vocabulary.label(vocabulary.DATE_PRECISIONS, incident.date_precision),
        "location_precision": vocabulary.label(
            vocabulary.LOCATION_PRECISIONS, incident.location_precision
        ),
        "place": _localized(incident.place.name, incident.place.name_ar) if incident.place else "",
        "governorate": _localized(incident.governorate.name, incident.governorate.name_ar)
        if incident.governorate
        else "",
        "district": _localized(incident.district.name, incident.district.name_ar)
        if incident.district
        else "",
        "episode_title": _localized(incident.episode.title, incident.episode.title_ar)
        if incident.episode
        else "",
        "grade": vocabulary.label(vocabulary.GRADES, incident.grade),
        "figure_rule": vocabulary.label(vocabulary.FIGURE_RULES, incident.figure_rule),
        "breakdown": _breakdown(incident),
        "victim_groups": [
            _localized(group.name, group.name_ar) for group in incident.victim_groups.all()
        ],
        "attributions": attributions,
        "claims": claims,
        "source_count": len({c["claim"].source_id for c in claims}),
        # Said only where a reviewer had the range count them: how many, never which.
        "confidential_claims": selectors.confidential_claim_count(incident=incident)
        if incident.figures_include_confidential
        else 0,
        "permalink": permalink,
        "cite": cite,
        "map_point": {
            "latitude": incident.latitude,
            "longitude": incident.longitude,
            "radius": radius,
            "outline": outline,
            "tiles": _tiles()[:1],
        },
        "area_is_outline": outline is not None,
    }
    return render(request, "incidents/incident_detail.html", context)


@public(PAGE)
def episode_list(request: HttpRequest) -> HttpResponse:
    rows = [
        {
            "row": row,
            "title": _localized(row.episode.title, row.episode.title_ar),
        }
        for row in selectors.episode_list(user=None)
    ]
    return render(request, "incidents/episode_list.html", {"rows": rows})


def _dates_covered(start: Any, end: Any) -> str:
    if start is None or end is None:
        return gettext("dates not stated")
    if start == end:
        return start.isoformat()
    return f"{start.isoformat()} – {end.isoformat()}"


def _monitor_table(claims: list[Any]) -> dict[str, Any]:
    """The table by monitor as the template shows it: every cell with its column's label,
    which a phone shows beside each figure."""
    table = monitors.monitor_table(claims, unknown=gettext("Monitor not named"))
    columns = [
        {"kind": kind, "label": vocabulary.label(vocabulary.MEASURE_KINDS, kind)}
        for kind in table.kinds
    ]
    rows = []
    for row in table.rows:
        cells = []
        for column in columns:
            entries: dict[tuple, dict[str, Any]] = {}
            for entry in table.cell(row, column["kind"]):
                claim = entry.claim
                figure = _figure_text(claim) if entry.breakdown is None else str(entry.breakdown)
                # The same figure of the same monitor, reported by several articles: once,
                # with each of them.
                shown = entries.setdefault(
                    (figure, entry.breakdown is None, entry.key),
                    {
                        "figure": figure,
                        "measure": claim.measure,
                        "breakdown": entry.breakdown is not None,
                        "covers": _dates_covered(claim.covers_from, claim.covers_to),
                        "sources": [],
                    },
                )
                if claim.source not in shown["sources"]:
                    shown["sources"].append(claim.source)
            cells.append(
                {"label": column["label"], "kind": column["kind"], "entries": entries.values()}
            )
        rows.append({"monitor": row.monitor, "cells": cells})
    labels = {c["kind"]: c["label"] for c in columns}
    notes = []
    for comparison in table.comparisons:
        notes.append(
            {
                "kind": comparison.kind,
                "label": labels[comparison.kind],
                "comparable": [
                    {"measure": measure, "monitors": names}
                    for measure, names in comparison.comparable
                ],
                "differ": comparison.differ,
                "monitors": comparison.monitors,
            }
        )
    return {"columns": columns, "rows": rows, "notes": notes}


@public(PAGE)
def episode_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        episode = selectors.episode_get(slug=slug, user=None)
    except Episode.DoesNotExist as missing:
        raise Http404("No such episode.") from missing
    summary = selectors.episode_summary(episode=episode, user=None)
    incidents = (
        selectors.incident_list(user=None)
        .filter(episode=episode)
        .order_by("date_start", "public_id")
    )
    rows = [
        {
            "incident": incident,
            "title": _localized(incident.title, incident.title_ar),
            "event_type": vocabulary.label(vocabulary.EVENT_TYPES, incident.event_type),
            "governorate": _localized(incident.governorate.name, incident.governorate.name_ar)
            if incident.governorate
            else "",
        }
        for incident in incidents
    ]
    measures = [
        {
            "measure": _localized(measure.measure, measure.measure_ar),
            # An English heading on the Arabic page says so, for its reading and direction.
            "measure_lang": "ar" if get_language() == "ar" and measure.measure_ar else "en",
            "reconciled": measure.reconciled,
            "claims": [
                {
                    "claim": claim,
                    "figure": _figure_text(claim),
                    "publisher": claim.source.publisher or gettext("Unknown publisher"),
                }
                for claim in measure.claims
            ],
        }
        for measure in summary.measures
    ]
    context = {
        "episode": episode,
        "title": _localized(episode.title, episode.title_ar),
        "summary_text": _localized(episode.summary, episode.summary_ar),
        "summary": summary,
        "rows": rows,
        "measures": measures,
        "monitor_table": _monitor_table(
            [claim for measure in summary.measures for claim in measure.claims]
        ),
    }
    return render(request, "incidents/episode_detail.html", context)


def evidence_file(request: HttpRequest, token: str) -> HttpResponse:
    """A file a reviewer made public, at its random address. Images come without their
    metadata (no GPS position); a file of a confidential source, or one no longer public,
    is not found, exactly as an address that never existed."""
    try:
        item = selectors.public_evidence_file(token=token)
    except EvidenceFile.DoesNotExist as missing:
        raise Http404("No public file at this address.") from missing
    blob = item.blob
    image = evidence.FILE_TYPES[blob.content_type].image
    if image and not blob.public_copy_name:
        # Marked public before its clean copy existed (never through the services): the
        # original, with its metadata, is never served instead.
        raise Http404("No public file at this address.")
    return evidence.download_response(
        storage_name=blob.public_copy_name if image else blob.storage_name,
        content_type=blob.content_type,
        filename=evidence.public_filename(blob.sha256, blob.content_type),
        inline=image,
        public=True,
    )


# Interface strings of the dashboard's JavaScript, translated on the server.
DASHBOARD_STRINGS = {
    "month": _("Month"),
    "incidents": _("Incidents"),
    "killedLow": _("Killed, low"),
    "killedBest": _("Killed, best estimate"),
    "killedHigh": _("Killed, high"),
    "openHighs": _("Incidents with no upper bound"),
    "orMore": _("%(n)s or more"),
    "other": _("Other"),
    "none": _("not recorded"),
    "all": _("All"),
    "place": _("Place"),
    "within": _("Within"),
    "perpetrator": _("Perpetrator"),
    "total": _("Total"),
    "loading": _("Loading…"),
    "loadFailed": _("The dashboard could not load its figures. Try again."),
    "refused": _("The filter “%(name)s” in this address was refused: %(reason)s"),
    "noData": _("No published incident matches these filters."),
    "bandSummary": _(
        "From %(first)s to %(last)s, %(incidents)s incidents killed between %(low)s and "
        "%(high)s people (best estimate %(best)s); the deadliest month was %(peak)s with "
        "%(peakBest)s killed (best estimate)."
    ),
    "bandOpen": _(
        "%(open)s incidents have no upper bound (a source says “at least”), so the high is a "
        "floor: “or more”."
    ),
    "seriesSummary": _(
        "Of %(incidents)s incidents, %(topCount)s (%(share)s%%) were in “%(top)s”, the "
        "largest group; the busiest month was %(peak)s with %(peakCount)s incidents."
    ),
    "perpetratorSummary": _(
        "%(top)s is named in the most incidents: %(count)s (%(confirmed)s confirmed, "
        "%(probable)s probable, %(alleged)s alleged). An incident with several perpetrators "
        "counts for each."
    ),
    "noPerpetrator": _("No perpetrator is named in these incidents."),
    "placesSummary": _(
        "The place with the most killed is %(top)s: %(best)s killed (best estimate) in "
        "%(incidents)s incidents."
    ),
    "noPlaces": _("None of these incidents has a place recorded."),
    "openMark": _("▲ a month with incidents that have no upper bound"),
}


@public(PAGE)
def dashboard(request: HttpRequest) -> HttpResponse:
    """Charts of the incidents matching the map's filters; the figures come from the API."""
    choices = selectors.filter_choices()
    config = _map_config(choices)
    config["api"]["dashboard"] = reverse("api:dashboard")
    config["api"]["dashboardCsv"] = reverse("api:dashboard-csv", args=["CHART"])
    config["mapUrl"] = reverse("incidents:home")
    config["labels"]["confidence"] = {k: str(v) for k, v in vocabulary.CONFIDENCES.items()}
    config["dashboardStrings"] = {k: str(v) for k, v in DASHBOARD_STRINGS.items()}
    governorates = _governorates(choices)
    context = {
        "map_config": config,
        "event_types": list(config["labels"]["event_type"].items()),
        "grades": list(config["labels"]["grade"].items()),
        "actors": list(config["actors"].items()),
        "governorates": governorates,
        "charts": [
            ("killed-by-month", _("Killed per month: low, best estimate and high")),
            ("event-types", _("Incidents per month by event type")),
            ("governorates", _("Incidents per month by governorate")),
            ("perpetrators", _("Incidents by perpetrator, with the confidence of the attribution")),
            ("places", _("Places with the most killed")),
        ],
    }
    return render(request, "incidents/dashboard.html", context)

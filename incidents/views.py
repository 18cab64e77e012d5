"""Public pages: the map, each incident's record and each episode.

Views stay thin: they ask the selectors, which decide what the visitor may see. The public
pages always show published records only, even to a signed-in researcher; drafts live in
the admin. The map page itself holds no data: its JavaScript reads the API (always asking
for ``status=published``) and gets its configuration and interface strings through
``json_script``, so no inline script is needed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from mapping import country, palette
from mapping.models import PRECISION_RADIUS_M, Place, PlaceKind

from . import evidence, selectors, vocabulary
from .figurekinds import FigureKind
from .httpcache import HOME, PAGE, public
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
    "widerThanView": _(
        "Incidents located only to an area wider than this view are listed but not drawn; "
        "zoom out to see their area."
    ),
    "legend": _("Legend"),
    "stacked": _("%(count)s incidents at this point"),
    "stackBack": _("All incidents at this point"),
    "filterRefused": _("The filter “%(name)s” in this address was refused: %(reason)s"),
    "clearFilter": _("Clear this filter"),
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


def _map_config() -> dict[str, Any]:
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
            "list": reverse("api:incident-list"),
            "statistics": reverse("api:statistics"),
            "governorates": reverse("api:governorates"),
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
        },
        "actors": {
            actor.slug: _localized(actor.name, actor.name_ar) for actor in selectors.public_actors()
        },
        "strings": {k: str(v) for k, v in MAP_STRINGS.items()},
        "palette": palette.palette(),
    }


@public(HOME)
def home(request: HttpRequest) -> HttpResponse:
    config = _map_config()
    governorates = [
        (place.slug, _localized(place.name, place.name_ar))
        for place in Place.objects.filter(kind=PlaceKind.GOVERNORATE).order_by("name")
    ]
    context = {
        "map_config": config,
        "event_types": list(config["labels"]["event_type"].items()),
        "grades": list(config["labels"]["grade"].items()),
        "actors": list(config["actors"].items()),
        "governorates": governorates,
    }
    return render(request, "incidents/home.html", context)


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
            "note": a.note,
            "parent": _localized(a.actor.parent.name, a.actor.parent.name_ar)
            if a.actor.parent
            else "",
        }
        for a in incident.attributions.all()
    ]
    title = _localized(incident.title, incident.title_ar)
    updated = incident.updated_at.date().isoformat()
    cite = gettext(
        '"%(title)s" (%(id)s), Incident map, record last updated %(updated)s. %(url)s'
    ) % {
        # Ids, dates and the address read left to right inside an Arabic sentence too.
        "title": title,
        "id": f"\u2066{incident.public_id}\u2069",
        "updated": f"\u2066{updated}\u2069",
        "url": f"\u2066{permalink}\u2069",
    }
    radius = PRECISION_RADIUS_M.get(incident.location_precision, 0)
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
            "tiles": _tiles()[:1],
        },
    }
    return render(request, "incidents/incident_detail.html", context)


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
            "measure": measure.measure,
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

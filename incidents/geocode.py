"""Geocoding incidents that have a place name and no point.

Each incident with a "place as reported" and no point is looked up in the gazetteer (and,
when configured, the online geocoder first; see ``mapping.geocoding``). A match scoring at
least ``min_score`` sets the point, the location precision of the matched place (so a place
known only roughly stays rough), the place and a location note saying what was matched and
how surely; the governorate and district follow from the point. Writes go through
``incident_update``, so they are validated, versioned and in the history.

``manage.py geocode_incidents`` runs it in the foreground; the admin starts it as a
background job (``incidents.jobs``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError

from mapping import gazetteer
from mapping.geocoding import GeocodeAnswer, geocode
from mapping.models import LocationPrecision

from . import services
from .models import Incident

# "the outskirts of the city of Jableh" -> "Jableh"
_LEADING = re.compile(
    r"^(?:the\s+)?(?:(?:outskirts|countryside|rural\s+areas|village|town|city|neighbou?rhood|"
    r"area|district|governorate|province)\s+of\s+(?:the\s+)?)*"
    r"(?:(?:village|town|city)\s+of\s+)?",
    re.IGNORECASE,
)
_TRAILING = re.compile(r"\s+(?:neighbou?rhood|countryside|village|town|city)$", re.IGNORECASE)
_SEPARATORS = re.compile(r",|;|\s+and\s+|\s+described\s+as\s+|\s+near\s+", re.IGNORECASE)


def name_candidates(place_name: str) -> list[str]:
    """The whole text as reported, then each named part of it, stripped of "the town of"."""
    candidates = [place_name.strip()]
    for part in _SEPARATORS.split(place_name):
        part = _TRAILING.sub("", _LEADING.sub("", part.strip())).strip()
        if len(part) >= 2 and part not in candidates:
            candidates.append(part)
    return candidates


def best_answer(place_name: str, min_score: float) -> GeocodeAnswer | None:
    """The most confident answer for any candidate of the name; None if none is found."""
    best: GeocodeAnswer | None = None
    for candidate in name_candidates(place_name)[:6]:
        if len(candidate) > gazetteer.MAX_QUERY_LENGTH:
            continue
        answer = geocode(candidate, min_score=min_score)
        if answer.found and (best is None or (answer.score or 0) > (best.score or 0)):
            best = answer
        if answer.found and answer.score == gazetteer.EXACT_SCORE:
            break
    return best


@dataclass
class GeocodeResult:
    resolved: int = 0
    unresolved: int = 0
    # Lines a researcher can read: (level, text), level "info" (geocoded), "note" (how the
    # geocoder answered), "warning" (not resolved) or "error" (not saved).
    lines: list[tuple[str, str]] = field(default_factory=list)


def geocode_all(
    *,
    min_score: float = 85.0,
    dry_run: bool = False,
    progress: Callable[..., None] | None = None,
) -> GeocodeResult:
    """Geocode every incident with a place name and no point; ``progress(done)`` after each
    (with ``progress.phase(name, total)`` first when it has one)."""
    result = GeocodeResult()
    incidents = (
        Incident.objects.filter(latitude__isnull=True).exclude(place_name="").order_by("public_id")
    )
    if progress is not None and hasattr(progress, "phase"):
        progress.phase("incidents", incidents.count())
    for done, incident in enumerate(incidents, start=1):
        _geocode_one(incident, min_score, dry_run, result)
        if progress is not None:
            progress(done)
    return result


def _geocode_one(incident: Incident, min_score: float, dry_run: bool, result: GeocodeResult):
    answer = best_answer(incident.place_name, min_score)
    for warning in answer.warnings if answer else ():
        result.lines.append(("note", f"{incident.public_id}: {warning}"))
    if answer is None:
        result.unresolved += 1
        nearest = gazetteer.search(name_candidates(incident.place_name)[-1], limit=3)
        offers = ", ".join(f"{m.place.name} ({m.score:.0f})" for m in nearest.matches)
        result.lines.append(
            (
                "warning",
                f"{incident.public_id} {incident.place_name!r}: not resolved "
                f"(nearest: {offers or 'none'})",
            )
        )
        return
    values = values_for(incident, answer)
    result.resolved += 1
    result.lines.append(
        (
            "info",
            f"{incident.public_id} {incident.place_name!r} -> {answer.location.address} "
            f"({answer.provider}, {answer.match or 'online'}, score "
            f"{answer.score if answer.score is not None else '-'}, precision "
            f"{values['location_precision']})",
        )
    )
    if dry_run:
        return
    try:
        services.incident_update(
            incident=incident,
            user=None,
            expected_version=incident.version,
            reason="Geocoded from the place as reported",
            **values,
        )
    except (ValidationError, PermissionDenied, services.ConcurrentEditError) as error:
        result.resolved -= 1
        result.unresolved += 1
        detail = "; ".join(getattr(error, "messages", [str(error)]))
        result.lines.append(("error", f"{incident.public_id}: not saved: {detail}"))


def values_for(incident: Incident, answer: GeocodeAnswer) -> dict[str, Any]:
    location = answer.location
    note = f"Geocoded from {incident.place_name!r}: {location.address}"
    if answer.place is not None:
        place = answer.place
        note += (
            f" (gazetteer, {answer.match} match, score {answer.score:.0f}; "
            f"{place.get_origin_display()}: {place.origin_note})"
        )
        precision = place.coordinate_precision
    else:
        note += f" ({answer.provider}; position of the settlement it names)"
        precision = LocationPrecision.SETTLEMENT
    values: dict[str, Any] = {
        "latitude": location.latitude,
        "longitude": location.longitude,
        "location_precision": precision,
        "location_note": "\n".join(n for n in [incident.location_note, note] if n),
    }
    if answer.place is not None:
        values["place"] = answer.place
    return values

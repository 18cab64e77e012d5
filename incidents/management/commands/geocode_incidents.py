"""``manage.py geocode_incidents``: give a point to incidents that have only a place name.

Each incident with a "place as reported" and no point is looked up in the gazetteer (and,
when configured, the online geocoder first; see ``mapping.geocoding``). A match scoring at
least ``--min-score`` sets the point, the location precision of the matched place (so a
place known only roughly stays rough), the place and a location note saying what was
matched and how surely; the governorate and district follow from the point. Writes go
through ``incident_update``, so they are validated, versioned and in the history.
``--dry-run`` reports without writing.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError, CommandParser

from incidents import services
from incidents.models import Incident
from incidents.querylog import LongCommand
from mapping import gazetteer
from mapping.geocoding import GeocodeAnswer, geocode
from mapping.models import LocationPrecision

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


class Command(LongCommand):
    help = (
        "Geocode incidents that have a place name but no point; reports what was resolved, "
        "how surely, and what was not."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would be set; change nothing."
        )
        parser.add_argument(
            "--min-score",
            type=float,
            default=85.0,
            help="Lowest match score (0-100) to accept; default 85.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        min_score: float = options["min_score"]
        if not 0 <= min_score <= 100:
            raise CommandError("--min-score must be between 0 and 100.")
        dry_run: bool = options["dry_run"]
        incidents = (
            Incident.objects.filter(latitude__isnull=True)
            .exclude(place_name="")
            .order_by("public_id")
        )
        resolved = unresolved = 0
        for incident in incidents:
            answer = best_answer(incident.place_name, min_score)
            for warning in answer.warnings if answer else ():
                self.stderr.write(f"{incident.public_id}: {warning}")
            if answer is None:
                unresolved += 1
                nearest = gazetteer.search(name_candidates(incident.place_name)[-1], limit=3)
                offers = ", ".join(f"{m.place.name} ({m.score:.0f})" for m in nearest.matches)
                self.stdout.write(
                    self.style.WARNING(
                        f"{incident.public_id} {incident.place_name!r}: not resolved "
                        f"(nearest: {offers or 'none'})"
                    )
                )
                continue
            values = self._values(incident, answer)
            resolved += 1
            self.stdout.write(
                f"{incident.public_id} {incident.place_name!r} -> {answer.location.address} "
                f"({answer.provider}, {answer.match or 'online'}, score "
                f"{answer.score if answer.score is not None else '-'}, precision "
                f"{values['location_precision']})"
            )
            if dry_run:
                continue
            try:
                services.incident_update(
                    incident=incident,
                    user=None,
                    expected_version=incident.version,
                    reason="Geocoded from the place as reported",
                    **values,
                )
            except (ValidationError, PermissionDenied, services.ConcurrentEditError) as error:
                resolved -= 1
                unresolved += 1
                detail = "; ".join(getattr(error, "messages", [str(error)]))
                self.stdout.write(self.style.ERROR(f"{incident.public_id}: not saved: {detail}"))
        verb = "would be geocoded" if dry_run else "geocoded"
        self.stdout.write(
            self.style.SUCCESS(f"{resolved} incident(s) {verb}, {unresolved} not resolved.")
        )

    @staticmethod
    def _values(incident: Incident, answer: GeocodeAnswer) -> dict[str, Any]:
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

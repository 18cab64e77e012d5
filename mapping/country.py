"""The country this map records: one setting (``INCIDENT_MAP["COUNTRY"]``, Syria by default).

The importers keep that country's rows, the gazetteer loader loads files describing it,
and the public map and the admin's point picker open on it. The gazetteer's committed files
(places, governorate boundaries) describe Syria; for another country the importers check
rows by their country column only, and the loader refuses to load Syria's places.
"""

from __future__ import annotations

from django.conf import settings

from .gazetteer_data import COUNTRY as GAZETTEER_COUNTRY

# Where the map opens for a country: (latitude, longitude) of the centre, and the zoom.
VIEWS: dict[str, tuple[tuple[float, float], int]] = {
    "syria": ((35.2, 36.0), 8),
    "lebanon": ((33.9, 35.85), 9),
    "iraq": ((33.2, 43.7), 6),
    "jordan": ((31.2, 36.5), 7),
    "palestine": ((31.9, 35.2), 9),
    "yemen": ((15.6, 47.6), 6),
    "libya": ((27.0, 17.5), 5),
    "sudan": ((15.5, 30.0), 5),
}


def name() -> str:
    """The configured country."""
    return settings.INCIDENT_MAP.get("COUNTRY") or "Syria"


def has_gazetteer() -> bool:
    """Whether the committed gazetteer files describe the configured country."""
    return name().casefold() == GAZETTEER_COUNTRY.casefold()


def default_view() -> tuple[tuple[float, float], int]:
    """The map's opening centre and zoom: the country's, else ``LEAFLET_CONFIG``'s."""
    known = VIEWS.get(name().casefold())
    if known is not None:
        return known
    return tuple(settings.LEAFLET_CONFIG["DEFAULT_CENTER"]), settings.LEAFLET_CONFIG["DEFAULT_ZOOM"]

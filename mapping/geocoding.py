"""Geocoding through geopy: the offline gazetteer as a geopy geocoder, and an online one.

:class:`GazetteerGeocoder` is a ``geopy.geocoders.base.Geocoder`` like any other:
``geocode`` and ``reverse`` return geopy ``Location`` s. Their ``raw`` is a dict holding the
gazetteer's answer: ``place`` (the Place), ``score``, ``match``, ``governorate`` and
``district`` (Places or None).

:func:`geocode` is what the product calls. With ``GEOCODING["PROVIDER"]`` unset (the
default) it asks the gazetteer only, so everything works offline. Set to ``nominatim`` it
asks Nominatim first, through geopy's ``RateLimiter`` (``MIN_DELAY_SECONDS`` apart), with
``TIMEOUT`` and an in-process LRU cache, restricted to Syria; when Nominatim fails, times
out or answers nothing, the gazetteer answers and :attr:`GeocodeAnswer.warnings` says so.
Nothing raises for a provider's failure.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from geopy.exc import GeopyError
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim
from geopy.geocoders.base import Geocoder
from geopy.location import Location
from geopy.point import Point

from . import gazetteer
from .models import Place

logger = logging.getLogger(__name__)


def _address(place: Place) -> str:
    parts = [place.name]
    district = gazetteer.district_of(place)
    if district is not None and district.pk != place.pk:
        parts.append(district.name)
    governorate = place.governorate
    if governorate is not None and governorate.pk != place.pk:
        parts.append(governorate.name)
    parts.append("Syria")
    return ", ".join(parts)


def _location(match: gazetteer.Match) -> Location:
    place = match.place
    raw = {
        "place": place,
        "score": match.score,
        "match": match.match,
        "governorate": place.governorate,
        "district": gazetteer.district_of(place),
    }
    return Location(_address(place), (place.latitude, place.longitude), raw)


class GazetteerGeocoder(Geocoder):
    """The offline gazetteer behind geopy's geocoder interface."""

    def __init__(self, *, min_score: float = gazetteer.FOUND_SCORE, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.min_score = min_score

    def geocode(
        self,
        query: str,
        *,
        exactly_one: bool = True,
        limit: int | None = None,
        governorate: str | None = None,
    ) -> Location | list[Location] | None:
        """The place(s) named ``query`` scoring at least ``min_score``; None if none."""
        result = gazetteer.search(
            query, governorate=governorate, limit=1 if exactly_one else limit or 10
        )
        locations = [_location(m) for m in result.matches if m.score >= self.min_score]
        if not locations:
            return None
        return locations[0] if exactly_one else locations

    def reverse(self, query: Any, *, exactly_one: bool = True) -> Location | list[Location] | None:
        """The district (or governorate) holding a point given as "lat, lon", tuple or Point."""
        point = Point(query)
        areas = gazetteer.reverse(point.latitude, point.longitude)
        area = areas.district or areas.governorate
        if area is None:
            return None
        names = [p.name for p in (areas.district, areas.governorate) if p is not None]
        raw = {
            "place": area,
            "score": 100.0,
            "match": "exact",
            "governorate": areas.governorate,
            "district": areas.district,
        }
        location = Location(", ".join([*names, "Syria"]), (point.latitude, point.longitude), raw)
        return location if exactly_one else [location]


@dataclass
class GeocodeAnswer:
    """What :func:`geocode` found, from which provider, and any warning for the user."""

    query: str
    location: Location | None
    provider: str
    place: Place | None = None
    score: float | None = None
    match: str | None = None
    candidates: list[gazetteer.Match] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.location is not None


class _LRU:
    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[tuple[Any, ...], Location | None] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> tuple[bool, Location | None]:
        with self.lock:
            if key not in self.items:
                return False, None
            self.items.move_to_end(key)
            return True, self.items[key]

    def put(self, key: tuple[Any, ...], value: Location | None) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


_online: dict[tuple[Any, ...], Any] = {}
_cache: dict[int, _LRU] = {}


def _online_geocode(config: dict[str, Any]) -> Any:
    """Nominatim's geocode behind a RateLimiter, one per configuration and process."""
    key = tuple(sorted((k, str(v)) for k, v in config.items()))
    if key not in _online:
        nominatim = Nominatim(
            user_agent=config["USER_AGENT"],
            timeout=config["TIMEOUT"],
            domain=config["DOMAIN"],
            scheme=config["SCHEME"],
        )
        _online[key] = RateLimiter(
            nominatim.geocode,
            min_delay_seconds=config["MIN_DELAY_SECONDS"],
            max_retries=0,
            swallow_exceptions=False,
        )
    return _online[key]


def _cache_for(config: dict[str, Any]) -> _LRU:
    size = int(config.get("CACHE_SIZE", 512))
    return _cache.setdefault(size, _LRU(size))


def clear_cache() -> None:
    for lru in _cache.values():
        with lru.lock:
            lru.items.clear()


def geocode(
    query: str, *, governorate: str | None = None, min_score: float = gazetteer.FOUND_SCORE
) -> GeocodeAnswer:
    """Geocode a place name: online first when configured, the gazetteer always as fallback.

    Raises ``ValueError`` for an empty or over-long query (see ``gazetteer.search``).
    """
    config = settings.GEOCODING
    warnings: list[str] = []
    query = (query or "").strip()
    if config.get("PROVIDER") == "nominatim" and query:
        cache = _cache_for(config)
        key = ("nominatim", config["DOMAIN"], query.casefold(), governorate)
        hit, location = cache.get(key)
        try:
            if not hit:
                location = _online_geocode(config)(query, exactly_one=True, country_codes="sy")
                cache.put(key, location)
        except (GeopyError, OSError, ValueError) as error:
            logger.warning("Online geocoder failed for %r: %s", query, error)
            warnings.append(
                f"The online geocoder (Nominatim) did not answer ({type(error).__name__}); "
                "this answer comes from the offline gazetteer."
            )
        else:
            if location is not None:
                areas = gazetteer.reverse(location.latitude, location.longitude)
                if governorate is None or (
                    areas.governorate is not None and areas.governorate.slug == governorate
                ):
                    return GeocodeAnswer(query=query, location=location, provider="nominatim")
            warnings.append(
                "The online geocoder (Nominatim) found no match in Syria; "
                "this answer comes from the offline gazetteer."
            )

    result = gazetteer.search(query, governorate=governorate, limit=5)
    best = result.matches[0] if result.matches else None
    if best is None or best.score < min_score:
        return GeocodeAnswer(
            query=query,
            location=None,
            provider="gazetteer",
            candidates=result.matches,
            warnings=warnings,
        )
    return GeocodeAnswer(
        query=query,
        location=_location(best),
        provider="gazetteer",
        place=best.place,
        score=best.score,
        match=best.match,
        candidates=result.matches,
        warnings=warnings,
    )

"""The gazetteer: find a Syrian place by any spelling, and say which areas hold a point.

:func:`search` answers a place name typed the way an article spells it (al-Mukhtariya,
Mukhtariyya, المختارية) with ranked :class:`Match` es, each with a score from 0 to 100 and
how it matched:

``exact``       a name or alternate name, ignoring case (score 100);
``normalized``  the same name once transliteration differences are set aside (see
                ``mapping.names``): 95 on the norm key, 88 on the consonant skeleton;
``fuzzy``       the closest names by edit similarity (rapidfuzz), scored below 90.

Results rank by score, then the more specific place (a village before its district, a
city before its governorate), then the more populous. :attr:`SearchResult.found` is False
when no match reaches :data:`FOUND_SCORE`; the matches are then only the nearest candidates
and must not be taken as the answer.

:func:`reverse` gives the governorate holding a point (its boundary) and the district
(the nearest district seat within that governorate).

The index is built from the Place table on first use and kept in the process. Saving or
deleting a Place through the ORM clears it (signals, see ``mapping.apps``); the loader
clears it after its bulk writes; and it is rebuilt when the table's size or newest row
changes, checked at most every :data:`RECHECK_SECONDS`, for writes made by other processes.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from rapidfuzz import fuzz, process

from .gazetteer_data import EXTRACT_FILE, GOVERNORATE_ALIASES
from .geo import distance_km, governorate_slug_at
from .models import Place, PlaceKind
from .names import exact_key, norm_key, skeleton_key

FOUND_SCORE = 80.0
EXACT_SCORE = 100.0
NORMALIZED_SCORE = 95.0
SKELETON_SCORE = 88.0
FUZZY_CEILING = 89.0
FUZZY_FLOOR = 50.0
RECHECK_SECONDS = 2.0
MAX_QUERY_LENGTH = 200

# Lower ranks first among equal scores: the most specific kind of place.
_SPECIFICITY = {
    PlaceKind.NEIGHBOURHOOD: 0,
    PlaceKind.VILLAGE: 1,
    PlaceKind.TOWN: 1,
    PlaceKind.CITY: 1,
    PlaceKind.SUBDISTRICT: 2,
    PlaceKind.DISTRICT: 3,
    PlaceKind.GOVERNORATE: 4,
    PlaceKind.COUNTRY: 5,
}


def _area_dict(place: Place | None) -> dict[str, Any] | None:
    if place is None:
        return None
    return {"id": place.pk, "slug": place.slug, "name": place.name, "name_ar": place.name_ar}


def district_of(place: Place) -> Place | None:
    """The district a place lies in (itself, if it is one)."""
    current: Place | None = place
    while current is not None:
        if current.kind == PlaceKind.DISTRICT:
            return current
        current = current.parent
    return None


@dataclass(frozen=True)
class Match:
    """One candidate place for a query, with how sure the gazetteer is of it."""

    place: Place
    score: float
    match: str  # "exact" | "normalized" | "fuzzy"
    matched_name: str = ""

    def as_dict(self) -> dict[str, Any]:
        place = self.place
        return {
            "id": place.pk,
            "slug": place.slug,
            "name": place.name,
            "name_ar": place.name_ar,
            "alternate_names": list(place.alternate_names),
            "kind": place.kind,
            "latitude": place.latitude,
            "longitude": place.longitude,
            "coordinate_precision": place.coordinate_precision,
            "governorate": _area_dict(place.governorate),
            "district": _area_dict(district_of(place)),
            "score": round(self.score, 1),
            "match": self.match,
        }


@dataclass(frozen=True)
class SearchResult:
    """The answer to a query: ranked matches, and whether the best one is trustworthy."""

    query: str
    matches: list[Match] = field(default_factory=list)
    found: bool = False

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.found and self.matches else None


@dataclass(frozen=True)
class AdminAreas:
    """The governorate and district holding a point (None outside Syria)."""

    governorate: Place | None
    district: Place | None


class _Index:
    """Every place's keys, in dictionaries for the exact tiers and a list for the fuzzy one."""

    def __init__(self, places: list[Place]) -> None:
        self.places = {p.pk: p for p in places}
        self.by_slug = {p.slug: p for p in places}
        for place in places:  # parents from memory, so .governorate runs no query
            if place.parent_id is not None and place.parent_id in self.places:
                place.parent = self.places[place.parent_id]
        self.exact: dict[str, set[int]] = {}
        self.norm: dict[str, set[int]] = {}
        self.skeleton: dict[str, set[int]] = {}
        self.names: dict[tuple[int, str], str] = {}
        for place in places:
            for name in self._names(place):
                for table, key in (
                    (self.exact, exact_key(name)),
                    (self.norm, norm_key(name)),
                    (self.skeleton, skeleton_key(name)),
                ):
                    if key:
                        table.setdefault(key, set()).add(place.pk)
                        self.names.setdefault((place.pk, key), name)
        self.fuzzy_keys = list(self.norm)
        self.districts: dict[int, list[Place]] = {}
        self.children: dict[int, list[int]] = {}
        for place in places:
            if place.parent_id is not None:
                self.children.setdefault(place.parent_id, []).append(place.pk)
            if place.kind == PlaceKind.DISTRICT and place.parent_id is not None:
                self.districts.setdefault(place.parent_id, []).append(place)
        # Each place's names once transliteration is set aside, for the substring search.
        self.name_keys: list[tuple[int, str]] = [
            (pk, key) for (pk, key) in self.names if key in self.norm
        ]

    def within(self, roots: set[int]) -> set[int]:
        """``roots`` and every place inside them, at any depth."""
        found = set(roots)
        frontier = list(roots)
        while frontier:
            for child in self.children.get(frontier.pop(), ()):
                if child not in found:
                    found.add(child)
                    frontier.append(child)
        return found

    @staticmethod
    def _names(place: Place) -> list[str]:
        names = [place.name, place.name_ar, *(place.alternate_names or [])]
        return [n for n in names if isinstance(n, str) and n.strip()]


_lock = threading.Lock()
_index: _Index | None = None
_fingerprint: tuple[int, int] | None = None
_checked_at = 0.0


def _table_fingerprint() -> tuple[int, int]:
    return (
        Place.objects.count(),
        Place.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
    )


def invalidate(**_: Any) -> None:
    """Forget the index; the next search rebuilds it (also a signal receiver)."""
    global _index, _fingerprint
    with _lock:
        _index = None
        _fingerprint = None


def _get_index() -> _Index:
    global _index, _fingerprint, _checked_at
    now = time.monotonic()
    if _index is not None and now - _checked_at < RECHECK_SECONDS:
        return _index
    fingerprint = _table_fingerprint()
    with _lock:
        if _index is None or fingerprint != _fingerprint:
            _index = _Index(list(Place.objects.all()))
            _fingerprint = fingerprint
        _checked_at = now
        return _index


def _rank(match: Match) -> tuple[float, int, int, str]:
    place = match.place
    return (-match.score, _SPECIFICITY.get(place.kind, 9), -(place.population or 0), place.slug)


def search(query: str, *, governorate: str | None = None, limit: int = 10) -> SearchResult:
    """Find places named like ``query``, best first.

    ``governorate`` (a governorate Place slug) keeps only places in that governorate.
    ``limit`` caps the number of matches (1 to 50). The result's ``found`` is False when
    nothing matches with a score of at least :data:`FOUND_SCORE`; its matches are then the
    nearest candidates. Raises ``ValueError`` for an empty or over-long query or a bad limit.
    """
    query = (query or "").strip()
    if not query:
        raise ValueError("Type a place name to search for.")
    if len(query) > MAX_QUERY_LENGTH:
        raise ValueError(f"A place name has at most {MAX_QUERY_LENGTH} characters.")
    if not 1 <= limit <= 50:
        raise ValueError("limit must be between 1 and 50.")
    index = _get_index()

    def allowed(pk: int) -> bool:
        if governorate is None:
            return True
        area = index.places[pk].governorate
        return area is not None and area.slug == governorate

    scored: dict[int, Match] = {}

    def offer(pk: int, score: float, how: str, key: str) -> None:
        if allowed(pk) and (pk not in scored or scored[pk].score < score):
            name = index.names.get((pk, key), "")
            scored[pk] = Match(place=index.places[pk], score=score, match=how, matched_name=name)

    for pk in index.exact.get(exact_key(query), ()):
        offer(pk, EXACT_SCORE, "exact", exact_key(query))
    q_norm = norm_key(query)
    for pk in index.norm.get(q_norm, ()):
        offer(pk, NORMALIZED_SCORE, "normalized", q_norm)
    q_skeleton = skeleton_key(query)
    for pk in index.skeleton.get(q_skeleton, ()) if q_skeleton else ():
        offer(pk, SKELETON_SCORE, "normalized", q_skeleton)

    if q_norm and len(scored) < limit:
        for key, similarity, _ in process.extract(
            q_norm, index.fuzzy_keys, scorer=fuzz.ratio, limit=max(limit * 3, 20)
        ):
            score = similarity * FUZZY_CEILING / 100
            if score < FUZZY_FLOOR and scored:
                break
            for pk in index.norm[key]:
                offer(pk, score, "fuzzy", key)

    matches = sorted(scored.values(), key=_rank)[:limit]
    found = bool(matches) and matches[0].score >= FOUND_SCORE
    return SearchResult(query=query, matches=matches, found=found)


def places_meant(text: str) -> set[int]:
    """The places a text search for ``text`` means, by key.

    A place one of whose names or alternate spellings (English or Arabic) is ``text`` once
    case and transliteration are set aside ("Banias", "Baniyas" and "بانياس" are one
    place), with every place inside it (a governorate's towns); and, for three characters or
    more, places a name of which contains ``text`` in that same form ("Mukht").
    """
    query = (text or "").strip()
    if not query or len(query) > MAX_QUERY_LENGTH:
        return set()
    index = _get_index()
    named: set[int] = set(index.exact.get(exact_key(query), ()))
    q_norm = norm_key(query)
    named |= index.norm.get(q_norm, set())
    q_skeleton = skeleton_key(query)
    if q_skeleton:
        named |= index.skeleton.get(q_skeleton, set())
    found = index.within(named)
    if len(q_norm) >= 3:
        found |= {pk for pk, key in index.name_keys if q_norm in key}
    return found


def reverse(latitude: float, longitude: float) -> AdminAreas:
    """The governorate (by its boundary) and district (nearest seat in it) of a point."""
    latitude, longitude = float(latitude), float(longitude)
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValueError("Latitude must be in [-90, 90] and longitude in [-180, 180].")
    slug = governorate_slug_at(latitude, longitude)
    if slug is None:
        return AdminAreas(governorate=None, district=None)
    index = _get_index()
    governorate = index.by_slug.get(slug)
    if governorate is None:
        return AdminAreas(governorate=None, district=None)
    districts = index.districts.get(governorate.pk, [])
    district = min(
        districts,
        key=lambda d: distance_km(latitude, longitude, d.latitude, d.longitude),
        default=None,
    )
    return AdminAreas(governorate=governorate, district=district)


def place(slug: str) -> Place | None:
    """A place of the index by slug (no query once the index is built)."""
    return _get_index().by_slug.get(slug)


@cache
def _governorate_keys() -> dict[str, str]:
    keys: dict[str, str] = {}
    extract = json.loads(EXTRACT_FILE.read_text(encoding="utf-8"))
    for governorate in extract["governorates"]:
        for name in [governorate["name"], *governorate.get("alternate_names", [])]:
            keys.setdefault(norm_key(name), governorate["slug"])
    for slug, names in GOVERNORATE_ALIASES.items():
        for name in names:
            keys[norm_key(name)] = slug
    keys.pop("", None)
    return keys


@lru_cache(maxsize=1024)
def governorate_slug_named(name: str) -> str | None:
    """The slug of the governorate a data set names ("Idleb", "Rural Damascus", "Hamah
    governorate", ACLED's older "Dara" and newer "Daraa"); None when no governorate is named
    so. No database: the committed files and the aliases of the event data sets."""
    return _governorate_keys().get(norm_key(name or ""))


def district_in(governorate_slug: str, latitude: float, longitude: float) -> Place | None:
    """The district of a governorate whose seat is nearest the point."""
    index = _get_index()
    governorate = index.by_slug.get(governorate_slug)
    if governorate is None:
        return None
    return min(
        index.districts.get(governorate.pk, []),
        key=lambda d: distance_km(latitude, longitude, d.latitude, d.longitude),
        default=None,
    )

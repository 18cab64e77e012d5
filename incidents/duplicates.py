"""Finding incidents that are likely the same event, for a researcher to merge or dismiss.

Imports from ACLED, UCDP and articles bring the same event in more than once, each time a
little differently: a point a few kilometres off, a date a day later, 40 killed in one and
38 in the other. Two incidents look alike when they are

- **near each other**: the distance between their points, on the scale of what their
  location precisions stand for (two points that stand for a settlement may lie 4 km apart
  and still name one place, two exact points hardly); agreement between vague positions
  counts for less than between precise ones, and the same gazetteer place or district
  stands in for a missing point;
- **close in time**: overlapping date ranges (widened by their date precision), or a day
  or two apart, reports often dating an event by the day they came out;
- **alike in what they say**: similar killed figures, the same or a related event type, and
  similar titles;
- **by the same actors**: when both name who was responsible, the same actors (matched
  across the data sets' spellings: "Military Forces of Syria (2000-2024)" and "Government
  of Syria", "Islamic State (Syria)" and "IS", "SDF: Syrian Democratic Forces" and "SDF");
  a pair whose actors all differ is not the same event, however alike the rest.

Place, time, event type and actors multiply (each is needed); figures and titles support
them. Two incidents imported from one curated data set (two ACLED events, two GED events)
are never a pair: such a data set lists an event once, under one id, and its neighbouring
rows are neighbouring events (a day of shelling in one town is several rows). Pairs are
looked for across data sets, and between a data set's rows and the researchers' own
incidents. The
score runs from 0 to 1 and each pair carries readable reasons ("1.2 km apart", "dates
overlap", "killed 40 vs 38"). Candidates are found through indexed prefilters (a date
window and a latitude/longitude box), never by reading every incident: one incident at a
time with :func:`find_candidates`, a batch (after an import) with :func:`flag_duplicates`,
and the whole database with :func:`flag_all`, which streams incidents in date order and
compares each only with those in its date window and neighbouring grid cells.

Pairs are stored as ``DuplicateCandidate`` rows; merged or retracted incidents are never
candidates, and a pair a researcher dismissed (or merged) is never proposed again.
"""

from __future__ import annotations

import heapq
import math
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q
from rapidfuzz import fuzz

from mapping.geo import distance_km
from mapping.models import PRECISION_RADIUS_M, LocationPrecision

from .models import (
    Attribution,
    DatePrecision,
    DuplicateCandidate,
    DuplicateStatus,
    EventType,
    ExternalRecord,
    Incident,
    Status,
)
from .readmodel import mapcells

# Below this score a pair is not worth a researcher's time.
MIN_SCORE = 0.7
# Distance counts on the scale of what the two positions stand for: the sum of their
# precisions' radii (at least MIN_SCALE_KM), beyond a small allowance for every pair.
# Closeness falls from 1 to 0.5 at one scale away and ends at REACH_SCALES scales.
BASE_TOLERANCE_KM = 0.5
MIN_SCALE_KM = 1.0
REACH_SCALES = 2.0
# Radii are taken at most at a district's: a vaguer position is compared as if it were
# one (with little certainty, below).
MAX_RADIUS_KM = PRECISION_RADIUS_M[LocationPrecision.DISTRICT] / 1000
# Dates further apart than this (after the precision allowance) are different events.
MAX_GAP_DAYS = 3

# How much agreement in position is worth, by the vaguer precision of the two.
LOCATION_CERTAINTY = {
    LocationPrecision.EXACT: 1.0,
    LocationPrecision.NEIGHBOURHOOD: 1.0,
    LocationPrecision.SETTLEMENT: 1.0,
    LocationPrecision.SUBDISTRICT: 0.9,
    LocationPrecision.DISTRICT: 0.8,
    LocationPrecision.GOVERNORATE: 0.5,
    LocationPrecision.COUNTRY: 0.2,
}
# Days a date of each precision may be off by.
DATE_SLACK_DAYS = {
    DatePrecision.DAY: 0,
    DatePrecision.DAYS: 1,
    DatePrecision.WEEK: 3,
    DatePrecision.MONTH: 15,
}
MAX_SLACK_DAYS = max(DATE_SLACK_DAYS.values())
# Event types that different sources use for one event.
RELATED_TYPES = [
    {EventType.SUMMARY_EXECUTION, EventType.MASSACRE, EventType.ATTACK_ON_CIVILIANS},
    {EventType.SHELLING, EventType.AIRSTRIKE},
    {EventType.AMBUSH, EventType.ARMED_CLASH, EventType.SECURITY_OPERATION},
]
# What figures, titles and actors weigh against each other when known.
FIGURE_WEIGHT = 0.6
TITLE_WEIGHT = 0.4
ACTOR_WEIGHT = 0.5

TYPE_LABELS = {value: str(label).lower() for value, label in EventType.choices}
# The vaguer precision of a pair, found by its radius.
_PRECISION_BY_RADIUS = {
    PRECISION_RADIUS_M[precision] / 1000: precision for precision in LocationPrecision.values
}

EXCLUDED_STATUSES = (Status.MERGED, Status.RETRACTED)
FIELDS = (
    "id",
    "public_id",
    "title",
    "event_type",
    "date_start",
    "date_end",
    "date_precision",
    "latitude",
    "longitude",
    "location_precision",
    "place_id",
    "place__name",
    "district_id",
    "governorate_id",
    "killed_low",
    "killed_best",
    "killed_high",
)
KM_PER_DEGREE = 111.2


@dataclass(slots=True)
class Record:
    """What the comparison needs of an incident (read with ``values_list``, no models)."""

    id: int
    public_id: str
    title: str
    event_type: str
    date_start: date
    date_end: date
    date_precision: str
    latitude: float | None
    longitude: float | None
    location_precision: str
    place_id: int | None
    place_name: str | None
    district_id: int | None
    governorate_id: int | None
    killed_low: int | None
    killed_best: int | None
    killed_high: int | None
    # Derived once: the range widened by the date precision (as day ordinals) and the
    # radius the location precision stands for.
    lo: int = field(init=False)
    hi: int = field(init=False)
    radius_km: float = field(init=False)
    # The curated data sets the incident was imported from, and who is held responsible
    # (names with their match keys): filled by :func:`records`.
    datasets: frozenset[str] = frozenset()
    actors: tuple[tuple[str, frozenset[str]], ...] = ()

    def __post_init__(self) -> None:
        slack = DATE_SLACK_DAYS.get(self.date_precision, 0)
        self.lo = self.date_start.toordinal() - slack
        self.hi = self.date_end.toordinal() + slack
        self.radius_km = PRECISION_RADIUS_M.get(self.location_precision, 0) / 1000

    @classmethod
    def of(cls, incident: Incident) -> Record:
        record = cls(
            *(getattr(incident, name) for name in FIELDS[:11]),
            incident.place.name if incident.place_id else None,
            *(getattr(incident, name) for name in FIELDS[12:]),
        )
        if incident.pk is not None:
            _annotate([record])
        return record

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@dataclass(frozen=True)
class Match:
    """How alike two incidents are, and why."""

    first_id: int
    second_id: int
    score: float
    reasons: list[str] = field(default_factory=list)
    distance_km: float | None = None


def records(incidents) -> Iterator[Record]:
    """Records of a queryset of incidents, read as plain values, with their data sets and
    actors (two more queries per thousand incidents)."""
    batch: list[Record] = []
    for row in incidents.values_list(*FIELDS):
        batch.append(Record(*row))
        if len(batch) == 900:
            yield from _annotate(batch)
            batch = []
    yield from _annotate(batch)


def _annotate(batch: list[Record]) -> list[Record]:
    if not batch:
        return batch
    by_id = {record.id: record for record in batch}
    datasets: dict[int, set[str]] = defaultdict(set)
    for incident_id, dataset in ExternalRecord.objects.filter(
        incident_id__in=list(by_id)
    ).values_list("incident_id", "dataset"):
        datasets[incident_id].add(dataset)
    actors: dict[int, list[tuple[str, frozenset[str]]]] = defaultdict(list)
    for incident_id, name, kind in Attribution.objects.filter(
        incident_id__in=list(by_id)
    ).values_list("incident_id", "actor__name", "actor__kind"):
        actors[incident_id].append((name, actor_keys(name, kind)))
    for pk, record in by_id.items():
        record.datasets = frozenset(datasets.get(pk, ()))
        record.actors = tuple(sorted(actors.get(pk, ())))
    return batch


_STATE = re.compile(r"\b(?:forces|government|army|navy|air force) of (?:the )?([a-z][a-z' -]*)")
_BRACKETS = re.compile(r"\([^)]*\)")
_WORDS = re.compile(r"[a-z0-9]+")
_MINOR_WORDS = frozenset({"of", "the", "and", "for", "al", "el", "in"})


def actor_keys(name: str, kind: str = "") -> frozenset[str]:
    """Keys under which one actor's names in different data sets agree: the name without
    its brackets, each side of ACLED's "Acronym: Full name", the initials of a long name,
    and for state forces the state ("Military Forces of Syria (2000-2024)", "Government of
    Syria" and "Police Forces of Syria" all stand for the Syrian state)."""
    lowered = name.casefold()
    keys: set[str] = set()
    if (state := _STATE.search(lowered)) is not None and (
        kind == "state_forces" or lowered.startswith("government of")
    ):
        keys.add("state:" + " ".join(state.group(1).split()))
    for part in _BRACKETS.sub(" ", lowered).split(":"):
        words = _WORDS.findall(part)
        if not words:
            continue
        keys.add(" ".join(words))
        initials = "".join(word[0] for word in words if word not in _MINOR_WORDS)
        if len(initials) >= 2 and len(words) >= 2:
            keys.add(initials)
    return frozenset(keys)


# --- scoring ---------------------------------------------------------------------------------


def _km(value: float) -> str:
    return f"{value:.1f} km" if value < 10 else f"{value:.0f} km"


def _location_score(a: Record, b: Record) -> tuple[float, float | None]:
    """How near the two are (0 to 1), and their distance in km when both have a point."""
    vaguer = max(a.radius_km, b.radius_km)
    certainty = LOCATION_CERTAINTY[_PRECISION_BY_RADIUS[vaguer]]
    if a.has_point and b.has_point:
        distance = distance_km(a.latitude, a.longitude, b.latitude, b.longitude)  # type: ignore[arg-type]
        ratio = max(0.0, distance - BASE_TOLERANCE_KM) / _scale_km(a, b)
        closeness = 0.0 if ratio > REACH_SCALES else 1 / (1 + ratio * ratio)
        return closeness * certainty, distance
    # Without two points: the gazetteer place, else the admin areas.
    if a.place_id is not None and a.place_id == b.place_id:
        return 0.9 * max(certainty, 0.65), None
    if a.district_id is not None and a.district_id == b.district_id:
        return 0.5, None
    if a.governorate_id is not None and a.governorate_id == b.governorate_id:
        return 0.25, None
    return 0.0, None


def _location_reasons(a: Record, b: Record, distance: float | None) -> list[str]:
    reasons = []
    if distance is not None:
        inside = distance - BASE_TOLERANCE_KM <= _scale_km(a, b)
        within = " (within their location precision)" if distance > 1 and inside else ""
        reasons.append(f"{_km(distance)} apart{within}")
    if a.place_id is not None and a.place_id == b.place_id:
        reasons.append(f"same place: {a.place_name}" if a.place_name else "same place")
    elif distance is None:
        if a.district_id is not None and a.district_id == b.district_id:
            reasons.append("same district, no point to compare")
        elif a.governorate_id is not None and a.governorate_id == b.governorate_id:
            reasons.append("same governorate, no point to compare")
    return reasons


def _scale_km(a: Record, b: Record) -> float:
    return max(MIN_SCALE_KM, min(a.radius_km, MAX_RADIUS_KM) + min(b.radius_km, MAX_RADIUS_KM))


def _pair_reach_km(a: Record, b: Record) -> float:
    """Beyond this distance the two are never near (closeness 0)."""
    return BASE_TOLERANCE_KM + REACH_SCALES * _scale_km(a, b)


def _gap_days(a: Record, b: Record) -> int:
    """Days between the two ranges, each widened by its date precision (0: they overlap)."""
    return max(0, b.lo - a.hi, a.lo - b.hi)


DATE_GAP_SCORE = {1: 0.85, 2: 0.6, 3: 0.35}


def _dates_score(a: Record, b: Record) -> tuple[float, int]:
    gap = _gap_days(a, b)
    if gap > MAX_GAP_DAYS:
        return 0.0, gap
    if gap == 0:
        # A month-long range overlaps much; its overlap says less than a single day's.
        longest = max((a.date_end - a.date_start).days, (b.date_end - b.date_start).days)
        return (1.0 if longest <= 3 else 0.85 if longest <= 10 else 0.7), gap
    return DATE_GAP_SCORE[gap], gap


def _date_reasons(a: Record, b: Record, gap: int) -> list[str]:
    if gap == 0:
        same = a.date_start == b.date_start and a.date_end == b.date_end
        return ["same dates" if same else "dates overlap"]
    return [f"{gap} day{'s' if gap > 1 else ''} apart"]


def _figures(a: Record, b: Record) -> tuple[float | None, float, list[str]]:
    """Similarity of the killed figures, and how much it says: 1 vs 1 agree by chance far
    more often than 40 vs 38."""
    if a.killed_best is None or b.killed_best is None:
        return None, 0.0, []
    text = f"killed {a.killed_best} vs {b.killed_best}"
    low, high = sorted((a.killed_best, b.killed_best))
    weight = min(1.0, (high + 1) / 8)
    overlap = (
        a.killed_low is not None
        and b.killed_low is not None
        # An open high ("at least 7", stored as no high) has no ceiling to fall below.
        and (b.killed_high is None or a.killed_low <= b.killed_high)
        and (a.killed_high is None or b.killed_low <= a.killed_high)
    )
    if overlap:
        return 1.0, weight, [f"{text} (ranges overlap)" if low != high else text]
    return (low + 1) / (high + 1), weight, [text]


# Data sets whose event type says which kind of conflict, not how the violence was done
# (the GED's state-based, non-state, one-sided): an airstrike may be any of them.
COARSE_TYPE_DATASETS = frozenset({"ucdp"})


def _type_score(a: Record, b: Record) -> float:
    if a.event_type == b.event_type:
        return 1.0
    if any(a.event_type in group and b.event_type in group for group in RELATED_TYPES):
        return 0.8
    if (a.datasets | b.datasets) & COARSE_TYPE_DATASETS:
        return 0.8
    return 0.5


def _type_reasons(a: Record, b: Record) -> list[str]:
    if a.event_type == b.event_type:
        return [f"both {TYPE_LABELS.get(a.event_type, a.event_type)}"]
    labels = " and ".join(TYPE_LABELS.get(t, t) for t in sorted((a.event_type, b.event_type)))
    if _type_score(a, b) > 0.5:
        return [f"related types: {labels}"]
    return [f"different types: {labels}"]


def _title(a: Record, b: Record) -> tuple[float | None, list[str]]:
    if not a.title or not b.title:
        return None, []
    similarity = fuzz.token_set_ratio(a.title.lower(), b.title.lower()) / 100
    return similarity, (["similar titles"] if similarity >= 0.8 else [])


def _same_actor(a: frozenset[str], b: frozenset[str]) -> bool:
    return not a.isdisjoint(b)


def _actors(a: Record, b: Record) -> tuple[float | None, list[str]]:
    """How many of the actors named by the one with fewer are named by the other (0 to 1);
    None when either names none."""
    if not a.actors or not b.actors:
        return None, []
    fewer, more = (a, b) if len(a.actors) <= len(b.actors) else (b, a)
    shared = [
        name
        for name, keys in fewer.actors
        if any(_same_actor(keys, other) for _, other in more.actors)
    ]
    similarity = len(shared) / len(fewer.actors)
    if shared:
        return similarity, [f"same actors: {', '.join(shared)}"]
    names = " vs ".join(", ".join(name for name, _ in record.actors[:3]) for record in (a, b))
    return similarity, [f"different actors: {names}"]


# A pair whose actors all differ keeps this share of its score (a pair of otherwise perfect
# agreement then falls below MIN_SCORE); one whose actors all agree keeps all of it.
DIFFERENT_ACTORS_FACTOR = 0.6


def same_dataset(a: Record, b: Record) -> str:
    """The curated data set both incidents come from ("" when none): never a pair."""
    shared = a.datasets & b.datasets
    return min(shared) if shared else ""


def _core(a: Record, b: Record) -> tuple[float, float | None, int]:
    """Place × time × event type: the most a pair can score (support only lowers it)."""
    location, distance = _location_score(a, b)
    dates, gap = _dates_score(a, b)
    return location * dates * _type_score(a, b), distance, gap


def score_pair(a: Record, b: Record, *, min_score: float = 0.0) -> Match:
    """How alike two incidents are, from 0 to 1, with the reasons (pair stored lower id
    first). Place, time and event type multiply (each is needed); figures and titles
    support them. A pair that cannot reach ``min_score`` is returned at once, without
    reasons."""
    first, second = (a, b) if a.id < b.id else (b, a)
    if dataset := same_dataset(first, second):
        # One curated data set lists one event once: two of its ids are two events.
        return Match(first.id, second.id, 0.0, [f"both from the {dataset} data set"], None)
    core, distance, gap = _core(first, second)
    if core < min_score or (core == 0 and min_score > 0):
        return Match(first.id, second.id, 0.0, [], distance)
    reasons = [
        *_location_reasons(first, second, distance),
        *(_date_reasons(first, second, gap) if gap <= MAX_GAP_DAYS else [f"{gap} days apart"]),
        *_type_reasons(first, second),
    ]
    if core == 0:
        return Match(first.id, second.id, 0.0, reasons, distance)
    actors, actor_reasons = _actors(first, second)
    if actors is not None:
        core *= DIFFERENT_ACTORS_FACTOR + (1 - DIFFERENT_ACTORS_FACTOR) * actors
        reasons.extend(actor_reasons)
        if core < min_score:
            return Match(first.id, second.id, 0.0, reasons, distance)
    figures, figure_weight, figure_reasons = _figures(first, second)
    title, title_reasons = _title(first, second)
    reasons.extend(figure_reasons + title_reasons)
    weighted = total = 0.0
    if figures is not None:
        weighted += FIGURE_WEIGHT * figure_weight * figures
        total += FIGURE_WEIGHT * figure_weight
    if title is not None:
        weighted += TITLE_WEIGHT * title
        total += TITLE_WEIGHT
    if actors is not None:
        weighted += ACTOR_WEIGHT * actors
        total += ACTOR_WEIGHT
    support = weighted / total if total else 0.5
    score = round(min(1.0, core * (0.5 + 0.5 * support)), 3)
    return Match(first.id, second.id, score, reasons, distance)


# --- finding candidates ----------------------------------------------------------------------


def _eligible():
    return Incident.objects.exclude(status__in=EXCLUDED_STATUSES)


def _reach_days(record: Record) -> int:
    """How far (in days) from its range another incident may lie and still match."""
    return DATE_SLACK_DAYS.get(record.date_precision, 0) + MAX_SLACK_DAYS + MAX_GAP_DAYS


# Most positions are a settlement or finer: they get a small box of their own, and only
# the few vaguer ones are looked for in the wide box their precision needs.
FINE_PRECISIONS = [
    precision
    for precision, radius in PRECISION_RADIUS_M.items()
    if radius <= PRECISION_RADIUS_M[LocationPrecision.SETTLEMENT]
]
_FINE_RADIUS_KM = PRECISION_RADIUS_M[LocationPrecision.SETTLEMENT] / 1000


def _reach_km(record: Record, other_radius_km: float = MAX_RADIUS_KM) -> float:
    """How far another incident (of at most this radius) may be and still be near."""
    scale = max(MIN_SCALE_KM, min(record.radius_km, MAX_RADIUS_KM) + other_radius_km)
    return BASE_TOLERANCE_KM + REACH_SCALES * scale + 0.1


def _box(record: Record, other_radius_km: float = MAX_RADIUS_KM) -> tuple[float, float]:
    """Half the size, in degrees of latitude and longitude, of the box to look in."""
    reach = _reach_km(record, other_radius_km)
    cos = max(0.05, math.cos(math.radians(record.latitude or 0.0)))
    return reach / KM_PER_DEGREE, reach / (KM_PER_DEGREE * cos)


def _in_box(record: Record, other_radius_km: float) -> Q:
    dlat, dlon = _box(record, other_radius_km)
    lat, lon = record.latitude, record.longitude
    return Q(
        latitude__range=(lat - dlat, lat + dlat),  # type: ignore[operator]
        longitude__range=(lon - dlon, lon + dlon),  # type: ignore[operator]
    )


def _neighbourhood(record: Record) -> Q:
    """Where the other incident must be: in the box around the point (small for precise
    positions, wide for vague ones), or at the same gazetteer place; without a point, in
    the same district or place."""
    near = Q(place_id=record.place_id) if record.place_id is not None else Q(pk__in=[])
    if record.has_point:
        near |= Q(location_precision__in=FINE_PRECISIONS) & _in_box(record, _FINE_RADIUS_KM)
        near |= ~Q(location_precision__in=FINE_PRECISIONS) & _in_box(record, MAX_RADIUS_KM)
        if record.district_id is not None:
            near |= Q(latitude__isnull=True, district_id=record.district_id)
    elif record.district_id is not None:
        near |= Q(district_id=record.district_id)
    return near


def find_candidates(
    incident: Incident | Record, *, min_score: float = MIN_SCORE, longest_days: int | None = None
) -> list[Match]:
    """Incidents that may be the same event as ``incident``, best first.

    One query, through the date index (a window around the incident's dates; the longest
    incident bounds how early a matching one can start) and the point box. Merged and
    retracted incidents are left out.
    """

    record = incident if isinstance(incident, Record) else Record.of(incident)
    longest = mapcells.longest_days() if longest_days is None else longest_days
    reach = _reach_days(record)
    window = _eligible().filter(
        date_start__lte=record.date_end + timedelta(days=reach),
        date_start__gte=record.date_start - timedelta(days=reach + longest),
        date_end__gte=record.date_start - timedelta(days=reach),
    )
    matches = []
    for other in records(window.filter(_neighbourhood(record)).exclude(pk=record.id)):
        match = score_pair(record, other, min_score=min_score)
        if match.score >= min_score:
            matches.append(match)
    matches.sort(key=lambda m: -m.score)
    return matches


@dataclass
class FlagResult:
    compared: int = 0
    created: int = 0
    updated: int = 0
    removed: int = 0
    seconds: float = 0.0

    @property
    def flagged(self) -> int:
        return self.created + self.updated


@transaction.atomic
def _store(
    found: dict[tuple[int, int], Match], scope: Iterable[int] | None, result: FlagResult
) -> None:
    """Write the matches as open candidates; pairs decided before are left alone; open
    candidates of incidents in ``scope`` (None: all) that no longer match are removed."""
    existing: dict[tuple[int, int], DuplicateCandidate] = {}
    keys = list(found)
    for start in range(0, len(keys), 400):
        chunk = keys[start : start + 400]
        firsts = {first for first, _ in chunk}
        seconds = {second for _, second in chunk}
        for candidate in DuplicateCandidate.objects.filter(
            first_id__in=firsts, second_id__in=seconds
        ):
            existing[(candidate.first_id, candidate.second_id)] = candidate
    new, changed = [], []
    for key, match in found.items():
        candidate = existing.get(key)
        if candidate is None:
            new.append(
                DuplicateCandidate(
                    first_id=key[0], second_id=key[1], score=match.score, reasons=match.reasons
                )
            )
        elif candidate.status == DuplicateStatus.OPEN and (
            candidate.score != match.score or candidate.reasons != match.reasons
        ):
            candidate.score, candidate.reasons = match.score, match.reasons
            changed.append(candidate)
    # Another flagging (a merge, an import) may store the same pair meanwhile: keep theirs.
    DuplicateCandidate.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    DuplicateCandidate.objects.bulk_update(changed, ["score", "reasons"], batch_size=1000)
    result.created += len(new)
    result.updated += len(changed)

    stale = DuplicateCandidate.objects.filter(status=DuplicateStatus.OPEN)
    if scope is not None:
        ids = list(scope)
        stale_ids = []
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            stale_ids.extend(
                stale.filter(Q(first_id__in=chunk) | Q(second_id__in=chunk)).values_list(
                    "pk", "first_id", "second_id"
                )
            )
    else:
        stale_ids = list(stale.values_list("pk", "first_id", "second_id"))
    gone = [pk for pk, first, second in stale_ids if (first, second) not in found]
    for start in range(0, len(gone), 500):
        result.removed += DuplicateCandidate.objects.filter(
            pk__in=gone[start : start + 500]
        ).delete()[0]


def flag_duplicates(incident_ids: Iterable[int], *, min_score: float = MIN_SCORE) -> int:
    """Compare these incidents with all others and keep open candidates for the pairs that
    look alike; returns how many open candidates they now have (new or updated).

    Called by importers after an import, and safe to repeat: a pair already flagged is
    updated, a pair a researcher dismissed or merged is left alone, and open candidates of
    these incidents that no longer reach ``min_score`` are removed. Merged and retracted
    incidents are never flagged.
    """

    ids = sorted({int(pk) for pk in incident_ids})
    result = FlagResult()
    started = time.perf_counter()
    longest = mapcells.longest_days()
    batch: list[Record] = []
    for start in range(0, len(ids), 500):
        batch.extend(records(_eligible().filter(pk__in=ids[start : start + 500])))
    result.compared = len(batch)
    found: dict[tuple[int, int], Match] = {}
    if len(batch) >= BATCH_PASS_MIN:
        # Many incidents (an import): one pass over the dates they span beats a query each.
        spans = [
            (
                r.date_start - timedelta(days=_reach_days(r) + longest),
                r.date_end + timedelta(days=_reach_days(r)),
            )
            for r in batch
        ]
        found = find_all(min_score=min_score, focus={r.id for r in batch}, spans=spans)
    else:
        for record in batch:
            for match in find_candidates(record, min_score=min_score, longest_days=longest):
                found[(match.first_id, match.second_id)] = match
    _store(found, ids, result)
    result.seconds = time.perf_counter() - started
    return result.flagged


def _merged_spans(spans: list[tuple[date, date]], most: int = 50) -> list[tuple[date, date]]:
    merged: list[tuple[date, date]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    if len(merged) > most:  # a long OR costs more than reading the gaps between
        return [(merged[0][0], max(end for _, end in merged))]
    return merged


# --- the whole database ----------------------------------------------------------------------

CELL_DEGREES = 0.25
# From this many incidents on, flag_duplicates makes one pass over their dates.
BATCH_PASS_MIN = 100


class _Window:
    """Incidents whose dates can still match the next ones, indexed by grid cell, place and
    district. Incidents arrive in order of their widened start (``lo``); one leaves once its
    widened end is more than ``MAX_GAP_DAYS`` before the latest start, as it cannot match
    that incident nor any later one."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], dict[int, Record]] = defaultdict(dict)
        self.places: dict[int, dict[int, Record]] = defaultdict(dict)
        self.districts: dict[int, dict[int, Record]] = defaultdict(dict)
        self.expiry: list[tuple[int, int, Record]] = []

    @staticmethod
    def cell(latitude: float, longitude: float) -> tuple[int, int]:
        return math.floor(latitude / CELL_DEGREES), math.floor(longitude / CELL_DEGREES)

    def _indexes(self, record: Record) -> Iterator[dict[int, Record]]:
        if record.has_point:
            yield self.cells[self.cell(record.latitude, record.longitude)]  # type: ignore[arg-type]
        if record.place_id is not None:
            yield self.places[record.place_id]
        if record.district_id is not None:
            yield self.districts[record.district_id]

    def add(self, record: Record) -> None:
        for index in self._indexes(record):
            index[record.id] = record
        heapq.heappush(self.expiry, (record.hi, record.id, record))

    def drop_before(self, day: int) -> None:
        while self.expiry and self.expiry[0][0] < day:
            _, _, record = heapq.heappop(self.expiry)
            for index in self._indexes(record):
                index.pop(record.id, None)

    def near(self, record: Record) -> Iterator[Record]:
        """Incidents of the window within reach of this one in time and space."""
        seen: set[int] = set()
        lo, hi = record.lo, record.hi
        if record.has_point:
            lat, lon = record.latitude, record.longitude
            dlat, dlon = _box(record)
            y0, x0 = self.cell(lat - dlat, lon - dlon)  # type: ignore[operator]
            y1, x1 = self.cell(lat + dlat, lon + dlon)  # type: ignore[operator]
            scale = math.cos(math.radians(lat))  # type: ignore[arg-type]
            for y in range(y0, y1 + 1):
                for x in range(x0, x1 + 1):
                    for other in self.cells.get((y, x), {}).values():
                        if other.lo - hi > MAX_GAP_DAYS or lo - other.hi > MAX_GAP_DAYS:
                            continue
                        dy = (other.latitude - lat) * KM_PER_DEGREE  # type: ignore[operator]
                        dx = (other.longitude - lon) * KM_PER_DEGREE * scale  # type: ignore[operator]
                        reach = _pair_reach_km(record, other) + 0.5  # flat-earth margin
                        if dx * dx + dy * dy <= reach * reach:
                            seen.add(other.id)
                            yield other
        # Where a point is missing: the same gazetteer place, or the same district.
        areas = []
        if record.place_id is not None:
            areas.append(self.places.get(record.place_id, {}))
        if record.district_id is not None:
            areas.append(self.districts.get(record.district_id, {}))
        for area in areas:
            for other in area.values():
                if other.id in seen or (record.has_point and other.has_point):
                    continue
                if other.lo - hi > MAX_GAP_DAYS or lo - other.hi > MAX_GAP_DAYS:
                    continue
                seen.add(other.id)
                yield other


def find_all(
    *,
    since: date | None = None,
    min_score: float = MIN_SCORE,
    result: FlagResult | None = None,
    focus: set[int] | None = None,
    spans: list[tuple[date, date]] | None = None,
) -> dict[tuple[int, int], Match]:
    """Every pair of incidents (dated on or after ``since``, with their neighbours) that
    looks alike, by one pass over the incidents in date order.

    With ``focus``, only pairs with at least one of these incidents, reading only the
    incidents that overlap ``spans`` (date ranges that must hold every focus incident's
    reach)."""

    result = result if result is not None else FlagResult()
    incidents = _eligible().order_by("date_start", "id")
    if since is not None:
        reach = mapcells.longest_days() + MAX_SLACK_DAYS * 2 + MAX_GAP_DAYS
        incidents = incidents.filter(date_end__gte=since - timedelta(days=reach))
        since_day = since.toordinal()
    if spans:
        where = Q(pk__in=[])
        for start, end in _merged_spans(spans):
            where |= Q(date_end__gte=start, date_start__lte=end)
        incidents = incidents.filter(where)
    window = _Window()
    # With a focus, incidents outside it are compared with the focus incidents only.
    focus_window = _Window() if focus is not None else window
    found: dict[tuple[int, int], Match] = {}
    for record in _by_widened_start(_stream(incidents)):
        inside = focus is None or record.id in focus
        if focus is None:
            result.compared += 1
        window.drop_before(record.lo - MAX_GAP_DAYS)
        if focus_window is not window:
            focus_window.drop_before(record.lo - MAX_GAP_DAYS)
        for other in (window if inside else focus_window).near(record):
            if since is not None and max(record.date_end, other.date_end).toordinal() < since_day:
                continue
            match = score_pair(record, other, min_score=min_score)
            if match.score >= min_score:
                found[(match.first_id, match.second_id)] = match
        window.add(record)
        if focus_window is not window and inside:
            focus_window.add(record)
    return found


def _by_widened_start(stream: Iterable[Record]) -> Iterator[Record]:
    """Records in order of ``lo`` from records in order of ``date_start``: ``lo`` is at
    most ``MAX_SLACK_DAYS`` before the start, so a record can be let go once the stream's
    start has passed its ``lo`` by that much."""
    pending: list[tuple[int, int, Record]] = []
    for record in stream:
        heapq.heappush(pending, (record.lo, record.id, record))
        release = record.date_start.toordinal() - MAX_SLACK_DAYS
        while pending and pending[0][0] <= release:
            yield heapq.heappop(pending)[2]
    while pending:
        yield heapq.heappop(pending)[2]


def _stream(incidents, chunk: int = 5000) -> Iterator[Record]:
    """Records in (date_start, id) order, read a chunk at a time by keyset."""
    last: tuple[date, int] | None = None
    while True:
        page = incidents
        if last is not None:
            page = page.filter(Q(date_start__gt=last[0]) | Q(date_start=last[0], id__gt=last[1]))
        rows = list(records(page[:chunk]))
        if not rows:
            return
        yield from rows
        last = (rows[-1].date_start, rows[-1].id)


def flag_all(*, since: date | None = None, min_score: float = MIN_SCORE) -> FlagResult:
    """The whole-database pass behind ``manage.py find_duplicates``."""
    result = FlagResult()
    started = time.perf_counter()
    found = find_all(since=since, min_score=min_score, result=result)
    if since is None:
        scope = None
    else:
        scope = _eligible().filter(date_end__gte=since).values_list("pk", flat=True)
    _store(found, scope, result)
    result.seconds = time.perf_counter() - started
    return result

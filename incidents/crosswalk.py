"""The crosswalk between this product's vocabulary and ACLED's columns.

Analysts compare our incidents with ACLED's events, so an export can be written in
ACLED's shape: one row per incident with ACLED's column names and codes. The tables below
are the whole mapping, kept apart from the code that uses them so that an importer of
ACLED files can read them in the other direction. ``docs/acled-crosswalk.md`` explains each
column and what the mapping loses.

An incident imported from ACLED keeps the row it came from (``ExternalRecord.row``), and
comes back as that row: every column of it, as ACLED wrote it, except the columns whose
facts researchers changed since (its dates, event type, perpetrators, place, notes or
figure), which follow the mapping. Incidents entered here follow the mapping throughout.

Two layouts are written: ACLED's current one (:data:`ACLED_COLUMNS`) and the one before
2023 (:data:`ACLED_COLUMNS_PRE_2023`, with ``data_id``, ``event_id_no_cnty``, ``iso3`` and
numeric actor types).

A row is built from plain values (see :func:`acled_row`); :func:`acled_rows` reads
incidents in chunks with a fixed number of queries per chunk, for streaming.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.conf import settings
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast

from mapping.models import LocationPrecision

from .csvtext import csv_line
from .imports import acled
from .imports.batch import Skip, split_names
from .imports.csvfile import CsvRow
from .imports.fields import normalise_name
from .imports.report import RowError
from .models import (
    ActorKind,
    Attribution,
    Claim,
    Confidence,
    DatePrecision,
    EventType,
    ExternalDataset,
    ExternalRecord,
    Incident,
    SourceKind,
)

ACLED_COLUMNS: tuple[str, ...] = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
)

# ACLED's layout before 2023, as its older exports (and the files researchers keep) have it.
ACLED_COLUMNS_PRE_2023: tuple[str, ...] = (
    "data_id",
    "iso",
    "event_id_cnty",
    "event_id_no_cnty",
    "event_date",
    "year",
    "time_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "timestamp",
    "iso3",
)
CURRENT = "current"
PRE_2023 = "pre-2023"
LAYOUTS: dict[str, tuple[str, ...]] = {CURRENT: ACLED_COLUMNS, PRE_2023: ACLED_COLUMNS_PRE_2023}

COUNTRY = {"iso": 760, "region": "Middle East", "country": "Syria"}

POLITICAL_VIOLENCE = "Political violence"
STRATEGIC_DEVELOPMENTS = "Strategic developments"
CIVILIAN_TARGETING = "Civilian targeting"


@dataclass(frozen=True)
class AcledEvent:
    """ACLED's classification of one of our event types."""

    disorder_type: str
    event_type: str
    sub_event_type: str
    civilian_targeting: bool = False


EVENT_TYPES: dict[str, AcledEvent] = {
    EventType.SUMMARY_EXECUTION: AcledEvent(
        POLITICAL_VIOLENCE, "Violence against civilians", "Attack", True
    ),
    EventType.MASSACRE: AcledEvent(
        POLITICAL_VIOLENCE, "Violence against civilians", "Attack", True
    ),
    EventType.ATTACK_ON_CIVILIANS: AcledEvent(
        POLITICAL_VIOLENCE, "Violence against civilians", "Attack", True
    ),
    EventType.ABDUCTION: AcledEvent(
        POLITICAL_VIOLENCE,
        "Violence against civilians",
        "Abduction/forced disappearance",
        True,
    ),
    EventType.SHELLING: AcledEvent(
        POLITICAL_VIOLENCE, "Explosions/Remote violence", "Shelling/artillery/missile attack"
    ),
    EventType.AIRSTRIKE: AcledEvent(
        POLITICAL_VIOLENCE, "Explosions/Remote violence", "Air/drone strike"
    ),
    EventType.AMBUSH: AcledEvent(POLITICAL_VIOLENCE, "Battles", "Armed clash"),
    EventType.ARMED_CLASH: AcledEvent(POLITICAL_VIOLENCE, "Battles", "Armed clash"),
    EventType.SECURITY_OPERATION: AcledEvent(POLITICAL_VIOLENCE, "Battles", "Armed clash"),
    EventType.LOOTING_ARSON: AcledEvent(
        STRATEGIC_DEVELOPMENTS, "Strategic developments", "Looting/property destruction"
    ),
    EventType.MASS_GRAVE: AcledEvent(STRATEGIC_DEVELOPMENTS, "Strategic developments", "Other"),
    EventType.OTHER: AcledEvent(STRATEGIC_DEVELOPMENTS, "Strategic developments", "Other"),
}

# ACLED: 1 the day is known, 2 the week (or a few days), 3 only the month.
TIME_PRECISION: dict[str, int] = {
    DatePrecision.DAY: 1,
    DatePrecision.DAYS: 2,
    DatePrecision.WEEK: 2,
    DatePrecision.MONTH: 3,
}

# ACLED: 1 the town or a part of it, 2 near a town or within a small area (its district),
# 3 only a larger region (the governorate's capital stands for it).
GEO_PRECISION: dict[str, int] = {
    LocationPrecision.EXACT: 1,
    LocationPrecision.NEIGHBOURHOOD: 1,
    LocationPrecision.SETTLEMENT: 1,
    LocationPrecision.SUBDISTRICT: 2,
    LocationPrecision.DISTRICT: 2,
    LocationPrecision.GOVERNORATE: 3,
    LocationPrecision.COUNTRY: 3,
}

# ACLED's actor types (the inter1 / inter2 columns, in their text form).
INTER: dict[str, str] = {
    ActorKind.STATE_FORCES: "State forces",
    ActorKind.STATE_AFFILIATED: "Political militia",
    ActorKind.FORMER_REGIME: "Political militia",
    ActorKind.NON_STATE: "Rebel group",
    ActorKind.CIVILIANS: "Civilians",
    ActorKind.UNKNOWN: "Political militia",
}
CIVILIANS_ACTOR = "Civilians (Syria)"

# The numeric actor types of the layout before 2023 (ACLED's codebook).
INTER_CODES: dict[str, int] = {
    "State forces": 1,
    "Rebel group": 2,
    "Political militia": 3,
    "Identity militia": 4,
    "Rioters": 5,
    "Protesters": 6,
    "Civilians": 7,
    "External/Other forces": 8,
}

# ACLED's disorder type of each of its event types, for a row of the older layout (which
# has no such column) written in the current one.
DISORDER_TYPES: dict[str, str] = {
    "battles": POLITICAL_VIOLENCE,
    "explosions/remote violence": POLITICAL_VIOLENCE,
    "violence against civilians": POLITICAL_VIOLENCE,
    "protests": "Demonstrations",
    "riots": "Demonstrations",
    "strategic developments": STRATEGIC_DEVELOPMENTS,
}
DISORDER_SUB_EVENT_TYPES: dict[str, str] = {
    "mob violence": POLITICAL_VIOLENCE,
    "excessive force against protesters": "Political violence; Demonstrations",
    "excessive force against protestors": "Political violence; Demonstrations",
}

# Governorates (gazetteer slug) as OCHA's administrative boundaries spell them; a
# governorate missing here keeps the gazetteer's name without " Governorate".
ADMIN1: dict[str, str] = {
    "al-hasakah-governorate": "Al-Hasakeh",
    "aleppo-governorate": "Aleppo",
    "damascus-governorate": "Damascus",
    "daraa-governorate": "Dar'a",
    "deir-ez-zor-governorate": "Deir-ez-Zor",
    "hama-governorate": "Hama",
    "homs-governorate": "Homs",
    "idlib-governorate": "Idleb",
    "latakia-governorate": "Lattakia",
    "quneitra-governorate": "Quneitra",
    "raqqa-governorate": "Ar-Raqqa",
    "rif-dimashq-governorate": "Rural Damascus",
    "suwayda-governorate": "As-Sweida",
    "tartus-governorate": "Tartous",
}

# ACLED's source scales, by the kind of source.
SOURCE_SCALE: dict[str, str] = {
    SourceKind.MONITOR_REPORT: "Other",
    SourceKind.NEWS_ARTICLE: "National",
    SourceKind.OFFICIAL_STATEMENT: "National",
    SourceKind.SOCIAL_MEDIA: "New media",
    SourceKind.WITNESS_TESTIMONY: "Local",
    SourceKind.DATASET: "Other",
}
SOURCE_SCALE_ORDER = ("Local", "National", "Regional", "International", "New media", "Other")

_CONFIDENCE_RANK = {Confidence.CONFIRMED: 0, Confidence.PROBABLE: 1, Confidence.ALLEGED: 2}


def _strip_suffix(name: str, suffix: str) -> str:
    return name[: -len(suffix)] if name.endswith(suffix) else name


def event_date(start: dt.date, end: dt.date) -> dt.date:
    """One day for a range: the middle of it (the day itself when it is known)."""
    return start + dt.timedelta(days=(end - start).days // 2)


@dataclass
class IncidentFacts:
    """What a row needs of an incident, read in bulk."""

    public_id: str
    title: str
    summary: str
    event_type: str
    date_start: dt.date
    date_end: dt.date
    date_precision: str
    latitude: float | None
    longitude: float | None
    location_precision: str
    place_name: str
    place: str | None
    governorate_slug: str | None
    governorate: str | None
    district: str | None
    killed_low: int | None
    killed_best: int | None
    killed_high: int | None
    civilians: int | None
    grade: str
    status: str
    updated_at: dt.datetime
    # name, kind, confidence, aliases (JSON text)
    perpetrators: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    victim_groups: list[tuple[str, str]] = field(default_factory=list)  # slug, name
    # publisher, kind, whether the claim came with an outside data set's row
    sources: list[tuple[str, str, bool]] = field(default_factory=list)
    acled_ids: list[str] = field(default_factory=list)
    # The ACLED row the incident was imported from (the first, by id, if several).
    acled_original: dict[str, str] | None = None


def _interaction(inter1: str, inter2: str, layout: str) -> str:
    if layout == PRE_2023:
        codes = sorted(INTER_CODES[inter] for inter in (inter1, inter2) if inter)
        return "".join(map(str, codes)) if len(codes) == 2 else f"{codes[0]}0" if codes else ""
    if inter1 and inter2:
        return f"{inter1}-{inter2}"
    if inter1 or inter2:
        return f"{inter1 or inter2} only"
    return ""


def mapped_row(facts: IncidentFacts, layout: str = CURRENT) -> dict[str, Any]:
    """An incident as an ACLED row by the mapping (see docs/acled-crosswalk.md)."""
    event = EVENT_TYPES.get(facts.event_type, EVENT_TYPES[EventType.OTHER])
    day = event_date(facts.date_start, facts.date_end)
    perpetrators = sorted(facts.perpetrators, key=lambda p: (_CONFIDENCE_RANK.get(p[2], 9), p[0]))
    actor1 = perpetrators[0][0] if perpetrators else ""
    inter1 = INTER.get(perpetrators[0][1], "") if perpetrators else ""
    civilians = event.civilian_targeting or any(
        "civilian" in slug for slug, _ in facts.victim_groups
    )
    groups = [name for _, name in sorted(facts.victim_groups, key=lambda g: g[1])]
    if civilians:
        actor2, assoc2, inter2 = CIVILIANS_ACTOR, groups, "Civilians"
    else:
        actor2, assoc2, inter2 = (groups[0], groups[1:], "") if groups else ("", [], "")
    interaction = _interaction(inter1, inter2, layout)
    if layout == PRE_2023:
        inter1 = INTER_CODES[inter1] if inter1 else ""
        inter2 = INTER_CODES[inter2] if inter2 else ""
    publishers = sorted({publisher or "Unknown publisher" for publisher, _, _ in facts.sources})
    scales = {SOURCE_SCALE.get(kind, "Other") for _, kind, _ in facts.sources}
    admin1 = ""
    if facts.governorate_slug:
        admin1 = ADMIN1.get(
            facts.governorate_slug, _strip_suffix(facts.governorate or "", " Governorate")
        )
    figures = (
        f"killed {facts.killed_best} (range {facts.killed_low}-{facts.killed_high})"
        if facts.killed_best is not None
        else "killed: not reported"
    )
    tags = [
        f"incident={facts.public_id}",
        f"grade={facts.grade}",
        f"status={facts.status}",
        f"dates={facts.date_start.isoformat()}/{facts.date_end.isoformat()}",
        f"location precision={facts.location_precision}",
    ]
    if facts.killed_best is None:
        tags.append("fatalities=unknown")
    else:
        tags.append(f"fatalities range={facts.killed_low}-{facts.killed_high}")
    text = facts.summary or facts.title
    row = {
        "event_id_cnty": facts.acled_ids[0] if facts.acled_ids else facts.public_id,
        "event_date": day.isoformat(),
        "year": day.year,
        "time_precision": TIME_PRECISION.get(facts.date_precision, 3),
        "disorder_type": event.disorder_type,
        "event_type": event.event_type,
        "sub_event_type": event.sub_event_type,
        "actor1": actor1,
        "assoc_actor_1": "; ".join(p[0] for p in perpetrators[1:]),
        "inter1": inter1,
        "actor2": actor2,
        "assoc_actor_2": "; ".join(assoc2),
        "inter2": inter2,
        "interaction": interaction,
        "civilian_targeting": CIVILIAN_TARGETING if civilians else "",
        **COUNTRY,
        "admin1": admin1,
        "admin2": _strip_suffix(facts.district or "", " District"),
        "admin3": "",
        "location": facts.place or facts.place_name,
        "latitude": "" if facts.latitude is None else round(facts.latitude, 4),
        "longitude": "" if facts.longitude is None else round(facts.longitude, 4),
        "geo_precision": GEO_PRECISION.get(facts.location_precision, 3),
        "source": "; ".join(publishers),
        "source_scale": "-".join(s for s in SOURCE_SCALE_ORDER if s in scales),
        "notes": f"On {day.day} {day:%B %Y}: {text} [{figures}; {facts.public_id}]",
        "fatalities": facts.killed_best or 0,
        "tags": "; ".join(tags),
        "timestamp": int(facts.updated_at.timestamp()),
    }
    if layout == PRE_2023:
        row.update(data_id="", event_id_no_cnty="", iso3="SYR")
    return row


# The columns of an imported row that stand for one fact of the incident: when researchers
# changed that fact, the columns follow the mapping instead of the row.
_DATE_COLUMNS = ("event_date", "year", "time_precision")
_TYPE_COLUMNS = ("disorder_type", "event_type", "sub_event_type", "civilian_targeting")
_ACTOR_COLUMNS = (
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
)
_PLACE_COLUMNS = (
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
)


def _same_actors(facts: IncidentFacts, entry: Any) -> bool:
    """The perpetrators are the ones the import named (alleged), found by name or alias."""
    wanted = {normalise_name(actor.name) for actor in entry.actors if actor.responsible}
    if len(wanted) != len(facts.perpetrators):
        return False
    if any(confidence != Confidence.ALLEGED for _, _, confidence, _ in facts.perpetrators):
        return False
    names = {normalise_name(name) for name, _, _, _ in facts.perpetrators}
    if names == wanted:
        return True  # the usual case: the aliases need not be read
    held: set[str] = set()
    for name, _, _, aliases in facts.perpetrators:
        keys = {normalise_name(name)}
        listed = orjson.loads(aliases) if aliases else []
        keys.update(normalise_name(a) for a in listed or () if isinstance(a, str))
        if not keys & wanted:
            return False
        held |= keys
    return wanted <= held


def _derived(original: dict[str, str], external_id: str) -> dict[str, Any]:
    """Columns of the other layout, for a row that has not got them, from its own codes."""
    kind = " ".join((original.get("event_type") or "").split()).lower()
    sub = " ".join((original.get("sub_event_type") or "").split()).lower()
    inter2 = (original.get("inter2") or "").strip().lower().removesuffix(".0")
    civilians = kind == "violence against civilians" or inter2 in ("7", "civilians")
    return {
        "disorder_type": DISORDER_SUB_EVENT_TYPES.get(sub, DISORDER_TYPES.get(kind, "")),
        "civilian_targeting": CIVILIAN_TARGETING if civilians else "",
        "tags": "",
        "data_id": "",
        "event_id_no_cnty": "".join(c for c in external_id if c.isdigit()),
        "iso3": "SYR",
    }


def imported_row(
    facts: IncidentFacts, original: dict[str, str], layout: str = CURRENT
) -> dict[str, Any] | None:
    """An incident imported from ACLED as the row it came from, with the columns of the
    facts researchers changed since following the mapping; None when the row no longer
    reads as an ACLED row."""
    try:
        entry = acled.parse(CsvRow(line=0, values=original))
    except (RowError, Skip, KeyError):
        return None
    incident = entry.incident
    day = incident["date_start"]
    changed: set[str] = set()
    if (facts.date_start, facts.date_end, facts.date_precision) != (
        day,
        incident["date_end"],
        incident["date_precision"],
    ):
        changed.update(_DATE_COLUMNS)
    if facts.event_type != incident["event_type"]:
        changed.update(_TYPE_COLUMNS)
    if not _same_actors(facts, entry):
        changed.update(_ACTOR_COLUMNS)
    if (facts.latitude, facts.longitude, facts.location_precision, facts.place_name) != (
        incident["latitude"],
        incident["longitude"],
        incident["location_precision"],
        incident["place_name"],
    ):
        changed.update(_PLACE_COLUMNS)
    if facts.summary != incident["summary"]:
        changed.add("notes")
    if facts.killed_best != entry.claim["killed_max"]:
        changed.add("fatalities")
    mapped = mapped_row(facts, layout) if changed else {}
    derived: dict[str, Any] | None = None
    row: dict[str, Any] = {}
    for column in LAYOUTS[layout]:
        if column in changed or (column == "timestamp" and changed):
            row[column] = mapped[column]
        elif column in original:
            row[column] = original[column]
        else:
            if derived is None:
                derived = _derived(original, entry.external_id)
            row[column] = derived.get(column, "")
    row["event_id_cnty"] = entry.external_id
    # Sources researchers cited beside ACLED's follow ACLED's own.
    theirs = [p for p, _, from_dataset in facts.sources if not from_dataset and p]
    named = (
        {normalise_name(name) for name in split_names(original.get("source") or "")}
        if theirs
        else set()
    )
    added = sorted({p for p in theirs if normalise_name(p) not in named})
    if added:
        row["source"] = "; ".join([original.get("source") or "", *added]).lstrip("; ")
    return row


def acled_row(facts: IncidentFacts, layout: str = CURRENT) -> dict[str, Any]:
    """One incident as an ACLED row (see docs/acled-crosswalk.md for each column)."""
    if facts.acled_original is not None:
        row = imported_row(facts, facts.acled_original, layout)
        if row is not None:
            return row
    return mapped_row(facts, layout)


_COLUMNS = (
    "pk",
    "public_id",
    "title",
    "summary",
    "event_type",
    "date_start",
    "date_end",
    "date_precision",
    "latitude",
    "longitude",
    "location_precision",
    "place_name",
    "place__name",
    "governorate__slug",
    "governorate__name",
    "district__name",
    "killed_low",
    "killed_best",
    "killed_high",
    "civilians",
    "grade",
    "status",
    "updated_at",
)


def _facts(rows: Sequence[tuple]) -> list[IncidentFacts]:
    ids = [row[0] for row in rows]
    perpetrators: dict[int, list] = defaultdict(list)
    for incident_id, name, kind, confidence, aliases in (
        Attribution.objects.filter(incident_id__in=ids)
        # The aliases as JSON text, decoded only when a name is not the one imported.
        .annotate(aliases_text=Cast("actor__aliases", TextField()))
        .values_list("incident_id", "actor__name", "actor__kind", "confidence", "aliases_text")
    ):
        perpetrators[incident_id].append((name, kind, confidence, aliases))
    groups: dict[int, list] = defaultdict(list)
    through = Incident.victim_groups.through
    for incident_id, slug, name in through.objects.filter(incident_id__in=ids).values_list(
        "incident_id", "victimgroup__slug", "victimgroup__name"
    ):
        groups[incident_id].append((slug, name))
    sources: dict[int, list] = defaultdict(list)
    for incident_id, publisher, kind, record in Claim.objects.filter(
        incident_id__in=ids, source__confidential=False
    ).values_list("incident_id", "source__publisher", "source__kind", "external_record_id"):
        sources[incident_id].append((publisher, kind, record is not None))
    acled_ids: dict[int, list] = defaultdict(list)
    originals: dict[int, dict] = {}
    for incident_id, dataset, external_id, text in (
        # The data set is not filtered on here: SQLite would answer through the unique
        # (data set, id) index, reading every ACLED record for each chunk.
        ExternalRecord.objects.filter(incident_id__in=ids)
        .order_by("incident_id", "dataset", "external_id")
        # The row's JSON as text, decoded here (several times faster than the field's own
        # decoding, for the hundred thousand rows of a large export).
        .annotate(row_text=Cast("row", TextField()))
        .values_list("incident_id", "dataset", "external_id", "row_text")
    ):
        if dataset != ExternalDataset.ACLED:
            continue
        acled_ids[incident_id].append(external_id)
        if incident_id not in originals and text:
            original = orjson.loads(text)
            if isinstance(original, dict) and original:
                originals[incident_id] = original
    return [
        IncidentFacts(
            *row[1:12],
            place=row[12],
            governorate_slug=row[13],
            governorate=row[14],
            district=row[15],
            killed_low=row[16],
            killed_best=row[17],
            killed_high=row[18],
            civilians=row[19],
            grade=row[20],
            status=row[21],
            updated_at=row[22],
            perpetrators=perpetrators[row[0]],
            victim_groups=groups[row[0]],
            sources=sources[row[0]],
            acled_ids=acled_ids[row[0]],
            acled_original=originals.get(row[0]),
        )
        for row in rows
    ]


def acled_rows(
    incidents: QuerySet[Incident], *, chunk_size: int = 2000, layout: str = CURRENT
) -> Iterator[dict]:
    """The incidents as ACLED rows, read a chunk at a time (five queries a chunk)."""
    chunk: list[tuple] = []
    for row in (
        incidents.order_by("date_start", "pk")
        .values_list(*_COLUMNS)
        .iterator(chunk_size=chunk_size)
    ):
        chunk.append(row)
        if len(chunk) >= chunk_size:
            yield from (acled_row(facts, layout) for facts in _facts(chunk))
            chunk.clear()
    if chunk:
        yield from (acled_row(facts, layout) for facts in _facts(chunk))


# Spreadsheets run a cell starting with one of these as a formula.
_FORMULA_START = frozenset("=+-@\t\r")


def stream_acled_csv(
    incidents: QuerySet[Incident],
    *,
    internal: bool = False,
    chunk_size: int | None = None,
    layout: str = CURRENT,
) -> Iterator[str]:
    """ACLED-style CSV text, a chunk of rows at a time (UTF-8, no byte order mark, like
    ACLED's own exports), in ACLED's current layout or the one before 2023 (``layout``).
    ``internal`` changes nothing: no column shows internal notes."""
    columns = LAYOUTS[layout]
    chunk_size = chunk_size or getattr(settings, "EXPORT_CHUNK_SIZE", 2000)
    yield csv_line(columns)
    lines: list[str] = []
    for row in acled_rows(incidents, chunk_size=chunk_size, layout=layout):
        # A missing column is an empty cell (csv_line writes None so); the formula guard is
        # inline, since it runs for every cell.
        lines.append(
            csv_line(
                [
                    "'" + value if type(value) is str and value[:1] in _FORMULA_START else value
                    for value in map(row.get, columns)
                ]
            )
        )
        if len(lines) >= chunk_size:
            yield "".join(lines)
            lines.clear()
    if lines:
        yield "".join(lines)

"""ACLED CSV exports: one row per event, turned into a draft incident with ACLED's claim.

Both layouts are read: the current one (with ``disorder_type``, ``civilian_targeting`` and
``tags``) and the one before March 2023 (with ``data_id``, ``event_id_no_cnty`` and
``iso3``). Columns are found by name, so their order does not matter. Dates may be written
``2025-03-07``, ``07 March 2025`` or ``7-Mar-25``.

What a row becomes:

- **the incident** (a draft): its type from ACLED's event and sub-event type (see
  :data:`EVENT_TYPES`), the event date with ACLED's time precision (1 the day, 2 the week,
  3 the month), the point with its geo precision (1 the town itself: settlement; 2 near the
  town or part of a region: subdistrict; 3 only a larger region: governorate), the
  location as ACLED names it, the notes as the summary, and a location note that says
  where the point came from;
- **the governorate** ``admin1`` names (ACLED's older and current spellings), over the one
  the point falls in by the coarse boundary outline; the location note says when they
  disagree;
- **one claim** whose source is the ACLED data set itself (a Source of kind "data set"),
  attributed to the sources ACLED names, with the fatalities as its figure and the notes,
  verbatim, as its quote; the row is kept with its external record and the claim points at
  it;
- **actors** for ``actor1`` and ``actor2`` (found by name or alias, or created, with their
  kind from ``inter1``/``inter2``), and for each of the actors ``assoc_actor_1`` and
  ``assoc_actor_2`` list (separated by semicolons), each its own actor; ``actor1`` and its
  associates are held responsible (alleged), and ``actor2`` and its associates too in
  battles, where both sides fight; civilians, protesters and rioters never are;
- **a Source for each named source**, matched by publisher or created.

A row whose ``timestamp`` is older than the one of the row already imported for the event is
skipped ("older than the record kept"): an older extract does not revert ACLED's later
corrections. Rows are skipped, with the reason, when the event is outside the country this
map records (checked first, then its point: see :mod:`incidents.imports.scope`), or when it
is not violence this map records (a peaceful protest, an agreement, a base established)
and killed no one; such an event with fatalities is kept as "other violence".
"""

from __future__ import annotations

from . import batch, scope
from .batch import ActorRef, Dataset, Entry, Skip, distinct_actors, source_kind_of, split_names
from .csvfile import CsvRow
from .fields import clip, parse_date, parse_int, parse_point
from .report import ImportReport, RowError

REQUIRED = (
    "event_id_cnty",
    "event_date",
    "time_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "country",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "notes",
    "fatalities",
)
OPTIONAL = (
    "year",
    "disorder_type",
    "assoc_actor_1",
    "inter1",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "admin1",
    "admin2",
    "admin3",
    "source_scale",
    "tags",
    "timestamp",
    "data_id",
    "event_id_no_cnty",
    "iso3",
)

# (event type, sub-event type) -> this product's event type; None: not recorded unless
# someone was killed.
EVENT_TYPES: dict[tuple[str, str], str | None] = {
    ("battles", "armed clash"): "armed_clash",
    ("battles", "government regains territory"): "armed_clash",
    ("battles", "non-state actor overtakes territory"): "armed_clash",
    ("explosions/remote violence", "air/drone strike"): "airstrike",
    ("explosions/remote violence", "shelling/artillery/missile attack"): "shelling",
    ("explosions/remote violence", "chemical weapon"): "attack_on_civilians",
    ("explosions/remote violence", "suicide bomb"): "other",
    ("explosions/remote violence", "remote explosive/landmine/ied"): "other",
    ("explosions/remote violence", "grenade"): "other",
    ("violence against civilians", "attack"): "attack_on_civilians",
    ("violence against civilians", "sexual violence"): "attack_on_civilians",
    ("violence against civilians", "abduction/forced disappearance"): "abduction",
    ("protests", "excessive force against protesters"): "attack_on_civilians",
    ("protests", "excessive force against protestors"): "attack_on_civilians",
    ("protests", "peaceful protest"): None,
    ("protests", "protest with intervention"): None,
    ("riots", "mob violence"): "other",
    ("riots", "violent demonstration"): None,
    ("strategic developments", "looting/property destruction"): "looting_arson",
    ("strategic developments", "arrests"): None,
    ("strategic developments", "agreement"): None,
    ("strategic developments", "change to group/activity"): None,
    ("strategic developments", "disrupted weapons use"): None,
    ("strategic developments", "headquarters or base established"): None,
    ("strategic developments", "non-violent transfer of territory"): None,
    ("strategic developments", "other"): None,
}

TIME_PRECISION = {"1": "day", "2": "week", "3": "month"}
GEO_PRECISION = {
    "1": ("settlement", "the town or village itself"),
    "2": ("subdistrict", "near the town, or a part of the region"),
    "3": ("governorate", "only a larger region is known"),
}

# inter1/inter2: the numeric codes of older exports and the words of newer ones.
ACTOR_KINDS = {
    "1": "state_forces",
    "state forces": "state_forces",
    "2": "non_state",
    "rebel group": "non_state",
    "rebel groups": "non_state",
    "3": "non_state",
    "political militia": "non_state",
    "political militias": "non_state",
    "4": "non_state",
    "identity militia": "non_state",
    "identity militias": "non_state",
    "5": "unknown",
    "rioters": "unknown",
    "6": "civilians",
    "protesters": "civilians",
    "7": "civilians",
    "civilians": "civilians",
    "8": "state_forces",
    "external/other forces": "state_forces",
}
NEVER_RESPONSIBLE = {"5", "6", "7", "rioters", "protesters", "civilians"}


def _code(row: dict[str, str], column: str, allowed: dict) -> str:
    value = (row.get(column) or "").strip()
    if value.endswith(".0"):
        value = value[:-2]
    if value not in allowed:
        raise RowError(
            f"'{value}' is not one of ACLED's codes ({', '.join(allowed)})", field=column
        )
    return value


def _associated_kind(name: str) -> str:
    """The kind of an associated actor, from its name (ACLED codes only the main actor)."""
    lowered = name.casefold()
    if lowered.startswith(("military forces of", "police forces of", "government of")):
        return "state_forces"
    if lowered.startswith(("civilians", "protesters", "refugees/idps")):
        return "civilians"
    # ACLED names the identity of those targeted ("Alawite Ethnic Group (Syria)") this way.
    if "ethnic group" in lowered or "religious group" in lowered:
        return "civilians"
    if lowered.startswith("rioters"):
        return "unknown"
    return "non_state"


def _actors(row: dict[str, str], number: int, *, battle: bool) -> list[ActorRef]:
    """The actor and its associated actors (``assoc_actor_N``, a list separated by
    semicolons), each an actor of its own: filtering by one of them finds the event."""
    name = " ".join((row.get(f"actor{number}") or "").split())
    inter = (row.get(f"inter{number}") or "").strip().lower().removesuffix(".0")
    kind = ACTOR_KINDS.get(inter, "unknown")
    responsible = inter not in NEVER_RESPONSIBLE and kind != "civilians"
    if number == 2:
        responsible = responsible and battle
    associated = split_names(row.get(f"assoc_actor_{number}") or "")
    actors = []
    if name:
        actors.append(ActorRef(name=name, kind=kind, responsible=responsible))
    for other in associated:
        other_kind = _associated_kind(other)
        actors.append(
            ActorRef(
                name=other,
                kind=other_kind,
                responsible=responsible and other_kind != "civilians",
                note=f"Associated with {name} (ACLED)" if name else "",
            )
        )
    return actors


def parse(item: CsvRow) -> Entry:
    row = item.values
    # Scope first: a row of another country is skipped whatever else is wrong with it.
    in_scope = scope.check_country(row["country"])
    external_id = row["event_id_cnty"].strip()
    if not external_id:
        raise RowError("is empty", field="event_id_cnty")
    if len(external_id) > 100:
        raise RowError("is longer than 100 characters", field="event_id_cnty")

    event_date = parse_date(row["event_date"], "event_date")
    date_precision = TIME_PRECISION[_code(row, "time_precision", TIME_PRECISION)]
    location_precision, geo_meaning = GEO_PRECISION[_code(row, "geo_precision", GEO_PRECISION)]
    latitude, longitude = parse_point(row)
    scope.check_point(in_scope, latitude, longitude)
    fatalities = parse_int(row["fatalities"], "fatalities")

    event_type_text = " ".join(row["event_type"].split())
    sub_event_text = " ".join(row["sub_event_type"].split())
    if not event_type_text:
        raise RowError("is empty", field="event_type")
    key = (event_type_text.lower(), sub_event_text.lower())
    event_type = EVENT_TYPES.get(key, "other")
    if event_type is None:
        if not fatalities:
            raise Skip(f"not violence this map records ({event_type_text}: {sub_event_text})")
        event_type = "other"

    location = " ".join(row["location"].split())
    admin = [" ".join((row.get(column) or "").split()) for column in ("admin3", "admin2", "admin1")]
    place = location or next((area for area in admin if area), "") or scope.country()
    notes = row["notes"].strip()
    named = split_names(row["source"])
    source_scale = " ".join((row.get("source_scale") or "").split())
    battle = key[0] == "battles"
    first = _actors(row, 1, battle=battle)
    actors = distinct_actors([*first, *_actors(row, 2, battle=battle)])
    main = first[0] if first and first[0].name == " ".join(row["actor1"].split()) else None
    perpetrator = main.name if main and main.responsible else ""
    areas = ", ".join(area for area in admin if area)
    admin_area = scope.admin_area(row.get("admin1") or "", latitude, longitude, "ACLED")

    claim_notes = [f"ACLED event {external_id}."]
    if named:
        claim_notes.append(f"Sources named by ACLED: {'; '.join(named)}.")
    if source_scale:
        claim_notes.append(f"Source scale: {source_scale}.")
    civilian_targeting = (row.get("civilian_targeting") or "").strip()
    if civilian_targeting:
        claim_notes.append(f"ACLED: {civilian_targeting}.")
    if fatalities is not None:
        claim_notes.append("Fatalities are ACLED's estimate from its sources.")

    return Entry(
        line=item.line,
        external_id=external_id,
        row=dict(row),
        incident={
            "title": clip(f"{sub_event_text or event_type_text} in {place}", 300),
            "summary": notes,
            "event_type": event_type,
            "date_start": event_date,
            "date_end": event_date,
            "date_precision": date_precision,
            "latitude": latitude,
            "longitude": longitude,
            "location_precision": location_precision,
            "place_name": location,
            "location_note": (
                f"Point from ACLED (geo precision {row['geo_precision'].strip()}: "
                f"{geo_meaning})."
                + (f" ACLED places it in {areas}." if areas else "")
                + (f" {admin_area.disagreement}" if admin_area.disagreement else "")
            ),
        },
        claim={
            "attributed_to": clip("; ".join(named), 200),
            "killed_min": fatalities,
            "killed_max": fatalities,
            "approximate": False,
            "perpetrator_text": clip(main.name, 300) if main else "",
            "place_as_reported": clip(", ".join(part for part in (location, areas) if part), 300),
            "date_as_reported": clip(row["event_date"].strip(), 200),
            # The data set's own words for the event; without notes, its own coding.
            "quote": notes
            or f"{event_type_text}: {sub_event_text}; fatalities: {row['fatalities'].strip()}",
            "notes": " ".join(claim_notes),
        },
        actors=actors,
        perpetrator=perpetrator,
        sources=[(name, source_kind_of(name)) for name in named],
        summary=(
            f"{event_date.isoformat()} · {sub_event_text or event_type_text} in {place} · "
            f"{'no figure' if fatalities is None else f'{fatalities} killed'}"
            + (f" · {main.name}" if main else "")
        ),
        warnings=in_scope.warnings,
        governorate=admin_area.slug,
        notes=[scope.ADMIN_DISAGREES] if admin_area.disagreement else [],
    )


def version(row: dict[str, str]) -> int | None:
    """ACLED's ``timestamp``: when the event's row was last changed (Unix seconds)."""
    text = (row.get("timestamp") or "").strip().removesuffix(".0")
    return int(text) if text.isdigit() else None


DATASET = Dataset(
    key="acled",
    label="ACLED",
    what="an ACLED export",
    required=REQUIRED,
    optional=OPTIONAL,
    source={
        "slug": "acled",
        "publisher": "Armed Conflict Location & Event Data (ACLED)",
        "headline": "ACLED event data",
        "url": "https://acleddata.com/",
        "notes": "The ACLED data set, as imported; each claim names the sources ACLED cites.",
    },
    parse=parse,
    version=version,
)


def import_file(data: bytes, *, dry_run=False, user=None, run=None, progress=None) -> ImportReport:
    """Import an ACLED CSV export (see the module's description)."""
    return batch.run(DATASET, data, dry_run=dry_run, user=user, run=run, progress=progress)

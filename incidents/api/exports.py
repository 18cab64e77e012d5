"""Streaming exports of incidents as GeoJSON (RFC 7946) and CSV.

Both honour the same filters as the list and never hold the result in memory: rows come
from a server-side cursor in chunks and leave as soon as they are written. For GeoJSON the
database writes each feature itself (see ``sqljson``), so a FeatureCollection of hundreds
of thousands of incidents streams at close to the speed the database builds it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

import orjson
from django.conf import settings
from django.db import connections, transaction
from django.db.models import (
    Case,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat

from incidents.csvtext import csv_line
from incidents.fieldspec import SOURCE_PUBLIC, incident_fields
from incidents.identity import database_id
from incidents.models import (
    BREAKDOWN_FIELDS,
    Actor,
    Attribution,
    Claim,
    Episode,
    EpisodeClaim,
    ExternalDataset,
    ExternalRecord,
    Incident,
    Source,
    VictimGroup,
)

from .readable import READABLE_COLUMNS, Readable
from .sqljson import (
    AsJSON,
    AsText,
    JSONBoolean,
    JSONBuildArray,
    JSONBuildObject,
    JSONOrNull,
    OrderedGroup,
    UTCTimestamp,
)

CHUNK_SIZE = 2000
GEOJSON_MEDIA_TYPE = "application/geo+json"

logger = logging.getLogger(__name__)
T = TypeVar("T")


def chunk_size() -> int:
    """Rows fetched from the server-side cursor, and rows per piece sent (settings)."""
    return getattr(settings, "EXPORT_CHUNK_SIZE", CHUNK_SIZE)


def in_one_snapshot(stream: Iterator[T], *, using: str) -> Iterator[T]:
    """Run an export's queries, as the response is sent, inside one read-only transaction
    on PostgreSQL.

    Outside a transaction Django declares its server-side cursor ``WITH HOLD``, and
    PostgreSQL then computes the whole result into a temporary file before the first row
    leaves: at 300,000 incidents the first feature came after 23 s, past a proxy's or
    gunicorn's timeout. Inside a transaction the cursor is an ordinary one: rows are made as
    they are fetched. The transaction is ``REPEATABLE READ``, so the features and the
    catalogue written after them come from the same snapshot, whatever is published
    meanwhile. (SQLite has no server-side cursors, and its transactions here take the write
    lock when they begin: its exports read in autocommit, each statement from one snapshot.)

    A stream that fails after the status line was sent cannot change it to an error: the
    failure is logged and raised again, so the server closes the connection without the
    chunked encoding's last chunk (and a GeoJSON document without its closing ``]}``);
    every HTTP client reports such a body as incomplete.
    """
    connection = connections[using]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield from _logging_failures(stream)
        return
    # Exports name this database's identity, which is made on first use after a flush:
    # not inside a read-only transaction.
    database_id()
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield from _logging_failures(stream)


def _logging_failures(stream: Iterator[T]) -> Iterator[T]:
    sent = 0
    try:
        for piece in stream:
            sent += len(piece)
            yield piece
    except GeneratorExit:
        raise  # the client went away: nothing to report
    except Exception:
        logger.exception("Export stopped after %d characters: what was sent is incomplete.", sent)
        raise


def ordered(
    queryset: QuerySet, item: Any, *order: str, kind: str = "json", objects: bool = False
) -> OrderedGroup:
    """The items of a correlated queryset gathered in a fixed order (``order``: fields),
    so that two exports of one database are byte-identical whatever the database."""
    keys = {f"k{n}": F(name) for n, name in enumerate(order)}
    rows = queryset.values(item=item, **keys).order_by(*keys)
    return OrderedGroup(Subquery(rows), keys=len(order), kind=kind, objects=objects)


def _breakdown_json(prefix: str = "") -> JSONBuildObject:
    return JSONBuildObject(**{name: F(prefix + name) for name in BREAKDOWN_FIELDS})


def claim_json(*, internal: bool = False) -> JSONBuildObject:
    """One claim as a JSON object: its source (slug, and the fields earlier exports gave)
    and every field of the claim; ``notes`` only for readers who see unpublished work."""
    fields: dict[str, Any] = {
        "source": F("source__slug"),
        "publisher": F("source__publisher"),
        "headline": F("source__headline"),
        "url": F("source__url"),
        "publication_date": F("source__publication_date"),
        "attributed_to": F("attributed_to"),
        "killed_min": F("killed_min"),
        "killed_max": F("killed_max"),
        "approximate": JSONBoolean(F("approximate")),
        "figure_kind": F("figure_kind"),
        "breakdown": _breakdown_json(),
        "perpetrator_text": F("perpetrator_text"),
        "perpetrator": F("perpetrator__slug"),
        "place_as_reported": F("place_as_reported"),
        "date_as_reported": F("date_as_reported"),
        "quote": F("quote"),
        # The outside data set row the claim was imported from ("ucdp:512345"), so that a
        # round trip keeps the link and re-importing the row updates this claim.
        "external_record": Case(
            When(
                external_record__isnull=False,
                then=Concat(
                    F("external_record__dataset"), Value(":"), F("external_record__external_id")
                ),
            ),
            default=Value(None),
            output_field=TextField(),
        ),
    }
    if internal:
        fields["notes"] = F("notes")
    return JSONBuildObject(**fields)


def _claims_json(*, internal: bool = False) -> AsJSON:
    claims = Claim.objects.filter(incident=OuterRef("pk"), source__confidential=False)
    return AsJSON(ordered(claims, claim_json(internal=internal), "id", objects=True))


def _perpetrators_json() -> AsJSON:
    attributions = Attribution.objects.filter(incident=OuterRef("pk"))
    return AsJSON(ordered(attributions, F("actor__slug"), "actor__slug"))


def _attributions_json() -> AsJSON:
    attribution = JSONBuildObject(
        actor=F("actor__slug"), confidence=F("confidence"), note=F("note")
    )
    attributions = Attribution.objects.filter(incident=OuterRef("pk"))
    return AsJSON(ordered(attributions, attribution, "actor__slug", objects=True))


def _victim_groups_json() -> AsJSON:
    through = Incident.victim_groups.through.objects.filter(incident=OuterRef("pk"))
    return AsJSON(ordered(through, F("victimgroup__slug"), "victimgroup__slug"))


def _external_ids_json() -> AsJSON:
    records = ExternalRecord.objects.filter(incident=OuterRef("pk"))
    item = JSONBuildObject(dataset=F("dataset"), id=F("external_id"))
    return AsJSON(ordered(records, item, "dataset", "external_id", objects=True))


def _external_records_json() -> AsJSON:
    """The incident's outside data set records with their original rows, as imported, so
    that re-importing the data set's file after a round trip finds them unchanged."""
    records = ExternalRecord.objects.filter(incident=OuterRef("pk"))
    item = JSONBuildObject(dataset=F("dataset"), id=F("external_id"), row=JSONOrNull(F("row")))
    return AsJSON(ordered(records, item, "dataset", "external_id", objects=True))


def first_external_id(dataset: str) -> Subquery:
    """The incident's first id in this outside data set (ACLED, UCDP), or NULL."""
    return Subquery(
        ExternalRecord.objects.filter(incident=OuterRef("pk"), dataset=dataset)
        .order_by("external_id")
        .values("external_id")[:1],
        output_field=TextField(),
    )


def _origin() -> dict[str, Any]:
    """Which database the incident comes from, and its public id there: this database's
    own for its own incidents, the origin recorded at import for another's."""
    return {
        "origin_database": Coalesce(
            F("origin__database"), Value(database_id()), output_field=TextField()
        ),
        "origin_id": Coalesce(F("origin__public_id"), F("public_id"), output_field=TextField()),
    }


def _field_properties() -> dict[str, Any]:
    """The incident's own fields as Feature properties: all that exports carry, but the point
    (the geometry) and the breakdown (an object of its own)."""
    properties: dict[str, Any] = {"breakdown": _breakdown_json()}
    for field in incident_fields(exported=True):
        if field.name in ("latitude", "longitude") or field.name in BREAKDOWN_FIELDS:
            continue
        value = F(field.source)
        if field.kind == "timestamp":
            value = UTCTimestamp(value)
        elif field.kind == "flag":
            value = JSONBoolean(value)  # true/false, not SQLite's 1/0
        properties[field.exported_as] = value
    return properties


def feature_expression(*, internal: bool = False) -> AsText:
    """One incident as a GeoJSON Feature (coordinates [longitude, latitude], RFC 7946).

    An incident without a point is an unlocated Feature (``"geometry": null``, RFC 7946
    section 3.2), so that an export carries every incident that matches.
    """
    properties = JSONBuildObject(
        **_field_properties(),
        perpetrators=_perpetrators_json(),
        attributions=_attributions_json(),
        victim_groups=_victim_groups_json(),
        sources=_claims_json(internal=internal),
        acled_event_id=first_external_id(ExternalDataset.ACLED),
        ucdp_ged_id=first_external_id(ExternalDataset.UCDP),
        external_ids=_external_ids_json(),
        external_records=_external_records_json(),
        **_origin(),
    )
    geometry = JSONOrNull(
        Case(
            When(
                latitude__isnull=False,
                longitude__isnull=False,
                then=JSONBuildObject(
                    type=Value("Point"), coordinates=JSONBuildArray(F("longitude"), F("latitude"))
                ),
            ),
            default=Value(None),
            output_field=TextField(),
        )
    )
    return AsText(
        JSONBuildObject(
            type=Value("Feature"),
            id=F("public_id"),
            geometry=geometry,
            properties=properties,
        )
    )


def geojson_features(incidents: QuerySet[Incident], *, internal: bool = False) -> QuerySet:
    """The features' JSON text, one row per incident, in a stable order."""
    return (
        incidents.order_by("date_start", "pk")
        .annotate(feature=feature_expression(internal=internal))
        .values_list("feature", flat=True)
    )


# --- the catalogue: the sources, actors, episodes and victim groups incidents refer to --------

SOURCE_FIELDS = ("slug", *SOURCE_PUBLIC)
ACTOR_FIELDS = ("slug", "name", "name_ar", "aliases", "kind", "affiliation_note", "description")
EPISODE_FIELDS = ("slug", "title", "title_ar", "summary", "summary_ar", "date_start", "date_end")
EPISODE_CLAIM_FIELDS = (
    "measure",
    "measure_ar",
    "measure_kind",
    "covers_from",
    "covers_to",
    "attributed_to",
    "killed_min",
    "killed_max",
    "approximate",
    "perpetrator_text",
    "quote",
    "figure_kind",
)
GROUP_FIELDS = ("slug", "name", "name_ar")


def source_records(sources: QuerySet[Source], *, internal: bool) -> list[dict[str, Any]]:
    """Sources as catalogue entries; never a confidential one. ``notes`` are internal."""
    fields = (*SOURCE_FIELDS, "notes") if internal else SOURCE_FIELDS
    return list(sources.filter(confidential=False).order_by("slug").values(*fields))


def actor_records(actor_ids: Iterable[int]) -> list[dict[str, Any]]:
    """These actors and the actors they are affiliated with, each parent before its
    affiliates, so that an importer can create them in this order."""
    parents = dict(Actor.objects.values_list("id", "parent_id"))
    wanted = set(actor_ids)
    for actor_id in list(wanted):
        parent = parents.get(actor_id)
        while parent is not None and parent not in wanted:
            wanted.add(parent)
            parent = parents.get(parent)

    def depth(actor_id: int) -> int:
        n, parent = 0, parents.get(actor_id)
        while parent is not None:
            n, parent = n + 1, parents.get(parent)
        return n

    rows = Actor.objects.filter(pk__in=wanted).values("pk", "parent__slug", *ACTOR_FIELDS)
    ordered = sorted(rows, key=lambda row: (depth(row["pk"]), row["slug"]))
    return [
        {**{name: row[name] for name in ACTOR_FIELDS}, "parent": row["parent__slug"]}
        for row in ordered
    ]


def episode_records(episodes: QuerySet[Episode], *, internal: bool) -> list[dict[str, Any]]:
    """Episodes with their monitors' aggregate claims (never a confidential source's)."""
    records = {
        row["slug"]: {**row, "claims": []}
        for row in episodes.order_by("slug").values(*EPISODE_FIELDS)
    }
    fields = (*EPISODE_CLAIM_FIELDS, "notes") if internal else EPISODE_CLAIM_FIELDS
    claims = (
        EpisodeClaim.objects.filter(episode__slug__in=list(records), source__confidential=False)
        .order_by("episode__slug", "measure", "id")
        .values("episode__slug", "source__slug", *fields, *BREAKDOWN_FIELDS)
    )
    for claim in claims:
        item = {"source": claim["source__slug"], **{name: claim[name] for name in fields}}
        item["breakdown"] = {name: claim[name] for name in BREAKDOWN_FIELDS}
        records[claim["episode__slug"]]["claims"].append(item)
    return list(records.values())


def group_records(groups: QuerySet[VictimGroup]) -> list[dict[str, Any]]:
    return list(groups.order_by("slug").values(*GROUP_FIELDS))


def catalogue(incidents: QuerySet[Incident], *, internal: bool) -> dict[str, list[dict]]:
    """Everything the incidents refer to, so that an export can be imported on its own."""
    ids = incidents.order_by().values("pk")
    claims = Claim.objects.filter(incident__in=ids, source__confidential=False)
    episodes = Episode.objects.filter(pk__in=incidents.order_by().values("episode_id"))
    episode_claims = EpisodeClaim.objects.filter(episode__in=episodes, source__confidential=False)
    sources = Source.objects.filter(
        Q(pk__in=claims.values("source_id")) | Q(pk__in=episode_claims.values("source_id"))
    )
    actor_ids = set(
        Attribution.objects.filter(incident__in=ids).values_list("actor_id", flat=True)
    ) | set(claims.exclude(perpetrator=None).values_list("perpetrator_id", flat=True))
    groups = VictimGroup.objects.filter(
        pk__in=Incident.victim_groups.through.objects.filter(incident__in=ids).values(
            "victimgroup_id"
        )
    )
    return {
        "sources": source_records(sources, internal=internal),
        "actors": actor_records(actor_ids),
        "episodes": episode_records(episodes, internal=internal),
        "victim_groups": group_records(groups),
    }


def stream_geojson(incidents: QuerySet[Incident], *, internal: bool = False) -> Iterator[bytes]:
    """The FeatureCollection, then a ``catalogue`` foreign member (RFC 7946 section 6.1)
    describing the sources, actors, episodes and victim groups the features name."""
    yield b'{"type":"FeatureCollection","features":['
    buffer: list[str] = []
    first = True
    size = chunk_size()
    for feature in geojson_features(incidents, internal=internal).iterator(chunk_size=size):
        if first:
            buffer.append(feature)
            first = False
        else:
            buffer.append("," + feature)
        if len(buffer) >= size:
            yield "".join(buffer).encode()
            buffer.clear()
    if buffer:
        yield "".join(buffer).encode()
    yield b'],"catalogue":' + orjson.dumps(catalogue(incidents, internal=internal)) + b"}"


# CSV header -> the column it is read from (annotations are made in csv_rows), or None for a
# column derived from other cells (see _derived). Columns are only ever added at the end, so
# that scripts reading earlier exports keep working.
# Columns that are not incident fields, each group after the field it follows.
_CSV_COMPUTED_AFTER: dict[str, dict[str, str | None]] = {
    "episode": {"perpetrators": None, "sources": None, "claim_count": None},
    "merged_into": {
        "victim_groups": "victim_group_list",
        "attributions": "attribution_json",
        "claims": "claim_json",
        "acled_event_id": None,
        "ucdp_ged_id": None,
        "external_ids": None,
    },
}
# Columns after the catalogue (added later, so after it): incident fields declared after
# the catalogue column was added come here too, in the order they were added.
_CSV_LATER: dict[str, str] = {
    "external_records": "external_record_json",
    "origin_database": "origin_database",
    "origin_id": "origin_id",
    "killed_high_open": "killed_high_open",
}
_CSV_SOURCES: dict[str, str | None] = {}
for _field in incident_fields(exported=True):
    if _field.exported_as in _CSV_LATER:
        continue
    _CSV_SOURCES[_field.exported_as] = _field.source
    _CSV_SOURCES.update(_CSV_COMPUTED_AFTER.get(_field.name, {}))
# Last, names beside the codes and each incident's address, for readers (api.readable).
CSV_COLUMNS: tuple[str, ...] = (*_CSV_SOURCES, "catalogue", *_CSV_LATER, *READABLE_COLUMNS)
# Cells that hold JSON: never defused (they start with [ or {), parsed by importers.
CSV_JSON_COLUMNS = frozenset({"attributions", "claims", "catalogue", "external_records"})

# Spreadsheets run a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: Any) -> Any:
    """Text a spreadsheet would run as a formula, prefixed with an apostrophe.

    Text that already starts with apostrophes before such a character gets one more, so
    that :func:`undefuse` gives back exactly the original.
    """
    if isinstance(value, str) and value.lstrip("'").startswith(_FORMULA_START):
        return "'" + value
    return value


def undefuse(value: str) -> str:
    """The text as it was before :func:`_safe` (for importers of the CSV)."""
    if value.startswith("'") and value.lstrip("'").startswith(_FORMULA_START):
        return value[1:]
    return value


# Columns computed from other cells (the claims', attributions' and records' JSON, which
# hold the same items in the same order) rather than read by a subquery each.
_DERIVED = frozenset(name for name, source in _CSV_SOURCES.items() if source is None)
_NAMES = (*_CSV_SOURCES, *_CSV_LATER)
_READ = tuple(name for name in _NAMES if name not in _DERIVED)


def csv_rows(incidents: QuerySet[Incident], *, internal: bool = False) -> QuerySet:
    """The cells read from the database, one tuple per incident, in the columns' order
    without the derived ones (see :data:`_DERIVED`)."""
    sources = {**_CSV_SOURCES, **_CSV_LATER}
    return (
        incidents.order_by("date_start", "pk")
        .annotate(
            victim_group_list=Coalesce(
                ordered(
                    Incident.victim_groups.through.objects.filter(incident=OuterRef("pk")),
                    F("victimgroup__slug"),
                    "victimgroup__slug",
                    kind="text",
                ),
                Value(""),
                output_field=TextField(),
            ),
            attribution_json=AsText(_attributions_json()),
            claim_json=AsText(_claims_json(internal=internal)),
            external_record_json=AsText(_external_records_json()),
            **_origin(),
        )
        .values_list(*(sources[name] for name in _READ))
    )


_AT = {name: index for index, name in enumerate(_READ)}
_TIMESTAMPS = (_AT["updated_at"], _AT["published_at"])
_FLAGS = tuple(_AT[f.exported_as] for f in incident_fields(exported=True) if f.kind == "flag")
_JSON_AT = frozenset(_AT[name] for name in CSV_JSON_COLUMNS if name in _AT)
# A cell starting with one of these may need the formula guard (see _safe).
_GUARDED = frozenset("'=+-@\t\r")


_DERIVED_ORDER = (
    "perpetrators",
    "sources",
    "claim_count",
    "acled_event_id",
    "ucdp_ged_id",
    "external_ids",
)


def _derived(claims: list[dict], attributions: list[dict], records: list[dict]) -> list[Any]:
    """The derived columns of one incident (in :data:`_DERIVED_ORDER`), as the subqueries
    that gave them did: lists joined with "; " in the same order, the first id of each data
    set by id."""
    first: dict[str, str] = {}
    for record in records:  # ordered by data set, then id
        first.setdefault(record["dataset"], record["id"])
    return [
        "; ".join(a["actor"] for a in attributions),
        "; ".join(c["source"] for c in claims),
        len(claims),
        first.get(ExternalDataset.ACLED),
        first.get(ExternalDataset.UCDP),
        "; ".join(f"{r['dataset']}:{r['id']}" for r in records),
    ]


# A row is written from a pool of cells: those read (in _READ's order), the derived ones,
# the catalogue's, then the readable ones; _ORDER picks them in the columns' order.
_POOL = (*_READ, *_DERIVED_ORDER, "catalogue", *READABLE_COLUMNS)
_ORDER = tuple(_POOL.index(name) for name in CSV_COLUMNS)
# Cells the formula guard applies to: all but the JSON ones.
_GUARD_AT = tuple(
    at for at, name in enumerate(_POOL) if name not in CSV_JSON_COLUMNS and at not in _TIMESTAMPS
)


def _csv_catalogue(
    rows: list[tuple], decoded: list[tuple[list, list]], seen: dict[str, set], *, internal: bool
) -> list[str]:
    """For each row, the catalogue entries it is the first to name (JSON text, or "")."""
    wanted: list[dict[str, set[str]]] = []
    for row, (claims, attributions) in zip(rows, decoded, strict=True):
        wanted.append(
            {
                "sources": {c["source"] for c in claims},
                "actors": {a["actor"] for a in attributions}
                | {c["perpetrator"] for c in claims if c["perpetrator"]},
                "episodes": {row[_AT["episode"]]} if row[_AT["episode"]] else set(),
                "victim_groups": set(filter(None, row[_AT["victim_groups"]].split("; "))),
            }
        )
    needed = {kind: set().union(*(w[kind] for w in wanted)) - seen[kind] for kind in seen}
    if not any(needed.values()):
        return [""] * len(rows)
    episodes = episode_records(
        Episode.objects.filter(slug__in=needed["episodes"]), internal=internal
    )
    for episode in episodes:
        needed["sources"] |= {c["source"] for c in episode["claims"]} - seen["sources"]
    actors = actor_records(
        Actor.objects.filter(slug__in=needed["actors"]).values_list("pk", flat=True)
    )
    records = {
        "sources": {
            r["slug"]: r
            for r in source_records(
                Source.objects.filter(slug__in=needed["sources"]), internal=internal
            )
        },
        "actors": {r["slug"]: r for r in actors},
        "episodes": {r["slug"]: r for r in episodes},
        "victim_groups": {
            r["slug"]: r
            for r in group_records(VictimGroup.objects.filter(slug__in=needed["victim_groups"]))
        },
    }
    cells = []
    for w in wanted:
        entry: dict[str, list[dict]] = {}
        # An episode's claims cite sources, and an actor's parents come first: both are
        # described in the same cell as what needs them, ahead of it.
        for episode_slug in w["episodes"]:
            if episode_slug in records["episodes"]:
                w["sources"] |= {c["source"] for c in records["episodes"][episode_slug]["claims"]}
        for kind in ("sources", "actors", "episodes", "victim_groups"):
            if kind == "actors":
                names = _with_parents(w["actors"], records["actors"])
            else:
                names = sorted(w[kind])
            fresh = [records[kind][n] for n in names if n not in seen[kind] and n in records[kind]]
            if fresh:
                entry[kind] = fresh
                seen[kind].update(r["slug"] for r in fresh)
        cells.append(orjson.dumps(entry).decode() if entry else "")
    return cells


def _with_parents(slugs: set[str], actors: dict[str, dict]) -> list[str]:
    """The actors' slugs with their parents', in the catalogue's order (parents first)."""
    order = list(actors)
    wanted = set()
    for slug in slugs:
        while slug and slug not in wanted:
            wanted.add(slug)
            slug = actors.get(slug, {}).get("parent")
    return [slug for slug in order if slug in wanted]


def stream_csv(
    incidents: QuerySet[Incident], *, internal: bool = False, readable: Readable | None = None
) -> Iterator[str]:
    """One row per incident. Claims and attributions are JSON cells; ``catalogue`` holds,
    on the first row that names each source, actor, episode or victim group, its record.
    ``readable``: the site's address and the language of the readable columns."""
    yield "\ufeff" + csv_line(CSV_COLUMNS)  # the BOM lets spreadsheets read UTF-8
    labels = (readable or Readable()).labeller()
    at_event_type, at_governorate, at_id = _AT["event_type"], _AT["governorate"], _AT["id"]
    seen: dict[str, set] = {
        kind: set() for kind in ("sources", "actors", "episodes", "victim_groups")
    }
    chunk: list[tuple] = []
    at_claims, at_attributions = _AT["claims"], _AT["attributions"]
    at_records = _AT["external_records"]

    def flush() -> str:
        decoded = [
            (orjson.loads(row[at_claims] or "[]"), orjson.loads(row[at_attributions] or "[]"))
            for row in chunk
        ]
        cells = _csv_catalogue(chunk, decoded, seen, internal=internal)
        lines = []
        for row, (claims, attributions), cell in zip(chunk, decoded, cells, strict=True):
            derived = _derived(claims, attributions, orjson.loads(row[at_records] or "[]"))
            # The cells read, then the derived ones, then the catalogue's: see _POOL.
            readable_cells = labels(
                row[at_event_type], row[at_governorate], attributions, claims, row[at_id]
            )
            pool = [*row, *derived, cell, *readable_cells]
            for at in _TIMESTAMPS:
                pool[at] = pool[at].isoformat() if pool[at] else ""
            for at in _FLAGS:
                pool[at] = "true" if pool[at] else "false"
            for at in _GUARD_AT:
                value = pool[at]
                if type(value) is str and value[:1] in _GUARDED:
                    pool[at] = _safe(value)
            lines.append(csv_line([pool[at] for at in _ORDER]))
        chunk.clear()
        return "".join(lines)

    size = chunk_size()
    for row in csv_rows(incidents, internal=internal).iterator(chunk_size=size):
        chunk.append(row)
        if len(chunk) >= size:
            yield flush()
    if chunk:
        yield flush()

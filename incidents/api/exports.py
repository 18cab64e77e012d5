"""Streaming exports of incidents as GeoJSON (RFC 7946) and CSV.

Both honour the same filters as the list and never hold the result in memory: rows come
from a server-side cursor in chunks and leave as soon as they are written. Each chunk's
claims, attributions, victim groups and outside records are read with one query each, and
the features and rows are written here with orjson (see "the exports as they stream"
below). ``feature_expression`` builds the same feature in SQL (correlated subqueries, see
``sqljson``): the benchmark's ``json_agg`` floor, and what the exports were built with
before; ``catalogue`` is the catalogue of an export computed from its queryset.
"""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from itertools import groupby
from operator import itemgetter
from typing import Any, TypeVar

import orjson
from django.conf import settings
from django.db import connections, transaction
from django.db.models import (
    BooleanField,
    Case,
    F,
    Func,
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
    IncidentOrigin,
    Source,
    VictimGroup,
)

from .readable import READABLE_COLUMNS, Readable, ReadableColumns
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


# --- the exports as they stream: plain rows, and what they list read per chunk -----------------
#
# A feature or CSV row is assembled here, not by the database: the incidents' own columns
# come from one server-side cursor (one index scan, no subquery per row), and for each chunk
# of them their claims, attributions, victim groups, outside records, origins and merge
# targets come from one query each (``incident_id IN`` the chunk). The database then does
# what it does fast (read rows through indexes) and this process writes the JSON with
# orjson. (They take turns: the cursor fetches the next chunk only when this one is
# written, so an export's time is the two added.) The result is the same, field for field,
# as when every feature was built by the database with a correlated subquery per list (the
# ``feature_expression`` above, kept as the benchmark's floor): tests compare the two.

# The incident's own fields in a Feature's properties (after ``breakdown``), in order.
_PROPERTY_FIELDS = tuple(
    f
    for f in incident_fields(exported=True)
    if f.name not in ("latitude", "longitude") and f.name not in BREAKDOWN_FIELDS
)
_PROPERTY_NAMES = tuple(f.exported_as for f in _PROPERTY_FIELDS)
_TIMESTAMP_NAMES = tuple(f.exported_as for f in _PROPERTY_FIELDS if f.kind == "timestamp")
_FLAG_NAMES = tuple(f.exported_as for f in _PROPERTY_FIELDS if f.kind == "flag")
# A row of the cursor: the key, the point, the breakdown, then the properties.
_ROW_HEAD = ("pk", "latitude", "longitude")
_BREAKDOWN_AT = slice(len(_ROW_HEAD), len(_ROW_HEAD) + len(BREAKDOWN_FIELDS))
_PROPERTIES_AT = slice(_BREAKDOWN_AT.stop, None)
_MERGED_AT = _PROPERTIES_AT.start + _PROPERTY_NAMES.index("merged_into")
_PUBLIC_ID_AT = _PROPERTIES_AT.start + _PROPERTY_NAMES.index("id")
_EPISODE_AT = _PROPERTIES_AT.start + _PROPERTY_NAMES.index("episode")

# The columns a claim is read from, in the order ``_claim`` takes them (a claim as exports
# write it: its source's description, its own values, the breakdown between the two).
_CLAIM_COLUMNS = (
    "incident_id",
    "source__slug",
    "source__publisher",
    "source__headline",
    "source__url",
    "source__publication_date",
    "attributed_to",
    "killed_min",
    "killed_max",
    "approximate",
    "figure_kind",
    "perpetrator_text",
    "perpetrator__slug",
    "place_as_reported",
    "date_as_reported",
    "quote",
    "external_record__dataset",
    "external_record__external_id",
    *BREAKDOWN_FIELDS,
)
_C_BREAKDOWN = slice(18, 18 + len(BREAKDOWN_FIELDS))
_C_NOTES = _C_BREAKDOWN.stop


def incident_rows(incidents: QuerySet[Incident]) -> QuerySet:
    """The incidents' own columns (see ``_ROW_HEAD``), in the exports' order. Foreign keys to
    small tables (places, episodes) are joined for their slugs; ``merged_into`` stays an id,
    read per chunk, so that the whole table is never hashed for a self-join."""
    columns = [*_ROW_HEAD, *BREAKDOWN_FIELDS]
    for field in _PROPERTY_FIELDS:
        columns.append("merged_into_id" if field.name == "merged_into" else field.source)
    return incidents.order_by("date_start", "pk").values_list(*columns)


def _dict_display(items: Iterable[tuple[str, str]]) -> Callable[[tuple], dict[str, Any]]:
    """A function making a dict from a row: ``items``, each a key and the Python expression
    of its value in terms of ``row`` (``"row[3]"``), written out as one dict display. The
    exports make a few dicts for each of a million rows, and a display takes half the time
    of zipping names with a slice of the row. Keys and expressions come from this module
    (field names and positions), never from data."""
    display = ", ".join(f"{key!r}: {value}" for key, value in items)
    return eval(f"lambda row: {{{display}}}")  # noqa: S307 (see above)


def _array_literal(ids: list[int]) -> str:
    """PostgreSQL's text form of an array of integers."""
    return "{" + ",".join(map(str, ids)) + "}"


class AmongIds(Func):
    """``column IN ids`` with the ids as one parameter (an array on PostgreSQL, a JSON
    array on SQLite): a chunk's two thousand ids cost Django nothing to prepare, where
    ``__in`` would check and bind each of them."""

    output_field = BooleanField()

    def __init__(self, column: str, ids: list[int]) -> None:
        super().__init__(F(column))
        self.ids = [int(i) for i in ids]

    def as_postgresql(self, compiler, connection, **extra_context):
        # The array as one text literal ('{1,2,3}'), not a list: psycopg2 would adapt each
        # id in Python and send ARRAY[1,2,3], which the server then parses and plans as two
        # thousand constants, for every query of every chunk.
        column, params = compiler.compile(self.source_expressions[0])
        return f"{column} = ANY(%s::bigint[])", [*params, _array_literal(self.ids)]

    def as_sqlite(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])
        return f"{column} IN (SELECT value FROM json_each(%s))", [  # noqa: S608 (a compiled column)
            *params,
            orjson.dumps(self.ids).decode(),
        ]


_FIRST = itemgetter(0)
_SECOND = itemgetter(1)
_RECORD = itemgetter(1, 2, 3)
_CLAIM_PERPETRATOR = itemgetter(_CLAIM_COLUMNS.index("perpetrator__slug"))
_EPISODE = itemgetter(_EPISODE_AT)


_attribution = _dict_display((("actor", "row[1]"), ("confidence", "row[2]"), ("note", "row[3]")))


class _Related:
    """What a chunk of incidents lists, each by incident id, read with one query each."""

    def __init__(self, rows: list[tuple], *, internal: bool) -> None:
        ids = [row[0] for row in rows]
        claims = list(_claim_rows(ids, internal=internal))
        self.claims = _grouped(claims, _internal_claim if internal else _claim)
        attributions = list(
            Attribution.objects.filter(AmongIds("incident_id", ids))
            .order_by("incident_id", "actor__slug")
            .values_list("incident_id", "actor__slug", "confidence", "note")
        )
        self.attributions = _grouped(attributions, _attribution)
        victim_groups = list(
            Incident.victim_groups.through.objects.filter(AmongIds("incident_id", ids))
            .order_by("incident_id", "victimgroup__slug")
            .values_list("incident_id", "victimgroup__slug")
        )
        self.victim_groups = _grouped(victim_groups, _SECOND)
        self.records = _grouped(record_rows(ids), _RECORD)
        # The slugs the chunk names, for the catalogue, taken from the rows (in C).
        self.sources = set(map(_SECOND, claims))
        self.actors = set(map(_SECOND, attributions)) | set(map(_CLAIM_PERPETRATOR, claims))
        self.victim_group_slugs = set(map(_SECOND, victim_groups))
        self.episodes = set(map(_EPISODE, rows))
        # The rows the names come from, for the CSV to find the incidents naming new ones.
        self.claim_rows, self.attribution_rows = claims, attributions
        self.victim_group_rows = victim_groups
        for slugs in (self.actors, self.episodes):
            slugs.discard(None)
            slugs.discard("")
        self.origins = {
            r[0]: (r[1], r[2])
            for r in IncidentOrigin.objects.filter(AmongIds("incident_id", ids)).values_list(
                "incident_id", "database", "public_id"
            )
        }
        merged = {row[_MERGED_AT] for row in rows if row[_MERGED_AT] is not None}
        self.merged_into = (
            dict(
                Incident._base_manager.filter(AmongIds("id", list(merged))).values_list(
                    "pk", "public_id"
                )
            )
            if merged
            else {}
        )


def record_rows(ids: list[int]) -> QuerySet:
    """The outside data set records of these incidents, by data set and id; their original
    rows stay JSON text, written into the output as they are."""
    return (
        ExternalRecord.objects.filter(AmongIds("incident_id", ids))
        .annotate(row_text=AsText(F("row")))
        .order_by("incident_id", "dataset", "external_id")
        .values_list("incident_id", "dataset", "external_id", "row_text")
    )


def _grouped(rows: Iterable[tuple], item: Any) -> dict[int, list]:
    """The items made from rows ordered by incident (their first column), by incident."""
    return {pk: list(map(item, group)) for pk, group in groupby(rows, _FIRST)}


def _claim_rows(ids: list[int], *, internal: bool) -> QuerySet:
    """The chunk's claims but a confidential source's, in the order of their ids."""
    columns = (*_CLAIM_COLUMNS, "notes") if internal else _CLAIM_COLUMNS
    return (
        Claim.objects.filter(AmongIds("incident_id", ids), source__confidential=False)
        .order_by("incident_id", "id")
        .values_list(*columns)
    )


_claim_breakdown = _dict_display(
    (name, f"row[{at}]") for at, name in enumerate(BREAKDOWN_FIELDS, start=_C_BREAKDOWN.start)
)


def _claim(row: tuple) -> dict[str, Any]:
    """A claim as exports write it, from its row (``_CLAIM_COLUMNS``). Written out as one
    dict display: an export makes two or three claims per incident, and this takes less
    than half the time of zipping the names with the values."""
    dataset = row[16]
    return {
        "source": row[1],
        "publisher": row[2],
        "headline": row[3],
        "url": row[4],
        "publication_date": row[5],
        "attributed_to": row[6],
        "killed_min": row[7],
        "killed_max": row[8],
        "approximate": row[9],
        "figure_kind": row[10],
        "breakdown": _claim_breakdown(row),
        "perpetrator_text": row[11],
        "perpetrator": row[12],
        "place_as_reported": row[13],
        "date_as_reported": row[14],
        "quote": row[15],
        "external_record": None if dataset is None else f"{dataset}:{row[17]}",
    }


def _internal_claim(row: tuple) -> dict[str, Any]:
    """A claim with the researchers' notes."""
    claim = _claim(row)
    claim["notes"] = row[_C_NOTES]
    return claim


def _chunks(
    incidents: QuerySet[Incident], *, internal: bool
) -> Iterator[tuple[list[tuple], _Related]]:
    size = chunk_size()
    rows: list[tuple] = []
    for row in incident_rows(incidents).iterator(chunk_size=size):
        rows.append(row)
        if len(rows) >= size:
            yield rows, _Related(rows, internal=internal)
            rows = []
    if rows:
        yield rows, _Related(rows, internal=internal)


def _written(
    incidents: QuerySet[Incident], *, internal: bool, write: Callable[[list[tuple], _Related], T]
) -> Iterator[T]:
    """Each chunk of the incidents, with what it lists, as ``write`` makes it into a piece
    of the export, the cyclic garbage collector held off while the piece is made.

    A chunk is some twenty thousand new row tuples, dicts and lists (and the text made of
    them), none in a cycle, all freed by their reference counts once the piece is made: the
    collector, set off by their number, walked them (and now and then the whole heap) to
    free nothing, a sixth of either export's CPU. It runs as usual between pieces, while
    one is sent, so it is never off while other code runs (and a client going away, or a
    failure, finds it on again). Left alone if something else has it off, as for pages
    (``readmodel.representation.documents``)."""
    chunks = _chunks(incidents, internal=internal)
    while True:
        held = gc.isenabled()
        if held:
            gc.disable()
        try:
            chunk = next(chunks, None)
            if chunk is None:
                return
            piece = write(*chunk)
            del chunk  # freed now, before the collector is back
        finally:
            if held:
                gc.enable()
        yield piece


_NONE: tuple = ()  # an empty list, shared (orjson writes a tuple as an array)


# The features' timestamps are written by orjson as the exports write them,
# ``2025-03-10T12:00:00Z``: whole seconds, UTC as Z. The database hands them over in UTC
# (Django's connections run in UTC with USE_TZ), so no call per timestamp converts them.
_FEATURES_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS | orjson.OPT_NAIVE_UTC


# The row's breakdown and own properties, in the order of a Feature's properties.
_row_properties = _dict_display(
    (
        (
            "breakdown",
            "{"
            + ", ".join(
                f"{name!r}: row[{at}]"
                for at, name in enumerate(BREAKDOWN_FIELDS, start=_BREAKDOWN_AT.start)
            )
            + "}",
        ),
        *((name, f"row[{at}]") for at, name in enumerate(_PROPERTY_NAMES, _PROPERTIES_AT.start)),
    )
)


def _feature(row: tuple, related: _Related, origin_database: str) -> dict[str, Any]:
    pk = row[0]
    properties = _row_properties(row)
    merged = row[_MERGED_AT]
    properties["merged_into"] = None if merged is None else related.merged_into.get(merged)
    attributions = related.attributions.get(pk, _NONE)
    records = related.records.get(pk)
    origin = related.origins.get(pk)
    properties["perpetrators"] = [a["actor"] for a in attributions]
    properties["attributions"] = attributions
    properties["victim_groups"] = related.victim_groups.get(pk, _NONE)
    properties["sources"] = related.claims.get(pk, _NONE)
    if records:
        first: dict[str, str] = {}
        for dataset, external_id, _ in records:  # ordered by data set, then id
            first.setdefault(dataset, external_id)
        properties["acled_event_id"] = first.get(ExternalDataset.ACLED)
        properties["ucdp_ged_id"] = first.get(ExternalDataset.UCDP)
        properties["external_ids"] = [{"dataset": d, "id": i} for d, i, _ in records]
        properties["external_records"] = [
            {"dataset": d, "id": i, "row": orjson.Fragment(text)} for d, i, text in records
        ]
    else:
        properties["acled_event_id"] = properties["ucdp_ged_id"] = None
        properties["external_ids"] = properties["external_records"] = _NONE
    properties["origin_database"] = origin[0] if origin else origin_database
    properties["origin_id"] = origin[1] if origin else row[_PUBLIC_ID_AT]
    latitude, longitude = row[1], row[2]
    geometry = (
        None
        if latitude is None or longitude is None
        else {"type": "Point", "coordinates": [longitude, latitude]}
    )
    return {
        "type": "Feature",
        "id": row[_PUBLIC_ID_AT],
        "geometry": geometry,
        "properties": properties,
    }


class _Named:
    """The slugs of the sources, actors, episodes and victim groups streamed features name."""

    def __init__(self) -> None:
        self.sources: set[str] = set()
        self.actors: set[str] = set()
        self.episodes: set[str] = set()
        self.victim_groups: set[str] = set()

    def add(self, related: _Related) -> None:
        self.sources |= related.sources
        self.actors |= related.actors
        self.episodes |= related.episodes
        self.victim_groups |= related.victim_group_slugs

    def catalogue(self, *, internal: bool) -> dict[str, list[dict]]:
        """As :func:`catalogue` of the same incidents, from the slugs seen."""
        episodes = episode_records(
            Episode.objects.filter(slug__in=self.episodes), internal=internal
        )
        sources = set(self.sources)
        for episode in episodes:
            sources.update(c["source"] for c in episode["claims"])
        actors = Actor.objects.filter(slug__in=self.actors).values_list("pk", flat=True)
        return {
            "sources": source_records(Source.objects.filter(slug__in=sources), internal=internal),
            "actors": actor_records(actors),
            "episodes": episodes,
            "victim_groups": group_records(VictimGroup.objects.filter(slug__in=self.victim_groups)),
        }


def stream_geojson(incidents: QuerySet[Incident], *, internal: bool = False) -> Iterator[bytes]:
    """The FeatureCollection, then a ``catalogue`` foreign member (RFC 7946 section 6.1)
    describing the sources, actors, episodes and victim groups the features name."""
    yield b'{"type":"FeatureCollection","features":['
    origin_database = database_id()
    named = _Named()
    dumps, options = orjson.dumps, _FEATURES_OPTIONS

    def features(rows: list[tuple], related: _Related) -> bytes:
        named.add(related)
        # Each feature is written as soon as it is made: none outlives its own step.
        return b",".join(
            [dumps(_feature(row, related, origin_database), option=options) for row in rows]
        )

    separator = b""
    for piece in _written(incidents, internal=internal, write=features):
        yield separator + piece
        separator = b","
    yield b'],"catalogue":' + orjson.dumps(named.catalogue(internal=internal)) + b"}"


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


# A cell starting with one of these may need the formula guard (see _safe).
_GUARDED = frozenset("'=+-@\t\r")
_ROW_NAMES = (*_ROW_HEAD, *BREAKDOWN_FIELDS, *_PROPERTY_NAMES)


def _csv_catalogue(
    wanted: list[dict[str, set[str]]], seen: dict[str, set], *, internal: bool
) -> list[str]:
    """For each row, the catalogue entries it is the first to name (JSON text, or "").

    ``wanted``: for each row, the slugs of the sources, actors, episodes and victim groups
    it names; ``seen``: those described on earlier rows (updated)."""
    needed = {kind: set().union(*(w[kind] for w in wanted)) - seen[kind] for kind in seen}
    if not any(needed.values()):
        return [""] * len(wanted)
    kinds = ("sources", "actors", "episodes", "victim_groups")
    episodes = episode_records(
        Episode.objects.filter(slug__in=needed["episodes"]), internal=internal
    )
    for episode in episodes:
        needed["sources"] |= {c["source"] for c in episode["claims"]} - seen["sources"]
    actors = actor_records(
        Actor.objects.filter(slug__in=needed["actors"]).values_list("pk", flat=True)
    )
    sources = Source.objects.filter(slug__in=needed["sources"])
    groups = VictimGroup.objects.filter(slug__in=needed["victim_groups"])
    records = {
        "sources": {r["slug"]: r for r in source_records(sources, internal=internal)},
        "actors": {r["slug"]: r for r in actors},
        "episodes": {r["slug"]: r for r in episodes},
        "victim_groups": {r["slug"]: r for r in group_records(groups)},
    }
    cells = []
    for w in wanted:
        if all(w[kind] <= seen[kind] for kind in kinds):
            cells.append("")  # nothing it names is new (an episode seen brought its sources)
            continue
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


# A chunk's CSV rows are written a column at a time, from a pool of columns: the cursor's
# columns (some rewritten), then the columns computed from the chunk's related rows, in
# _COMPUTED's order, then the readable ones; _CSV_ORDER picks them in the CSV's order.
# Column by column, the formula guard and the quoting look at a whole column's text at once
# (a search over it joined, in C) and go cell by cell only in a column that needs it, and
# the lines are joined from the columns without a step per cell in Python. The result is
# what the ``csv`` module writes (see ``incidents.csvtext``), byte for byte.
#
# The cells are joined into lines as UTF-8 bytes, not text: a line with one Arabic cell is
# text of two bytes a character, and joining it widened every other cell character by
# character (the join took a quarter of the CSV's formatting); bytes are copied as they
# are. Each column is encoded at once (joined, encoded, split again, all in C), and the
# lists' JSON comes from orjson as bytes and stays bytes.
_COMPUTED = (
    "perpetrators",
    "sources",
    "claim_count",
    "victim_groups",
    "attributions",
    "claims",
    "acled_event_id",
    "ucdp_ged_id",
    "external_ids",
    "external_records",
    "origin_database",
    "origin_id",
    "catalogue",
)
_CSV_POOL = (*_ROW_NAMES, *_COMPUTED, *READABLE_COLUMNS)
_CSV_ORDER = tuple(_CSV_POOL.index(name) for name in CSV_COLUMNS)
_ROW_TIMESTAMPS_AT = tuple(_ROW_NAMES.index(name) for name in _TIMESTAMP_NAMES)
_ROW_FLAGS_AT = tuple(_ROW_NAMES.index(name) for name in _FLAG_NAMES)
_EVENT_TYPE_AT = _ROW_NAMES.index("event_type")
_GOVERNORATE_AT = _ROW_NAMES.index("governorate")

# Columns of numbers and dates (never text: no formula guard, nothing to quote), columns
# written here as plain text (timestamps, flags, counts), and the JSON ones (quoted, never
# guarded); every other column is text, guarded and quoted as it needs.
_NUMBER_KINDS = ("count", "number", "date")
_NUMBER_COLUMNS = frozenset(
    f.exported_as for f in incident_fields(exported=True) if f.kind in _NUMBER_KINDS
)
_PLAIN_COLUMNS = frozenset((*_TIMESTAMP_NAMES, *_FLAG_NAMES, "claim_count"))
# The lists' JSON columns, written as CSV cells (bytes) when they are made (_json_cells).
_WRITTEN_COLUMNS = frozenset(("attributions", "claims", "external_records"))
_NUMBER, _PLAIN, _JSON, _TEXT, _WRITTEN = range(5)
_CSV_KINDS = tuple(
    _NUMBER
    if name in _NUMBER_COLUMNS
    else _WRITTEN
    if name in _WRITTEN_COLUMNS
    else _PLAIN
    if name in _PLAIN_COLUMNS
    else _JSON
    if name in CSV_JSON_COLUMNS
    else _TEXT
    for name in CSV_COLUMNS
)
# A cell of a joined column (each cell but the first preceded by NUL) that may need the
# formula guard: a NUL inside a cell (PostgreSQL text holds none) only sends its column cell
# by cell; and a character that makes a cell quoted.
_MAY_BE_FORMULA = re.compile(r"\x00['=+\-@\t\r]")
_NEEDS_QUOTES = re.compile('[",\r\n]')


def _quoted(value: str) -> str:
    """One cell as ``csv.writer`` writes it (the excel dialect's minimal quoting)."""
    if '"' in value:
        return '"' + value.replace('"', '""') + '"'
    if "," in value or "\n" in value or "\r" in value:
        return '"' + value + '"'
    return value


def _text_column(cells: list, *, kind: int) -> list[bytes]:
    """A column's cells as the CSV writes them, in UTF-8: ``None`` empty, numbers as
    ``str`` (``repr`` for floats), text guarded against formulas and quoted where needed."""
    if kind == _WRITTEN or not cells:
        return cells
    first = cells[0]
    if (
        type(first) is not float  # (0.0 == -0.0, written otherwise)
        and (first is cells[-1] or first == cells[-1])
        and cells.count(first) == len(cells)
    ):
        # One value all down the chunk's column (a breakdown left empty, the status, this
        # database's id as origin): written once. (``count`` reads the whole column, so it
        # is asked only where the first and last cells agree.)
        return _text_cells([first], kind=kind) * len(cells)
    return _text_cells(cells, kind=kind)


def _text_cells(cells: list, *, kind: int) -> list[bytes]:
    """The cells of ``_text_column``, each written (the column searched as one text)."""
    if None in cells:
        cells = ["" if value is None else value for value in cells]
    if kind == _NUMBER:
        cells = list(map(str, cells))
    # The column joined once serves the searches and the encoding: a column that needs
    # neither guard nor quotes (most: codes, slugs, names; a catalogue cell left empty) is
    # touched in C only.
    joined = "\x00".join(cells)
    if kind != _NUMBER:
        # JSON is never guarded: it starts with [ or {. A list of objects has quotes.
        guard = kind == _TEXT and (cells[0][:1] in _GUARDED or _MAY_BE_FORMULA.search(joined))
        quote = _NEEDS_QUOTES.search(joined)  # (the guard's apostrophe changes nothing here)
        if guard:
            cells = [_safe(value) if value[:1] in _GUARDED else value for value in cells]
        if quote:
            cells = [_quoted(value) for value in cells]
        if guard or quote:
            joined = "\x00".join(cells)
    encoded = joined.encode().split(b"\x00")
    if len(encoded) != len(cells):  # a NUL inside a cell (SQLite text may hold one)
        encoded = [value.encode() for value in cells]
    return encoded


def _quoted_json(text: bytes) -> bytes:
    """JSON text as a CSV cell (``_quoted``, on bytes)."""
    if b'"' in text:
        return b'"' + text.replace(b'"', b'""') + b'"'
    if b"," in text or b"\n" in text or b"\r" in text:
        return b'"' + text + b'"'
    return text


def _json_cells(lists: Iterable[Any]) -> list[bytes]:
    """Each list's JSON, as orjson writes it, as a CSV cell: quoted, its quotes doubled (a
    list of objects; an empty list, ``[]``, has nothing to quote)."""
    return [
        b'"' + text.replace(b'"', b'""') + b'"' if b'"' in text else _quoted_json(text)
        for text in map(orjson.dumps, lists)
    ]


def _csv_rows(
    rows: list[tuple],
    related: _Related,
    origin_database: str,
    catalogue_cells: list[str],
    labels: ReadableColumns,
) -> bytes:
    """A chunk of incidents' CSV records, in UTF-8."""
    pool: list[Any] = list(zip(*rows, strict=True))
    pks = pool[0]
    count = len(rows)
    for at in _ROW_TIMESTAMPS_AT:
        pool[at] = [value.isoformat() if value else "" for value in pool[at]]
    for at in _ROW_FLAGS_AT:
        pool[at] = ["true" if value else "false" for value in pool[at]]
    if pool[_MERGED_AT].count(None) < count:
        merged_into = related.merged_into.get
        pool[_MERGED_AT] = [
            None if merged is None else merged_into(merged) for merged in pool[_MERGED_AT]
        ]
    claims_of, attributions_of = related.claims.get, related.attributions.get
    claims = [claims_of(pk, _NONE) for pk in pks]
    attributions = [attributions_of(pk, _NONE) for pk in pks]
    victim_groups_of = related.victim_groups.get
    if related.records:
        records_of = related.records.get
        firsts, external_ids, external_records = [], [], []
        for pk in pks:
            records = records_of(pk)
            if not records:
                firsts.append({})
                external_ids.append("")
                external_records.append(_NONE)
                continue
            first: dict[str, str] = {}
            for dataset, external_id, _ in records:  # ordered by data set, then id
                first.setdefault(dataset, external_id)
            firsts.append(first)
            external_ids.append("; ".join(f"{d}:{i}" for d, i, _ in records))
            external_records.append(
                [{"dataset": d, "id": i, "row": orjson.Fragment(text)} for d, i, text in records]
            )
        acled = [first.get(ExternalDataset.ACLED) for first in firsts]
        ucdp = [first.get(ExternalDataset.UCDP) for first in firsts]
        external_records = _json_cells(external_records)
    else:
        acled = ucdp = [None] * count
        external_ids, external_records = [""] * count, [b"[]"] * count
    if related.origins:
        origins_of = related.origins.get
        origins = [origins_of(pk) for pk in pks]
        public_ids = pool[_PUBLIC_ID_AT]
        origin_databases = [o[0] if o else origin_database for o in origins]
        origin_ids = [o[1] if o else i for o, i in zip(origins, public_ids, strict=True)]
    else:
        origin_databases, origin_ids = [origin_database] * count, pool[_PUBLIC_ID_AT]
    pool.extend(
        (
            ["; ".join(map(_ACTOR_OF, items)) for items in attributions],
            ["; ".join(map(_SOURCE_OF, items)) for items in claims],
            list(map(str, map(len, claims))),
            ["; ".join(victim_groups_of(pk, _NONE)) for pk in pks],
            _json_cells(attributions),
            _json_cells(claims),
            acled,
            ucdp,
            external_ids,
            external_records,
            origin_databases,
            origin_ids,
            catalogue_cells,
        )
    )
    pool.extend(
        labels(
            pool[_EVENT_TYPE_AT], pool[_GOVERNORATE_AT], attributions, claims, pool[_PUBLIC_ID_AT]
        )
    )
    columns = [
        _text_column(pool[at], kind=kind) for at, kind in zip(_CSV_ORDER, _CSV_KINDS, strict=True)
    ]
    return b"\r\n".join(map(b",".join, zip(*columns, strict=True))) + b"\r\n"


_SOURCE_OF = itemgetter("source")
_ACTOR_OF = itemgetter("actor")
_PERPETRATOR_OF = itemgetter("perpetrator")


def _wanted(row: tuple, related: _Related) -> dict[str, set[str]]:
    """The slugs a row names, by kind. (Sets made with ``map`` over the claims and
    attributions, in C: for each row of every chunk that names something new.)"""
    pk = row[0]
    claims = related.claims.get(pk, _NONE)
    episode = row[_EPISODE_AT]
    actors = set(map(_ACTOR_OF, related.attributions.get(pk, _NONE)))
    actors.update(filter(None, map(_PERPETRATOR_OF, claims)))
    return {
        "sources": set(map(_SOURCE_OF, claims)),
        "actors": actors,
        "episodes": {episode} if episode else set(),
        "victim_groups": set(related.victim_groups.get(pk, _NONE)),
    }


def stream_csv(
    incidents: QuerySet[Incident], *, internal: bool = False, readable: Readable | None = None
) -> Iterator[bytes]:
    """One row per incident. Claims and attributions are JSON cells; ``catalogue`` holds,
    on the first row that names each source, actor, episode or victim group, its record.
    ``readable``: the site's address and the language of the readable columns."""
    yield ("\ufeff" + csv_line(CSV_COLUMNS)).encode()  # the BOM lets spreadsheets read UTF-8
    labels = (readable or Readable()).columns()
    seen: dict[str, set] = {
        kind: set() for kind in ("sources", "actors", "episodes", "victim_groups")
    }
    origin_database = database_id()

    def records(rows: list[tuple], related: _Related) -> bytes:
        catalogue_cells = [""] * len(rows)
        naming = _naming_new(rows, related, seen)
        if naming:
            cells = _csv_catalogue(
                [_wanted(rows[at], related) for at in naming], seen, internal=internal
            )
            for at, cell in zip(naming, cells, strict=True):
                catalogue_cells[at] = cell
        return _csv_rows(rows, related, origin_database, catalogue_cells, labels)

    yield from _written(incidents, internal=internal, write=records)


def _naming_new(rows: list[tuple], related: _Related, seen: dict[str, set]) -> list[int]:
    """The positions of the rows that name a source, actor, episode or victim group no
    earlier chunk described: only these can have a catalogue cell (a row naming only
    described ones has an empty one, and changes nothing for the rows after it). After the
    first chunks they are few, and the names of each row are gathered for these alone;
    they are found here from the chunk's related rows, a tuple each."""
    sources = related.sources - seen["sources"]
    actors = related.actors - seen["actors"]
    episodes = related.episodes - seen["episodes"]
    groups = related.victim_group_slugs - seen["victim_groups"]
    if not (sources or actors or episodes or groups):
        return []
    pks = {claim[0] for claim in related.claim_rows if claim[1] in sources}
    if actors:
        pks.update(claim[0] for claim in related.claim_rows if _CLAIM_PERPETRATOR(claim) in actors)
        pks.update(row[0] for row in related.attribution_rows if row[1] in actors)
    if groups:
        pks.update(row[0] for row in related.victim_group_rows if row[1] in groups)
    return [at for at, row in enumerate(rows) if row[0] in pks or row[_EPISODE_AT] in episodes]

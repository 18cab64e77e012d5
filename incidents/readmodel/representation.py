"""Turning pages of incidents into API documents, in a fixed number of small queries.

A page is read as plain tuples: the incidents' own columns (no joins); their claims, each
with its source and its perpetrator's slug; then in one statement their perpetrators (with
the actors' names), victim groups' slugs and outside ids, and the names of the places and
episodes the incidents refer to. Three statements on PostgreSQL whatever the page size,
each a simple index lookup, with the page's ids sent as one array value; the ORM reads the
same parts elsewhere. Then the documents are put together from the tuples directly, with
no model instances and no per-field serializer machinery, and orjson renders them. At 500
incidents with their claims this is what keeps a page in milliseconds.

The database does not build the documents' JSON itself: ``json_build_object`` looks up
each value's type as it goes, and at a page's thousand claims that costs the database
more than reading the rows costs Python. The shape is described by
``serializers.IncidentSerializer``; the schema tests hold the two together, and
``tests/document_reference.py`` keeps the earlier way of building them to compare with.

Claims of confidential sources are never part of a document.
"""

from __future__ import annotations

import gc
from collections import defaultdict, namedtuple
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any

import orjson
from django.db import connections, router
from django.urls import reverse

from incidents.models import (
    BREAKDOWN_FIELDS,
    Actor,
    Attribution,
    Claim,
    Episode,
    ExternalDataset,
    ExternalRecord,
    Incident,
    Source,
    VictimGroup,
)
from mapping.models import PRECISION_RADIUS_M, Place

from ..fieldspec import incident_fields
from . import prepared

INCIDENT_COLUMNS = ("id", *(f.column for f in incident_fields(in_document=True)))
# A row of INCIDENT_COLUMNS, read by name.
_IncidentRow = namedtuple("_IncidentRow", INCIDENT_COLUMNS)
# An incident row's breakdown figures, in the order of BREAKDOWN_FIELDS.
_breakdown = itemgetter(*(INCIDENT_COLUMNS.index(name) for name in BREAKDOWN_FIELDS))
# A claim's row: its columns (its perpetrator by slug), then its source's.
CLAIM_FIELDS = (
    "incident_id",
    "id",
    "source_id",
    "attributed_to",
    "killed_min",
    "killed_max",
    "approximate",
    "perpetrator_text",
    "perpetrator__slug",
    "place_as_reported",
    "date_as_reported",
    "quote",
    "figure_kind",
    *BREAKDOWN_FIELDS,
    *(
        f"source__{name}"
        for name in ("slug", "publisher", "headline", "url", "publication_date", "kind")
    ),
    "source__confidential",
)
_CLAIM_BREAKDOWN_AT = CLAIM_FIELDS.index(BREAKDOWN_FIELDS[0])
_SOURCE_AT = CLAIM_FIELDS.index("source__slug")
_CONFIDENTIAL_AT = CLAIM_FIELDS.index("source__confidential")

# The layout of an incident's document. Bump it whenever a document gains, loses or renames
# a member, or a member's value is written differently: documents kept with another shape
# are never served (see incidents.readmodel.documentcache). tests/test_document_cache.py holds
# the members of this shape and fails until both are changed together.
DOCUMENT_SHAPE = 4

# How documents are written to JSON, kept or served: UTC times end in Z; keys may be numbers.
JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def id_array(ids: Iterable[int]) -> str:
    """Ids as one PostgreSQL array value, for a ``%s::bigint[]`` parameter: psycopg2 would
    adapt a list of hundreds of ints one by one into ``ARRAY[...]``, which the server then
    parses as as many constants; one text value costs neither."""
    return "{" + ",".join([str(int(pk)) for pk in ids]) + "}"


class _Parts:
    """What a page's documents are made of, as tuples, by incident id."""

    def __init__(self) -> None:
        self.rows: dict[int, tuple] = {}
        self.claims: dict[int, list[tuple]] = defaultdict(list)  # CLAIM_FIELDS
        # (actor's slug, name, name_ar, confidence)
        self.perpetrators: dict[int, list[tuple]] = defaultdict(list)
        self.victim_groups: dict[int, list[str]] = defaultdict(list)  # slugs
        self.external: dict[int, list[tuple[str, str]]] = defaultdict(list)
        self.places: dict[int, tuple[str, str, str]] = {}  # (slug, name, name_ar)
        self.episodes: dict[int, str] = {}  # slug

    def places_and_episodes(self) -> tuple[list[int], list[int]]:
        places, episodes = set(), set()
        for row in self.rows.values():
            places.update((row.place_id, row.governorate_id, row.district_id))
            episodes.add(row.episode_id)
        places.discard(None)
        episodes.discard(None)
        return sorted(places), sorted(episodes)


# --- PostgreSQL: three plain statements -----------------------------------------------------

_INCIDENTS_SQL = (
    f"SELECT {', '.join(INCIDENT_COLUMNS)} FROM {Incident._meta.db_table} "  # noqa: S608
    "WHERE id = ANY(%s::bigint[])"
)


def _claim_column(field: str) -> str:
    if field == "perpetrator__slug":
        return "a.slug"
    if field.startswith("source__"):
        return "s." + field.removeprefix("source__")
    return "c." + field


_CLAIMS_SQL = (
    f"SELECT {', '.join(_claim_column(f) for f in CLAIM_FIELDS)} "  # noqa: S608
    f"FROM {Claim._meta.db_table} c "
    # LATERAL makes PostgreSQL look each source up by key rather than hash the whole
    # source table: half the time at 500 incidents.
    f"JOIN LATERAL (SELECT * FROM {Source._meta.db_table} WHERE id = c.source_id) s ON true "
    f"LEFT JOIN {Actor._meta.db_table} a ON a.id = c.perpetrator_id "
    "WHERE c.incident_id = ANY(%s::bigint[]) ORDER BY c.id"
)

# The rest in one statement, each row (kind, key, up to four texts): a perpetrator, a victim
# group, an outside id (by incident), a place or an episode (by its own id).
_REST_SQL = " UNION ALL ".join(
    [
        f"SELECT 'a', t.incident_id, a.slug, a.name, a.name_ar, t.confidence "  # noqa: S608
        f"FROM {Attribution._meta.db_table} t "
        f"JOIN {Actor._meta.db_table} a ON a.id = t.actor_id "
        "WHERE t.incident_id = ANY(%(ids)s::bigint[])",
        f"SELECT 'v', m.incident_id, v.slug, NULL, NULL, NULL "  # noqa: S608
        f"FROM {Incident.victim_groups.through._meta.db_table} m "
        f"JOIN {VictimGroup._meta.db_table} v ON v.id = m.victimgroup_id "
        "WHERE m.incident_id = ANY(%(ids)s::bigint[])",
        "SELECT 'x', incident_id, dataset, external_id, NULL, NULL "  # noqa: S608
        f"FROM {ExternalRecord._meta.db_table} WHERE incident_id = ANY(%(ids)s::bigint[])",
        f"SELECT 'p', id, slug, name, name_ar, NULL FROM {Place._meta.db_table} "  # noqa: S608
        "WHERE id = ANY(%(places)s::bigint[])",
        f"SELECT 'e', id, slug, NULL, NULL, NULL FROM {Episode._meta.db_table} "  # noqa: S608
        "WHERE id = ANY(%(episodes)s::bigint[])",
    ]
)


# Prepared once a connection (incidents.readmodel.prepared): their planning was about a
# third of their time.
_INCIDENTS = prepared.Statement(
    "document_incidents", ("bigint[]",), _INCIDENTS_SQL.replace("%s", "$1")
)
_CLAIMS = prepared.Statement("document_claims", ("bigint[]",), _CLAIMS_SQL.replace("%s", "$1"))
_REST = prepared.Statement(
    "document_rest",
    ("bigint[]", "bigint[]", "bigint[]"),
    _REST_SQL.replace("%(ids)s", "$1").replace("%(places)s", "$2").replace("%(episodes)s", "$3"),
)


def _read_postgresql(connection, ids: Sequence[int]) -> _Parts:
    parts = _Parts()
    wanted = id_array(ids)
    with connection.cursor() as cursor:
        prepared.execute(connection, cursor, _INCIDENTS, [wanted])
        parts.rows = {row[0]: _IncidentRow._make(row) for row in cursor.fetchall()}
        prepared.execute(connection, cursor, _CLAIMS, [wanted])
        claims = parts.claims
        for claim in cursor.fetchall():
            claims[claim[0]].append(claim)
        places, episodes = parts.places_and_episodes()
        prepared.execute(connection, cursor, _REST, [wanted, id_array(places), id_array(episodes)])
        rest = cursor.fetchall()
    for kind, key, *values in rest:
        if kind == "a":
            parts.perpetrators[key].append(tuple(values))
        elif kind == "v":
            parts.victim_groups[key].append(values[0])
        elif kind == "x":
            parts.external[key].append((values[0], values[1]))
        elif kind == "p":
            parts.places[key] = (values[0], values[1], values[2])
        else:
            parts.episodes[key] = values[0]
    return parts


# --- elsewhere: the ORM ---------------------------------------------------------------------


def _read_orm(ids: Sequence[int]) -> _Parts:
    parts = _Parts()
    ids = list(ids)
    parts.rows = {
        row[0]: _IncidentRow._make(row)
        for row in Incident.objects.filter(id__in=ids).values_list(*INCIDENT_COLUMNS)
    }
    for claim in (
        Claim.objects.filter(incident_id__in=ids).order_by("id").values_list(*CLAIM_FIELDS)
    ):
        parts.claims[claim[0]].append(claim)
    for incident_id, *perpetrator in Attribution.objects.filter(incident_id__in=ids).values_list(
        "incident_id", "actor__slug", "actor__name", "actor__name_ar", "confidence"
    ):
        parts.perpetrators[incident_id].append(tuple(perpetrator))
    through = Incident.victim_groups.through
    for incident_id, slug in through.objects.filter(incident_id__in=ids).values_list(
        "incident_id", "victimgroup__slug"
    ):
        parts.victim_groups[incident_id].append(slug)
    for incident_id, dataset, external_id in ExternalRecord.objects.filter(
        incident_id__in=ids
    ).values_list("incident_id", "dataset", "external_id"):
        parts.external[incident_id].append((dataset, external_id))
    places, episodes = parts.places_and_episodes()
    for pk, *names in Place.objects.filter(pk__in=places).values_list(
        "pk", "slug", "name", "name_ar"
    ):
        parts.places[pk] = tuple(names)
    parts.episodes = dict(Episode.objects.filter(pk__in=episodes).values_list("pk", "slug"))
    return parts


# --- the documents --------------------------------------------------------------------------


def _breakdown_of(figures: Sequence[int | None]) -> dict[str, int | None]:
    """A breakdown's figures (in the order of BREAKDOWN_FIELDS) by name. Written out: a
    page makes over a thousand of these, and ``dict(zip(...))`` takes four times as long.
    ``tests/document_reference.py`` builds them from BREAKDOWN_FIELDS itself."""
    civilians, children, women, medical_personnel, security_forces, combatants = figures
    return {
        "civilians": civilians,
        "children": children,
        "women": women,
        "medical_personnel": medical_personnel,
        "security_forces": security_forces,
        "combatants": combatants,
    }


def _by_name(perpetrator: tuple) -> tuple[str, str]:
    return perpetrator[1], perpetrator[0]


def external_id_fields(records: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """An incident's ids in outside data sets: all of them, and the first of ACLED and UCDP
    as columns of their own (an incident merged from several rows keeps them all)."""
    first = {}
    for dataset, external_id in records:
        first.setdefault(dataset, external_id)
    return {
        "acled_event_id": first.get(ExternalDataset.ACLED),
        "ucdp_ged_id": first.get(ExternalDataset.UCDP),
        "external_ids": [{"dataset": d, "id": i} for d, i in records],
    }


def documents(ids: Sequence[int]) -> list[dict[str, Any]]:
    """The API documents of these incidents, in this order."""
    if not ids:
        return []
    # A page's documents are some ten thousand new dicts, lists and row tuples, none in a
    # cycle: the cyclic collector, set off by their number, would walk them (and every so
    # often the whole heap, a hundred thousand objects) to free nothing, about a quarter of
    # the time a page takes to build. Held off while they are made; it runs as usual after.
    # Left alone if something else has it off (with threads, the first to finish restarts it).
    if not gc.isenabled():
        return _documents(ids)
    gc.disable()
    try:
        return _documents(ids)
    finally:
        gc.enable()


def _documents(ids: Sequence[int]) -> list[dict[str, Any]]:
    # The router's choice for the request (a replica for anonymous reads, config.replicas).
    connection = connections[router.db_for_read(Incident)]
    if connection.vendor == "postgresql":
        parts = _read_postgresql(connection, ids)
    else:
        parts = _read_orm(ids)
    rows, claims_by_incident, episodes = parts.rows, parts.claims, parts.episodes
    perpetrators_by_incident, victims, external = (
        parts.perpetrators,
        parts.victim_groups,
        parts.external,
    )

    detail = reverse("api:incident-detail", kwargs={"public_id": "ID"})
    before, _, after = detail.partition("ID")
    # What many documents of a page show alike (a source, a place) is made once and shared
    # by them: the documents are rendered, never changed (nor are the shared constants).
    areas = {
        pk: {"slug": slug, "name": name, "name_ar": name_ar}
        for pk, (slug, name, name_ar) in parts.places.items()
    }
    sources: dict[int, dict[str, Any]] = {}
    breakdown_at, source_at, confidential_at = _CLAIM_BREAKDOWN_AT, _SOURCE_AT, _CONFIDENTIAL_AT
    result = []
    for pk in ids:
        row = rows[pk]
        claims = []
        confidential_claims = 0
        for c in claims_by_incident.get(pk, ()):
            if c[confidential_at]:  # confidential: never outside the admin, only counted
                confidential_claims += 1
                continue
            source = sources.get(c[2])
            if source is None:
                source = sources[c[2]] = {
                    "slug": c[source_at],
                    "publisher": c[source_at + 1],
                    "headline": c[source_at + 2],
                    "url": c[source_at + 3],
                    "publication_date": c[source_at + 4],
                    "kind": c[source_at + 5],
                }
            claims.append(
                {
                    "id": c[1],
                    "source": source,
                    "attributed_to": c[3],
                    "killed_min": c[4],
                    "killed_max": c[5],
                    "approximate": bool(c[6]),
                    "figure_kind": c[12],
                    "breakdown": _breakdown_of(c[breakdown_at:source_at]),
                    "perpetrator_text": c[7],
                    "perpetrator": c[8],
                    "place_as_reported": c[9],
                    "date_as_reported": c[10],
                    "quote": c[11],
                }
            )
        named = perpetrators_by_incident.get(pk)
        if named is None:
            perpetrators = []
        else:
            if len(named) > 1:
                named.sort(key=_by_name)
            perpetrators = [
                {"actor": slug, "name": name, "name_ar": name_ar, "confidence": confidence}
                for slug, name, name_ar, confidence in named
            ]
        groups = victims.get(pk)
        records = external.get(pk)
        outside = external_id_fields(sorted(records)) if records else None
        place_id, governorate_id, district_id = row.place_id, row.governorate_id, row.district_id
        result.append(
            {
                "id": row.public_id,
                "url": before + row.public_id + after,
                "title": row.title,
                "title_ar": row.title_ar,
                "summary": row.summary,
                "summary_ar": row.summary_ar,
                "event_type": row.event_type,
                "date_start": row.date_start,
                "date_end": row.date_end,
                "date_precision": row.date_precision,
                "location": {
                    "latitude": row.latitude,
                    "longitude": row.longitude,
                    "precision": row.location_precision,
                    "precision_radius_m": PRECISION_RADIUS_M.get(row.location_precision),
                    "place_name": row.place_name,
                    "note": row.location_note,
                    "place": None if place_id is None else areas[place_id],
                    "governorate": None if governorate_id is None else areas[governorate_id],
                    "district": None if district_id is None else areas[district_id],
                },
                "killed": {
                    "low": row.killed_low,
                    "best": row.killed_best,
                    "high": row.killed_high,
                    "high_open": bool(row.killed_high_open),
                    "rule": row.figure_rule,
                    "rationale": row.figure_rationale,
                    "breakdown": _breakdown_of(_breakdown(row)),
                    # Whether a reviewer had the range count confidential claims, and then
                    # how many there are (never which, nor what they say).
                    "includes_confidential": bool(row.figures_include_confidential),
                    "confidential_claims": confidential_claims
                    if row.figures_include_confidential
                    else None,
                },
                "grade": row.grade,
                "status": row.status,
                "retraction_reason": row.retraction_reason,
                "episode": episodes.get(row.episode_id),
                "perpetrators": perpetrators,
                "victim_groups": sorted(groups) if groups else [],
                "claims": claims,
                "source_count": len({claim["source"]["slug"] for claim in claims}),
                "acled_event_id": outside["acled_event_id"] if outside else None,
                "ucdp_ged_id": outside["ucdp_ged_id"] if outside else None,
                "external_ids": outside["external_ids"] if outside else [],
                "version": row.version,
                "created_at": row.created_at,
                "updated_at": row.updated_at,
                "published_at": row.published_at,
            }
        )
    return result


def document(incident: Incident) -> dict[str, Any]:
    return documents([incident.pk])[0]

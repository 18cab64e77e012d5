"""Turning pages of incidents into API documents, in a fixed number of small queries.

A page is read as plain tuples: the incidents' own columns (no joins), their claims, their
perpetrators, victim groups and outside ids by incident id, and the few places, sources,
actors and episodes these refer to by primary key. A few queries whatever the page size
(four on PostgreSQL), each made of simple index lookups; then the documents are put
together from the tuples directly, with no model instances and no per-field serializer
machinery, and orjson renders them. At 500 incidents with their claims this is what keeps
a page in milliseconds. The shape is described by ``serializers.IncidentSerializer``; the
schema tests hold the two together.

Claims of confidential sources are never part of a document.
"""

from __future__ import annotations

from collections import defaultdict, namedtuple
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any

import orjson
from django.db import connections, router
from django.db.models import Model
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

INCIDENT_COLUMNS = ("id", *(f.column for f in incident_fields(in_document=True)))
# A row of INCIDENT_COLUMNS, read by name.
_IncidentRow = namedtuple("_IncidentRow", INCIDENT_COLUMNS)
# An incident row's breakdown figures, in the order of BREAKDOWN_FIELDS.
_breakdown = itemgetter(*(INCIDENT_COLUMNS.index(name) for name in BREAKDOWN_FIELDS))
CLAIM_COLUMNS = (
    "incident_id",
    "id",
    "source_id",
    "attributed_to",
    "killed_min",
    "killed_max",
    "approximate",
    "perpetrator_text",
    "perpetrator_id",
    "place_as_reported",
    "date_as_reported",
    "quote",
    "figure_kind",
    *BREAKDOWN_FIELDS,
)
_CLAIM_BREAKDOWN_AT = len(CLAIM_COLUMNS) - len(BREAKDOWN_FIELDS)


def _rows(model: type[Model], columns: Sequence[str], key: str, ids: Iterable[int]) -> list[tuple]:
    """``columns`` of ``model``'s rows whose ``key`` column is one of ``ids``.

    On PostgreSQL this is one plain statement with the ids as a single array parameter:
    at hundreds of ids, Django's ``__in`` spends longer preparing the list and iterating
    the rows than the database spends finding them, and psycopg2 already returns the
    Python types the ORM would. The columns and tables are the models' own names, never
    input. Elsewhere the ORM reads the rows, with its converters.
    """
    ids = list(ids)
    connection = connections[router.db_for_read(model)]
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT {', '.join(columns)} FROM {model._meta.db_table} "  # noqa: S608
            f"WHERE {key} = ANY(%s)"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [ids])
            return cursor.fetchall()
    return list(model.objects.filter(**{f"{key}__in": ids}).values_list(*columns))


SOURCE_COLUMNS = (
    "slug",
    "publisher",
    "headline",
    "url",
    "publication_date",
    "kind",
    "confidential",
)
_SOURCE_AT = len(CLAIM_COLUMNS)
_CONFIDENTIAL_AT = _SOURCE_AT + SOURCE_COLUMNS.index("confidential")


def _claims(ids: Sequence[int]) -> list[tuple]:
    """The incidents' claims, each followed by its source's ``SOURCE_COLUMNS``."""
    connection = connections[router.db_for_read(Claim)]
    if connection.vendor == "postgresql":
        claim, source = Claim._meta.db_table, Source._meta.db_table
        columns = [f"c.{c}" for c in CLAIM_COLUMNS] + [f"s.{c}" for c in SOURCE_COLUMNS]
        sql = (
            # LATERAL makes PostgreSQL look each source up by key rather than hash the
            # whole source table: half the time at 500 incidents.
            f"SELECT {', '.join(columns)} FROM {claim} c "  # noqa: S608
            f"JOIN LATERAL (SELECT * FROM {source} WHERE id = c.source_id) s ON true "
            "WHERE c.incident_id = ANY(%s) ORDER BY c.id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [list(ids)])
            return cursor.fetchall()
    return list(
        Claim.objects.filter(incident_id__in=ids)
        .order_by("id")
        .values_list(*CLAIM_COLUMNS, *(f"source__{c}" for c in SOURCE_COLUMNS))
    )


# The small records a page refers to, each read as (slug, name, name_ar).
_NAMED: dict[str, tuple[type[Model], tuple[str, str, str]]] = {
    "actor": (Actor, ("slug", "name", "name_ar")),
    "place": (Place, ("slug", "name", "name_ar")),
    "episode": (Episode, ("slug", "title", "title_ar")),
    "group": (VictimGroup, ("slug", "name", "name_ar")),
}


def _named(wanted: dict[str, Iterable[int | None]]) -> dict[str, dict[int, tuple]]:
    """Slug and names of the actors, places, episodes and victim groups wanted, by id."""
    ids = {kind: sorted({pk for pk in pks if pk is not None}) for kind, pks in wanted.items()}
    found: dict[str, dict[int, tuple]] = {kind: {} for kind in wanted}
    # The router's choice for the request (a replica for anonymous reads, config.replicas).
    connection = connections[router.db_for_read(Actor)]
    if connection.vendor == "postgresql":
        # One round trip for the four small lookups.
        parts, params = [], []
        for kind, pks in ids.items():
            if pks:
                model, (a, b, c) = _NAMED[kind]
                parts.append(
                    f"SELECT %s::text, id, {a}, {b}, {c} "  # noqa: S608
                    f"FROM {model._meta.db_table} WHERE id = ANY(%s)"
                )
                params += [kind, pks]
        if parts:
            with connection.cursor() as cursor:
                cursor.execute(" UNION ALL ".join(parts), params)
                for kind, pk, *names in cursor.fetchall():
                    found[kind][pk] = tuple(names)
        return found
    for kind, pks in ids.items():
        model, fields = _NAMED[kind]
        for pk, *names in model.objects.filter(pk__in=pks).values_list("pk", *fields):
            found[kind][pk] = tuple(names)
    return found


_VICTIMS = Incident.victim_groups.through


def _parts(
    ids: Sequence[int],
) -> tuple[dict[int, list[tuple]], dict[int, list[int]], dict[int, list[tuple[str, str]]]]:
    """The incidents' perpetrators (actor id, confidence), victim group ids and outside
    ids (data set, id), by incident id."""
    attributions: dict[int, list[tuple]] = defaultdict(list)
    victims: dict[int, list[int]] = defaultdict(list)
    external: dict[int, list[tuple[str, str]]] = defaultdict(list)
    connection = connections[router.db_for_read(Attribution)]
    if connection.vendor == "postgresql":
        # One round trip for the three: each part is an index lookup by incident, and at
        # one incident (the answer to a write) the round trips were most of their cost.
        sql = (
            "SELECT 1, incident_id, actor_id, confidence, NULL::text "  # noqa: S608
            f"FROM {Attribution._meta.db_table} WHERE incident_id = ANY(%s) "
            "UNION ALL SELECT 2, incident_id, victimgroup_id, NULL::text, NULL::text "
            f"FROM {_VICTIMS._meta.db_table} WHERE incident_id = ANY(%s) "
            "UNION ALL SELECT 3, incident_id, NULL, dataset, external_id "
            f"FROM {ExternalRecord._meta.db_table} WHERE incident_id = ANY(%s)"
        )
        ids = list(ids)
        with connection.cursor() as cursor:
            cursor.execute(sql, [ids, ids, ids])
            for part, incident_id, key, first, second in cursor.fetchall():
                if part == 1:
                    attributions[incident_id].append((key, first))
                elif part == 2:
                    victims[incident_id].append(key)
                else:
                    external[incident_id].append((first, second))
        return attributions, victims, external
    for incident_id, actor_id, confidence in _rows(
        Attribution, ("incident_id", "actor_id", "confidence"), "incident_id", ids
    ):
        attributions[incident_id].append((actor_id, confidence))
    for incident_id, group_id in _rows(
        _VICTIMS, ("incident_id", "victimgroup_id"), "incident_id", ids
    ):
        victims[incident_id].append(group_id)
    for incident_id, dataset, external_id in _rows(
        ExternalRecord, ("incident_id", "dataset", "external_id"), "incident_id", ids
    ):
        external[incident_id].append((dataset, external_id))
    return attributions, victims, external


def _by_name(perpetrator: dict[str, str]) -> tuple[str, str]:
    return perpetrator["name"], perpetrator["actor"]


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


# The layout of an incident's document. Bump it whenever a document gains, loses or renames
# a member, or a member's value is written differently: documents kept with another shape
# are never served (see incidents.readmodel.documentcache). tests/test_document_cache.py holds
# the members of this shape and fails until both are changed together.
DOCUMENT_SHAPE = 4

# How documents are written to JSON, kept or served: UTC times end in Z; keys may be numbers.
JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def documents(ids: Sequence[int]) -> list[dict[str, Any]]:
    """The API documents of these incidents, in this order."""
    if not ids:
        return []
    rows = {row[0]: _IncidentRow._make(row) for row in _rows(Incident, INCIDENT_COLUMNS, "id", ids)}
    claims_by_incident: dict[int, list[tuple]] = defaultdict(list)
    for claim in _claims(ids):
        claims_by_incident[claim[0]].append(claim)
    attributions, victims, external = _parts(ids)
    all_claims = [c for claims in claims_by_incident.values() for c in claims]
    named = _named(
        {
            "actor": [a for pairs in attributions.values() for a, _ in pairs]
            + [c[8] for c in all_claims],
            "place": [
                pk
                for row in rows.values()
                for pk in (row.place_id, row.governorate_id, row.district_id)
            ],
            "episode": [row.episode_id for row in rows.values()],
            "group": [g for gs in victims.values() for g in gs],
        }
    )
    actors, places, episodes, groups = (
        named["actor"],
        named["place"],
        named["episode"],
        named["group"],
    )

    detail = reverse("api:incident-detail", kwargs={"public_id": "ID"})
    before, _, after = detail.partition("ID")
    # What many documents of a page show alike (a source, a place) is made once and shared
    # by them: the documents are rendered, never changed.
    areas = {
        pk: {"slug": slug, "name": name, "name_ar": name_ar}
        for pk, (slug, name, name_ar) in places.items()
    }
    sources: dict[int, dict[str, Any]] = {}
    result = []
    for pk in ids:
        row = rows[pk]
        claims = []
        confidential_claims = 0
        for c in claims_by_incident[pk]:
            if c[_CONFIDENTIAL_AT]:  # confidential: never outside the admin, only counted
                confidential_claims += 1
                continue
            source = sources.get(c[2])
            if source is None:
                source = sources[c[2]] = {
                    "slug": c[_SOURCE_AT],
                    "publisher": c[_SOURCE_AT + 1],
                    "headline": c[_SOURCE_AT + 2],
                    "url": c[_SOURCE_AT + 3],
                    "publication_date": c[_SOURCE_AT + 4],
                    "kind": c[_SOURCE_AT + 5],
                }
            perpetrator = actors[c[8]][0] if c[8] is not None else None
            claims.append(
                {
                    "id": c[1],
                    "source": source,
                    "attributed_to": c[3],
                    "killed_min": c[4],
                    "killed_max": c[5],
                    "approximate": bool(c[6]),
                    "figure_kind": c[12],
                    "breakdown": dict(
                        zip(BREAKDOWN_FIELDS, c[_CLAIM_BREAKDOWN_AT:_SOURCE_AT], strict=True)
                    ),
                    "perpetrator_text": c[7],
                    "perpetrator": perpetrator,
                    "place_as_reported": c[9],
                    "date_as_reported": c[10],
                    "quote": c[11],
                }
            )
        perpetrators = [
            {
                "actor": actors[actor_id][0],
                "name": actors[actor_id][1],
                "name_ar": actors[actor_id][2],
                "confidence": confidence,
            }
            for actor_id, confidence in attributions[pk]
        ]
        if len(perpetrators) > 1:
            perpetrators.sort(key=_by_name)
        episode = episodes.get(row.episode_id)
        records = sorted(external[pk]) if pk in external else ()
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
                    "place": None if row.place_id is None else areas[row.place_id],
                    "governorate": (
                        None if row.governorate_id is None else areas[row.governorate_id]
                    ),
                    "district": None if row.district_id is None else areas[row.district_id],
                },
                "killed": {
                    "low": row.killed_low,
                    "best": row.killed_best,
                    "high": row.killed_high,
                    "high_open": bool(row.killed_high_open),
                    "rule": row.figure_rule,
                    "rationale": row.figure_rationale,
                    "breakdown": dict(zip(BREAKDOWN_FIELDS, _breakdown(row), strict=True)),
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
                "episode": episode[0] if episode else None,
                "perpetrators": perpetrators,
                "victim_groups": sorted(groups[g][0] for g in victims[pk]),
                "claims": claims,
                "source_count": len({claim["source"]["slug"] for claim in claims}),
                **external_id_fields(records),
                "version": row.version,
                "created_at": row.created_at,
                "updated_at": row.updated_at,
                "published_at": row.published_at,
            }
        )
    return result


def document(incident: Incident) -> dict[str, Any]:
    return documents([incident.pk])[0]

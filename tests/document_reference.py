"""Incident documents as ``incidents.readmodel.representation`` built them with one query
for each kind of record a page refers to (the incidents, their claims with their sources,
their perpetrators, victim groups and outside ids, then the names these refer to), read
through the ORM; kept to check that the documents built afresh are the same, byte for byte.
"""

from __future__ import annotations

from collections import defaultdict, namedtuple
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any

from django.db.models import Model
from django.urls import reverse

from incidents.fieldspec import incident_fields
from incidents.models import (
    BREAKDOWN_FIELDS,
    Actor,
    Attribution,
    Claim,
    Episode,
    ExternalDataset,
    ExternalRecord,
    Incident,
    VictimGroup,
)
from mapping.models import PRECISION_RADIUS_M, Place

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
    return list(model.objects.filter(**{f"{key}__in": list(ids)}).values_list(*columns))


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
    for kind, pks in ids.items():
        model, fields = _NAMED[kind]
        for pk, *names in model.objects.filter(pk__in=pks).values_list("pk", *fields):
            found[kind][pk] = tuple(names)
    return found


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


def documents(ids: Sequence[int]) -> list[dict[str, Any]]:
    """The API documents of these incidents, in this order."""
    if not ids:
        return []
    rows = {row[0]: _IncidentRow._make(row) for row in _rows(Incident, INCIDENT_COLUMNS, "id", ids)}
    claims_by_incident: dict[int, list[tuple]] = defaultdict(list)
    for claim in _claims(ids):
        claims_by_incident[claim[0]].append(claim)
    attributions: dict[int, list[tuple]] = defaultdict(list)
    for incident_id, actor_id, confidence in _rows(
        Attribution, ("incident_id", "actor_id", "confidence"), "incident_id", ids
    ):
        attributions[incident_id].append((actor_id, confidence))
    victims: dict[int, list[int]] = defaultdict(list)
    through = Incident.victim_groups.through
    for incident_id, group_id in _rows(
        through, ("incident_id", "victimgroup_id"), "incident_id", ids
    ):
        victims[incident_id].append(group_id)

    external: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for incident_id, dataset, external_id in _rows(
        ExternalRecord, ("incident_id", "dataset", "external_id"), "incident_id", ids
    ):
        external[incident_id].append((dataset, external_id))

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

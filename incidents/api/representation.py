"""Turning pages of incidents into API documents, in a fixed number of small queries.

A page is read as plain tuples: the incidents' own columns (no joins), their claims, their
perpetrators and victim groups by incident id, and the few places, sources, actors and
episodes these refer to by primary key. Nine queries whatever the page size, each a simple
index lookup; then the documents are put together from the tuples directly, with no model
instances and no per-field serializer machinery, and orjson renders them. At 500 incidents
with their claims this is what keeps a page in milliseconds. The shape is described by
``serializers.IncidentSerializer``; the schema tests hold the two together.

Claims of confidential sources are never part of a document.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Model
from django.urls import reverse

from incidents.models import (
    BREAKDOWN_FIELDS,
    Actor,
    Attribution,
    Claim,
    Episode,
    Incident,
    Source,
    VictimGroup,
)
from mapping.models import PRECISION_RADIUS_M, Place

from . import lookups  # noqa: F401 - registers the __any lookup used below

INCIDENT_COLUMNS = (
    "id",
    "public_id",
    "title",
    "title_ar",
    "summary",
    "summary_ar",
    "event_type",
    "date_start",
    "date_end",
    "date_precision",
    "latitude",
    "longitude",
    "location_precision",
    "place_name",
    "location_note",
    "place_id",
    "governorate_id",
    "district_id",
    "episode_id",
    "killed_low",
    "killed_best",
    "killed_high",
    "figure_rule",
    "figure_rationale",
    "grade",
    "status",
    "retraction_reason",
    "version",
    "created_at",
    "updated_at",
    "published_at",
    *BREAKDOWN_FIELDS,
)
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
    *BREAKDOWN_FIELDS,
)
_BREAKDOWN_AT = len(INCIDENT_COLUMNS) - len(BREAKDOWN_FIELDS)
_CLAIM_BREAKDOWN_AT = len(CLAIM_COLUMNS) - len(BREAKDOWN_FIELDS)


def _by_pk(model: type[Model], pks: Iterable[int | None], *fields: str) -> dict[int, tuple]:
    wanted = {pk for pk in pks if pk is not None}
    if not wanted:
        return {}
    return {
        row[0]: row[1:] for row in model.objects.filter(pk__any=wanted).values_list("pk", *fields)
    }


def _area(areas: dict[int, tuple], pk: int | None) -> dict[str, str] | None:
    if pk is None:
        return None
    slug, name, name_ar = areas[pk]
    return {"slug": slug, "name": name, "name_ar": name_ar}


def documents(ids: Sequence[int]) -> list[dict[str, Any]]:
    """The API documents of these incidents, in this order."""
    if not ids:
        return []
    rows = {
        row[0]: row for row in Incident.objects.filter(pk__any=ids).values_list(*INCIDENT_COLUMNS)
    }
    claims_by_incident: dict[int, list[tuple]] = defaultdict(list)
    for claim in (
        Claim.objects.filter(incident_id__any=ids).order_by("id").values_list(*CLAIM_COLUMNS)
    ):
        claims_by_incident[claim[0]].append(claim)
    attributions: dict[int, list[tuple]] = defaultdict(list)
    for incident_id, actor_id, confidence in Attribution.objects.filter(
        incident_id__any=ids
    ).values_list("incident_id", "actor_id", "confidence"):
        attributions[incident_id].append((actor_id, confidence))
    victims: dict[int, list[int]] = defaultdict(list)
    through = Incident.victim_groups.through
    for incident_id, group_id in through.objects.filter(incident_id__any=ids).values_list(
        "incident_id", "victimgroup_id"
    ):
        victims[incident_id].append(group_id)

    all_claims = [c for claims in claims_by_incident.values() for c in claims]
    sources = _by_pk(
        Source,
        (c[2] for c in all_claims),
        "slug",
        "publisher",
        "headline",
        "url",
        "publication_date",
        "kind",
        "confidential",
    )
    actors = _by_pk(
        Actor,
        [a for pairs in attributions.values() for a, _ in pairs] + [c[8] for c in all_claims],
        "slug",
        "name",
        "name_ar",
    )
    places = _by_pk(
        Place,
        [pk for row in rows.values() for pk in (row[15], row[16], row[17])],
        "slug",
        "name",
        "name_ar",
    )
    episodes = _by_pk(Episode, (row[18] for row in rows.values()), "slug")
    groups = _by_pk(VictimGroup, (g for gs in victims.values() for g in gs), "slug")

    detail = reverse("api:incident-detail", kwargs={"public_id": "ID"})
    before, _, after = detail.partition("ID")
    result = []
    for pk in ids:
        row = rows[pk]
        claims = []
        for c in claims_by_incident[pk]:
            source = sources[c[2]]
            if source[6]:  # confidential: never outside the admin
                continue
            perpetrator = actors[c[8]][0] if c[8] is not None else None
            claims.append(
                {
                    "id": c[1],
                    "source": {
                        "slug": source[0],
                        "publisher": source[1],
                        "headline": source[2],
                        "url": source[3],
                        "publication_date": source[4],
                        "kind": source[5],
                    },
                    "attributed_to": c[3],
                    "killed_min": c[4],
                    "killed_max": c[5],
                    "approximate": c[6],
                    "breakdown": dict(zip(BREAKDOWN_FIELDS, c[_CLAIM_BREAKDOWN_AT:], strict=True)),
                    "perpetrator_text": c[7],
                    "perpetrator": perpetrator,
                    "place_as_reported": c[9],
                    "date_as_reported": c[10],
                    "quote": c[11],
                }
            )
        perpetrators = sorted(
            (
                {
                    "actor": actors[actor_id][0],
                    "name": actors[actor_id][1],
                    "name_ar": actors[actor_id][2],
                    "confidence": confidence,
                }
                for actor_id, confidence in attributions[pk]
            ),
            key=lambda p: (p["name"], p["actor"]),
        )
        episode = episodes.get(row[18])
        result.append(
            {
                "id": row[1],
                "url": before + row[1] + after,
                "title": row[2],
                "title_ar": row[3],
                "summary": row[4],
                "summary_ar": row[5],
                "event_type": row[6],
                "date_start": row[7],
                "date_end": row[8],
                "date_precision": row[9],
                "location": {
                    "latitude": row[10],
                    "longitude": row[11],
                    "precision": row[12],
                    "precision_radius_m": PRECISION_RADIUS_M.get(row[12]),
                    "place_name": row[13],
                    "note": row[14],
                    "place": _area(places, row[15]),
                    "governorate": _area(places, row[16]),
                    "district": _area(places, row[17]),
                },
                "killed": {
                    "low": row[19],
                    "best": row[20],
                    "high": row[21],
                    "rule": row[22],
                    "rationale": row[23],
                    "breakdown": dict(zip(BREAKDOWN_FIELDS, row[_BREAKDOWN_AT:], strict=True)),
                },
                "grade": row[24],
                "status": row[25],
                "retraction_reason": row[26],
                "episode": episode[0] if episode else None,
                "perpetrators": perpetrators,
                "victim_groups": sorted(groups[g][0] for g in victims[pk]),
                "claims": claims,
                "source_count": len({claim["source"]["slug"] for claim in claims}),
                "version": row[27],
                "created_at": row[28],
                "updated_at": row[29],
                "published_at": row[30],
            }
        )
    return result


def document(incident: Incident) -> dict[str, Any]:
    return documents([incident.pk])[0]

"""Turning pages of incidents into API documents, in a fixed number of queries.

A page is read as plain ``values()`` rows: one query for the incidents (with their places
joined), one for their claims and sources, one for their perpetrators, one for their victim
groups, whatever the page size. No model instances and no per-field serializer machinery:
at 500 incidents with their claims this is what keeps a page in milliseconds. The shape
is documented by the serializers in ``schema.py``, and the schema tests hold the two
together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from incidents.models import BREAKDOWN_FIELDS, Attribution, Claim, Incident
from mapping.models import PRECISION_RADIUS_M

_AREA = ("slug", "name", "name_ar")

INCIDENT_VALUES: tuple[str, ...] = (
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
    *(f"place__{f}" for f in _AREA),
    *(f"governorate__{f}" for f in _AREA),
    *(f"district__{f}" for f in _AREA),
    "episode__slug",
    "killed_low",
    "killed_best",
    "killed_high",
    *BREAKDOWN_FIELDS,
    "figure_rule",
    "figure_rationale",
    "grade",
    "status",
    "retraction_reason",
    "version",
    "created_at",
    "updated_at",
    "published_at",
)

CLAIM_VALUES: tuple[str, ...] = (
    "id",
    "incident_id",
    "source__slug",
    "source__publisher",
    "source__headline",
    "source__url",
    "source__publication_date",
    "source__kind",
    "attributed_to",
    "killed_min",
    "killed_max",
    "approximate",
    *BREAKDOWN_FIELDS,
    "perpetrator_text",
    "perpetrator__slug",
    "place_as_reported",
    "date_as_reported",
    "quote",
)


def _area(row: dict[str, Any], prefix: str) -> dict[str, str] | None:
    slug = row[f"{prefix}__slug"]
    if slug is None:
        return None
    return {"slug": slug, "name": row[f"{prefix}__name"], "name_ar": row[f"{prefix}__name_ar"]}


def claim_document(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "source": {
            "slug": row["source__slug"],
            "publisher": row["source__publisher"],
            "headline": row["source__headline"],
            "url": row["source__url"],
            "publication_date": row["source__publication_date"],
            "kind": row["source__kind"],
        },
        "attributed_to": row["attributed_to"],
        "killed_min": row["killed_min"],
        "killed_max": row["killed_max"],
        "approximate": row["approximate"],
        "breakdown": {name: row[name] for name in BREAKDOWN_FIELDS},
        "perpetrator_text": row["perpetrator_text"],
        "perpetrator": row["perpetrator__slug"],
        "place_as_reported": row["place_as_reported"],
        "date_as_reported": row["date_as_reported"],
        "quote": row["quote"],
    }


def public_claims(incident_ids: Sequence[int]) -> QuerySet[Claim]:
    """Claims of these incidents, without those from confidential sources (admin only)."""
    return Claim.objects.filter(incident_id__in=incident_ids, source__confidential=False)


def incident_documents(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """API documents for incident rows read with ``INCIDENT_VALUES``, in three more queries."""
    ids = [row["id"] for row in rows]
    claims: dict[int, list[dict[str, Any]]] = defaultdict(list)
    perpetrators: dict[int, list[dict[str, Any]]] = defaultdict(list)
    victims: dict[int, list[str]] = defaultdict(list)
    if ids:
        for claim in public_claims(ids).order_by("incident_id", "id").values_list(*CLAIM_VALUES):
            claims[claim[1]].append(claim_document(dict(zip(CLAIM_VALUES, claim, strict=True))))
        for attribution in (
            Attribution.objects.filter(incident_id__in=ids)
            .order_by("incident_id", "actor__name")
            .values("incident_id", "actor__slug", "actor__name", "actor__name_ar", "confidence")
        ):
            perpetrators[attribution["incident_id"]].append(
                {
                    "actor": attribution["actor__slug"],
                    "name": attribution["actor__name"],
                    "name_ar": attribution["actor__name_ar"],
                    "confidence": attribution["confidence"],
                }
            )
        through = Incident.victim_groups.through
        for incident_id, slug in (
            through.objects.filter(incident_id__in=ids)
            .order_by("incident_id", "victimgroup__slug")
            .values_list("incident_id", "victimgroup__slug")
        ):
            victims[incident_id].append(slug)
    detail = reverse("api:incident-detail", kwargs={"public_id": "ID"})
    return [
        incident_document(
            row,
            claims=claims[row["id"]],
            perpetrators=perpetrators[row["id"]],
            victim_groups=victims[row["id"]],
            url=detail.replace("ID", row["public_id"]),
        )
        for row in rows
    ]


def incident_document(
    row: dict[str, Any],
    *,
    claims: list[dict[str, Any]],
    perpetrators: list[dict[str, Any]],
    victim_groups: list[str],
    url: str,
) -> dict[str, Any]:
    return {
        "id": row["public_id"],
        "url": url,
        "title": row["title"],
        "title_ar": row["title_ar"],
        "summary": row["summary"],
        "summary_ar": row["summary_ar"],
        "event_type": row["event_type"],
        "date_start": row["date_start"],
        "date_end": row["date_end"],
        "date_precision": row["date_precision"],
        "location": {
            "latitude": row["latitude"],
            "longitude": row["longitude"],
            "precision": row["location_precision"],
            "precision_radius_m": PRECISION_RADIUS_M.get(row["location_precision"]),
            "place_name": row["place_name"],
            "note": row["location_note"],
            "place": _area(row, "place"),
            "governorate": _area(row, "governorate"),
            "district": _area(row, "district"),
        },
        "killed": {
            "low": row["killed_low"],
            "best": row["killed_best"],
            "high": row["killed_high"],
            "rule": row["figure_rule"],
            "rationale": row["figure_rationale"],
            "breakdown": {name: row[name] for name in BREAKDOWN_FIELDS},
        },
        "grade": row["grade"],
        "status": row["status"],
        "retraction_reason": row["retraction_reason"],
        "episode": row["episode__slug"],
        "perpetrators": perpetrators,
        "victim_groups": victim_groups,
        "claims": claims,
        "source_count": len({c["source"]["slug"] for c in claims}),
        "version": row["version"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "published_at": row["published_at"],
    }


def incident_rows(incidents: QuerySet[Incident]) -> list[dict[str, Any]]:
    """``INCIDENT_VALUES`` rows as dicts (tuples zipped: cheaper than ``values()``)."""
    return [
        dict(zip(INCIDENT_VALUES, row, strict=True))
        for row in incidents.values_list(*INCIDENT_VALUES)
    ]

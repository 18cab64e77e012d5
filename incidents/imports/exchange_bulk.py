"""New incidents of an own-format import (GeoJSON, CSV), written in bulk.

Importing an export into an empty database creates every incident, and through the
services each costs a few dozen queries (``full_clean`` checks every constraint with a
query, ``save`` runs the read model's signals). Here the incidents of a batch that are new
are written the way ``batch`` writes ACLED rows:

1. **Checked in Python with the models' own rules**: ``full_clean`` on unsaved instances
   of the incident, its claims, attributions and outside data set records, without the
   queries (references were looked up when the file was read; keys are checked below), the
   governorate and district from the point as ``incident_create`` sets them, the figures
   reconciled from the claims, and each workflow step the file's status needs checked as
   the workflow services check it, with the importing user's permissions (a researcher
   cannot publish by importing). An incident that fails is reported and not written.
2. **Public ids reserved as a block** per year: the file's id when it is free, else the
   next of the sequence, which is kept past every id taken.
3. **Inserted in bulk** (``rows.insert_with_history``): incidents as drafts with a history
   entry "Created", then each workflow step as an update and a history entry naming it
   ("Published", "Retracted: ..."); then origins, outside data set records (their claims
   point at them), claims, attributions, victim groups, with their history.
4. **The map's cells** of the published incidents refreshed, the longest-incident bound
   widened: what ``save()`` does through signals. New incidents have no kept document.

Incidents the file gives more than once, that share a record, that are exported as merged,
or that match an incident here go through the services one at a time, as does a batch the
database refuses in bulk, so a bad incident fails alone.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from incidents import services
from incidents.models import (
    BREAKDOWN_FIELDS,
    Attribution,
    Claim,
    ExternalRecord,
    FigureRule,
    Incident,
    IncidentOrigin,
    PublicIdSequence,
    SourceKind,
    Status,
)
from incidents.readmodel import generation, mapcells, statsums
from incidents.reconciliation import ClaimedFigure, reconcile
from mapping.aggregation import fine_cell, tile_key

from . import rows
from .report import RowError

# The workflow steps from a draft to each status, with the permission each needs and the
# action named when it is refused (as the workflow services name it).
STEPS: dict[str, tuple[str, ...]] = {
    Status.DRAFT: (),
    Status.IN_REVIEW: ("submit",),
    Status.PUBLISHED: ("publish",),
    Status.RETRACTED: ("publish", "retract"),
}
PERMISSIONS = {
    "submit": ("submit_incident", "submit incidents for review"),
    "publish": ("publish_incident", "publish incidents"),
    "retract": ("retract_incident", "retract incidents"),
}
STEP_STATUS = {"submit": Status.IN_REVIEW, "publish": Status.PUBLISHED, "retract": Status.RETRACTED}
# Foreign keys are checked by the lookups that found them, not by a query each.
INCIDENT_KEYS = [
    "public_id",
    "place",
    "governorate",
    "district",
    "episode",
    "created_by",
    "updated_by",
    "merged_into",
]
CLAIM_KEYS = ["incident", "source", "perpetrator", "external_record"]


@dataclass
class Plan:
    """One new incident, checked, ready to insert."""

    index: int
    read: Any  # exchange.ReadIncident
    incident: Incident
    wanted: str | None
    steps: tuple[str, ...]
    claims: list[Claim] = field(default_factory=list)
    links: list[tuple[str, str] | None] = field(default_factory=list)
    attributions: list[Attribution] = field(default_factory=list)
    records: list[ExternalRecord] = field(default_factory=list)


def _user_id(user: Any) -> int | None:
    return user.pk if user is not None and user.is_authenticated else None


def plan(
    index: int,
    read: Any,
    *,
    user: Any,
    run: Any,
    published_at: dt.datetime,
    retraction_reason: str,
) -> Plan:
    """Check a new incident as the services would create it and take it through the
    workflow to its status; raises what they raise. ``published_at``: the time exported, or
    now; ``retraction_reason``: the one exported, or the importer's own."""
    if user is not None:
        services._require_perm(user, "add_incident", "create incidents")
    services._check_fields(read.fields, services.INCIDENT_FIELDS, "An incident")
    known = user if _user_id(user) is not None else None
    incident = Incident(
        **read.fields,
        figure_rule=read.rule,
        figure_rationale=read.rationale,
        status=Status.DRAFT,
        created_by=known,
        updated_by=known,
    )
    if read.rule == FigureRule.MANUAL:
        for name, value in services._manual_figures(read.figures).items():
            setattr(incident, name, value)
    services._set_admin_areas(incident, read.fields)
    claims = []
    for values in read.claims:
        services._check_fields(values, services.CLAIM_FIELDS, "A claim")
        claim = Claim(**values)
        claim.full_clean(exclude=CLAIM_KEYS, validate_unique=False, validate_constraints=False)
        claims.append(claim)
    if read.rule != FigureRule.MANUAL:
        result = reconcile(
            read.rule,
            [
                ClaimedFigure(
                    minimum=claim.killed_min,
                    maximum=claim.killed_max,
                    source_kind=claim.source.kind if claim.source else SourceKind.DATASET,
                    breakdown={name: getattr(claim, name) for name in BREAKDOWN_FIELDS},
                )
                for claim in claims
            ],
        )
        for name, value in result.incident_figures().items():
            setattr(incident, name, value)
    incident.full_clean(exclude=INCIDENT_KEYS, validate_unique=False, validate_constraints=False)

    attributions = []
    for values in read.attributions:
        services._check_fields(values, {"actor", "confidence", "note"}, "An attribution")
        attribution = Attribution(**values)
        attribution.full_clean(
            exclude=["incident", "actor"], validate_unique=False, validate_constraints=False
        )
        attributions.append(attribution)
    records = []
    for dataset, external_id, row in read.external:
        record = ExternalRecord(
            dataset=dataset, external_id=external_id, row=row or {}, import_run=run
        )
        record.full_clean(
            exclude=["row", "incident", "import_run"],
            validate_unique=False,
            validate_constraints=False,
        )
        records.append(record)
    have = {(record.dataset, record.external_id) for record in records}
    for link in read.links:
        if link is not None and link not in have:
            raise RowError(
                f"the claim names {link[0]}:{link[1]}, which is not among the incident's records",
                field="external_record",
            )

    steps = STEPS[read.status]
    for step in steps:
        if user is not None:
            services._require_perm(user, *PERMISSIONS[step])
        if step in ("submit", "publish"):
            problems = services.publication_problems_of(
                located=incident.latitude is not None and incident.longitude is not None,
                quotes=[claim.quote for claim in claims],
            )
            if problems:
                raise ValidationError({"status": problems})
    if read.status in (Status.PUBLISHED, Status.RETRACTED):
        incident.published_at = published_at
    if read.status == Status.RETRACTED:
        incident.retraction_reason = retraction_reason.strip()
    return Plan(
        index=index,
        read=read,
        incident=incident,
        wanted=None,
        steps=steps,
        claims=claims,
        links=list(read.links),
        attributions=attributions,
        records=records,
    )


def reserve_public_ids(plans: Sequence[Plan]) -> None:
    """Each plan's public id: the one it wants (free here: checked by the caller), else the
    next of its year's sequence, which is kept past every id taken."""
    prefix = settings.INCIDENT_MAP["PUBLIC_ID_PREFIX"]
    wanted: dict[str, int] = {}
    for item in plans:
        if item.wanted:
            match = services.PUBLIC_ID_RE.match(item.wanted)
            assert match is not None  # checked with the plan
            wanted[match["prefix"]] = max(wanted.get(match["prefix"], 0), int(match["number"]))
    needed = Counter(
        f"{prefix}-{item.incident.date_start.year}" for item in plans if not item.wanted
    )
    following: dict[str, int] = {}
    for name in sorted(set(wanted) | set(needed)):
        sequence, _ = PublicIdSequence.objects.select_for_update().get_or_create(prefix=name)
        following[name] = max(sequence.last_number, wanted.get(name, 0)) + 1
        last = following[name] - 1 + needed.get(name, 0)
        if last != sequence.last_number:
            sequence.last_number = last
            sequence.save(update_fields=["last_number"])
    for item in plans:
        if item.wanted:
            item.incident.public_id = item.wanted
        else:
            name = f"{prefix}-{item.incident.date_start.year}"
            item.incident.public_id = f"{name}-{following[name]:04d}"
            following[name] += 1


def _row(instance: Any, table: rows.Table) -> rows.Row:
    return {f.attname: getattr(instance, f.attname) for f in table.fields}


def write(plans: Sequence[Plan], *, user: Any, reason: str, here: str, now: dt.datetime) -> None:
    """Insert the planned incidents and everything they hold (see the module's docstring)."""
    user_id = _user_id(user)
    reserve_public_ids(plans)
    incidents_table = rows.table(Incident)
    new_rows = []
    for item in plans:
        incident = item.incident
        if incident.latitude is None or incident.longitude is None:
            incident.map_cx = incident.map_cy = incident.map_tile = None
        else:
            incident.map_cx, incident.map_cy = fine_cell(incident.latitude, incident.longitude)
            incident.map_tile = tile_key(incident.map_cx, incident.map_cy)
        incident.version = 1
        new_rows.append(_row(incident, incidents_table))
    ids = rows.insert_with_history(Incident, new_rows, now=now, user_id=user_id, reasons="Created")
    for item, pk in zip(plans, ids, strict=True):
        item.incident.pk = pk

    # The workflow, a step at a time, each with its history entry.
    depth = max((len(item.steps) for item in plans), default=0)
    trail = rows.table(Incident, history=True)
    for level in range(depth):
        by_status: dict[str, list[tuple[int, str]]] = {}
        for item in plans:
            if len(item.steps) > level:
                step = item.steps[level]
                label = {
                    "submit": "Submitted for review",
                    "publish": "Published",
                    "retract": f"Retracted: {item.incident.retraction_reason}",
                }[step]
                by_status.setdefault(STEP_STATUS[step], []).append((item.incident.pk, label))
        for status, pairs in by_status.items():
            pks = [pk for pk, _ in pairs]
            for start in range(0, len(pks), 500):
                Incident.objects.filter(pk__in=pks[start : start + 500]).update(
                    status=status, version=F("version") + 1
                )
            assert isinstance(trail, rows.HistoryTable)
            trail.copy_from_table(
                incidents_table,
                pks,
                now=now,
                kind="~",
                user_id=user_id,
                reasons=[label for _, label in pairs],
            )
    for item in plans:
        item.incident.status = item.read.status
        item.incident.version = 1 + len(item.steps)

    origins = [
        {
            "incident_id": item.incident.pk,
            "database": item.read.origin_database,
            "public_id": item.read.origin_id,
        }
        for item in plans
        if item.read.origin_database and item.read.origin_database != here
    ]
    rows.insert_with_history(
        IncidentOrigin, origins, now=now, user_id=user_id, reasons="", history=False
    )

    record_table = rows.table(ExternalRecord)
    records, owners = [], []
    for item in plans:
        for record in item.records:
            record.incident_id = item.incident.pk
            records.append(_row(record, record_table))
            owners.append((item, record))
    record_ids = rows.insert_with_history(
        ExternalRecord, records, now=now, user_id=user_id, reasons=reason
    )
    for (_, record), pk in zip(owners, record_ids, strict=True):
        record.pk = pk

    claim_table = rows.table(Claim)
    claims = []
    for item in plans:
        by_pair = {(r.dataset, r.external_id): r.pk for r in item.records}
        for claim, link in zip(item.claims, item.links, strict=True):
            claim.incident_id = item.incident.pk
            claim.external_record_id = by_pair[link] if link is not None else None
            claims.append(_row(claim, claim_table))
    rows.insert_with_history(Claim, claims, now=now, user_id=user_id, reasons=[None] * len(claims))
    attribution_table = rows.table(Attribution)
    attributions = []
    for item in plans:
        for attribution in item.attributions:
            attribution.incident_id = item.incident.pk
            attributions.append(_row(attribution, attribution_table))
    rows.insert_with_history(
        Attribution, attributions, now=now, user_id=user_id, reasons=[None] * len(attributions)
    )
    _victim_groups(plans)
    _map(plans)


def _victim_groups(plans: Sequence[Plan]) -> None:
    """The incidents' victim groups, and the same groups on each of their history entries
    (django-simple-history keeps an incident's groups with every entry)."""
    through = Incident.victim_groups.through
    links = [
        {"incident_id": item.incident.pk, "victimgroup_id": group.pk}
        for item in plans
        for group in dict.fromkeys(item.read.groups)
    ]
    if not links:
        return
    link_ids = rows.insert_with_history(
        through, links, now=timezone.now(), user_id=None, reasons="", history=False
    )
    by_incident: dict[int, list[tuple[int, int]]] = {}
    for link, pk in zip(links, link_ids, strict=True):
        by_incident.setdefault(link["incident_id"], []).append((pk, link["victimgroup_id"]))
    history = Incident.history.model  # type: ignore[attr-defined]
    kept = next(
        relation.related_model
        for relation in history._meta.related_objects
        if relation.related_model.__name__.endswith("_victim_groups")
    )
    entries = []
    pks = list(by_incident)
    for start in range(0, len(pks), 500):
        for history_id, incident_id in history.objects.filter(
            id__in=pks[start : start + 500]
        ).values_list("history_id", "id"):
            for link_id, group_id in by_incident[incident_id]:
                entries.append(
                    {
                        "id": link_id,
                        "incident_id": incident_id,
                        "victimgroup_id": group_id,
                        "history_id": history_id,
                    }
                )
    table = rows.table(kept)
    table.insert([table.complete(entry, timezone.now()) for entry in entries])


def _map(plans: Sequence[Plan]) -> None:
    cells = {
        (item.incident.map_cx, item.incident.map_cy)
        for item in plans
        if item.incident.status == Status.PUBLISHED and item.incident.map_cx is not None
    }
    if cells:
        mapcells.refresh(sorted(cells))
    # The keys an updated incident was summed under are not known here: the statistics'
    # sums are recomputed whole.
    statsums.rebuild()
    # The rows were written in bulk, bypassing save() and its signals.
    generation.changed()
    longest = max(
        ((item.incident.date_end - item.incident.date_start).days for item in plans), default=0
    )
    mapcells._grow_span(longest)

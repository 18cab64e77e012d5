"""What changed in an incident since its last published version, read from its history.

A reviewer asked to publish an incident that the public saw before needs to know what is
new, not to read the whole record again. The history (django-simple-history) keeps every
saved state of incidents, claims and perpetrator attributions; the last state in which the
incident was published is compared, field by field, with the incident as it is now, and
its claims and perpetrators then with those of today: added, removed or changed.

Values are given as the admin shows them (choices by their label, related records by their
name), so the comparison reads as a list of edits. Read-only: nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from . import fieldspec
from .models import Actor, Attribution, Claim, Incident, Source, Status

# The history entry of a submission names this reason: the review queue finds by it who
# submitted an incident, and when.
SUBMITTED = "Submitted for review"

# The incident's fields a reviewer weighs; the version, timestamps, status and ids are the
# workflow's own bookkeeping.
INCIDENT_FIELDS: tuple[str, ...] = tuple(
    f.name
    for f in Incident._meta.get_fields()
    if f.name
    in {
        *fieldspec.names(editable=True),
        *fieldspec.FIGURES,
        "figure_rule",
        "figure_rationale",
        "figures_include_confidential",
    }
    and f.concrete
    and not f.many_to_many
)
CLAIM_FIELDS: tuple[str, ...] = tuple(
    f.name
    for f in Claim._meta.get_fields()
    if f.concrete
    and f.editable
    and not f.primary_key
    and f.name not in {"incident", "external_record", "created_at", "updated_at"}
)
ATTRIBUTION_FIELDS: tuple[str, ...] = ("confidence", "note")


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass
class RecordChange:
    """A claim or a perpetrator added, removed or changed since the published version."""

    kind: str  # "claim" or "perpetrator"
    label: str
    action: str  # "added", "removed" or "changed"
    fields: list[FieldChange] = field(default_factory=list)


@dataclass
class ChangesSincePublished:
    published_at: datetime
    fields: list[FieldChange]
    records: list[RecordChange]

    @property
    def empty(self) -> bool:
        return not self.fields and not self.records


class _Names:
    """Display names of related records, each model read once for all ids asked."""

    def __init__(self) -> None:
        self._wanted: dict[type[models.Model], set[Any]] = {}
        self._names: dict[tuple[type[models.Model], Any], str] = {}

    def want(self, model: type[models.Model], value: Any) -> None:
        if value is not None:
            self._wanted.setdefault(model, set()).add(value)

    def load(self) -> None:
        for model, ids in self._wanted.items():
            for record in model._default_manager.filter(pk__in=ids):
                self._names[(model, record.pk)] = str(record)
        self._wanted = {}

    def name(self, model: type[models.Model], value: Any) -> str:
        return self._names.get((model, value), f"#{value}")


def _raw(record: Any, names: Sequence[str], model: type[models.Model]) -> dict[str, Any]:
    return {name: getattr(record, model._meta.get_field(name).attname) for name in names}


def _display(model: type[models.Model], name: str, value: Any, related: _Names) -> str:
    model_field = model._meta.get_field(name)
    if value is None or value == "":
        return "—"
    if model_field.is_relation:
        return related.name(model_field.related_model, value)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def _label(model: type[models.Model], name: str) -> str:
    return str(model._meta.get_field(name).verbose_name).replace("_", " ")


def _compare(
    model: type[models.Model],
    names: Sequence[str],
    before: dict[str, Any],
    after: dict[str, Any],
    related: _Names,
) -> list[FieldChange]:
    return [
        FieldChange(
            label=_label(model, name),
            before=_display(model, name, before.get(name), related),
            after=_display(model, name, after.get(name), related),
        )
        for name in names
        if before.get(name) != after.get(name)
    ]


def _latest_at(rows: Iterable[Any], key: str, moments: dict[int, datetime]) -> dict[Any, Any]:
    """The last state, at its incident's moment, of each record of the history ``rows``
    (ordered oldest first), keyed by (incident id, the record's ``key``)."""
    states: dict[Any, Any] = {}
    for row in rows:
        moment = moments.get(row.incident_id)
        if moment is None or row.history_date > moment:
            continue
        states[(row.incident_id, getattr(row, key))] = row
    return {k: row for k, row in states.items() if row.history_type != "-"}


def since_last_published(incidents: Sequence[Incident]) -> dict[int, ChangesSincePublished]:
    """For each of ``incidents`` that was published before: what changed since the last
    state in which it was published. Incidents never published are left out.

    A constant number of queries, whatever the number of incidents.
    """
    ids = [incident.pk for incident in incidents]
    published: dict[int, Any] = {}
    for row in Incident.history.filter(id__in=ids, status=Status.PUBLISHED).order_by(
        "history_date", "history_id"
    ):
        published[row.id] = row  # the last one wins
    if not published:
        return {}
    moments = {pk: row.history_date for pk, row in published.items()}
    claim_rows = Claim.history.filter(incident_id__in=moments).order_by(
        "history_date", "history_id"
    )
    claims_then = _latest_at(claim_rows, "id", moments)
    claims_now = {
        (claim.incident_id, claim.pk): claim
        for claim in Claim.objects.filter(incident_id__in=moments)
    }
    attribution_rows = Attribution.history.filter(incident_id__in=moments).order_by(
        "history_date", "history_id"
    )
    attributions_then = _latest_at(attribution_rows, "actor_id", moments)
    attributions_now = {
        (a.incident_id, a.actor_id): a for a in Attribution.objects.filter(incident_id__in=moments)
    }

    related = _Names()
    raw: dict[str, Any] = {}
    for incident in incidents:
        if incident.pk not in published:
            continue
        before = _raw(published[incident.pk], INCIDENT_FIELDS, Incident)
        after = _raw(incident, INCIDENT_FIELDS, Incident)
        raw[f"incident-{incident.pk}"] = (before, after)
        for name in INCIDENT_FIELDS:
            model_field = Incident._meta.get_field(name)
            if model_field.is_relation:
                related.want(model_field.related_model, before[name])
                related.want(model_field.related_model, after[name])
    for state in [*claims_then.values(), *claims_now.values()]:
        related.want(Source, state.source_id)
        related.want(Actor, state.perpetrator_id)
    for state in [*attributions_then.values(), *attributions_now.values()]:
        related.want(Actor, state.actor_id)
    related.load()

    answers: dict[int, ChangesSincePublished] = {}
    for incident in incidents:
        if incident.pk not in published:
            continue
        before, after = raw[f"incident-{incident.pk}"]
        fields = _compare(Incident, INCIDENT_FIELDS, before, after, related)
        records = _record_changes(
            incident.pk,
            kind="claim",
            model=Claim,
            names=CLAIM_FIELDS,
            then=claims_then,
            now=claims_now,
            label=lambda state: (
                _("claim of %(source)s") % {"source": related.name(Source, state.source_id)}
            ),
            related=related,
        )
        records += _record_changes(
            incident.pk,
            kind="perpetrator",
            model=Attribution,
            names=ATTRIBUTION_FIELDS,
            then=attributions_then,
            now=attributions_now,
            label=lambda state: (
                _("perpetrator %(actor)s") % {"actor": related.name(Actor, state.actor_id)}
            ),
            related=related,
        )
        answers[incident.pk] = ChangesSincePublished(
            published_at=published[incident.pk].history_date, fields=fields, records=records
        )
    return answers


def _record_changes(
    incident_id: int,
    *,
    kind: str,
    model: type[models.Model],
    names: Sequence[str],
    then: dict[Any, Any],
    now: dict[Any, Any],
    label: Any,
    related: _Names,
) -> list[RecordChange]:
    changes = []
    keys = sorted({key for key in [*then, *now] if key[0] == incident_id}, key=lambda k: str(k[1]))
    for key in keys:
        old, new = then.get(key), now.get(key)
        if old is None:
            changes.append(RecordChange(kind=kind, label=label(new), action="added"))
        elif new is None:
            changes.append(RecordChange(kind=kind, label=label(old), action="removed"))
        else:
            fields = _compare(
                model, names, _raw(old, names, model), _raw(new, names, model), related
            )
            if fields:
                changes.append(
                    RecordChange(kind=kind, label=label(new), action="changed", fields=fields)
                )
    return changes

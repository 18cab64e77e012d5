"""Every write to the domain goes through these functions.

The admin, the API, the importers and the seed loader all call them, so they obey the same
rules: validation (``full_clean`` on every row, which runs the model's field checks, its
``clean`` and its database constraints, evaluated in Python: see ``incidents.validation``),
an incident's governorate and district taken from
its point (reverse geocoding by the gazetteer, as far as its location precision allows),
permissions (researchers edit drafts; reviewers
also publish, retract and edit published records), optimistic concurrency (a write names
the version it read and fails if the incident moved on), the reconciled figures kept in
step with the claims, and a history entry with the user for every change.

Functions are keyword-only and atomic. They raise ``ValidationError`` for bad input (with
field names), ``PermissionDenied`` when the user may not act, and
:class:`ConcurrentEditError` when the incident changed since it was read.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F, Model, Q
from django.utils import timezone
from django.utils.translation import gettext

from mapping import gazetteer
from mapping.models import LocationPrecision, Place

from . import changes, duplicates, evidence, fieldspec, selectors
from .models import (
    BREAKDOWN_FIELDS,
    Actor,
    Attribution,
    Claim,
    Confidence,
    DuplicateCandidate,
    DuplicateStatus,
    Episode,
    EpisodeClaim,
    EvidenceBlob,
    EvidenceFile,
    ExternalRecord,
    FigureRule,
    Incident,
    PublicIdSequence,
    Source,
    Status,
    VictimGroup,
)
from .readmodel import documentcache
from .reconciliation import ClaimedFigure, reconcile
from .validation import STORED_IS_ROW

User = AbstractBaseUser | AnonymousUser

PUBLIC_ID_RE = re.compile(r"^(?P<prefix>[A-Z]{2,3}-\d{4})-(?P<number>\d{4,7})$")

# Fields of an incident that editors set directly. Status, version, public id, authorship
# and the reconciled figures (unless set by hand) change only through the functions below.
INCIDENT_FIELDS = frozenset(fieldspec.names(editable=True))
FIGURE_FIELDS = fieldspec.FIGURES
CLAIM_FIELDS = frozenset({"source", "perpetrator", *fieldspec.CLAIM_VALUES})


class ConcurrentEditError(Exception):
    """The incident was changed by someone else since the editor read it."""

    def __init__(self, *, public_id: str, expected: int, current: int | None) -> None:
        self.public_id = public_id
        self.expected = expected
        self.current = current
        super().__init__(
            f"{public_id} was changed by someone else (you edited version {expected}, "
            f"it is now at version {current}). Reload it and apply your change again."
        )


# --- permissions -------------------------------------------------------------------------


def can_edit_incident(user: User, incident: Incident) -> bool:
    """Researchers edit unpublished incidents; reviewers may also edit published ones."""
    if not user.has_perm("incidents.change_incident"):
        return False
    if incident.status == Status.MERGED:
        return False  # its claims live on in the incident it was merged into
    if incident.status in (Status.PUBLISHED, Status.RETRACTED):
        return user.has_perm("incidents.publish_incident")
    return True


def is_reviewer(user: User | None) -> bool:
    """Whether the user holds the reviewer's right: publishing is what changes what the
    public sees, so the same permission guards every other such change."""
    return user is None or user.has_perm("incidents.publish_incident")


def _require_edit(user: User, incident: Incident) -> None:
    if not can_edit_incident(user, incident):
        raise PermissionDenied(
            f"You may not edit {incident.public_id} while it is {incident.get_status_display()}."
        )


def _require_perm(user: User, perm: str, action: str) -> None:
    if not user.has_perm(f"incidents.{perm}"):
        raise PermissionDenied(f"You may not {action}.")


# --- helpers -----------------------------------------------------------------------------


def _check_fields(values: Mapping[str, Any], allowed: Iterable[str], what: str) -> None:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ValidationError({name: f"{what} has no editable field '{name}'." for name in unknown})


def _save(
    instance: Model, user: User | None, reason: str | None = None, *, as_read: bool = False
) -> None:
    """Save with the history entry naming the user and, where given, the reason.

    ``as_read``: the caller holds the row locked, and it is still the row the instance
    read (its version was taken on that condition): the read model may take what the row
    held before this save from the instance instead of reading it again
    (``validation.STORED_IS_ROW``)."""
    if user is not None and user.is_authenticated:
        instance._history_user = user  # type: ignore[attr-defined]
    if reason:
        instance._change_reason = reason  # type: ignore[attr-defined]
    if not as_read:
        instance.save()
        return
    instance.__dict__[STORED_IS_ROW] = True
    try:
        instance.save()
    finally:
        instance.__dict__.pop(STORED_IS_ROW, None)


def _take_version(incident: Incident, expected_version: int | None) -> None:
    """Move the incident to its next version, if it is still at ``expected_version``.

    The conditional UPDATE locks the row until the transaction ends, so of two concurrent
    writers naming the same version exactly one succeeds. ``None`` skips the check, for
    writes that follow a checked one in the same transaction.
    """
    rows = Incident.objects.filter(pk=incident.pk)
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    if rows.update(version=F("version") + 1) == 0:
        current = Incident.objects.filter(pk=incident.pk).values_list("version", flat=True)
        raise ConcurrentEditError(
            public_id=incident.public_id,
            expected=expected_version or 0,
            current=current.first(),
        )
    if expected_version is not None:
        incident.version = expected_version + 1
    else:
        incident.version = Incident.objects.values_list("version", flat=True).get(pk=incident.pk)


def _take_version_as_read(incident: Incident, expected_version: int | None) -> bool:
    """Take the incident's version on the condition that the row is still the one
    ``incident`` read; whether it was (nothing is taken otherwise).

    An incident read at the version the editor names, whose last change (``updated_at``,
    which every save moves) is still the row's, is the row: once taken, the row is locked
    at the values the instance holds.
    """
    if (
        expected_version is not None
        and incident.version == expected_version
        and incident.updated_at is not None
    ):
        taken = Incident.objects.filter(
            pk=incident.pk, version=expected_version, updated_at=incident.updated_at
        ).update(version=F("version") + 1)
        if taken:
            incident.version = expected_version + 1
            return True
    return False


def _take_version_of_current(incident: Incident, expected_version: int | None) -> None:
    """:func:`_take_version`, leaving ``incident`` holding the row as it is now.

    Taken on the condition that the row is still the one read (:func:`_take_version_as_read`),
    with nothing read again; otherwise (the row was saved since, or the editor names no
    version) the version is taken as usual and the row read afresh under its lock.
    """
    if _take_version_as_read(incident, expected_version):
        return
    _take_version(incident, expected_version)
    version = incident.version
    incident.refresh_from_db()
    incident.version = version


# How many admin levels a position of each precision can vouch for: a point that stands
# for the whole country says nothing of the governorate; one for a governorate, nothing of
# the district.
_ADMIN_DEPTH = {LocationPrecision.COUNTRY: 0, LocationPrecision.GOVERNORATE: 1}


def _set_admin_areas(incident: Incident, given: Iterable[str]) -> None:
    """Give the incident the governorate and district of its point (not saved).

    Levels the point's precision cannot vouch for, and points outside the gazetteer's
    boundaries, keep what the editor gave. A cleared point clears areas not given.
    """
    given = set(given)
    lat, lon = incident.latitude, incident.longitude
    if lat is None or lon is None:
        for name in ("governorate", "district"):
            if name not in given:
                setattr(incident, name, None)
        return
    try:
        areas = gazetteer.reverse(lat, lon)
    except (TypeError, ValueError):
        return  # full_clean reports the bad coordinates
    if areas.governorate is None:
        return
    depth = _ADMIN_DEPTH.get(incident.location_precision, 2)
    if depth >= 1:
        incident.governorate = areas.governorate
    elif "governorate" not in given:
        incident.governorate = None
    if depth >= 2:
        incident.district = areas.district
    elif "district" not in given:
        incident.district = None


def _next_public_id(year: int) -> str:
    prefix = f"{settings.INCIDENT_MAP['PUBLIC_ID_PREFIX']}-{year}"
    sequence, _ = PublicIdSequence.objects.select_for_update().get_or_create(prefix=prefix)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return f"{prefix}-{sequence.last_number:04d}"


def _reserve_public_id(public_id: str) -> None:
    """Accept an id chosen elsewhere (seed data, imports) and keep the sequence past it."""
    match = PUBLIC_ID_RE.match(public_id)
    if not match:
        raise ValidationError({"public_id": f"'{public_id}' is not of the form SY-2025-0007."})
    if Incident.objects.filter(public_id=public_id).exists():
        raise ValidationError({"public_id": f"{public_id} is already taken."})
    sequence, _ = PublicIdSequence.objects.select_for_update().get_or_create(prefix=match["prefix"])
    number = int(match["number"])
    if number > sequence.last_number:
        sequence.last_number = number
        sequence.save(update_fields=["last_number"])


# --- incidents ---------------------------------------------------------------------------


@transaction.atomic
def incident_create(
    *,
    user: User | None,
    claims: Sequence[Mapping[str, Any]] = (),
    attributions: Sequence[Mapping[str, Any]] = (),
    victim_groups: Iterable[VictimGroup] = (),
    public_id: str | None = None,
    figure_rule: str = FigureRule.RANGE_OF_CLAIMS,
    figures: Mapping[str, int | None] | None = None,
    figure_rationale: str = "",
    **fields: Any,
) -> Incident:
    """Create a draft incident with its claims, perpetrators and victim groups.

    ``date_end`` defaults to ``date_start`` (a one-day incident).

    ``figures`` (killed_low/best/high and breakdown) are only accepted with the manual rule;
    otherwise the figures are reconciled from the claims.
    """
    if user is not None:
        _require_perm(user, "add_incident", "create incidents")
    _check_fields(fields, INCIDENT_FIELDS, "An incident")
    if fields.get("date_end") is None and fields.get("date_start") is not None:
        # Most incidents last one day: an end left out is the start, not a missing field.
        fields["date_end"] = fields["date_start"]
    incident = Incident(
        **fields,
        figure_rule=figure_rule,
        figure_rationale=figure_rationale,
        status=Status.DRAFT,
        created_by=user if user is not None and user.is_authenticated else None,
        updated_by=user if user is not None and user.is_authenticated else None,
    )
    if figure_rule == FigureRule.MANUAL:
        _check_fields(figures or {}, FIGURE_FIELDS, "The figures")
        for name, value in _manual_figures(figures or {}).items():
            setattr(incident, name, value)
    elif figures:
        raise ValidationError({"figure_rule": "Figures can only be given with the manual rule."})
    _set_admin_areas(incident, fields)
    if public_id:
        _reserve_public_id(public_id)
        incident.public_id = public_id
    else:
        incident.public_id = "pending"
    incident.full_clean(exclude=["public_id"])
    if not public_id:
        incident.public_id = _next_public_id(incident.date_start.year)
    _save(incident, user, "Created")

    for claim in claims:
        _claim_create(incident=incident, user=user, values=claim)
    for attribution in attributions:
        _attribution_create(incident=incident, user=user, values=attribution)
    incident.victim_groups.set(list(victim_groups))
    _apply_figures(incident)
    _save(incident, user)
    return incident


@transaction.atomic
def incident_edit(
    *,
    incident: Incident,
    user: User | None,
    expected_version: int | None,
    reason: str | None = None,
    victim_groups: Iterable[VictimGroup] | None = None,
    figure_rule: str | None = None,
    figures: Mapping[str, int | None] | None = None,
    figure_rationale: str | None = None,
    **changes: Any,
) -> Incident:
    """Change an incident in one step: descriptive fields, victim groups and figures.

    One call is one transaction, one version check and one history entry, so an edit is
    applied whole or not at all. The version is taken first (a conditional UPDATE, which
    locks the row on PostgreSQL and the database on SQLite), on the condition that the row
    is still the one the caller read (else it is read afresh under that lock), and the
    changes are applied to it: what another editor committed before is never written back
    over.

    A new point (or location precision) brings the governorate and district with it.
    ``figure_rule``, ``figures`` and ``figure_rationale`` choose how the figures are
    produced: by hand (``manual``: the figures given, a key left out being unknown, and a
    written rationale) or from the claims by a rule. ``reason`` goes into the history entry.
    """
    _check_fields(changes, INCIDENT_FIELDS, "An incident")
    if user is not None:
        _require_edit(user, incident)
    _take_version_of_current(incident, expected_version)
    if user is not None:
        _require_edit(user, incident)  # as it is now, not as the editor read it

    moved = any(
        name in changes and changes[name] != getattr(incident, name)
        for name in ("latitude", "longitude", "location_precision")
    )
    for name, value in changes.items():
        setattr(incident, name, value)
    if moved:
        _set_admin_areas(incident, changes)

    figures_given = figure_rule is not None or figures is not None or figure_rationale is not None
    if figures_given:
        _set_figures(incident, rule=figure_rule, figures=figures, rationale=figure_rationale)
        reason = reason or f"Figures: {incident.get_figure_rule_display()}"
    if user is not None and user.is_authenticated:
        incident.updated_by = user
    incident.full_clean(exclude=["public_id"])
    if victim_groups is not None:
        # The one history entry below records the groups; setting them must not add more.
        incident.skip_history_when_saving = True  # type: ignore[attr-defined]
        try:
            incident.victim_groups.set(list(victim_groups))
        finally:
            del incident.skip_history_when_saving  # type: ignore[attr-defined]
    _save(incident, user, reason, as_read=True)
    return incident


def _manual_figures(figures: Mapping[str, Any]) -> dict[str, Any]:
    """Every figure field, from figures given by hand: a figure left out is unknown, and the
    high is open only when it is said to be (``killed_high_open``)."""
    values = {name: figures.get(name) for name in FIGURE_FIELDS}
    values["killed_high_open"] = bool(figures.get("killed_high_open"))
    return values


def _set_figures(
    incident: Incident,
    *,
    rule: str | None,
    figures: Mapping[str, int | None] | None,
    rationale: str | None,
) -> None:
    """Apply a choice of figures to ``incident`` (not saved); ``None`` keeps what it had."""
    was_manual = incident.figure_rule == FigureRule.MANUAL
    if rule is not None:
        if rule not in FigureRule.values:
            raise ValidationError({"figure_rule": f"Unknown rule '{rule}'."})
        incident.figure_rule = rule
    if rationale is not None:
        incident.figure_rationale = rationale
    if incident.figure_rule == FigureRule.MANUAL:
        if figures is not None:
            _check_fields(figures, FIGURE_FIELDS, "The figures")
            for name, value in _manual_figures(figures).items():
                setattr(incident, name, value)
        elif not was_manual:
            raise ValidationError({"figures": "Give the figures to set by hand."})
    elif figures:
        raise ValidationError({"figure_rule": "Figures can only be given with the manual rule."})
    else:
        _apply_figures(incident)


def incident_update(
    *,
    incident: Incident,
    user: User | None,
    expected_version: int | None,
    reason: str | None = None,
    **changes: Any,
) -> Incident:
    """Change an incident's descriptive fields (see :func:`incident_edit`)."""
    return incident_edit(
        incident=incident,
        user=user,
        expected_version=expected_version,
        reason=reason,
        **changes,
    )


@transaction.atomic
def incident_set_victim_groups(
    *, incident: Incident, user: User | None, victim_groups: Iterable[VictimGroup]
) -> None:
    if user is not None:
        _require_edit(user, incident)
    incident.victim_groups.set(list(victim_groups))


def _claimed_figures(incident: Incident) -> list[ClaimedFigure]:
    claims = incident.claims.select_related("source").order_by("id")
    return [
        ClaimedFigure(
            minimum=claim.killed_min,
            maximum=claim.killed_max,
            source_kind=claim.source.kind,
            breakdown={name: getattr(claim, name) for name in BREAKDOWN_FIELDS},
            confidential=claim.source.confidential,
        )
        for claim in claims
    ]


def _apply_figures(incident: Incident) -> None:
    """Set the incident's figures from its claims by its rule (not saved; manual: no-op).

    Public claims only, unless a reviewer decided that the range counts confidential ones
    (see ``incidents.reconciliation``)."""
    if incident.figure_rule == FigureRule.MANUAL:
        return
    result = reconcile(
        incident.figure_rule,
        _claimed_figures(incident),
        include_confidential=incident.figures_include_confidential,
    )
    for name, value in result.incident_figures().items():
        setattr(incident, name, value)


@transaction.atomic
def incident_recompute_figures(*, incident: Incident, user: User | None = None) -> Incident:
    """Recompute the reconciled range from the claims (figures set by hand are kept)."""
    return _recompute_figures(incident, user)


def _recompute_figures(incident: Incident, user: User | None, *, as_read: bool = False) -> Incident:
    # Called inside the services' own transaction: no savepoint of its own.
    _apply_figures(incident)
    incident.full_clean(exclude=["public_id"])
    _save(incident, user, as_read=as_read)
    return incident


def incident_set_figures(
    *,
    incident: Incident,
    user: User | None,
    expected_version: int | None,
    rule: str,
    figures: Mapping[str, int | None] | None = None,
    rationale: str = "",
) -> Incident:
    """Choose how the figures are produced: from the claims by a rule, or by hand.

    By hand (``rule="manual"``) needs the figures and a written rationale; switching back to
    a computed rule recomputes them from the claims. One step of :func:`incident_edit`.
    """
    return incident_edit(
        incident=incident,
        user=user,
        expected_version=expected_version,
        figure_rule=rule,
        figures=figures,
        figure_rationale=rationale,
    )


@transaction.atomic
def incident_set_figures_scope(
    *,
    incident: Incident,
    user: User | None,
    expected_version: int | None,
    include_confidential: bool,
    reason: str = "",
) -> Incident:
    """Decide whether the published range counts the claims of confidential sources.

    Reviewers only: by default the range comes from public claims alone, so that no
    confidential figure can be read off it; counting them is a reviewer's decision, and the
    public record then says so (how many claims are confidential, never which). The figures
    are reconciled again (figures set by hand stay as set).
    """
    if user is not None and not is_reviewer(user):
        raise PermissionDenied(
            "figures_include_confidential: only a reviewer may decide whether the published "
            "range counts confidential claims."
        )
    if user is not None:
        _require_edit(user, incident)
    incident.figures_include_confidential = bool(include_confidential)
    _apply_figures(incident)
    if user is not None and user.is_authenticated:
        incident.updated_by = user
    incident.full_clean(exclude=["public_id"])
    _take_version(incident, expected_version)
    scope = "public and confidential claims" if include_confidential else "public claims only"
    _save(incident, user, f"Range from {scope}" + (f": {reason.strip()}" if reason.strip() else ""))
    return incident


# --- workflow ----------------------------------------------------------------------------


def publication_problems(incident: Incident) -> list[str]:
    """What stops an incident from going to review or being published."""
    return publication_problems_of(
        located=incident.latitude is not None and incident.longitude is not None,
        quotes=[claim.quote for claim in incident.claims.all()],
    )


def publication_problems_of(*, located: bool, quotes: Sequence[str]) -> list[str]:
    """:func:`publication_problems` from plain values: whether the incident has a point,
    and its claims' quotes (for writers that check incidents before saving them)."""
    problems = []
    if not located:
        problems.append("It has no location.")
    if not quotes:
        problems.append("It has no claims: every incident needs at least one cited source.")
    if any(not quote.strip() for quote in quotes):
        problems.append("A claim has no quote.")
    return problems


def _transition(
    incident: Incident,
    user: User | None,
    expected_version: int | None,
    *,
    allowed_from: Iterable[str],
    to: str,
    reason: str,
    needs_evidence: bool = False,
) -> Incident:
    """Move ``incident`` to the status ``to`` with one version check and one history entry.

    The version is taken first: an editor acting on a page read before someone else's
    change is told so, rather than told of a state the page did not show.
    ``needs_evidence``: refuse an incident without a point or a quoted claim.
    """
    _take_version(incident, expected_version)
    if incident.status not in allowed_from:
        raise ValidationError(
            {
                "status": f"{incident.public_id} is {incident.get_status_display()}; "
                f"it cannot become {Status(to).label}."
            }
        )
    if needs_evidence and (problems := publication_problems(incident)):
        raise ValidationError({"status": problems})
    incident.status = to
    if user is not None and user.is_authenticated:
        incident.updated_by = user
    _save(incident, user, reason)
    return incident


def workflow_steps(user: User, incident: Incident) -> list[str]:
    """The workflow steps ``user`` may take on ``incident`` as it is now: "submit",
    "return_to_draft", "publish", "retract" (the admin shows a button for each)."""
    status = incident.status
    steps = []
    if status == Status.DRAFT and user.has_perm("incidents.submit_incident"):
        steps.append("submit")
    if status == Status.IN_REVIEW and user.has_perm("incidents.submit_incident"):
        steps.append("return_to_draft")
    if status == Status.RETRACTED and user.has_perm("incidents.retract_incident"):
        steps.append("return_to_draft")
    if status in (Status.DRAFT, Status.IN_REVIEW) and user.has_perm("incidents.publish_incident"):
        steps.append("publish")
    if status == Status.PUBLISHED and user.has_perm("incidents.retract_incident"):
        steps.append("retract")
    return steps


@transaction.atomic
def incident_submit_for_review(
    *, incident: Incident, user: User | None, expected_version: int | None = None
) -> Incident:
    if user is not None:
        _require_perm(user, "submit_incident", "submit incidents for review")
    return _transition(
        incident,
        user,
        expected_version,
        allowed_from=[Status.DRAFT],
        to=Status.IN_REVIEW,
        reason=changes.SUBMITTED,
        needs_evidence=True,
    )


@transaction.atomic
def incident_return_to_draft(
    *, incident: Incident, user: User | None, expected_version: int | None = None
) -> Incident:
    """A reviewer sends an incident back to its researcher, or a researcher withdraws it.

    A retracted incident may be reopened by a reviewer, to be corrected and go through
    review again; the public does not see it until it is published again.
    """
    if user is not None:
        _require_perm(user, "submit_incident", "return incidents to draft")
        if incident.status == Status.RETRACTED:
            _require_perm(user, "retract_incident", "reopen retracted incidents")
    if incident.status == Status.RETRACTED:
        incident.retraction_reason = ""  # the history keeps it; a new publication has none
    return _transition(
        incident,
        user,
        expected_version,
        allowed_from=[Status.IN_REVIEW, Status.RETRACTED],
        to=Status.DRAFT,
        reason="Returned to draft",
    )


@transaction.atomic
def incident_publish(
    *, incident: Incident, user: User | None, expected_version: int | None = None
) -> Incident:
    if user is not None:
        _require_perm(user, "publish_incident", "publish incidents")
    incident.published_at = timezone.now()
    return _transition(
        incident,
        user,
        expected_version,
        allowed_from=[Status.DRAFT, Status.IN_REVIEW],
        to=Status.PUBLISHED,
        reason="Published",
        needs_evidence=True,
    )


@transaction.atomic
def incident_retract(
    *, incident: Incident, user: User | None, reason: str, expected_version: int | None = None
) -> Incident:
    if user is not None:
        _require_perm(user, "retract_incident", "retract incidents")
    if not reason.strip():
        raise ValidationError({"retraction_reason": "Say why the incident is retracted."})
    incident.retraction_reason = reason.strip()
    return _transition(
        incident,
        user,
        expected_version,
        allowed_from=[Status.PUBLISHED],
        to=Status.RETRACTED,
        reason=f"Retracted: {reason.strip()}",
    )


# --- claims and attributions -------------------------------------------------------------


def _claim_create(*, incident: Incident, user: User | None, values: Mapping[str, Any]) -> Claim:
    _check_fields(values, CLAIM_FIELDS, "A claim")
    claim = Claim(incident=incident, **values)
    claim.full_clean()
    _save(claim, user)
    return claim


def _attribution_create(
    *, incident: Incident, user: User | None, values: Mapping[str, Any]
) -> Attribution:
    _check_fields(values, {"actor", "confidence", "note"}, "An attribution")
    attribution = Attribution(incident=incident, **values)
    attribution.full_clean()
    _save(attribution, user)
    return attribution


@transaction.atomic
def claim_add(
    *, incident: Incident, user: User | None, expected_version: int | None = None, **values: Any
) -> Claim:
    """Add a source's claim to an incident and recompute its figures."""
    if user is not None:
        _require_edit(user, incident)
    claim = _claim_create(incident=incident, user=user, values=values)
    as_read = _take_version_as_read(incident, expected_version)
    if not as_read:
        _take_version(incident, expected_version)
    _recompute_figures(incident, user, as_read=as_read)
    return claim


@transaction.atomic
def claim_update(
    *, claim: Claim, user: User | None, expected_version: int | None = None, **changes: Any
) -> Claim:
    incident = claim.incident
    if user is not None:
        _require_edit(user, incident)
    _check_fields(changes, CLAIM_FIELDS, "A claim")
    for name, value in changes.items():
        setattr(claim, name, value)
    claim.full_clean()
    _save(claim, user)
    _take_version(incident, expected_version)
    _recompute_figures(incident, user)
    return claim


@transaction.atomic
def claim_remove(*, claim: Claim, user: User | None, expected_version: int | None = None) -> None:
    incident = claim.incident
    if user is not None:
        _require_edit(user, incident)
    if incident.status == Status.PUBLISHED and incident.claims.count() == 1:
        raise ValidationError({"claims": "A published incident must keep at least one claim."})
    if user is not None and user.is_authenticated:
        claim._history_user = user  # type: ignore[attr-defined]
    claim.delete()
    _take_version(incident, expected_version)
    _recompute_figures(incident, user)


@transaction.atomic
def attribution_set(
    *,
    incident: Incident,
    user: User | None,
    actor: Actor,
    confidence: str,
    note: str = "",
    expected_version: int | None = None,
) -> Attribution:
    """Hold an actor responsible for an incident, or change how sure we are of it."""
    if user is not None:
        _require_edit(user, incident)
    if expected_version is not None:
        _take_version(incident, expected_version)
    attribution = Attribution.objects.filter(incident=incident, actor=actor).first()
    if attribution is None:
        return _attribution_create(
            incident=incident,
            user=user,
            values={"actor": actor, "confidence": confidence, "note": note},
        )
    attribution.confidence = confidence
    attribution.note = note
    attribution.full_clean()
    _save(attribution, user)
    return attribution


# --- sources, actors, places, episodes, victim groups -------------------------------------
#
# Catalogue records are shown by the published incidents (and episodes) that cite them, so
# changing one that published work cites changes what the public sees at once, with no
# review. The rule: researchers create catalogue records and edit those no published work
# cites yet; editing one that published work cites, and marking or unmarking a source as
# confidential, takes a reviewer. ``catalogue_change_problems`` says what stands in the way,
# field by field, for forms; the services raise ``PermissionDenied`` with the same words.

_PUBLIC_USES_SHOWN = 3


def _public_ids(incidents: Any) -> list[str]:
    return list(
        incidents.filter(status=Status.PUBLISHED)
        .order_by("public_id")
        .values_list("public_id", flat=True)
        .distinct()[:_PUBLIC_USES_SHOWN]
    )


def public_uses(record: Model) -> list[str]:
    """What published work shows ``record`` (a few public ids or episode slugs); empty when
    nothing public cites it yet, so a researcher may still edit it."""
    if record.pk is None:
        return []
    if isinstance(record, Source):
        uses = _public_ids(Incident.objects.filter(claims__source=record))
        episodes = (
            Episode.objects.filter(claims__source=record)
            .order_by("slug")
            .values_list("slug", flat=True)
            .distinct()[:_PUBLIC_USES_SHOWN]
        )
        return uses + [f"episode {slug}" for slug in episodes]
    if isinstance(record, Actor):
        if not selectors.actor_queryset(user=None).filter(pk=record.pk).exists():
            return []
        uses = _public_ids(
            Incident.objects.filter(Q(attributions__actor=record) | Q(claims__perpetrator=record))
        )
        return uses or ["the actors it is affiliated with"]
    if isinstance(record, Episode):
        if not selectors.episode_queryset(user=None).filter(pk=record.pk).exists():
            return []
        return _public_ids(Incident.objects.filter(episode=record)) or [
            "its monitors' aggregate figures"
        ]
    if isinstance(record, VictimGroup):
        return _public_ids(Incident.objects.filter(victim_groups=record))
    if isinstance(record, Place):
        return _public_ids(
            Incident.objects.filter(Q(place=record) | Q(governorate=record) | Q(district=record))
        )
    if isinstance(record, EpisodeClaim):
        return public_uses(record.episode)
    raise TypeError(f"Not a catalogue record: {type(record).__name__}")


def catalogue_change_problems(
    *, user: User | None, record: Model, changes: Mapping[str, Any]
) -> dict[str, str]:
    """Why ``user`` may not make ``changes`` to an existing catalogue record, by field
    (empty when they may). System writes (``user=None``) and reviewers may."""
    if is_reviewer(user) or record.pk is None:
        return {}
    changed = {
        name: value for name, value in changes.items() if getattr(record, name, None) != value
    }
    if not changed:
        return {}
    problems: dict[str, str] = {}
    if isinstance(record, Source) and "confidential" in changed:
        problems["confidential"] = (
            "Only a reviewer may mark or unmark a source as confidential: it decides what "
            "the public sees of the source and of the figures its claims support."
        )
    if isinstance(record, EpisodeClaim):
        new_source = changed.get("source", record.source)
        if not record.source.confidential or not new_source.confidential:
            message = (
                "Only a reviewer may change an aggregate figure of a source that is not "
                "confidential: the public sees it on the episode at once."
            )
            for name in changed:
                problems.setdefault(name, message)
    if uses := public_uses(record):
        what = record._meta.verbose_name
        message = (
            f"This {what} is shown by published work ({', '.join(uses)}): only a reviewer "
            "may change it."
        )
        for name in changed:
            problems.setdefault(name, message)
    return problems


def _require_catalogue_change(user: User | None, record: Model, changes: Mapping[str, Any]) -> None:
    if problems := catalogue_change_problems(user=user, record=record, changes=changes):
        raise PermissionDenied(" ".join(f"{name}: {text}" for name, text in problems.items()))


@transaction.atomic
def source_create(*, user: User | None, **fields: Any) -> Source:
    """Add a source. A researcher may record a source as confidential from the start (that
    shows the public nothing); changing the mark later takes a reviewer."""
    if user is not None:
        _require_perm(user, "add_source", "add sources")
    source = Source(**fields)
    source.full_clean()
    _save(source, user)
    return source


@transaction.atomic
def actor_create(*, user: User | None, **fields: Any) -> Actor:
    if user is not None:
        _require_perm(user, "add_actor", "add actors")
    actor = Actor(**fields)
    actor.full_clean()
    _save(actor, user)
    return actor


@transaction.atomic
def episode_create(*, user: User | None, **fields: Any) -> Episode:
    if user is not None:
        _require_perm(user, "add_episode", "add episodes")
    episode = Episode(**fields)
    episode.full_clean()
    _save(episode, user)
    return episode


EPISODE_CLAIM_FIELDS = (CLAIM_FIELDS - {"perpetrator", "place_as_reported", "date_as_reported"}) | {
    "measure",
    "measure_ar",
    "measure_kind",
    "covers_from",
    "covers_to",
}


@transaction.atomic
def episode_claim_add(*, episode: Episode, user: User | None, **values: Any) -> EpisodeClaim:
    """Record a monitor's aggregate figure for a whole episode. The public sees a
    non-confidential source's figure at once, so recording one takes a reviewer."""
    if user is not None:
        _require_perm(user, "add_episodeclaim", "add episode figures")
    _check_fields(values, EPISODE_CLAIM_FIELDS, "An episode claim")
    claim = EpisodeClaim(episode=episode, **values)
    source = values.get("source")
    if (
        user is not None
        and not is_reviewer(user)
        and isinstance(source, Source)
        and (not source.confidential or public_uses(episode))
    ):
        raise PermissionDenied(
            "source: only a reviewer may add an aggregate figure that the public would see "
            "(a source that is not confidential, or an episode the public sees)."
        )
    claim.full_clean()
    _save(claim, user)
    return claim


def _update_record(
    record: Model, *, user: User | None, perm: str, what: str, reason: str | None, changes
) -> Model:
    if user is not None:
        _require_perm(user, perm, f"change {what}")
        _require_catalogue_change(user, record, changes)
    for name, value in changes.items():
        setattr(record, name, value)
    record.full_clean()
    _save(record, user, reason)
    return record


SOURCE_FIELDS = frozenset({*fieldspec.SOURCE_PUBLIC, *fieldspec.SOURCE_INTERNAL})
ACTOR_FIELDS = frozenset(
    {"name", "name_ar", "aliases", "kind", "parent", "affiliation_note", "description"}
)
EPISODE_FIELDS = frozenset({"title", "title_ar", "summary", "summary_ar", "date_start", "date_end"})
VICTIM_GROUP_FIELDS = frozenset({"name", "name_ar"})
PLACE_FIELDS = frozenset(
    {
        "name",
        "name_ar",
        "alternate_names",
        "kind",
        "parent",
        "latitude",
        "longitude",
        "coordinate_precision",
        "population",
        "origin",
        "origin_note",
        "geonames_id",
        "pcode",
    }
)


@transaction.atomic
def source_update(
    *, source: Source, user: User | None, reason: str | None = None, **changes: Any
) -> Source:
    """Change a source's fields (not its slug); ``reason`` goes into the history entry.

    Marking or unmarking it confidential (reviewers only) reconciles the figures of the
    incidents that cite it again, since their public ranges count public claims only.
    """
    _check_fields(changes, SOURCE_FIELDS, "A source")
    was_confidential = source.confidential
    source = _update_record(
        source, user=user, perm="change_source", what="sources", reason=reason, changes=changes
    )
    if source.confidential != was_confidential:
        citing = Incident.objects.filter(claims__source=source).distinct().order_by("pk")
        for incident in citing.exclude(figure_rule=FigureRule.MANUAL):
            _recompute_figures(incident, user)
    return source


@transaction.atomic
def actor_update(
    *, actor: Actor, user: User | None, reason: str | None = None, **changes: Any
) -> Actor:
    """Change an actor's fields (not its slug); an actor cannot be its own ancestor."""
    _check_fields(changes, ACTOR_FIELDS, "An actor")
    parent = changes.get("parent", actor.parent)
    while parent is not None:
        if parent.pk == actor.pk:
            raise ValidationError({"parent": "An actor cannot be affiliated with itself."})
        parent = parent.parent
    return _update_record(
        actor, user=user, perm="change_actor", what="actors", reason=reason, changes=changes
    )


@transaction.atomic
def episode_update(
    *, episode: Episode, user: User | None, reason: str | None = None, **changes: Any
) -> Episode:
    _check_fields(changes, EPISODE_FIELDS, "An episode")
    return _update_record(
        episode, user=user, perm="change_episode", what="episodes", reason=reason, changes=changes
    )


@transaction.atomic
def episode_claim_update(
    *, claim: EpisodeClaim, user: User | None, reason: str | None = None, **changes: Any
) -> EpisodeClaim:
    _check_fields(changes, EPISODE_CLAIM_FIELDS, "An episode claim")
    return _update_record(
        claim,
        user=user,
        perm="change_episodeclaim",
        what="episode figures",
        reason=reason,
        changes=changes,
    )


@transaction.atomic
def episode_claim_remove(*, claim: EpisodeClaim, user: User | None) -> None:
    """Withdraw a monitor's aggregate figure. One the public sees (a source that is not
    confidential, or an episode the public sees) leaves the public's view: a reviewer's step."""
    if user is not None:
        _require_perm(user, "delete_episodeclaim", "remove episode figures")
        if not is_reviewer(user) and (not claim.source.confidential or public_uses(claim.episode)):
            raise PermissionDenied(
                "source: only a reviewer may remove an aggregate figure that the public sees."
            )
    if user is not None and user.is_authenticated:
        claim._history_user = user  # type: ignore[attr-defined]
    claim.delete()


@transaction.atomic
def victim_group_create(*, user: User | None, **fields: Any) -> VictimGroup:
    if user is not None:
        _require_perm(user, "add_victimgroup", "add victim groups")
    group = VictimGroup(**fields)
    group.full_clean()
    group.save()
    return group


@transaction.atomic
def victim_group_update(*, group: VictimGroup, user: User | None, **changes: Any) -> VictimGroup:
    _check_fields(changes, VICTIM_GROUP_FIELDS, "A victim group")
    if user is not None:
        _require_perm(user, "change_victimgroup", "change victim groups")
        _require_catalogue_change(user, group, changes)
    for name, value in changes.items():
        setattr(group, name, value)
    group.full_clean()
    group.save()
    return group


@transaction.atomic
def victim_group_get_or_create(*, slug: str, name: str, name_ar: str = "") -> VictimGroup:
    group, _ = VictimGroup.objects.get_or_create(
        slug=slug, defaults={"name": name, "name_ar": name_ar}
    )
    return group


@transaction.atomic
def place_create(*, user: User | None, **fields: Any) -> Place:
    if user is not None and not user.has_perm("mapping.add_place"):
        raise PermissionDenied("You may not add places.")
    place = Place(**fields)
    place.full_clean()
    _save(place, user)
    gazetteer.invalidate()
    return place


@transaction.atomic
def place_update(
    *, place: Place, user: User | None, reason: str | None = None, **changes: Any
) -> Place:
    """Change a gazetteer entry (not its slug); one that published incidents name takes a
    reviewer, as their pages show its name."""
    _check_fields(changes, PLACE_FIELDS, "A place")
    if user is not None:
        if not user.has_perm("mapping.change_place"):
            raise PermissionDenied("You may not change places.")
        _require_catalogue_change(user, place, changes)
    for name, value in changes.items():
        setattr(place, name, value)
    place.full_clean()
    _save(place, user, reason)
    gazetteer.invalidate()
    return place


# --- drafting from an article ------------------------------------------------------------


class ArticleDraftsError(ValidationError):
    """Some of an article's accepted proposals could not be saved; nothing was.

    ``errors`` maps the proposal's index to its ``ValidationError`` (or ``PermissionDenied``
    / ``ConcurrentEditError`` turned into one), so each can be shown beside its proposal.
    """

    def __init__(self, errors: Mapping[int | str, ValidationError]) -> None:
        self.errors = dict(errors)
        super().__init__(
            [f"{key}: {'; '.join(error.messages)}" for key, error in self.errors.items()]
        )


def _unique_source_slug(base: str) -> str:
    base = (re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-") or "article")[:100]
    slug, n = base, 1
    while Source.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def article_source_get_or_create(
    *, user: User | None, text: str, **fields: Any
) -> tuple[Source, bool]:
    """The Source for a pasted article: the one already recorded with the same URL (or,
    without a URL, with the same text), else a new one with the text's SHA-256."""
    content_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
    url = (fields.get("url") or "").strip()
    existing = (
        Source.objects.filter(url=url).order_by("pk").first()
        if url
        else Source.objects.filter(content_hash=content_hash, url="").order_by("pk").first()
    )
    if existing is not None:
        return existing, False
    published = fields.get("publication_date")
    base = "-".join(
        str(part)
        for part in (fields.get("publisher") or "article", published or "", fields["headline"])
        if part
    )
    source = source_create(
        user=user,
        slug=_unique_source_slug(base[:90]),
        content_hash=content_hash,
        **fields,
    )
    return source, True


@transaction.atomic
def article_drafts_apply(
    *,
    user: User | None,
    text: str,
    source_fields: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]],
) -> tuple[Source, list[Incident], list[Claim]]:
    """Turn a researcher's accepted proposals into draft incidents and claims, all or none.

    ``source_fields`` describe the article (publisher, headline, url, publication_date,
    language, kind; see :func:`article_source_get_or_create`). Each item is either
    ``{"incident": {...incident fields}, "claim": {...}, "attributions": [...]}`` for a new
    draft, or ``{"existing": incident, "claim": {...}, "attributions": [...]}`` to add the
    claim to an incident already recorded (an actor already held responsible there keeps
    its confidence). Claims get the source. Errors of every item are gathered and raised
    together as :class:`ArticleDraftsError`; nothing is written then.
    """
    try:
        source, _ = article_source_get_or_create(user=user, text=text, **source_fields)
    except (ValidationError, PermissionDenied) as error:
        raise ArticleDraftsError({"source": _as_validation_error(error)}) from error
    created: list[Incident] = []
    claims: list[Claim] = []
    errors: dict[int | str, ValidationError] = {}
    for index, item in enumerate(items):
        claim_values = {**item["claim"], "source": source}
        try:
            with transaction.atomic():
                if item.get("existing") is not None:
                    incident = item["existing"]
                    if incident.claims.filter(source=source, quote=claim_values["quote"]).exists():
                        raise ValidationError(
                            {"existing": f"{incident.public_id} already has this claim."}
                        )
                    claims.append(claim_add(incident=incident, user=user, **claim_values))
                    attributed = set(incident.attributions.values_list("actor_id", flat=True))
                    for attribution in item.get("attributions", ()):
                        if attribution["actor"].pk not in attributed:
                            attribution_set(incident=incident, user=user, **attribution)
                else:
                    incident = incident_create(
                        user=user,
                        claims=[claim_values],
                        attributions=list(item.get("attributions", ())),
                        **item["incident"],
                    )
                    created.append(incident)
                    claims.extend(incident.claims.all())
        except (ValidationError, PermissionDenied, ConcurrentEditError) as error:
            errors[index] = _as_validation_error(error)
    if errors:
        raise ArticleDraftsError(errors)
    return source, created, claims


def _as_validation_error(error: Exception) -> ValidationError:
    if isinstance(error, ValidationError):
        return error
    return ValidationError(str(error))


# --- duplicates --------------------------------------------------------------------------

_CONFIDENCE_RANK = {Confidence.ALLEGED: 0, Confidence.PROBABLE: 1, Confidence.CONFIRMED: 2}
_MERGEABLE = (Status.DRAFT, Status.IN_REVIEW, Status.PUBLISHED)


def can_merge(user: User, keep: Incident, merge: Incident) -> bool:
    """Whether the user may merge ``merge`` into ``keep`` (statuses aside).

    Researchers and reviewers review duplicates; merging changes both incidents, so the user
    must be allowed to edit both: a published one (whose public figures and record change)
    needs a reviewer.
    """
    return (
        user.has_perm("incidents.review_duplicatecandidate")
        and can_edit_incident(user, keep)
        and can_edit_incident(user, merge)
    )


def _merge_problems(keep: Incident, merge: Incident) -> dict[str, str]:
    if keep.pk == merge.pk:
        return {"merge": f"{keep.public_id} cannot be merged into itself."}
    errors = {}
    for name, incident in (("keep", keep), ("merge", merge)):
        if incident.status not in _MERGEABLE:
            errors[name] = (
                f"{incident.public_id} is {incident.get_status_display().lower()}; "
                "only drafts, incidents in review and published incidents can be merged."
            )
    if not errors and merge.status == Status.PUBLISHED and keep.status != Status.PUBLISHED:
        errors["keep"] = (
            f"{merge.public_id} is published and {keep.public_id} is not: keep the published "
            "one (or publish the other first), so that the public record does not vanish."
        )
    return errors


def _move(instance: Model, keep: Incident, user: User | None, reason: str) -> None:
    instance.incident = keep  # type: ignore[attr-defined]
    _save(instance, user, reason)


@transaction.atomic
def incident_merge(
    *,
    keep: Incident,
    merge: Incident,
    user: User | None,
    reason: str = "",
    keep_version: int | None = None,
    merge_version: int | None = None,
) -> Incident:
    """Merge ``merge`` into ``keep``: one event recorded twice becomes one record.

    Every claim, perpetrator (one per actor: the higher confidence is kept), victim group
    and outside data set row of ``merge`` moves to ``keep``, whose figures are reconciled
    again from all the claims (figures set by hand stay as set); its own description
    (title, dates, place) stays as it was, for the researcher to edit. ``merge`` keeps its
    history and public id, becomes *merged* and points to ``keep`` (its address redirects
    there; it leaves lists, exports, statistics and the map); incidents merged into it
    before now point to ``keep``. Both histories record the user and ``reason``; the pair's
    duplicate candidate is marked merged. ``keep_version`` and ``merge_version`` are the
    versions the user saw (``ConcurrentEditError`` if either moved on).

    Rights: the review permission and the right to edit both incidents, so merging into or
    out of a published incident (its public figures change) takes a reviewer. A published
    incident cannot be merged into an unpublished one.
    """
    # Lock both rows (lower id first, as every merge does, so two merges cannot deadlock)
    # and decide on their current state, not on what the caller read.
    if keep.pk == merge.pk:
        raise ValidationError(_merge_problems(keep, merge))
    locked = {
        row.pk: row
        for row in Incident.objects.select_for_update()
        .filter(pk__in=[keep.pk, merge.pk])
        .order_by("pk")
    }
    keep, merge = locked[keep.pk], locked[merge.pk]
    if user is not None:
        if not user.has_perm("incidents.review_duplicatecandidate"):
            raise PermissionDenied("You may not merge duplicate incidents.")
        for incident in (keep, merge):
            _require_edit(user, incident)
    if errors := _merge_problems(keep, merge):
        raise ValidationError(errors)
    _take_version(keep, keep_version)
    _take_version(merge, merge_version)
    reason = reason.strip()
    note = f"{merge.public_id} merged into {keep.public_id}" + (f": {reason}" if reason else "")

    # Incidents merged into this one before: point them at the one kept (no chains).
    for earlier in Incident.objects.filter(merged_into=merge).order_by("pk"):
        earlier.merged_into = keep
        _save(earlier, user, note)
    for claim in Claim.objects.filter(incident=merge).order_by("pk"):
        _move(claim, keep, user, note)
    held = {a.actor_id: a for a in Attribution.objects.filter(incident=keep)}
    for attribution in Attribution.objects.filter(incident=merge).order_by("pk"):
        existing = held.get(attribution.actor_id)
        if existing is None:
            _move(attribution, keep, user, note)
            continue
        if _CONFIDENCE_RANK[attribution.confidence] > _CONFIDENCE_RANK[existing.confidence]:
            existing.confidence = attribution.confidence
        if attribution.note and attribution.note not in existing.note:
            existing.note = "; ".join(n for n in (existing.note, attribution.note) if n)[:500]
        _save(existing, user, note)
        if user is not None and user.is_authenticated:
            attribution._history_user = user  # type: ignore[attr-defined]
        attribution._change_reason = note  # type: ignore[attr-defined]
        attribution.delete()
    keep.victim_groups.add(*merge.victim_groups.all())
    for record in ExternalRecord.objects.filter(incident=merge).order_by("pk"):
        _move(record, keep, user, note)

    _apply_figures(keep)
    if user is not None and user.is_authenticated:
        keep.updated_by = merge.updated_by = user
    keep.full_clean(exclude=["public_id"])
    _save(
        keep,
        user,
        f"Merged {merge.public_id} into this incident" + (f": {reason}" if reason else ""),
    )
    merge.status = Status.MERGED
    merge.merged_into = keep
    merge.full_clean(exclude=["public_id"])
    _save(merge, user, f"Merged into {keep.public_id}" + (f": {reason}" if reason else ""))

    first, second = sorted((keep.pk, merge.pk))
    decided = {
        "status": DuplicateStatus.MERGED,
        "decided_by": user if user is not None and user.is_authenticated else None,
        "decided_at": timezone.now(),
    }
    if not DuplicateCandidate.objects.filter(first_id=first, second_id=second).update(**decided):
        match = duplicates.score_pair(duplicates.Record.of(keep), duplicates.Record.of(merge))
        DuplicateCandidate.objects.create(
            first_id=first, second_id=second, score=match.score, reasons=match.reasons, **decided
        )
    # The merged incident's other open pairs are moot; the kept one is looked at afresh.
    DuplicateCandidate.objects.filter(status=DuplicateStatus.OPEN).filter(
        Q(first=merge) | Q(second=merge)
    ).delete()
    duplicates.flag_duplicates([keep.pk])
    # Claims and attributions moved through save(), so their signals dropped the kept
    # documents already; said once more for both, now and after the commit.
    documentcache.forget([keep.pk, merge.pk])
    transaction.on_commit(lambda: documentcache.forget([keep.pk, merge.pk]))
    return keep


@transaction.atomic
def duplicate_dismiss(*, candidate: DuplicateCandidate, user: User | None) -> DuplicateCandidate:
    """Record that the two incidents of a candidate pair are distinct events: the pair is
    never proposed again."""
    if user is not None and not user.has_perm("incidents.review_duplicatecandidate"):
        raise PermissionDenied("You may not review duplicate incidents.")
    candidate = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.status != DuplicateStatus.OPEN:
        raise ValidationError(
            {"status": f"This pair was already decided ({candidate.get_status_display().lower()})."}
        )
    candidate.status = DuplicateStatus.DISMISSED
    candidate.decided_by = user if user is not None and user.is_authenticated else None
    candidate.decided_at = timezone.now()
    candidate.save(update_fields=["status", "decided_by", "decided_at"])
    return candidate


# --- evidence files ----------------------------------------------------------------------


def _evidence_already_attached(source: Source, blob: EvidenceBlob) -> EvidenceFile | None:
    return (
        EvidenceFile.objects.select_related("uploaded_by").filter(source=source, blob=blob).first()
    )


def evidence_check_upload(*, upload: File) -> evidence.Examined:
    """Read the upload once and say, as an error on ``file``, why it cannot be kept: too
    large (the limit of ``INCIDENT_MAP["EVIDENCE_MAX_BYTES"]``), or a type not accepted
    (read from the content; the name and the browser's word are not trusted)."""
    limit = evidence.max_bytes()
    declared = getattr(upload, "size", None)
    if declared is not None and declared > limit:
        found = evidence.Examined(sha256="", size=declared, content_type=None, too_large=True)
    else:
        found = evidence.examine(upload, limit)
    if found.too_large:
        raise ValidationError(
            {
                "file": gettext(
                    "The file is larger than the %(limit)s accepted (%(bytes)s bytes at most)."
                )
                % {"limit": evidence.size_text(limit), "bytes": f"{limit:,}"}
            }
        )
    if found.size == 0:
        raise ValidationError({"file": gettext("The file is empty.")})
    if found.content_type not in evidence.allowed_types():
        accepted = ", ".join(str(evidence.FILE_TYPES[t].label) for t in evidence.allowed_types())
        raise ValidationError(
            {
                "file": gettext(
                    "This kind of file is not accepted (its content was read, not its name). "
                    "Accepted: %(accepted)s."
                )
                % {"accepted": accepted}
            }
        )
    return found


def _evidence_blob_for(upload: File, found: evidence.Examined) -> tuple[EvidenceBlob, str | None]:
    """The blob holding these bytes: the one stored already (the bytes are not written
    again), or a new one. Returns it with the storage name written now, if any, so that
    the caller can take it back should the rest of the write fail."""
    existing = EvidenceBlob.objects.select_for_update().filter(sha256=found.sha256).first()
    if existing is not None:
        return existing, None
    name = evidence.store(upload)
    try:
        blob = EvidenceBlob(
            sha256=found.sha256,
            size=found.size,
            content_type=found.content_type,
            storage_name=name,
        )
        blob.full_clean(validate_unique=False)
        try:
            with transaction.atomic():
                blob.save()
        except IntegrityError:
            # Someone stored the same bytes a moment ago: link to theirs.
            evidence.storage().delete(name)
            return EvidenceBlob.objects.get(sha256=found.sha256), None
    except BaseException:
        evidence.storage().delete(name)
        raise
    return blob, name


@transaction.atomic
def evidence_attach(
    *, source: Source, user: User | None, upload: File, name: str = "", description: str = ""
) -> EvidenceFile:
    """Keep a file for ``source``: its SHA-256, size and type (read from its content), who
    uploaded it and when. Bytes already stored (the same hash) are linked, not stored
    again. Nothing is written when the file is refused, and a file written to the storage
    is taken back if the rest of the write fails. The file is not public."""
    if user is not None:
        _require_perm(user, "add_evidencefile", "add evidence files")
    found = evidence_check_upload(upload=upload)
    original_name = (name or getattr(upload, "name", "") or "").rsplit("/", 1)[-1]
    original_name = original_name.rsplit("\\", 1)[-1][:255] or "file"
    # Locked, so that a reviewer removing its last other link cannot delete it meanwhile.
    existing = EvidenceBlob.objects.select_for_update().filter(sha256=found.sha256).first()
    if existing is not None and (attached := _evidence_already_attached(source, existing)):
        raise ValidationError(
            {
                "file": gettext(
                    "This file is already kept for this source (as %(name)s, SHA-256 %(sha256)s)."
                )
                % {"name": attached.original_name, "sha256": existing.sha256}
            }
        )
    blob, written = _evidence_blob_for(upload, found)
    try:
        link = EvidenceFile(
            source=source,
            blob=blob,
            original_name=original_name,
            description=description,
            uploaded_by=user if user is not None and user.is_authenticated else None,
        )
        link.full_clean()
        _save(link, user, "Uploaded")
    except BaseException:
        if written:
            evidence.storage().delete(written)
        raise
    return link


@transaction.atomic
def evidence_set_public(
    *, evidence_file: EvidenceFile, user: User | None, public: bool, reason: str | None = None
) -> EvidenceFile:
    """Mark a file public or not: reviewers only, since it changes what the public sees.
    A confidential source's file cannot be marked. An image's public copy (drawn again
    without its metadata, so without a GPS position) is made now, once for its bytes."""
    if not is_reviewer(user):
        raise PermissionDenied(
            gettext("Only a reviewer may decide whether the public sees a file.")
        )
    link = (
        EvidenceFile.objects.select_for_update()
        .select_related("source", "blob")
        .get(pk=evidence_file.pk)
    )
    if public and link.source.confidential:
        raise ValidationError(
            {"public": gettext("The files of a confidential source are never public.")}
        )
    if public and evidence.FILE_TYPES[link.blob.content_type].image:
        _evidence_public_copy(link.blob)
    if link.public != public:
        link.public = public
        link.full_clean()
        _save(link, user, reason or ("Marked public" if public else "Marked not public"))
    return link


def _evidence_public_copy(blob: EvidenceBlob) -> None:
    if blob.public_copy_name:
        return
    with evidence.open_stored(blob.storage_name) as stored:
        data = stored.read()
    try:
        copy = evidence.public_image_copy(data, blob.content_type)
    except evidence.UnreadableImage as error:
        raise ValidationError(
            {
                "public": gettext(
                    "This image cannot be read, so its location data cannot be removed: it "
                    "cannot be made public."
                )
            }
        ) from error
    name = evidence.store_bytes(copy)
    try:
        updated = EvidenceBlob.objects.filter(pk=blob.pk, public_copy_name="").update(
            public_copy_name=name
        )
    except BaseException:
        evidence.storage().delete(name)
        raise
    if not updated:  # made by someone else meanwhile
        evidence.storage().delete(name)
    blob.refresh_from_db(fields=["public_copy_name"])


@transaction.atomic
def evidence_remove(*, evidence_file: EvidenceFile, user: User | None) -> None:
    """Unlink a file from its source (reviewers only: it is evidence). Bytes no longer
    linked to any source leave the storage once the removal is committed."""
    if user is not None:
        _require_perm(user, "delete_evidencefile", "remove evidence files")
    link = EvidenceFile.objects.get(pk=evidence_file.pk)
    # Locked, so that an upload of the same bytes cannot link to it while it goes.
    blob = EvidenceBlob.objects.select_for_update().get(pk=link.blob_id)
    if user is not None and user.is_authenticated:
        link._history_user = user  # type: ignore[attr-defined]
    link.delete()
    if not EvidenceFile.objects.filter(blob=blob).exists():
        names = [n for n in (blob.storage_name, blob.public_copy_name) if n]
        blob.delete()
        transaction.on_commit(lambda: [evidence.storage().delete(n) for n in names])

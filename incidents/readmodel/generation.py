"""The publication generation: one token that changes whenever what the public sees may
have changed.

Expensive public answers (statistics, the map, the timeline, rendered pages) are kept in the
shared cache under keys that contain the token, and the site's ``ETag`` validators are
derived from it. A write that may change a public answer calls :func:`changed`; from then on
every reader asks for (and keys on) a new token, so no answer computed before the write is
served after it. Old entries are never deleted: nobody asks for them again and the cache
lets them expire.

The token lives in the shared cache (Redis, or the files every local process shares), so
every process of every machine sees a change at once: the bound on a stale public answer
inside the application is zero, plus the HTTP ``max-age`` a browser or proxy may keep it
(``incidents.httpcache``). It is ``<count>.<random>``: the count is
:class:`~incidents.models.PublicationGeneration`, durable in the database and moved on by
every change once it commits; the random part is new each time the token is set, so a
token read back after the cache was flushed (or the entry evicted) is never one that an
old answer was kept under.

When: :func:`changed` sets a new token at once (so that nothing computed while the write's
transaction is open outlives it, and the writer's own later reads are fresh) and again
after the commit (``transaction.on_commit``), together with the durable count, so that an
answer computed from the data as it was before the commit is never served after it. A
rolled-back write only cost a recomputation.

Who calls it: the signals below, for every save or delete of a record the public sees
(an incident that is or was published, its claims, perpetrators, victim groups and outside
ids; sources, actors, episodes and their aggregate figures, victim groups, places), and the
writers that bypass ``save()``: the importers' chunks and their follow-up, the map cells'
rebuild, the gazetteer loader.
"""

from __future__ import annotations

import logging
import secrets

from django.core.cache import cache
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from incidents.models import (
    Actor,
    Attribution,
    Claim,
    Episode,
    EpisodeClaim,
    ExternalRecord,
    Incident,
    PublicationGeneration,
    Source,
    Status,
    VictimGroup,
)
from mapping.loader import gazetteer_loaded
from mapping.models import Place

logger = logging.getLogger(__name__)

KEY = "publication-generation"

# Statuses whose incidents the public sees, or is sent on from (a merged incident's
# address redirects to the one it was merged into).
SHOWN = frozenset({Status.PUBLISHED, Status.MERGED})


def stored_count() -> int:
    """The durable count, from the database (0 before the first change)."""
    value = PublicationGeneration.objects.filter(pk=1).values_list("value", flat=True).first()
    return value or 0


def current() -> str:
    """The token to key public answers on now.

    Read from the shared cache; when it is not there (first use, flush, eviction), made from
    the durable count and a new random part and put there, unless another process did so
    first. Without a working cache the count alone is used (answers are not kept then).
    """
    try:
        token = cache.get(KEY)
        if token is not None:
            return token
        token = f"{stored_count()}.{secrets.token_hex(4)}"
        if cache.add(KEY, token, timeout=None):
            return token
        return cache.get(KEY) or token
    except Exception:
        logger.exception("The shared cache did not answer; public answers are not kept.")
        return str(stored_count())


def _set_token(count: int | None = None) -> None:
    if count is None:
        try:
            count = int(str(cache.get(KEY) or "0").split(".", 1)[0])
        except ValueError:
            count = 0
    cache.set(KEY, f"{count}.{secrets.token_hex(4)}", timeout=None)


def _increment() -> int:
    """Move the durable count on; returns the new value.

    One statement, atomic by itself: the row made at 1 the first time, else moved on by
    one (of two writers at once, the second waits for the first and moves on its value).
    """
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    table = quote(PublicationGeneration._meta.db_table)
    value, changed_at = quote("value"), quote("changed_at")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({quote('id')}, {value}, {changed_at}) "  # noqa: S608
            f"VALUES (1, 1, %s) ON CONFLICT ({quote('id')}) DO UPDATE "
            f"SET {value} = {table}.{value} + 1, {changed_at} = excluded.{changed_at} "
            f"RETURNING {value}",
            [connection.ops.adapt_datetimefield_value(timezone.now())],
        )
        return cursor.fetchone()[0]


def _after_commit() -> None:
    count = None
    try:
        count = _increment()
    except Exception:
        logger.exception("The publication generation's count could not be moved on.")
    try:
        _set_token(count)
    except Exception:
        logger.exception("The shared cache did not take the new publication generation.")


def _pending(connection) -> bool:
    return any(func is _after_commit for _sids, func, _robust in connection.run_on_commit)


def changed() -> None:
    """Say that what the public sees may have changed (see the module)."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _after_commit()
        return
    try:
        _set_token()
    except Exception:
        logger.exception("The shared cache did not take the new publication generation.")
    if not _pending(connection):
        # Once per transaction; a savepoint rolled back takes its registration with it.
        transaction.on_commit(_after_commit, robust=True)


# --- the writes that go through save() and delete() ------------------------------------------


def _was_or_is_shown(incident: Incident) -> bool:
    return incident.status in SHOWN or getattr(incident, "_stored_status", None) in SHOWN


@receiver(post_save, sender=Incident, dispatch_uid="generation_incident_saved")
@receiver(post_delete, sender=Incident, dispatch_uid="generation_incident_deleted")
def _incident_changed(sender, instance: Incident, **kwargs) -> None:
    # A draft edited is no news to the public; publishing, retracting, editing a published
    # record, merging and deleting one are.
    if _was_or_is_shown(instance):
        changed()
    instance._stored_status = instance.status


@receiver(post_save, sender=Claim, dispatch_uid="generation_claim_saved")
@receiver(post_delete, sender=Claim, dispatch_uid="generation_claim_deleted")
@receiver(post_save, sender=Attribution, dispatch_uid="generation_attribution_saved")
@receiver(post_delete, sender=Attribution, dispatch_uid="generation_attribution_deleted")
@receiver(post_save, sender=ExternalRecord, dispatch_uid="generation_external_saved")
@receiver(post_delete, sender=ExternalRecord, dispatch_uid="generation_external_deleted")
def _part_changed(sender, instance: Model, **kwargs) -> None:
    # The incident at hand tells whether the public sees it; where it was not loaded, a
    # query would cost more than the change of generation it might save.
    if sender.incident.is_cached(instance) and not _was_or_is_shown(instance.incident):
        return
    changed()


@receiver(m2m_changed, sender=Incident.victim_groups.through, dispatch_uid="generation_victims")
def _victims_changed(sender, instance, action: str, reverse: bool, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    if reverse or _was_or_is_shown(instance):
        changed()


def _reference_changed(sender, instance, **kwargs) -> None:
    changed()


for _model in (Source, Actor, Episode, EpisodeClaim, VictimGroup, Place):
    _name = _model.__name__
    post_save.connect(_reference_changed, sender=_model, dispatch_uid=f"generation_{_name}")
    post_delete.connect(_reference_changed, sender=_model, dispatch_uid=f"generation_{_name}_del")


@receiver(gazetteer_loaded, dispatch_uid="generation_gazetteer_loaded")
def _gazetteer_loaded(sender, **kwargs) -> None:
    changed()

"""Rendered incident documents, kept between requests for the list pages.

Building a page of 500 documents with their claims means reading about a thousand claim
rows and assembling over a megabyte of JSON; most pages are read far more often than their
incidents change. So each document, once rendered, is kept as JSON text in
:class:`~incidents.models.IncidentDocument`, and a page is the kept texts of its incidents
joined together, with only the missing or outdated ones built afresh (and kept).

A kept document is used only while it is right:

- it is stamped with the incident's ``version`` and ``updated_at`` when it is rendered,
  and read only where both still match, so any save of the incident or any write that
  moves its version makes it outdated, whichever path made the change;
- it is stamped with the document layout (``representation.DOCUMENT_SHAPE``) too, so the
  documents an earlier release kept are outdated once a release changes the layout;
- changes that touch neither (a claim, a perpetrator, a victim group, an outside data
  set's id; the name of a source,
  actor, place, episode or victim group the document shows) delete the affected documents
  through the signals below, in the same transaction and again once it commits;
- writes that bypass ``save()`` and ``delete()`` (bulk loads, ``QuerySet.update`` on
  claims, raw SQL) must call :func:`forget` for the incidents they touched, or
  :func:`clear` (``manage.py rebuild_map_cells`` does).

The documents are the same for every reader: they never contain confidential sources nor
anything that depends on who asks. Which incidents a reader may see is decided before
this module is asked for their documents.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import orjson
import psycopg2.extensions
from django.db import DatabaseError, connections, router, transaction
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from incidents.models import (
    Actor,
    Attribution,
    Claim,
    Episode,
    ExternalRecord,
    Incident,
    IncidentDocument,
    Source,
    VictimGroup,
)
from mapping.models import Place

from .representation import DOCUMENT_SHAPE, JSON_OPTIONS, documents, id_array

_TABLE = IncidentDocument._meta.db_table
_INCIDENTS = Incident._meta.db_table


def _kept(ids: Sequence[int]) -> dict[int, bytes]:
    """The kept documents of these incidents that are still current, by incident id, as
    UTF-8 bytes: a page is their bytes joined, so decoding a megabyte of text into Python
    strings (and joining strings of mixed widths, Arabic beside Latin) would be work thrown
    away when the page is encoded again."""
    connection = connections[router.db_for_read(IncidentDocument)]
    # One plain statement with the ids as one array value: at 500 ids the ORM's IN list and
    # row handling cost more than the lookup itself. Names are the models' own.
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT d.incident_id, d.body FROM {_TABLE} d "  # noqa: S608
            f"JOIN {_INCIDENTS} i ON i.id = d.incident_id "
            "WHERE d.incident_id = ANY(%s::bigint[]) AND d.shape = %s "
            "AND d.version = i.version AND d.updated_at = i.updated_at"
        )
        with connection.cursor() as cursor:
            # The text column as the bytes the server sent, undecoded (this cursor only).
            psycopg2.extensions.register_type(psycopg2.extensions.BYTES, cursor.cursor)
            cursor.execute(sql, [id_array(ids), DOCUMENT_SHAPE])
            return dict(cursor.fetchall())
    # SQLite: the text read as a blob is its UTF-8 bytes (both columns compared as stored,
    # written by the same backend).
    sql = (
        f"SELECT d.incident_id, CAST(d.body AS BLOB) FROM {_TABLE} d "  # noqa: S608
        f"JOIN {_INCIDENTS} i ON i.id = d.incident_id "
        "WHERE d.incident_id IN (SELECT value FROM json_each(%s)) AND d.shape = %s "
        "AND d.version = i.version AND d.updated_at = i.updated_at"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [orjson.dumps(list(ids)).decode(), DOCUMENT_SHAPE])
        return dict(cursor.fetchall())


def _keep(rendered: dict[int, tuple[int, object, str]]) -> None:
    """Keep these documents (by incident id: version, updated_at, JSON text), replacing any
    kept before. On PostgreSQL one plain statement with each column as one array: building
    hundreds of model instances and a statement of thousands of parameters took the ORM
    longer than building the documents."""
    connection = connections[router.db_for_write(IncidentDocument)]
    if connection.vendor == "postgresql":
        sql = (
            f"INSERT INTO {_TABLE} (incident_id, version, updated_at, shape, body) "  # noqa: S608
            "SELECT k.incident_id, k.version, k.updated_at, %s, k.body "
            "FROM unnest(%s::bigint[], %s::integer[], %s::timestamptz[], %s::text[]) "
            "AS k(incident_id, version, updated_at, body) "
            "ON CONFLICT (incident_id) DO UPDATE SET version = EXCLUDED.version, "
            "updated_at = EXCLUDED.updated_at, shape = EXCLUDED.shape, body = EXCLUDED.body"
        )
        stamps = list(rendered.values())
        with connection.cursor() as cursor:
            cursor.execute(
                sql,
                [
                    DOCUMENT_SHAPE,
                    id_array(rendered),
                    [version for version, _, _ in stamps],
                    [updated_at for _, updated_at, _ in stamps],
                    [body for _, _, body in stamps],
                ],
            )
        return
    IncidentDocument.objects.bulk_create(
        [
            IncidentDocument(
                incident_id=pk,
                version=version,
                updated_at=updated_at,
                shape=DOCUMENT_SHAPE,
                body=body,
            )
            for pk, (version, updated_at, body) in rendered.items()
        ],
        update_conflicts=True,
        unique_fields=["incident"],
        update_fields=["version", "updated_at", "shape", "body"],
    )


def page_json(ids: Sequence[int]) -> bytes:
    """The documents of these incidents, in this order, as a JSON array (UTF-8 bytes)."""
    if not ids:
        return b"[]"
    bodies = _kept(ids)
    missing = [pk for pk in ids if pk not in bodies]
    if missing:
        rendered = {}
        for pk, document in zip(missing, documents(missing), strict=True):
            body = orjson.dumps(document, option=JSON_OPTIONS)
            rendered[pk] = (document["version"], document["updated_at"], body.decode())
            bodies[pk] = body
        # Kept in its own savepoint: if an incident was deleted meanwhile, the page is
        # still right and only the keeping is given up.
        try:
            with transaction.atomic():
                _keep(rendered)
        except DatabaseError:
            pass
    return b"[" + b",".join([bodies[pk] for pk in ids]) + b"]"


def forget(incident_ids: Iterable[int] | Q) -> None:
    """Drop the kept documents of these incidents (ids, or a filter on ``incident``)."""
    if isinstance(incident_ids, Q):
        rows = IncidentDocument.objects.filter(
            incident_id__in=Incident.objects.filter(incident_ids).values("pk")
        )
    else:
        ids = {pk for pk in incident_ids if pk is not None}
        if not ids:
            return
        rows = IncidentDocument.objects.filter(incident_id__in=ids)
    rows.delete()


def clear() -> int:
    """Drop every kept document (after bulk writes). Returns how many there were."""
    deleted, _ = IncidentDocument.objects.all().delete()
    return deleted


def _forget_now_and_on_commit(where: Q) -> None:
    # Now, so this transaction never reads an outdated document; again after the commit,
    # so that a page rendered from the old values meanwhile is not kept either.
    forget(where)
    transaction.on_commit(lambda: forget(where))


# --- what makes a kept document outdated without changing its incident ---------------------


@receiver(post_save, sender=Incident, dispatch_uid="documents_incident_saved")
def _incident_saved(
    sender, instance: Incident, raw: bool = False, update_fields=None, **kwargs
) -> None:
    # A save that sets updated_at afresh (auto_now) outdates every kept document by its
    # stamp: none was rendered at a time that had not come yet. Loaded rows (raw) keep the
    # time they bring, and saves of some fields only may leave it.
    if not raw and (update_fields is None or "updated_at" in update_fields):
        return
    forget([instance.pk])


@receiver(post_delete, sender=Incident, dispatch_uid="documents_incident_deleted")
def _incident_deleted(sender, instance: Incident, **kwargs) -> None:
    forget([instance.pk])


@receiver(post_save, sender=Claim, dispatch_uid="documents_claim_saved")
@receiver(post_delete, sender=Claim, dispatch_uid="documents_claim_deleted")
@receiver(post_save, sender=Attribution, dispatch_uid="documents_attribution_saved")
@receiver(post_delete, sender=Attribution, dispatch_uid="documents_attribution_deleted")
@receiver(post_save, sender=ExternalRecord, dispatch_uid="documents_external_saved")
@receiver(post_delete, sender=ExternalRecord, dispatch_uid="documents_external_deleted")
def _part_changed(sender, instance: Claim | Attribution | ExternalRecord, **kwargs) -> None:
    forget([instance.incident_id])


@receiver(m2m_changed, sender=Incident.victim_groups.through, dispatch_uid="documents_victims")
def _victims_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    if not reverse:
        forget([instance.pk])
    elif pk_set:
        forget(pk_set)
    else:  # a victim group's incidents cleared: all of them
        _forget_now_and_on_commit(Q(victim_groups=instance.pk))


# A reference's fields that documents show. Which incidents show a given reference:
_SHOWN_BY = {
    Source: lambda pk: Q(claims__source=pk),
    Actor: lambda pk: Q(attributions__actor=pk) | Q(claims__perpetrator=pk),
    Place: lambda pk: Q(place=pk) | Q(governorate=pk) | Q(district=pk),
    Episode: lambda pk: Q(episode=pk),
    VictimGroup: lambda pk: Q(victim_groups=pk),
}


def _reference_changed(sender, instance, created: bool = False, **kwargs) -> None:
    if created:
        return  # nothing refers to it yet
    _forget_now_and_on_commit(_SHOWN_BY[sender](instance.pk))


for _model in _SHOWN_BY:
    name = _model.__name__
    post_save.connect(_reference_changed, sender=_model, dispatch_uid=f"documents_{name}")
    # Before the delete: afterwards, references set to NULL no longer lead to the incidents.
    pre_delete.connect(_reference_changed, sender=_model, dispatch_uid=f"documents_{name}_del")

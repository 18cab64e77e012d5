"""This database's identity: a UUID made by a migration (or on first use after a flush), kept.

Public ids (``SY-2025-0007``) are numbered per database, so two databases give the same id
to different events. Exports name the database each incident comes from (its origin), and
importers match an incident only when that origin agrees (see ``incidents.imports.exchange``).
"""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction

from .models import DatabaseIdentity


def database_id() -> str:
    """This database's UUID, as text; made and stored on the first call."""
    found = DatabaseIdentity.objects.order_by("id").values_list("uuid", flat=True).first()
    if found is None:
        try:
            with transaction.atomic():
                DatabaseIdentity.objects.create(uuid=uuid.uuid4())
        except IntegrityError:  # pragma: no cover - two first calls at once
            pass
        found = DatabaseIdentity.objects.order_by("id").values_list("uuid", flat=True).first()
    return str(found)

"""The incidents app: connects the read model's signals, keeps the text index after every
migrate and checks the evidence settings."""

from typing import Any

from django.apps import AppConfig
from django.core import checks
from django.db import connections
from django.db.models.signals import post_migrate

from .textsearch import ensure_index


def _text_index_after_migrate(using: str, **_: Any) -> None:
    # SQLite drops the text index's triggers when a migration rebuilds the incident table:
    # make them (and the index's content) again after every migrate.
    ensure_index(connections[using])


class IncidentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        # Connect the signals that keep map cells, drop outdated kept documents and move the
        # publication generation on.
        from .readmodel import documentcache, generation, mapcells, statsums  # noqa: F401

        post_migrate.connect(_text_index_after_migrate, sender=self, dispatch_uid="text-index")
        checks.register(evidence_types_check)


def evidence_types_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """EVIDENCE_TYPES names content types the sniffer knows; a typo would refuse every
    upload of that type with no hint why."""
    from django.conf import settings

    from .evidence import FILE_TYPES

    configured = settings.INCIDENT_MAP.get("EVIDENCE_TYPES") or []
    unknown = sorted(set(configured) - set(FILE_TYPES))
    if not unknown:
        return []
    return [
        checks.Error(
            f"EVIDENCE_TYPES names types that are not recognised: {', '.join(unknown)}.",
            hint=f"Choose among: {', '.join(FILE_TYPES)}.",
            id="incidents.E001",
        )
    ]

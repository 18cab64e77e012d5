"""The incidents app: connects the read model's signals and checks the evidence settings."""

from typing import Any

from django.apps import AppConfig
from django.core import checks


class IncidentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        # Connect the signals that keep map cells and drop outdated kept documents.
        from .readmodel import documentcache, mapcells  # noqa: F401

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

from typing import Any

from django.apps import AppConfig
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
        from .readmodel import documentcache, generation, mapcells  # noqa: F401

        post_migrate.connect(_text_index_after_migrate, sender=self, dispatch_uid="text-index")

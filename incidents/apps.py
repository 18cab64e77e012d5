from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        from . import mapcells  # noqa: F401 - connects the signals that keep map cells
        from .api import documentcache  # noqa: F401 - and those that drop outdated documents

from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        # Connect the signals that keep map cells and drop outdated kept documents.
        from .readmodel import documentcache, mapcells  # noqa: F401

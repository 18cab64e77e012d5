from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        # Connect the signals that keep map cells, drop outdated kept documents and move the
        # publication generation on.
        from .readmodel import documentcache, generation, mapcells  # noqa: F401

from django.apps import AppConfig


class MappingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mapping"
    verbose_name = "Geography"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from . import gazetteer
        from .models import Place

        # The gazetteer's in-process index must not outlive the rows it was built from.
        post_save.connect(gazetteer.invalidate, sender=Place, dispatch_uid="gazetteer-save")
        post_delete.connect(gazetteer.invalidate, sender=Place, dispatch_uid="gazetteer-delete")

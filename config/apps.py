"""The admin site's app config.

Django's default admin config imports every installed app's ``admin`` module. django-leaflet's
``leaflet.admin`` imports GeoDjango, which needs the GDAL C library; this project keeps
coordinates as plain columns precisely so that no machine needs GDAL. So the admin discovers
every app's admin module except django-leaflet's (which only holds GeoDjango admin classes
that this project does not use).
"""

from django.apps import apps
from django.contrib.admin.apps import SimpleAdminConfig
from django.utils.module_loading import import_module, module_has_submodule

ADMIN_DISCOVERY_SKIPS = frozenset({"leaflet"})


class AdminConfig(SimpleAdminConfig):
    default_site = "django.contrib.admin.sites.AdminSite"

    def ready(self) -> None:
        super().ready()
        for app_config in apps.get_app_configs():
            if app_config.name in ADMIN_DISCOVERY_SKIPS:
                continue
            if module_has_submodule(app_config.module, "admin"):
                import_module(f"{app_config.name}.admin")

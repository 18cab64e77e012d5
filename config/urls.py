"""URL configuration: the admin, the API (``/api/v1/``) and the public pages."""

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Incident map — research admin"
admin.site.site_title = "Incident map admin"
admin.site.index_title = "Records"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("incidents.api.urls")),
    path("", include("incidents.urls")),
]

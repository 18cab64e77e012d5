"""URL configuration: the admin, the API (``/api/v1/``) and the public pages."""

from csp.decorators import csp_update
from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularRedocView

admin.site.site_header = "Incident map — research admin"
admin.site.site_title = "Incident map admin"
admin.site.index_title = "Records"

# Redoc styles itself by writing <style> elements at run time (styled-components) and parses
# the schema in a blob: web worker; neither can carry a nonce. So this one page, which shows
# only our own OpenAPI document and runs no data from the database, may apply inline
# styles and start blob: workers. Scripts stay nonce-only. It is routed here, ahead of the
# API's own route of the same path (incidents/api/urls.py), so the exemption sits with the
# rest of the site's policy; reverse("api:redoc") still names this address.
redoc = csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"]})(
    SpectacularRedocView.as_view(url_name="api:schema")
)

# The language switch is on every public page. With a CSRF token in its form, every page
# would set a CSRF cookie and hold a token of its own reader, and no page could be cached for
# all readers. What a forged request could do here is switch a visitor's language, so the
# switch takes no token; it still only sets the language cookie, by POST, and redirects
# within the site only (Django's own view).
language_switch = csrf_exempt(set_language)


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico on every page that names no icon (the admin, the API's
    pages): send them to the site's icon instead of a 404 in every log."""
    return HttpResponseRedirect(static("img/favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", language_switch, name="set_language"),
    path("api/v1/redoc/", redoc),
    path("api/v1/", include("incidents.api.urls")),
    path("", include("incidents.urls")),
]

"""WSGI entry point, served by gunicorn in production (``gunicorn config.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# The URL configuration and the views loaded now, not by the worker's first request.
from config.warm import warm  # noqa: E402

warm()

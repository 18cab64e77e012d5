"""The page a locked-out sign-in gets (django-axes' ``AXES_LOCKOUT_CALLABLE``).

django-axes renders its lockout template with a context of its own; this adds the admin
site's, so the page carries the admin's header and looks like the sign-in page it
replaces. What it says is in ``templates/axes/lockout.html``.
"""

from __future__ import annotations

from typing import Any

from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    context = {
        **admin.site.each_context(request),
        "failure_limit": get_failure_limit(request, credentials),
        "cooloff_timedelta": get_cool_off(request),
    }
    return render(request, "axes/lockout.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)

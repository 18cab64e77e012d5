"""Requests no view can answer sensibly, refused before any view sees them.

PostgreSQL cannot store or compare text holding a NUL character, so an address or a query
parameter with one would fail deep inside a query. It is refused here, for every page, with
a 400 that names where the NUL is.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

NUL_MESSAGE = "NUL characters are not allowed."


def _nul_in(request: HttpRequest) -> str | None:
    """Where the request holds a NUL character: ``path``, a parameter's name, or None."""
    if "\x00" in request.path_info:
        return "path"
    for name, values in request.GET.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            return name.replace("\x00", "") or "query"
    return None


class RefuseNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = _nul_in(request)
        if where is None:
            return self.get_response(request)
        if request.path_info.startswith("/api/"):
            return HttpResponse(
                json.dumps({where: [NUL_MESSAGE]}), status=400, content_type="application/json"
            )
        return HttpResponse(
            f"Bad request: {where}: {NUL_MESSAGE}", status=400, content_type="text/plain"
        )

"""Readying a server process before it takes its first request.

Django imports the URL configuration, and with it every view and serializer module, on the
first request a process serves: half a second of CPU that the first reader of each new
gunicorn worker (at every start, and every ``max_requests``) waited for. :func:`warm`
does it while the worker starts. Then the objects made so far (modules, classes, the URL
patterns: several hundred thousand, kept for the process's life) are moved out of the
garbage collector's generations (``gc.freeze``), so that its full collections, which a
request's allocations set off now and then, no longer walk them every time.
"""

from __future__ import annotations

import gc


def warm() -> None:
    """Loads the URL configuration and the views; freezes what is made so far for the GC."""
    from django.urls import get_resolver

    # The property imports the URL configuration (every view) and keeps it.
    get_resolver().url_patterns  # noqa: B018
    gc.freeze()

"""Long jobs run in bounded memory whatever ``DEBUG`` says.

With ``DEBUG`` on (the development default), every database connection keeps the text of
the last 9,000 statements it ran (``connection.queries_log``), for the debug toolbar and
for tests. A web request starts with an empty log; a management command never does, so a
command that writes in bulk keeps thousands of statements of megabytes each (a bulk insert
of 5,000 rows is one statement): ``keep_documents`` reached 4 GB at a million incidents.

:func:`without_query_log` makes every connection log nothing for the length of a job;
:class:`LongCommand` runs a management command inside it. The commands that go over many
rows (imports, ``keep_documents``, ``rebuild_map_cells``, ``find_duplicates``,
``geocode_incidents``, ``export_acled``) and ``bench/generate.py`` use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management.base import BaseCommand
from django.db import connections


@contextmanager
def without_query_log() -> Iterator[None]:
    """Log no statement on any connection while the block runs.

    The connections hand out plain cursors instead of DEBUG's logging ones (which also
    format every statement with its parameters: on SQLite, a query of its own per bulk
    statement). A connection someone is recording on purpose (``force_debug_cursor``: a
    test's ``CaptureQueriesContext``) keeps recording.
    """
    quieted = []
    for connection in connections.all():
        if not connection.force_debug_cursor and "make_debug_cursor" not in vars(connection):
            connection.make_debug_cursor = connection.make_cursor
            quieted.append(connection)
    try:
        yield
    finally:
        for connection in quieted:
            del connection.make_debug_cursor


class LongCommand(BaseCommand):
    """A management command that may run many statements: it keeps none in memory."""

    def execute(self, *args: Any, **options: Any) -> Any:
        with without_query_log():
            return super().execute(*args, **options)

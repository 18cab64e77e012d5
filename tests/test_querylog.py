"""Long commands keep no SQL in memory, even with DEBUG on (the development default).

Django's debug log keeps the last 9,000 statements of each connection, some of them bulk
statements of megabytes; a command over a million incidents held gigabytes. Each command
here runs over the seed with DEBUG on, and the connection's log must not grow.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.querylog import without_query_log

DATA = Path(__file__).parent / "data" / "imports"


@pytest.mark.parametrize(
    "command",
    [
        ["keep_documents", "--batch", "2"],
        ["rebuild_map_cells"],
        ["find_duplicates"],
        ["geocode_incidents", "--dry-run"],
        ["export_acled", "--all", "--output", "{tmp}/out.csv"],
        ["import_acled", str(DATA / "acled_current.csv"), "--no-progress"],
        ["import_ucdp", str(DATA / "ucdp_ged.csv"), "--no-progress"],
    ],
    ids=lambda command: command[0],
)
def test_a_long_command_keeps_no_statement_with_debug_on(seeded, settings, tmp_path, command):
    settings.DEBUG = True
    connection.queries_log.clear()
    call_command(*(part.replace("{tmp}", str(tmp_path)) for part in command))
    assert len(connection.queries_log) == 0, connection.queries_log[-1]["sql"][:300]
    # Outside the command, DEBUG logs as usual.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert len(connection.queries_log) == 1


def test_a_test_recording_statements_still_sees_them(seeded):
    with CaptureQueriesContext(connection) as captured, without_query_log():
        call_command("rebuild_map_cells")
    assert len(captured) > 0

"""An ACLED import killed partway: running it again flags the duplicates of every chunk.

The import runs as a real process whose chunks hold three rows; it is killed (SIGKILL)
while writing its second chunk, after the first one committed. The first chunk holds an
event a researcher had already recorded (two rows of ACLED itself are never a pair).
Importing the file again skips those unchanged rows, and must still flag the pair.
"""

from __future__ import annotations

import csv
import io
import json
import signal
from pathlib import Path

from tests.processes import _migrated_sqlite_file, manage, process_database_url

__all__ = ["_migrated_sqlite_file", "process_database_url"]  # fixtures used below

DATA = Path(__file__).parent / "data" / "imports" / "acled_current.csv"

# The import command with chunks of three rows, killed as its second chunk is being written
# (inside that chunk's transaction, which therefore never commits).
KILLED_IMPORT = """
import os, signal
from incidents.imports import batch
from django.core.management import call_command

batch.CHUNK_ROWS = 3
write = batch._ChunkWriter.write
chunks = []

def write_then_die(self, entries):
    chunks.append(len(entries))
    result = write(self, entries)
    if len(chunks) == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return result

batch._ChunkWriter.write = write_then_die
call_command("import_acled", os.environ["IMPORT_FILE"])
"""

# The researcher's own record of the event of the file's first row.
OWN_INCIDENT = """
import datetime
from incidents import services
services.incident_create(
    user=None, title="Civilians killed in Jableh", event_type="attack_on_civilians",
    date_start=datetime.date(2025, 3, 7), date_end=datetime.date(2025, 3, 7),
    latitude=35.3616, longitude=35.9258, location_precision="settlement", place_name="Jableh",
)
"""

STATE = """
import json
from incidents.models import DuplicateCandidate, ExternalRecord, ImportFollowUp
ids = dict(ExternalRecord.objects.values_list("incident_id", "external_id"))
print(json.dumps({
    "imported": sorted(ids.values()),
    "pairs": sorted(
        sorted([ids.get(first, "own"), ids.get(second, "own")])
        for first, second in DuplicateCandidate.objects.values_list("first_id", "second_id")
    ),
    "follow_ups": ImportFollowUp.objects.count(),
}))
"""


def _file(tmp_path: Path) -> tuple[Path, list[str]]:
    with DATA.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    # Another event, so that the file takes two chunks.
    later = {**rows[1], "event_id_cnty": "SYR9001", "event_date": "2025-03-20"}
    ordered = [*rows, later]
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]))
    writer.writeheader()
    writer.writerows(ordered)
    path = tmp_path / "acled.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path, [row["event_id_cnty"] for row in ordered]


def _state(database_url: str) -> dict:
    result = manage(database_url, "shell", "--no-imports", "-c", STATE)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_killed_import_run_again_flags_the_duplicates_of_its_committed_chunks(
    process_database_url: str, tmp_path: Path
) -> None:
    path, ids = _file(tmp_path)
    own = manage(process_database_url, "shell", "--no-imports", "-c", OWN_INCIDENT)
    assert own.returncode == 0, own.stderr

    killed = manage(
        process_database_url, "shell", "--no-imports", "-c", KILLED_IMPORT, IMPORT_FILE=str(path)
    )
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    state = _state(process_database_url)
    # The first chunk only: three rows written (the file's skipped rows take no place).
    assert len(state["imported"]) == 3 and ids[0] in state["imported"]
    assert state["pairs"] == []  # killed before its follow-up

    again = manage(process_database_url, "import_acled", str(path))
    assert again.returncode == 0, again.stdout + again.stderr
    state = _state(process_database_url)
    assert len(state["imported"]) == 4
    assert sorted([ids[0], "own"]) in state["pairs"]
    assert state["follow_ups"] == 0

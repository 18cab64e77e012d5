"""Background jobs run by a real worker process (``manage.py db_worker``), killed mid-job.

An ACLED file is applied by a worker that writes chunks of 50 rows; the worker is killed
with SIGKILL while it writes. The database must then hold whole chunks only (every imported
incident with its external record and its claim, nothing of the chunk being written), the
job must show as stopped once its heartbeat is old, and "resume" with a new worker must
finish the import: every row in, the follow-up done, the report saying how many rows the
first attempt had written. A cancelled job stops between chunks and leaves the run ready to
be confirmed again.

On SQLite the processes share a database file; on PostgreSQL the test database.
"""

from __future__ import annotations

import csv
import io
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import ROOT, _migrated_sqlite_file, environment, manage, process_database_url

__all__ = ["_migrated_sqlite_file", "process_database_url"]  # fixtures used below

DATA = Path(__file__).parent / "data" / "imports" / "acled_current.csv"
CHUNK = 50
ROWS = 4000
# Fast heartbeats and a short limit, so that a killed worker's job is seen stopped quickly.
WORKER_ENV = {
    "IMPORT_CHUNK_ROWS": str(CHUNK),
    "JOB_HEARTBEAT_SECONDS": "0.5",
    "JOB_STALE_SECONDS": "10",
}

CREATE = """
import os
from incidents import jobs
from incidents.models import ImportRun, ImportRunStatus, JobKind
run = ImportRun.objects.create(
    format="acled", file_name="acled.csv", content=open(os.environ["IMPORT_FILE"], "rb").read(),
    status=ImportRunStatus.APPLYING,
)
job = jobs.start(kind=JobKind.IMPORT_APPLY, import_run=run)
print(job.pk)
"""

# Waits (in one process, polling the database) until the job is in its write phase with at
# least AT_LEAST rows written, or has finished; prints the job's status.
WAIT = """
import json, os, time
from incidents import jobs
from incidents.models import Job
job_id, at_least = int(os.environ["JOB_ID"]), int(os.environ.get("AT_LEAST", "0"))
until = os.environ.get("UNTIL", "finished")
deadline = time.monotonic() + float(os.environ.get("WAIT_SECONDS", "240"))
while time.monotonic() < deadline:
    job = Job.objects.get(pk=job_id)
    status = jobs.status(job)
    if until == "finished" and job.finished:
        break
    if until == "writing" and (job.finished or (job.phase == "write" and job.done >= at_least)):
        if os.environ.get("THEN_CANCEL"):  # at once, from here: no process to start first
            jobs.cancel(job=job)
        break
    if until == "stopped" and status["state"] == "stopped":
        break
    time.sleep(0.05)
print(json.dumps(status))
"""

STATE = """
import json, os
from django.db.models import Count
from incidents import jobs
from incidents.models import (
    Claim, ExternalRecord, ImportFollowUp, ImportRun, Incident, Job,
)
job = Job.objects.get(pk=int(os.environ["JOB_ID"]))
run = job.import_run
claims = Incident.objects.annotate(n=Count("claims")).values_list("n", flat=True)
print(json.dumps({
    "state": jobs.status(job)["state"],
    "run_status": run.status,
    "records": ExternalRecord.objects.filter(import_run=run).count(),
    "incidents": Incident.objects.count(),
    "claims_per_incident": sorted(set(claims)),
    "incidents_without_record": Incident.objects.filter(external_records=None).count(),
    "follow_ups": ImportFollowUp.objects.count(),
    "report": run.report,
    "job_report": job.report,
    "attempts": job.attempts,
}))
"""

RESUME = """
import os
from incidents import jobs
from incidents.models import Job
jobs.resume(job=Job.objects.get(pk=int(os.environ["JOB_ID"])))
"""


def _file(tmp_path: Path) -> Path:
    """ROWS in-scope ACLED rows: the sample file's kept rows, each under many ids."""
    with DATA.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["country"] == "Syria"]
    kept = [row for row in rows if row["event_type"] != "Protests"][:3]
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]))
    writer.writeheader()
    for n in range(ROWS):
        writer.writerow({**kept[n % len(kept)], "event_id_cnty": f"SYRK{n:06d}"})
    path = tmp_path / "acled.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _shell(url: str, script: str, **env: str) -> dict:
    result = manage(url, "shell", "--no-imports", "-c", script, **{**WORKER_ENV, **env})
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _worker(url: str, **extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--interval",
            "0.2",
            "--no-startup-delay",
            "--no-reload",
        ],
        cwd=ROOT,
        env=environment(url, **{**WORKER_ENV, **extra}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _stop(worker: subprocess.Popen) -> str:
    if worker.poll() is None:
        worker.terminate()
    try:
        out, _ = worker.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        out, _ = worker.communicate()
    return out


@pytest.fixture
def queued_import(process_database_url: str, tmp_path: Path) -> tuple[str, str]:
    path = _file(tmp_path)
    result = manage(
        process_database_url,
        "shell",
        "--no-imports",
        "-c",
        CREATE,
        **WORKER_ENV,
        IMPORT_FILE=str(path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return process_database_url, result.stdout.strip().splitlines()[-1]


def test_a_worker_killed_mid_import_leaves_whole_chunks_and_resume_finishes(queued_import):
    url, job_id = queued_import
    worker = _worker(url)
    try:
        status = _shell(url, WAIT, JOB_ID=job_id, UNTIL="writing", AT_LEAST=str(4 * CHUNK))
        assert status["state"] == "running" and status["phase"] == "write", status
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        log = _stop(worker)
    assert worker.returncode == -signal.SIGKILL, log

    killed = _shell(url, STATE, JOB_ID=job_id)
    # Whole chunks only: every incident written has its external record and its one claim.
    assert 0 < killed["records"] < ROWS, killed
    assert killed["records"] % CHUNK == 0, killed
    assert killed["incidents"] == killed["records"]
    assert killed["incidents_without_record"] == 0
    assert killed["claims_per_incident"] == [1]
    assert killed["run_status"] == "applying"

    # Nobody beats for the job any more: it is shown as stopped, with "resume".
    stopped = _shell(url, WAIT, JOB_ID=job_id, UNTIL="stopped", WAIT_SECONDS="60")
    assert stopped["state"] == "stopped" and stopped["can_resume"], stopped

    resumed = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", RESUME],
        cwd=ROOT,
        env=environment(url, JOB_ID=job_id, **WORKER_ENV),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr
    # The rest in larger chunks (the chunk size is the worker's setting, not the run's): on
    # SQLite each chunk is followed by a pause that lets other writers in.
    worker = _worker(url, IMPORT_CHUNK_ROWS=str(10 * CHUNK))
    try:
        done = _shell(url, WAIT, JOB_ID=job_id, UNTIL="finished")
    finally:
        log = _stop(worker)
    assert done["state"] == "done", (done, log)

    final = _shell(url, STATE, JOB_ID=job_id)
    assert final["run_status"] == "applied"
    assert final["records"] == ROWS and final["incidents"] == ROWS
    assert final["claims_per_incident"] == [1]
    assert final["follow_ups"] == 0  # the follow-up of the killed attempt's chunks too
    assert final["attempts"] == 2
    assert final["report"]["written_before_resume"] == killed["records"]
    assert final["report"]["created"] == ROWS - killed["records"]
    assert final["report"]["failed"] == 0


def test_a_running_import_cancelled_stops_between_chunks(queued_import):
    """The cancel is asked for from another process while the worker writes, as the admin's
    button does. On SQLite the worker and the cancel compete for the one write lock: chunks
    long enough that the cancel's first try meets a chunk in progress, as a real import's
    5,000-row chunks do (the worker used to take the lock back at once after each chunk,
    and the cancel waited until the whole file was written)."""
    url, job_id = queued_import
    chunk = 5 * CHUNK
    # Progress written (and the cancel looked for) at every chunk, not every half second:
    # on a quick machine the whole file is written within the first half second.
    chunked = {"IMPORT_CHUNK_ROWS": str(chunk)}
    worker = _worker(url, JOB_PROGRESS_SECONDS="0", **chunked)
    try:
        status = _shell(
            url,
            WAIT,
            JOB_ID=job_id,
            UNTIL="writing",
            AT_LEAST=str(chunk),
            THEN_CANCEL="1",
            **chunked,
        )
        assert status["state"] == "running", status
        done = _shell(url, WAIT, JOB_ID=job_id, UNTIL="finished")
    finally:
        log = _stop(worker)
    assert done["state"] == "cancelled", (done, log)
    assert worker.returncode == 0, log  # SIGTERM between jobs: a clean exit

    state = _shell(url, STATE, JOB_ID=job_id)
    assert state["records"] % chunk == 0 and state["records"] < ROWS
    # Stopped at the first chunk boundary after the cancel (it may have met a chunk that
    # was being written, which commits whole).
    assert state["records"] <= status["done"] + 2 * chunk, (state["records"], status)
    assert state["claims_per_incident"] == [1]
    # The run can be confirmed again, which writes the rest.
    assert state["run_status"] == "previewed"
    assert "cancelled" in state["report"]["interrupted"]

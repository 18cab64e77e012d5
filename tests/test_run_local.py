"""``make run`` starts the web server and a background worker together, and Ctrl-C stops
both: tested with the real command (``python -m config.run_local``, what ``make run`` runs
after setting up), a real job for the worker, and SIGINT as a terminal sends it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from tests.processes import (
    ROOT,
    _migrated_sqlite_file,
    environment,
    free_port,
    manage,
    process_database_url,
    wait_until_serving,
)

__all__ = ["_migrated_sqlite_file", "process_database_url"]  # fixtures used below

QUEUE = """
from incidents import jobs
print(jobs.start(kind="rebuild_map_cells").pk)
"""

WAIT = """
import json, os, time
from incidents.models import Job
deadline = time.monotonic() + 90
job = Job.objects.get(pk=int(os.environ["JOB_ID"]))
while not job.finished and time.monotonic() < deadline:
    time.sleep(0.2)
    job.refresh_from_db()
print(json.dumps({"state": job.state, "worker": job.worker}))
"""


def _children(pid: int) -> list[int]:
    """Every process descended from ``pid`` (runserver's reloader has a child of its own)."""
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                found.append(int(name))
                frontier.append(int(name))
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_make_run_serves_runs_jobs_and_stops_both_on_ctrl_c(process_database_url: str):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "config.run_local", str(port)],
        cwd=ROOT,
        env=environment(process_database_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/admin/login/", process)
        queued = manage(process_database_url, "shell", "--no-imports", "-c", QUEUE)
        assert queued.returncode == 0, queued.stderr
        job_id = queued.stdout.strip().splitlines()[-1]
        waited = manage(process_database_url, "shell", "--no-imports", "-c", WAIT, JOB_ID=job_id)
        assert waited.returncode == 0, waited.stderr
        assert json.loads(waited.stdout.strip().splitlines()[-1])["state"] == "done"

        children = _children(process.pid)
        assert len(children) >= 2  # the server and the worker (and the reloaders' children)
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, out
    assert time.monotonic() - started < 15
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if _alive(pid)], out

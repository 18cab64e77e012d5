"""``make run``: the web server and a background worker together, stopped together.

    python -m config.run_local [PORT]

Starts ``manage.py runserver 127.0.0.1:PORT`` and ``manage.py db_worker`` (the worker that
runs imports and other background jobs; see ``incidents.jobs``), each in a process group of
its own so that stopping one stops its autoreloader's child too. Ctrl-C (or SIGTERM) stops
both (a worker in the middle of a job gets GRACE_SECONDS to finish it, then is killed: the
job then shows as stopped in the admin, with "Resume"); if either exits by itself, the other
is stopped and its exit status is returned.
Production runs the two as separate services instead (README: "Background jobs").
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRACE_SECONDS = 10
WORKER_NICE = 10


def _start(*args: str, nice: int = 0) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        start_new_session=True,
        # This process runs no threads, so a preexec_fn is safe here.
        preexec_fn=(lambda: os.nice(nice)) if nice else None,
    )


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def main(argv: list[str]) -> int:
    port = argv[0] if argv else os.environ.get("PORT", "8000")
    stopping = {"signal": None}

    def stop(signum: int, frame: object) -> None:
        stopping["signal"] = signum

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    processes = [
        _start("runserver", f"127.0.0.1:{port}"),
        # --interval 1: a queued job starts within a second. At a lower CPU priority, so
        # that pages stay quick while an import runs (as deploy/'s unit does, Nice=10).
        _start("db_worker", "--interval", "1", nice=WORKER_NICE),
    ]
    print(f"Serving on http://127.0.0.1:{port}/ with a background worker; Ctrl-C stops both.")
    try:
        while stopping["signal"] is None:
            ended = [process for process in processes if process.poll() is not None]
            if ended:
                print(f"{ended[0].args[2]} exited ({ended[0].returncode}); stopping the rest.")
                _stop(processes)
                return ended[0].returncode or 1
            time.sleep(0.2)
    finally:
        _stop(processes)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

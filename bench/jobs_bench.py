"""Background jobs under load: an admin import of 100,000 ACLED rows while the public site is
read, and how fast N workers drain the database queue.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/incidentmap_jobsbench \\
        .venv/bin/python bench/jobs_bench.py --rows 100000

1. **Import while serving.** The database is migrated, the gazetteer and the seed loaded,
   the local accounts made. Gunicorn (``--gunicorn-workers``, default 2) and one worker
   (``manage.py db_worker``) start on loopback. ``--clients`` threads read public pages in a
   loop (the home page, the map endpoint over the whole country, an incident page, a page of
   the incident list API), first for ``--baseline`` seconds with nothing else running, then
   while the researcher's import runs: the file is uploaded in the admin (a real multipart
   POST, as the browser sends it), its check is followed through the progress view the admin
   page polls, the import is confirmed, and followed again until it ends. Printed: the
   upload and confirm request times, the progress seen (rows done, rate, time left), the
   import's report and duration, and for each period the public pages' requests/s, p50,
   p99, slowest and errors; the load average before and after.
2. **Queue throughput** (``--queue-jobs``, default 2,000; 0 to skip): that many tiny tasks
   are queued, then drained by 1, 2 and 4 ``db_worker`` processes in turn. Printed: tasks per
   second for each, and that each task ran exactly once (the database backend claims a task
   with ``SELECT ... FOR UPDATE SKIP LOCKED``).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._django import ROOT, setup

COUNTRY = "35.5,32.3,42.5,37.4"


def _uptime() -> str:
    with open("/proc/loadavg") as handle:
        return "load average " + " ".join(handle.read().split()[:3])


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


class Readers:
    """Threads reading public pages in a loop; each sample is (start, seconds, ok)."""

    def __init__(self, base: str, urls: list[str], clients: int) -> None:
        import requests

        self.base, self.urls = base, urls
        self.samples: list[tuple[float, float, bool]] = []
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._run, args=(requests.Session(), n), daemon=True)
            for n in range(clients)
        ]

    def _run(self, session, n: int) -> None:
        i = n
        while not self.stopping.is_set():
            url = self.base + self.urls[i % len(self.urls)]
            i += 1
            started = time.perf_counter()
            try:
                ok = session.get(url, timeout=30).status_code == 200
            except Exception:
                ok = False
            with self.lock:
                self.samples.append((started, time.perf_counter() - started, ok))

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def report(self, label: str, since: float, until: float) -> None:
        with self.lock:
            picked = [s for s in self.samples if since <= s[0] < until]
        times = [seconds for _, seconds, _ in picked]
        errors = sum(1 for *_, ok in picked if not ok)
        if not times:
            print(f"  {label}: no requests")
            return
        span = until - since
        print(
            f"  {label}: {len(times):,} requests in {span:.0f} s ({len(times) / span:.1f}/s), "
            f"p50 {statistics.median(times) * 1000:.0f} ms, "
            f"p99 {_percentile(times, 0.99) * 1000:.0f} ms, "
            f"slowest {max(times) * 1000:.0f} ms, errors {errors}"
        )


def _start(args: list[str], env: dict[str, str], nice: int = 0) -> subprocess.Popen:
    prefix = ["nice", "-n", str(nice)] if nice else []
    return subprocess.Popen(  # noqa: S603 - our own interpreter
        [*prefix, sys.executable, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_serving(url: str, timeout: float = 60) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise SystemExit(f"no answer from {url}")


def _follow(session, base: str, job_url: str, label: str, every: float = 5.0) -> dict:
    """Poll the job's progress view as the admin page does; print a line every few seconds."""
    last_print = 0.0
    while True:
        status = session.get(base + job_url, timeout=30).json()
        now = time.monotonic()
        if status["finished"] or now - last_print >= every:
            last_print = now
            print(
                f"    {label}: {status['state_label']} · {status['phase_label']} "
                f"{status['counted']} · {status['rate_text']} · {status['left_text']}"
            )
        if status["finished"] or status["state"] == "stopped":
            return status
        time.sleep(1)


def import_while_serving(args: argparse.Namespace, env: dict[str, str], port: int) -> None:
    import requests
    from django.urls import reverse

    from bench.import_bench import write_rows
    from incidents.models import ImportRun, Incident, Job, JobKind, Status

    incident = Incident.objects.filter(status=Status.PUBLISHED).order_by("pk").first()
    urls = [
        "/",
        f"/api/v1/map/?zoom=6&bbox={COUNTRY}",
        f"/incidents/{incident.public_id}/",
        "/api/v1/incidents/?page_size=100",
    ]
    base = f"http://127.0.0.1:{port}"
    servers = [
        _start(
            [
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.gunicorn_workers),
                "--timeout",
                "30",
            ],
            env,
        ),
        # As make run and deploy/incidentmap-worker.service run it: at nice 10.
        _start(
            ["manage.py", "db_worker", "--interval", "0.5", "--no-reload"],
            env,
            nice=args.worker_nice,
        ),
    ]
    readers = Readers(base, urls, args.clients)
    try:
        _wait_serving(base + "/admin/login/")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "acled.csv"
            write_rows(path, args.rows, seed=args.seed, prefix=f"SYRJ{int(time.time())}-")
            size = path.stat().st_size / 1e6
            print(f"file: {args.rows:,} ACLED rows, {size:.1f} MB")
            print(f"before: {_uptime()}")

            session = requests.Session()
            login = base + reverse("admin:login")
            session.get(login, timeout=30)
            session.post(
                login,
                {
                    "username": "researcher",
                    "password": "researcher",
                    "csrfmiddlewaretoken": session.cookies["csrftoken"],
                    "next": "/admin/",
                },
                headers={"Referer": login},
                timeout=30,
            )
            add = base + reverse("admin:incidents_importrun_add")
            session.get(add, timeout=30)

            readers.start()
            time.sleep(args.baseline)
            import_started = time.perf_counter()
            with path.open("rb") as handle:
                started = time.perf_counter()
                response = session.post(
                    add,
                    data={"format": "acled", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
                    files={"file": ("acled.csv", handle, "text/csv")},
                    headers={"Referer": add},
                    timeout=120,
                    allow_redirects=False,
                )
            upload = time.perf_counter() - started
            run_url = response.headers["Location"]
            run_id = int(re.search(r"/(\d+)/preview/", run_url).group(1))
            print(f"  upload request: {upload * 1000:.0f} ms (HTTP {response.status_code})")
            check = Job.objects.get(import_run_id=run_id, kind=JobKind.IMPORT_CHECK)
            status = _follow(
                session, base, reverse("admin:incidents_job_progress", args=[check.pk]), "check"
            )
            preview = session.get(base + run_url, timeout=30)
            started = time.perf_counter()
            confirm = session.post(
                base + run_url,
                data={"csrfmiddlewaretoken": session.cookies["csrftoken"]},
                headers={"Referer": base + run_url},
                timeout=120,
                allow_redirects=False,
            )
            confirm_seconds = time.perf_counter() - started
            print(
                f"  preview page: HTTP {preview.status_code}; confirm request: "
                f"{confirm_seconds * 1000:.0f} ms (HTTP {confirm.status_code})"
            )
            apply = Job.objects.get(import_run_id=run_id, kind=JobKind.IMPORT_APPLY)
            status = _follow(
                session, base, reverse("admin:incidents_job_progress", args=[apply.pk]), "apply"
            )
            import_seconds = time.perf_counter() - import_started
            time.sleep(2)
            readers.stop()
            run = ImportRun.objects.get(pk=run_id)
            report = run.report
            print(
                f"import: {status['state']} in {import_seconds:.1f} s from upload to applied; "
                f"{report.get('created')} created, {report.get('updated')} updated, "
                f"{report.get('skipped')} skipped, {report.get('failed')} failed; "
                f"run {run.status}"
            )
            print(f"after: {_uptime()}")
            print(f"public pages ({args.clients} clients, {', '.join(urls)}):")
            first = min(s[0] for s in readers.samples)
            readers.report("before the import", first, first + args.baseline)
            readers.report(
                "during the import", first + args.baseline, first + args.baseline + import_seconds
            )
    finally:
        readers.stopping.set()
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


def queue_throughput(args: argparse.Namespace, env: dict[str, str]) -> None:
    from django.db.models import Max, Min
    from django_tasks_db.models import DBTaskResult

    from bench.queue_task import noop

    print(f"queue: {args.queue_jobs:,} tiny tasks, database backend ({_uptime()})")
    for workers in (1, 2, 4):
        DBTaskResult.objects.filter(task_path__endswith=".noop").delete()
        for n in range(args.queue_jobs):
            noop.enqueue(n)
        started = time.perf_counter()
        processes = [
            _start(["manage.py", "db_worker", "--batch", "--no-reload", "--interval", "0"], env)
            for _ in range(workers)
        ]
        for process in processes:
            process.wait()
        seconds = time.perf_counter() - started
        done = DBTaskResult.objects.filter(task_path__endswith=".noop", status="SUCCESSFUL")
        claims = list(done.values_list("worker_ids", flat=True))
        twice = sum(1 for ids in claims if len(ids) > 1)
        shares = sorted(Counter(ids[0] for ids in claims if ids).values(), reverse=True)
        # From the first task started to the last finished: the workers' start-up excluded.
        span = done.aggregate(first=Min("started_at"), last=Max("finished_at"))
        busy = (span["last"] - span["first"]).total_seconds()
        print(
            f"  {workers} worker(s): {len(claims):,} of {args.queue_jobs:,} ran; "
            f"{len(claims) / busy:,.0f} tasks/s while draining ({busy:.1f} s; {seconds:.1f} s "
            f"with start-up); per worker {shares}; tasks run more than once: {twice}"
        )
    DBTaskResult.objects.filter(task_path__endswith=".noop").delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--baseline", type=float, default=20.0)
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--queue-jobs", type=int, default=2000)
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--worker-nice", type=int, default=10, help="the worker's nice value")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_ENV", "development")
    setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("load_gazetteer", verbosity=0)
    call_command("load_seed", verbosity=0)
    call_command("ensure_local_accounts", verbosity=0)
    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
    env = {**os.environ, "DEBUG": "0", "API_ANON_RATE": "", "API_USER_RATE": ""}
    if not args.skip_import:
        import_while_serving(args, env, args.port)
    if args.queue_jobs:
        queue_throughput(args, env)


if __name__ == "__main__":
    main()

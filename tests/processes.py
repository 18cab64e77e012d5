"""Helpers for tests whose behaviour is about processes: real servers and real commands,
started as subprocesses on loopback against a database they share with the test.

On PostgreSQL the processes use the test database itself (the test must commit, so these
fixture asks for ``transactional_db``). On SQLite the test database lives in memory, so the
processes get a database file of their own, migrated once per test session and copied for
each test; the test reads it back through a process too (:func:`manage`).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Variables of the test run that must not reach the processes: each test says what they get.
_PRIVATE = {
    "DATABASE_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DJANGO_ENV",
    "REDIS_URL",
    "CACHE_DIR",
    "CACHE_KEY_PREFIX",
    "NUM_PROXIES",
    "API_ANON_RATE",
    "API_USER_RATE",
}


def environment(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _PRIVATE}
    env.update(DATABASE_URL=database_url, **extra)
    return env


def manage(database_url: str, *args: str, timeout: float = 300, **extra: str):
    """``manage.py ARGS`` in a process of its own; its output is returned, not checked."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment(database_url, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# The test database of this process as its migrations left it, before any test ran, written
# to a file (SQLite runs only; see tests/conftest.py's ``django_db_setup``).
PRISTINE_SQLITE: list[Path] = []


def save_pristine_sqlite(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Copy this process's freshly migrated SQLite test database to a file, which is what
    ``manage.py migrate`` writes into an empty one: the processes' databases start from it
    instead of migrating again (a full migrate takes many seconds)."""
    import sqlite3

    from django.db import connection

    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        return  # PostgreSQL, or no test database set up (no test of this run needs one)
    path = tmp_path_factory.mktemp("process-db") / "pristine.sqlite3"
    connection.ensure_connection()
    with sqlite3.connect(path) as target:
        connection.connection.backup(target)
    target.close()
    PRISTINE_SQLITE.append(path)


@pytest.fixture(scope="session")
def _migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory, django_db_setup: None) -> Path:
    if PRISTINE_SQLITE:
        return PRISTINE_SQLITE[0]
    # On PostgreSQL runs (the nginx tests use SQLite whatever the run's database): migrate.
    path = tmp_path_factory.mktemp("process-db") / "migrated.sqlite3"
    result = manage(f"sqlite:///{path}", "migrate", "--noinput", "-v", "0")
    assert result.returncode == 0, result.stdout + result.stderr
    return path


@pytest.fixture
def process_database_url(
    transactional_db: None, request: pytest.FixtureRequest, tmp_path: Path
) -> str:
    """A database URL that processes started by the test share with it."""
    from django.db import connection

    if connection.vendor == "postgresql":
        s = connection.settings_dict
        user = quote(s["USER"] or "", safe="")
        if s.get("PASSWORD"):
            user += ":" + quote(s["PASSWORD"], safe="")
        host = s.get("HOST") or "127.0.0.1"
        port = s.get("PORT") or "5432"
        return f"postgres://{user}@{host}:{port}/{s['NAME']}"
    path = tmp_path / "processes.sqlite3"
    shutil.copyfile(request.getfixturevalue("_migrated_sqlite_file"), path)
    return f"sqlite:///{path}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(f"server exited ({process.returncode}): {out}{err}")
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 - loopback only
                return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"no answer from {url} within {timeout} s")


def start_servers(
    count: int, env: dict[str, str], logs: list[str] | None = None
) -> Iterator[list[str]]:
    """``count`` gunicorn servers (one worker each) on loopback; yields their base URLs and
    stops them afterwards, adding what they printed to ``logs``. Separate servers, so that
    requests sent in turn are known to be served by different processes."""
    processes: list[subprocess.Popen] = []
    urls: list[str] = []
    try:
        for _ in range(count):
            port = free_port()
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "config.wsgi",
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--workers",
                        "1",
                        "--log-level",
                        "warning",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for url, process in zip(urls, processes, strict=True):
            wait_until_serving(f"{url}/admin/login/", process)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                out, err = process.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                out, err = process.communicate()
            if logs is not None:
                logs.append(out + err)

"""The API's request limit holds across server processes, whatever X-Forwarded-For says.

Three gunicorn servers share one database and the configured cache (Redis with
``REDIS_URL``, the file cache without), exactly as deployed; an anonymous client sends three
times the limit, spread over the three servers, several at once, each request claiming
another address in X-Forwarded-For. Exactly the limit gets through.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.processes import _migrated_sqlite_file, environment, process_database_url, start_servers

__all__ = ["_migrated_sqlite_file", "process_database_url"]  # fixtures used below

LIMIT = 10
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


def _redis_or_skip() -> str:
    try:
        import redis
    except ImportError:  # pragma: no cover - a runtime dependency
        pytest.skip("Redis pass skipped: the 'redis' package is not installed.")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        pytest.skip(
            f"Redis pass skipped: no Redis answered at {REDIS_URL} ({error}); set "
            "TEST_REDIS_URL to run it. The file-cache pass still ran."
        )
    return REDIS_URL


def _get(url: str, forwarded_for: str) -> tuple[int, str | None]:
    request = urllib.request.Request(url, headers={"X-Forwarded-For": forwarded_for})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, None
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Retry-After")


@pytest.mark.parametrize("cache", ["redis", "files"])
def test_the_anonymous_rate_holds_across_processes_and_forged_addresses(
    cache: str, process_database_url: str, tmp_path: Path
) -> None:
    prefix = f"test-{uuid.uuid4().hex[:12]}"  # counts of earlier runs cannot interfere
    settings = {
        "DEBUG": "0",
        "API_ANON_RATE": f"{LIMIT}/minute",
        "CACHE_KEY_PREFIX": prefix,
        "CACHE_DIR": str(tmp_path / "cache"),
    }
    if cache == "redis":
        settings["REDIS_URL"] = _redis_or_skip()
    env = environment(process_database_url, **settings)

    logs: list[str] = []
    servers = start_servers(3, env, logs)
    urls = next(servers)
    try:
        targets = [
            (f"{urls[n % 3]}/api/v1/incidents/", f"203.0.113.{n + 1}") for n in range(3 * LIMIT)
        ]
        with ThreadPoolExecutor(max_workers=6) as pool:
            answers = list(pool.map(lambda target: _get(*target), targets))
    finally:
        servers.close()
        if cache == "redis":
            import redis

            client = redis.Redis.from_url(REDIS_URL)
            for key in client.scan_iter(f"{prefix}:*"):
                client.delete(key)

    codes = Counter(code for code, _ in answers)
    assert codes == {200: LIMIT, 429: 2 * LIMIT}, (codes, "\n".join(logs)[-6000:])
    waits = [int(float(wait)) for code, wait in answers if code == 429]
    assert all(0 <= wait <= 60 for wait in waits), waits

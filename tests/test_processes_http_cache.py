"""Public answers across real processes: a publication or retraction made by one process is
seen at once by every server process sharing the cache (the file cache, or Redis), and a
shared HTTP cache (nginx) in front of the site never hands a signed-in reader's answer to
anyone else.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.processes import (
    _migrated_sqlite_file,
    environment,
    free_port,
    manage,
    process_database_url,
    start_servers,
    wait_until_serving,
)
from tests.test_processes_throttling import REDIS_URL, _redis_or_skip

__all__ = ["_migrated_sqlite_file", "process_database_url"]  # fixtures used below

SETUP = """
import datetime as dt
from incidents import services
source = services.source_create(
    user=None, slug="monitor", publisher="A monitor", headline="Report", kind="monitor_report"
)
def incident(title):
    return services.incident_create(
        user=None,
        claims=[{"source": source, "killed_min": 7, "quote": "Seven were killed."}],
        title=title, event_type="shelling", date_start=dt.date(2025, 3, 7),
        date_end=dt.date(2025, 3, 7), latitude=35.36, longitude=35.93, place_name="Jableh",
    )
published = incident("Shelling of a market")
services.incident_publish(incident=published, user=None)
draft = incident("A draft nobody may see")
print(published.public_id, draft.public_id)
"""

PUBLISH = """
from incidents import services
from incidents.models import Incident
services.incident_publish(incident=Incident.objects.get(public_id="{id}"), user=None)
"""

RETRACT = """
from incidents import services
from incidents.models import Incident
services.incident_retract(
    incident=Incident.objects.get(public_id="{id}"), user=None, reason="Not verified."
)
"""


def _shell(database_url: str, code: str, **env: str) -> str:
    result = manage(database_url, "shell", "-c", code, **env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _get(url: str, headers: dict[str, str] | None = None, opener=None):
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _count(url: str) -> int:
    status, _, body = _get(f"{url}/api/v1/statistics/")
    assert status == 200, body[:300]
    return json.loads(body)["totals"]["incidents"]


@pytest.mark.parametrize("cache", ["files", "redis"])
def test_a_publication_and_a_retraction_reach_every_server_at_once(
    cache: str, process_database_url: str, tmp_path: Path
) -> None:
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    settings = {"DEBUG": "0", "CACHE_KEY_PREFIX": prefix, "CACHE_DIR": str(tmp_path / "cache")}
    if cache == "redis":
        settings["REDIS_URL"] = _redis_or_skip()
    _published, draft = _shell(process_database_url, SETUP, **settings).split()[-2:]
    env = environment(process_database_url, **settings)
    servers = start_servers(2, env)
    urls = next(servers)
    try:
        # Both servers answer, and keep, the statistics, the map and the incident's page.
        assert [_count(url) for url in urls] == [1, 1]
        # One release, one generation, one cache: the other process agrees on the validator
        # (for the same address: behind a proxy both see one host name).
        host = {"Host": "localhost"}
        etag = _get(f"{urls[0]}/api/v1/statistics/", host)[1]["ETag"]
        assert _get(f"{urls[1]}/api/v1/statistics/", {**host, "If-None-Match": etag})[0] == 304
        for url in urls:
            assert draft not in _get(f"{url}/api/v1/map/?zoom=8")[2].decode()

        _shell(process_database_url, PUBLISH.format(id=draft), **settings)
        # Seen at once by every process: nothing waits for an expiry.
        assert [_count(url) for url in urls] == [2, 2]
        assert _get(f"{urls[1]}/api/v1/statistics/", {**host, "If-None-Match": etag})[0] == 200
        for url in urls:
            assert draft in _get(f"{url}/api/v1/map/?zoom=8")[2].decode()
            assert _get(f"{url}/incidents/{draft}/")[0] == 200

        _shell(process_database_url, RETRACT.format(id=draft), **settings)
        assert [_count(url) for url in urls] == [1, 1]
        for url in urls:
            assert draft not in _get(f"{url}/api/v1/map/?zoom=8")[2].decode()
            assert _get(f"{url}/incidents/{draft}/")[0] == 404
    finally:
        servers.close()
        if cache == "redis":
            import redis

            client = redis.Redis.from_url(REDIS_URL)
            for key in client.scan_iter(f"{prefix}:*"):
                client.delete(key)


NGINX = """
daemon off;
master_process off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    proxy_cache_path {dir}/cache keys_zone=shared:1m;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $http_host;
            proxy_cache shared;
            # Keyed on the address alone, and blind to Vary, as many shared caches are. A
            # signed-in request is passed on (a stored public answer is not theirs), but
            # whether its answer is stored is left to the application's Cache-Control alone.
            proxy_cache_key $scheme$host$request_uri;
            proxy_ignore_headers Vary;
            proxy_cache_bypass $http_authorization $cookie_sessionid;
            add_header X-Cache $upstream_cache_status always;
        }}
    }}
}}
"""


def _nginx_or_skip() -> str:
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx is None:
        pytest.skip("Shared-cache pass skipped: nginx is not installed (apt-get install nginx).")
    return nginx


def _shows_draft(address: str, body: bytes, draft: str) -> bool:
    if "/statistics/" in address:
        return json.loads(body)["totals"]["incidents"] == 2  # the published one and the draft
    return draft in body.decode()


def _session(base: str) -> urllib.request.OpenerDirector:
    """A browser signed in as the local researcher, through the admin's login page."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    status, _, page = _get(f"{base}/admin/login/", opener=opener)
    assert status == 200
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    form = urllib.parse.urlencode(
        {
            "username": "researcher",
            "password": "researcher",
            "csrfmiddlewaretoken": token,
            "next": "/admin/",
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{base}/admin/login/", data=form, headers={"Referer": f"{base}/admin/login/"}
    )
    with opener.open(request, timeout=30) as response:
        assert response.status == 200
    assert any(cookie.name == "sessionid" for cookie in jar)
    return opener


def test_a_signed_in_answer_never_lands_in_a_shared_cache(
    process_database_url: str, tmp_path: Path
) -> None:
    nginx = _nginx_or_skip()
    settings = {"DEBUG": "0", "CACHE_DIR": str(tmp_path / "cache"), "API_ANON_RATE": ""}
    _published, draft = _shell(process_database_url, SETUP, **settings).split()[-2:]
    # A flushed test database (PostgreSQL) has lost the roles' groups: made again first.
    roles = "from django.apps import apps; from incidents.roles import ensure_role_groups; "
    _shell(process_database_url, roles + "ensure_role_groups(apps)", **settings)
    accounts = manage(process_database_url, "ensure_local_accounts", **settings)
    assert accounts.returncode == 0, accounts.stdout + accounts.stderr
    token = manage(process_database_url, "drf_create_token", "researcher", **settings)
    token = token.stdout.split()[2]
    env = environment(process_database_url, **settings)
    servers = start_servers(1, env)
    (upstream,) = next(servers)
    proxy_dir = tmp_path / "nginx"
    proxy_dir.mkdir()
    port = free_port()
    config = proxy_dir / "nginx.conf"
    config.write_text(NGINX.format(dir=proxy_dir, port=port, upstream=upstream.rsplit(":", 1)[1]))
    proxy = subprocess.Popen(
        [nginx, "-c", str(config), "-p", str(proxy_dir), "-e", str(proxy_dir / "error.log")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(f"{base}/api/v1/statistics/", proxy)
        # The shared cache works: an anonymous answer is stored and served again.
        _get(f"{base}/api/v1/statistics/")
        status, headers, body = _get(f"{base}/api/v1/statistics/")
        assert headers["X-Cache"] == "HIT"
        public_count = json.loads(body)["totals"]["incidents"]
        assert public_count == 1

        opener = _session(base)
        signed_in = {
            "token": {"headers": {"Authorization": f"Token {token}"}},
            "session": {"opener": opener},
        }
        for how, credentials in signed_in.items():
            for address in (
                f"/api/v1/incidents/{draft}/",
                "/api/v1/incidents/?status=draft",
                "/api/v1/statistics/",
                "/api/v1/map/?zoom=8",
            ):
                status, headers, body = _get(f"{base}{address}", **credentials)
                assert status == 200, (how, address, body[:300])
                assert _shows_draft(address, body, draft), (how, address)
                assert headers.get("X-Cache") != "HIT", (how, address)
                control = headers["Cache-Control"]
                # The next reader, anonymous, gets the public answer, not the stored draft ...
                status, headers, body = _get(f"{base}{address}")
                assert not _shows_draft(address, body, draft), (how, address)
                # ... because the signed-in answer said no shared cache may keep it.
                assert control == "private, no-store", (how, address)
                # ... which the cache does keep (for the detail: a 404, not kept).
                if status == 200:
                    assert _get(f"{base}{address}")[1]["X-Cache"] == "HIT", (how, address)
    finally:
        proxy.terminate()
        proxy.communicate(timeout=20)
        servers.close()
    assert os.path.exists(proxy_dir / "cache")

"""The production recipe of ``deploy/``: nginx in front of gunicorn, run for real on loopback.

nginx runs the repository's site files (rendered for loopback by ``bench/stack.py``: ports,
paths and a self-signed certificate in place of the production ones) and gunicorn runs
``deploy/gunicorn.conf.py`` with the production settings, as ``deploy/`` installs them.
What is proved:

- ``nginx -t`` accepts the configuration;
- static files are served by nginx itself (with no application behind it), compressed,
  hashed names cached for good;
- anonymous reads are cached, separately for each language;
- a signed-in reader (session cookie) or an API client with a token is never answered from
  the cache and never stored in it: a draft a researcher sees never reaches an anonymous
  reader, and the researcher never gets the anonymous copy.

Skipped, with a message, where nginx or openssl is not installed (``.ci/run`` installs both).
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from bench import stack
from tests.processes import _migrated_sqlite_file, manage
from tests.static_build import collect_static

__all__ = ["_migrated_sqlite_file"]  # a fixture used below

if stack.nginx_binary() is None:
    pytest.skip(
        "nginx is not installed (Debian package 'nginx'; .ci/run installs it): the "
        "deployment tests need the real server.",
        allow_module_level=True,
    )
if shutil.which("openssl") is None:
    pytest.skip(
        "openssl is not installed: the deployment tests make a certificate with it.",
        allow_module_level=True,
    )

DRAFT = "SY-2025-0011"  # a draft of the seed data
PUBLISHED = "SY-2025-0001"


def _list(page_size: int) -> str:
    """The incident list, with a page size of each test's own (a separate cache entry)."""
    return f"/api/v1/incidents/?ordering=-date_start&page_size={page_size}"


@pytest.fixture(scope="module")
def static_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("staticfiles")
    collect_static(root)
    return root


def test_nginx_accepts_the_deploy_configuration(tmp_path: Path) -> None:
    site = stack.render_nginx(
        tmp_path, upstream_port=stack.free_port(), static_root=tmp_path / "static"
    )
    result = stack.nginx_test(site)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    assert "[warn]" not in result.stderr and "[emerg]" not in result.stderr, result.stderr


def test_static_files_are_served_by_nginx_alone(static_root: Path, tmp_path: Path) -> None:
    manifest = json.loads((static_root / "staticfiles.json").read_text(encoding="utf-8"))
    hashed = manifest["paths"]["mapping/map.js"]
    # Nothing listens behind this nginx: whatever it serves, it serves itself.
    site = stack.render_nginx(tmp_path, upstream_port=stack.free_port(), static_root=static_root)
    with stack.nginx(site) as url:
        plain = stack.request(f"{url}/static/{hashed}")
        zipped = stack.request(f"{url}/static/{hashed}", headers={"Accept-Encoding": "gzip"})
        page = stack.request(f"{url}/")
    assert plain.status == 200
    assert plain.body == (static_root / hashed).read_bytes()
    assert plain.header("X-Content-Type-Options") == "nosniff"
    assert plain.header("Cache-Control") == "max-age=315360000"  # a hashed name: for good
    assert zipped.header("Content-Encoding") == "gzip"
    assert gzip.decompress(zipped.body) == plain.body
    assert page.status == 502  # no application: the page is not nginx's to serve


@dataclass
class Site:
    url: str
    token: str

    def get(self, path: str, **headers: str) -> stack.Answer:
        return stack.request(self.url + path, headers=headers)

    def sign_in(self, username: str) -> str:
        """Signs in through the admin's login form; returns the session cookie header."""
        form = self.get("/admin/login/")
        csrf = SimpleCookie(form.header("Set-Cookie"))["csrftoken"].value
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form.body).group(1)
        answer = stack.request(
            f"{self.url}/admin/login/",
            "POST",
            headers={
                "Cookie": f"csrftoken={csrf}",
                "Referer": f"{self.url}/admin/login/",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            body=urlencode(
                {
                    "username": username,
                    "password": username,
                    "csrfmiddlewaretoken": token.decode(),
                    "next": "/admin/",
                }
            ).encode(),
        )
        assert answer.status == 302, answer.body[:2000]
        cookies = SimpleCookie()
        for value in answer.headers.get_all("Set-Cookie"):
            cookies.load(value)
        return f"csrftoken={csrf}; sessionid={cookies['sessionid'].value}"


@pytest.fixture(scope="module")
def site(
    static_root: Path, _migrated_sqlite_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """The seed data behind nginx and gunicorn, as deploy/ runs them (file cache, SQLite:
    what is tested here is nginx's part)."""
    directory = tmp_path_factory.mktemp("deploy")
    database = directory / "site.sqlite3"
    shutil.copyfile(_migrated_sqlite_file, database)
    url = f"sqlite:///{database}"
    # One process for what `make seed` does, and a token for the researcher.
    prepared = manage(
        url,
        "shell",
        "-c",
        "from django.core.management import call_command as c; "
        "c('load_gazetteer', verbosity=0); c('load_seed', verbosity=0); "
        "c('ensure_local_accounts', verbosity=0); c('drf_create_token', 'researcher')",
    )
    assert prepared.returncode == 0, prepared.stdout + prepared.stderr
    token = re.search(r"Generated token (\w+)", prepared.stdout).group(1)

    upstream = stack.free_port()
    nginx_site = stack.render_nginx(
        directory / "nginx", upstream_port=upstream, static_root=static_root
    )
    env = stack.production_environment(
        url,
        static_root=static_root,
        site_port=nginx_site.https_port,
        CACHE_DIR=str(directory / "cache"),
        GUNICORN_WORKERS="2",
        GUNICORN_THREADS="2",
    )
    logs: list[str] = []
    with ExitStack() as running:
        running.enter_context(stack.gunicorn(env, upstream, logs))
        yield Site(url=running.enter_context(stack.nginx(nginx_site, logs)), token=token)


def _ids(answer: stack.Answer) -> set[str]:
    assert answer.status == 200, answer.body[:500]
    return {row["id"] for row in json.loads(answer.body)["results"]}


def test_anonymous_reads_are_cached_for_each_language(site: Site) -> None:
    path = f"/incidents/{PUBLISHED}/"
    first = site.get(path)
    again = site.get(path)
    arabic = site.get(path, **{"Accept-Language": "ar"})
    arabic_again = site.get(path, **{"Accept-Language": "ar"})
    by_cookie = site.get(path, Cookie="django_language=ar")
    assert [first.header("X-Cache-Status"), again.header("X-Cache-Status")] == ["MISS", "HIT"]
    assert again.body == first.body and b'lang="en"' in again.body
    assert arabic.header("X-Cache-Status") == "MISS" and b'lang="ar"' in arabic.body
    assert arabic_again.header("X-Cache-Status") == "HIT" and b'lang="ar"' in arabic_again.body
    assert by_cookie.header("X-Cache-Status") == "MISS" and b'lang="ar"' in by_cookie.body

    listed = site.get(_list(500))
    assert site.get(_list(500)).header("X-Cache-Status") == "HIT"
    assert listed.header("X-Cache-Status") == "MISS"


def test_a_signed_in_reader_is_never_served_from_or_stored_in_the_cache(site: Site) -> None:
    path = _list(499)
    session = site.sign_in("researcher")

    # The researcher reads first: their answer, with the draft, must not be kept...
    researcher = site.get(path, Cookie=session)
    assert researcher.header("X-Cache-Status") == "BYPASS"
    assert DRAFT in _ids(researcher)
    anonymous = site.get(path)
    assert anonymous.header("X-Cache-Status") == "MISS"
    assert DRAFT not in _ids(anonymous) and PUBLISHED in _ids(anonymous)
    # ...the anonymous answer is kept for anonymous readers...
    cached = site.get(path)
    assert cached.header("X-Cache-Status") == "HIT" and DRAFT not in _ids(cached)
    # ...and never given to the researcher.
    again = site.get(path, Cookie=session)
    assert again.header("X-Cache-Status") == "BYPASS" and DRAFT in _ids(again)

    draft_page = f"/api/v1/incidents/{DRAFT}/"
    assert site.get(draft_page, Cookie=session).status == 200
    # Anonymous readers get the 404 (never kept: errors are no-cache), never the draft.
    for _ in range(2):
        answer = site.get(draft_page)
        assert answer.status == 404 and DRAFT.encode() not in answer.body


def test_an_api_token_bypasses_the_cache(site: Site) -> None:
    path = _list(498)
    signed = {"Authorization": f"Token {site.token}"}
    assert site.get(path).header("X-Cache-Status") == "MISS"
    with_token = site.get(path, **signed)
    assert with_token.header("X-Cache-Status") == "BYPASS" and DRAFT in _ids(with_token)
    cached = site.get(path)
    assert cached.header("X-Cache-Status") == "HIT" and DRAFT not in _ids(cached)

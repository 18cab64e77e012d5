"""The files of ``deploy/`` agree with the application: the environment file gives a
configuration that passes Django's deploy check, gunicorn accepts its settings (and reads
them from the environment), and the cookie names nginx reads are the application's."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def _environment_file() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / "incidentmap.env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    ignored = {"DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL", "DATABASE_REPLICA_URLS"}
    base = {k: v for k, v in os.environ.items() if k not in ignored}
    return subprocess.run(
        args, cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def test_the_environment_file_passes_the_deploy_check(tmp_path: Path) -> None:
    env = _environment_file()
    assert env["SECRET_KEY"] == ""  # the example holds no secret
    env.update(SECRET_KEY=secrets.token_urlsafe(64), STATIC_ROOT=str(tmp_path / "static"))
    result = _run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # One check is silenced by the settings themselves: the HTTPS redirect, which nginx does.
    assert "System check identified no issues (1 silenced)." in result.stdout


def test_gunicorn_accepts_its_settings_and_takes_them_from_the_environment(
    tmp_path: Path,
) -> None:
    env = _environment_file()
    env.update(
        SECRET_KEY=secrets.token_urlsafe(64),
        STATIC_ROOT=str(tmp_path / "static"),
        GUNICORN_WORKERS="5",
        GUNICORN_THREADS="2",
        GUNICORN_BIND="127.0.0.1:8123",
    )
    result = _run(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--print-config",
            "-c",
            str(DEPLOY / "gunicorn.conf.py"),
            "config.wsgi",
        ],
        env,
    )
    assert result.returncode == 0, result.stderr
    printed = dict(re.findall(r"^(\w+)\s+= (.*)$", result.stdout, flags=re.MULTILINE))
    assert printed["worker_class"] == "gthread"
    assert (printed["workers"], printed["threads"]) == ("5", "2")
    assert printed["bind"] == "['127.0.0.1:8123']"


def test_nginx_reads_the_application_s_cookie_names() -> None:
    site = (DEPLOY / "nginx" / "incidentmap.conf").read_text(encoding="utf-8")
    app = (DEPLOY / "nginx" / "incidentmap-app.conf").read_text(encoding="utf-8")
    assert f"$cookie_{settings.SESSION_COOKIE_NAME}" in site
    assert f"$cookie_{settings.LANGUAGE_COOKIE_NAME}" in app
    unit = (DEPLOY / "incidentmap-web.service").read_text(encoding="utf-8")
    assert "-c deploy/gunicorn.conf.py config.wsgi" in unit
    assert "EnvironmentFile=/etc/incidentmap/env" in unit


def test_a_worker_loads_the_views_before_its_first_request(tmp_path: Path) -> None:
    # What gunicorn imports in each worker (config.wsgi) loads the URL configuration and
    # the views, and freezes the objects made so far for the garbage collector: the first
    # request of a new worker does not pay for them.
    env = _environment_file()
    env.update(SECRET_KEY=secrets.token_urlsafe(64), STATIC_ROOT=str(tmp_path / "static"))
    script = (
        "import gc, sys; import config.wsgi; "
        "print('incidents.api.views' in sys.modules, gc.get_freeze_count() > 0)"
    )
    result = _run([sys.executable, "-c", script], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == ["True", "True"]

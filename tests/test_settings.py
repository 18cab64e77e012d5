"""Production mode: refuses a missing secret key, passes the deploy check without warnings."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # Only what the test sets; DJANGO_ALLOW_ASYNC_UNSAFE (browser tests) must not leak in.
    ignored = {"SECRET_KEY", "DJANGO_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE", "ALLOWED_HOSTS"}
    environment = {k: v for k, v in os.environ.items() if k not in ignored}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_to_start_without_a_real_secret_key():
    for key in ["", "short", "development-only-secret-key-never-used-in-production"]:
        result = _manage("check", DJANGO_ENV="production", SECRET_KEY=key, ALLOWED_HOSTS="x.org")
        assert result.returncode != 0
        assert "SECRET_KEY must be set" in result.stderr


def test_production_passes_the_deploy_check_with_zero_warnings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="incidents.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_development_check_passes_without_configuration():
    result = _manage("check", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_django_log_line_is_printed_once():
    result = _manage(
        "shell",
        "-c",
        "import logging; logging.getLogger('django.request').warning('marker-line')",
        DEBUG="1",
    )
    assert result.returncode == 0, result.stderr
    assert (result.stdout + result.stderr).count("marker-line") == 1


def test_login_lockout_and_proxies_come_from_the_environment():
    show = (
        "from django.conf import settings as s; "
        "print(s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME, s.REST_FRAMEWORK['NUM_PROXIES'])"
    )
    defaults = _manage("shell", "--no-imports", "-c", show)
    assert defaults.stdout.split() == ["5", "1:00:00", "0"], defaults.stderr
    chosen = _manage(
        "shell",
        "--no-imports",
        "-c",
        show,
        LOGIN_FAILURE_LIMIT="3",
        LOGIN_LOCKOUT_MINUTES="15",
        NUM_PROXIES="1",
    )
    assert chosen.stdout.split() == ["3", "0:15:00", "1"], chosen.stderr
    refused = _manage("check", NUM_PROXIES="-1")
    assert refused.returncode != 0 and "NUM_PROXIES must be a whole number" in refused.stderr

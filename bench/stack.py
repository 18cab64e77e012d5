"""The production stack of ``deploy/``, started on loopback by an unprivileged user.

nginx runs the repository's own site files (``deploy/nginx/``), rendered for loopback: the
same directives, with the ports, paths and certificate of this run put in place of the
production ones (each replacement must find its text, so the files cannot drift away from
what is tested), inside a main configuration like Debian's ``nginx.conf`` whose pid file,
logs and temporary files live in a directory of the run. TLS uses a self-signed certificate
made with ``openssl``. gunicorn runs with ``deploy/gunicorn.conf.py`` and the production
settings (``DJANGO_ENV=production``). PostgreSQL and Redis are the servers the caller
names. Used by ``bench/spike.py`` and ``tests/test_deploy_nginx.py``.
"""

from __future__ import annotations

import http.client
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
NGINX_CANDIDATES = ["/usr/sbin/nginx", "/usr/bin/nginx"]


def nginx_binary() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    return next((path for path in NGINX_CANDIDATES if os.access(path, os.X_OK)), None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _replace(text: str, old: str, new: str, *, name: str) -> str:
    count = text.count(old)
    if count == 0:
        raise AssertionError(f"{name}: expected to find {old!r} to render it for loopback")
    return text.replace(old, new)


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the key and the certificate)."""
    key, cert = directory / "tls.key", directory / "tls.crt"
    subprocess.run(  # noqa: S603 - fixed arguments
        [  # noqa: S607 - openssl from the PATH, as Debian installs it
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return key, cert


@dataclass
class NginxSite:
    """Where a rendered configuration lives and what it listens on."""

    directory: Path
    https_port: int
    http_port: int
    upstream_port: int
    static_root: Path
    main_conf: Path = field(init=False)

    def __post_init__(self) -> None:
        self.main_conf = self.directory / "nginx.conf"

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"


def render_nginx(
    directory: Path,
    *,
    upstream_port: int,
    static_root: Path,
    https_port: int | None = None,
    http_port: int | None = None,
    cache: bool = True,
    worker_processes: str = "auto",
) -> NginxSite:
    """Writes ``directory/nginx.conf`` running deploy/nginx/ on loopback; ``cache=False``
    turns the proxy cache off (for the bench's comparison) and changes nothing else."""
    directory.mkdir(parents=True, exist_ok=True)
    site = NginxSite(
        directory=directory,
        https_port=https_port or free_port(),
        http_port=http_port or free_port(),
        upstream_port=upstream_port,
        static_root=static_root,
    )
    key, cert = make_certificate(directory)
    for sub in ["cache", "client_body", "proxy", "fastcgi", "uwsgi", "scgi", "logs"]:
        (directory / sub).mkdir(exist_ok=True)

    app = (DEPLOY / "nginx" / "incidentmap-app.conf").read_text(encoding="utf-8")
    app = _replace(
        app, "/srv/incidentmap/staticfiles/", f"{static_root}/", name="incidentmap-app.conf"
    )
    if not cache:
        app = _replace(
            app, "proxy_cache incidentmap;", "proxy_cache off;", name="incidentmap-app.conf"
        )
    (directory / "incidentmap-app.conf").write_text(app, encoding="utf-8")

    conf = (DEPLOY / "nginx" / "incidentmap.conf").read_text(encoding="utf-8")
    name = "incidentmap.conf"
    for old, new in [
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};"),
        ("/var/cache/nginx/incidentmap", str(directory / "cache")),
        ("listen 80;", f"listen 127.0.0.1:{site.http_port};"),
        ("listen [::]:80;\n", ""),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{site.https_port} ssl http2;"),
        ("listen [::]:443 ssl http2;\n", ""),
        ("/etc/letsencrypt/live/map.example.org/fullchain.pem", str(cert)),
        ("/etc/letsencrypt/live/map.example.org/privkey.pem", str(key)),
        ("/etc/nginx/snippets/incidentmap-app.conf", str(directory / "incidentmap-app.conf")),
    ]:
        conf = _replace(conf, old, new, name=name)
    (directory / "incidentmap.conf").write_text(conf, encoding="utf-8")

    # Started by root (a CI container), nginx would run its workers as "nobody", who cannot
    # read this run's private directories; they stay with the user who started the run.
    user = "user root;\n" if os.geteuid() == 0 else ""
    # What Debian's /etc/nginx/nginx.conf sets around its sites, with this run's paths.
    site.main_conf.write_text(
        f"""{user}worker_processes {worker_processes};
pid {directory / "nginx.pid"};
error_log {directory / "logs" / "error.log"} warn;
daemon off;
events {{
    worker_connections 1024;
}}
http {{
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers on;
    access_log {directory / "logs" / "access.log"} combined buffer=64k flush=1s;
    gzip on;
    client_body_temp_path {directory / "client_body"};
    proxy_temp_path {directory / "proxy"};
    fastcgi_temp_path {directory / "fastcgi"};
    uwsgi_temp_path {directory / "uwsgi"};
    scgi_temp_path {directory / "scgi"};
    include {directory / "incidentmap.conf"};
}}
""",
        encoding="utf-8",
    )
    return site


def nginx_test(site: NginxSite) -> subprocess.CompletedProcess[str]:
    """``nginx -t`` on the rendered configuration."""
    return subprocess.run(  # noqa: S603 - fixed arguments
        [
            nginx_binary() or "nginx",
            "-t",
            "-e",
            "stderr",
            "-p",
            str(site.directory),
            "-c",
            str(site.main_conf),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def production_environment(
    database_url: str, *, static_root: Path, site_port: int, **extra: str
) -> dict[str, str]:
    """The environment of deploy/incidentmap.env.example, for this run."""
    private = {
        "DATABASE_URL",
        "DATABASE_REPLICA_URLS",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "DJANGO_ENV",
        "DEBUG",
        "SECRET_KEY",
        "REDIS_URL",
        "CACHE_DIR",
        "CACHE_KEY_PREFIX",
        "NUM_PROXIES",
        "API_ANON_RATE",
        "API_USER_RATE",
        "ALLOWED_HOSTS",
        "CSRF_TRUSTED_ORIGINS",
        "STATIC_ROOT",
    }
    env = {
        k: v for k, v in os.environ.items() if k not in private and not k.startswith("GUNICORN_")
    }
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        DATABASE_URL=database_url,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        CSRF_TRUSTED_ORIGINS=f"https://127.0.0.1:{site_port}",
        STATIC_ROOT=str(static_root),
        SECURE_SSL_REDIRECT="0",
        TRUST_PROXY_SSL_HEADER="1",
        NUM_PROXIES="1",
    )
    env.update(extra)
    return env


def _stop(process: subprocess.Popen, timeout: float = 30) -> str:
    if process.poll() is None:
        process.terminate()
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    return (out or "") + (err or "")


def wait_for(url: str, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited ({process.returncode}): {_stop(process)[-4000:]}")
        try:
            request(url, "GET", timeout=5)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"no answer from {url} within {timeout} s")


@contextmanager
def gunicorn(env: dict[str, str], port: int, logs: list[str] | None = None) -> Iterator[str]:
    """gunicorn with deploy/gunicorn.conf.py on 127.0.0.1:port; yields its URL."""
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py"), "config.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/admin/login/", process)
        yield url
    finally:
        output = _stop(process)
        if logs is not None:
            logs.append(output)


@contextmanager
def nginx(site: NginxSite, logs: list[str] | None = None) -> Iterator[str]:
    """nginx on the rendered configuration; yields the site's https URL."""
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            nginx_binary() or "nginx",
            "-e",
            "stderr",
            "-p",
            str(site.directory),
            "-c",
            str(site.main_conf),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(f"{site.url}/", process, timeout=30)
        yield site.url
    finally:
        output = _stop(process)
        if logs is not None:
            logs.append(output + _read(site.directory / "logs" / "error.log"))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


_INSECURE = ssl.create_default_context()
_INSECURE.check_hostname = False
_INSECURE.verify_mode = ssl.CERT_NONE  # the run's own self-signed certificate, on loopback


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


def request(
    url: str,
    method: str = "GET",
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 30,
) -> Answer:
    """One request, redirects not followed; https with the run's certificate accepted."""
    scheme, rest = url.split("://", 1)
    netloc, _, path = rest.partition("/")
    host, _, port = netloc.partition(":")
    if scheme == "https":
        connection = http.client.HTTPSConnection(
            host, int(port or 443), timeout=timeout, context=_INSECURE
        )
    else:
        connection = http.client.HTTPConnection(host, int(port or 80), timeout=timeout)
    try:
        connection.request(method, "/" + path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()

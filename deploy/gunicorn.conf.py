"""gunicorn's settings for the incident map: ``gunicorn -c deploy/gunicorn.conf.py config.wsgi``.

Sized for a machine of two cores behind nginx (deploy/nginx/): nginx takes the slow clients
and the anonymous reads it has cached, so gunicorn sees short, CPU-bound requests plus a few
long ones (exports streaming for minutes, admin pages). Every value can be changed from the
environment (``/etc/incidentmap/env``), without editing this file.

- ``gthread`` workers: a long request holds one thread, not the process, and the worker
  keeps telling the arbiter it is alive meanwhile, so an export streaming for ten minutes is
  not killed by ``timeout`` (a sync worker would be, at the first silent 30 s).
- One process per core plus one, so that a process waiting on the database leaves the cores
  busy; four threads each for requests that wait on PostgreSQL or Redis. Each thread keeps
  its own database connection (``CONN_MAX_AGE``): workers x threads connections per host.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = _int("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1)
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 4)
# How long a worker process may stay silent before it is killed and replaced (a hung
# process, not a long request: see above).
timeout = _int("GUNICORN_TIMEOUT", 60)
# On stop or reload, requests under way get this long to finish.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# nginx keeps its connections to gunicorn open (upstream keepalive); this outlasts nginx's
# own idle timeout toward upstreams (60 s) so that gunicorn is not the one closing them
# while a request is on its way.
keepalive = _int("GUNICORN_KEEPALIVE", 75)
# Replace a worker now and then, so that memory a long run has gathered is given back.
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = max_requests // 10
# nginx writes the access log; gunicorn's errors go to the journal.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The heartbeat files on a memory file system: a slow disk must not look like a hung worker.
if os.path.isdir("/dev/shm"):  # noqa: S108 - not a temporary file of ours
    worker_tmp_dir = "/dev/shm"  # noqa: S108
# No control socket (gunicorn 25+): systemd starts, reloads and stops the server, and two
# servers of one user would otherwise share the default path (~/.gunicorn/gunicorn.ctl).
control_socket_disable = True

"""Write benchmark: an incident's edit, a claim added and a publication, through the API.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/SCRATCH \\
        .venv/bin/python bench/write_bench.py [--requests 100]

Run ``bench/generate.py`` on the same database first: the benchmark edits its draft
incidents and publishes some of them (never point it at a database that matters).
Requests go through the whole Django stack (middleware, session, DRF, the services,
history, the read model) with Django's test client, in this process, signed in as a
researcher (edits, claims) and a reviewer (publications), each with the ``If-Match`` of
the version it read. Each write is printed with its SQL statements (counted on one
request, beside the bound the tests assert) and the p50 and p95 of its time over
``--requests`` requests (beside the targets: 25 ms for an edit and a claim, 20 ms for a
publication). Statements are counted in a separate pass, so that recording them does not
slow the timed requests.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._django import setup

API = "/api/v1"
# (statement bound, p50 target in ms). The bounds are those tests/test_write_costs.py asserts
# on PostgreSQL for its fixture (no perpetrators); an incident with perpetrators reads their
# names too, and a publication moves the publication count on after its commit.
TARGETS = {"PATCH title": (14, 25.0), "add a claim": (19, 25.0), "publish": (19, 20.0)}
# What SQLite takes more of each (tests/test_write_costs.py: a document's parts one
# statement each, and a publication's sums read before they are written).
SQLITE_EXTRA = {"PATCH title": 2, "add a claim": 2, "publish": 6}


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def _client(username: str, group: str):
    from django.apps import apps
    from django.contrib.auth.models import Group, User
    from django.test import Client

    from incidents.roles import ensure_role_groups

    ensure_role_groups(apps)
    user, _ = User.objects.get_or_create(username=username, defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(user)
    return client


def _drafts(count: int) -> list[str]:
    from incidents.models import Incident, Status

    ids = list(
        Incident.objects.filter(
            status__in=[Status.DRAFT, Status.IN_REVIEW],
            latitude__isnull=False,
            claims__isnull=False,
        )
        .order_by("pk")
        .values_list("public_id", flat=True)
        .distinct()[:count]
    )
    if len(ids) < count:
        raise SystemExit(
            f"Only {len(ids)} draft incidents with a point and a claim: generate more."
        )
    return ids


def _write(client, kind: str, public_id: str, source: str, *, count: bool = False):
    """The time the write took, or with ``count`` the statements it ran."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = f"{API}/incidents/{public_id}/"
    etag = client.get(url)["ETag"]
    captured = CaptureQueriesContext(connection) if count else contextlib.nullcontext()
    started = time.perf_counter()
    with captured:
        answer = _send(client, kind, url, etag, source)
    elapsed = time.perf_counter() - started
    assert answer.status_code == (201 if kind == "add a claim" else 200), (
        kind,
        answer.status_code,
        answer.content[:300],
    )
    return len(captured) if count else elapsed


def _send(client, kind: str, url: str, etag: str, source: str):
    if kind == "PATCH title":
        return client.patch(
            url,
            {"title": f"Edited at {time.time():.6f}"},
            content_type="application/json",
            HTTP_IF_MATCH=etag,
        )
    if kind == "add a claim":
        return client.post(
            f"{url}claims/",
            {"source": source, "killed_min": 3, "quote": "Three people were killed."},
            content_type="application/json",
            HTTP_IF_MATCH=etag,
        )
    return client.post(f"{url}publish/", HTTP_IF_MATCH=etag)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    setup()
    from django.db import connection

    from incidents.models import Incident, Source

    researcher = _client("bench-researcher", "Researcher")
    reviewer = _client("bench-reviewer", "Reviewer")
    source = (
        Source.objects.filter(confidential=False).order_by("pk").values_list("slug", flat=True)[0]
    )
    # Distinct incidents for each kind of write (and for the pass that counts statements).
    drafts = _drafts(3 * (args.requests + 1))
    chunks = [drafts[i::3] for i in range(3)]
    print(
        f"{connection.vendor}, {Incident.objects.count():,} incidents, "
        f"{args.requests} requests per write"
    )
    for (kind, (statement_bound, target_ms)), ids in zip(TARGETS.items(), chunks, strict=True):
        client = reviewer if kind == "publish" else researcher
        statements = _write(client, kind, ids[0], source, count=True)
        if connection.vendor == "sqlite":
            statement_bound += SQLITE_EXTRA[kind]
        times = [_write(client, kind, public_id, source) for public_id in ids[1:]]
        p50 = statistics.median(times) * 1000
        print(
            f"{kind:<12} statements {statements:>3} (bound {statement_bound}); "
            f"p50 {p50:6.1f} ms, p95 {_p95(times) * 1000:6.1f} ms "
            f"(target p50 <= {target_ms:.0f} ms; ratio {p50 / target_ms:.2f})"
        )


if __name__ == "__main__":
    main()

"""Read scaling: anonymous readers are served from PostgreSQL streaming replicas.

When ``DATABASE_REPLICA_URLS`` names one or more replicas (see ``config/settings.py``),
the public's reads, which are nearly all of a news spike's traffic, go to them and leave
the primary to the people who write:

- a request is read from a replica only when it is a read (GET, HEAD, OPTIONS) by an
  anonymous client, with no session of a signed-in user and no ``Authorization`` header
  (API tokens are checked later, by the view, so the header alone keeps the request on the
  primary);
- everything else stays on the primary: requests of signed-in researchers and reviewers, so
  that they read what they have just written whatever the replicas' lag; every write, from
  any request (``db_for_write`` always answers the primary, even for a row read from a
  replica); management commands, background jobs and shells, which run outside requests;
- one request reads from one replica, chosen at random, so that a page never mixes two
  replicas' moments; a streamed answer (an export) keeps reading from it while it streams,
  after the view has returned.

The request's choice is kept in a context variable set by :class:`AnonymousReadsMiddleware`
(after Django's authentication middleware) and read by :class:`ReplicaRouter`. Code that
opens a cursor itself asks ``connections[router.db_for_read(Model)]`` so that it follows the
same choice. An anonymous reader may thus see a publication a replica's lag late (usually
well under a second on one network); a retraction likewise.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.http import HttpRequest, HttpResponse

# The database alias this request reads from; None outside anonymous reads.
_read_alias: ContextVar[str | None] = ContextVar("read_alias", default=None)

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def replica_aliases() -> list[str]:
    return list(getattr(settings, "DATABASE_REPLICAS", []))


@contextmanager
def reading_from(alias: str) -> Iterator[None]:
    """Reads inside the block go to ``alias`` (as in an anonymous request)."""
    token = _read_alias.set(alias)
    try:
        yield
    finally:
        _read_alias.reset(token)


def current_read_alias() -> str | None:
    return _read_alias.get()


class ReplicaRouter:
    """Reads of anonymous requests to their replica; all writes to the primary."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return _read_alias.get()

    def db_for_write(self, model: Any, **hints: Any) -> str:
        # Said explicitly: Django's fallback would write a row back to the database it was
        # read from, which for an anonymous request is a read-only replica.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        pool = {DEFAULT_DB_ALIAS, *replica_aliases()}
        if obj1._state.db in pool and obj2._state.db in pool:
            return True  # the same rows, whichever copy they were read from
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # A streaming replica follows the primary's schema; it is never migrated itself.
        return False if db in replica_aliases() else None


def _signed_in(request: HttpRequest) -> bool:
    if request.META.get("HTTP_AUTHORIZATION"):
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def _streamed_from(alias: str, chunks: Iterable[Any]) -> Iterator[Any]:
    """``chunks`` produced with reads going to ``alias``: a streamed answer is made after
    the middleware has returned, one chunk at a time."""
    iterator = iter(chunks)
    while True:
        token = _read_alias.set(alias)
        try:
            chunk = next(iterator)
        except StopIteration:
            return
        finally:
            _read_alias.reset(token)
        yield chunk


class AnonymousReadsMiddleware:
    """Sends an anonymous read request's queries to one replica (see the module)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        replicas = replica_aliases()
        if not replicas or request.method not in READ_METHODS or _signed_in(request):
            return self.get_response(request)
        alias = random.choice(replicas)  # noqa: S311 - spreading load, not a secret
        with reading_from(alias):
            response = self.get_response(request)
        if response.streaming:
            response.streaming_content = _streamed_from(alias, response.streaming_content)
        return response

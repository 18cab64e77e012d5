"""Expensive public answers, kept in the shared cache per publication generation.

The statistics (and the map's timeline, which reads them), the map's points and cells, and
the public pages are the same for every anonymous reader until something the public sees
changes. :func:`cached` keeps each answer under a key made of its name, what it was asked
(the query parameters, the language, ...), the current publication generation
(:mod:`incidents.readmodel.generation`) and the release (:func:`release`: a new release may
answer differently from the same data). A change moves the generation on, so the next
reader computes afresh; entries of old generations are never asked for again and expire
after ``PUBLIC_ANSWER_TTL`` seconds (a safety net, not the mechanism). They live in the
cache alias ``answers`` (the same Redis as the rest, or a directory of their own), so that
culling them never forgets the API's request counts.

When many readers miss the same answer at once (a link shared widely, just after a
publication), one computes it while the others wait for it, up to a few seconds, instead of
all of them running the same queries; the wait gives up to computing alone, so a reader is
never stuck behind a failed one.

Only answers for readers who see published records alone may be kept here: the callers
decide that before asking.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from functools import cache as once
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import caches

from . import generation

logger = logging.getLogger(__name__)

T = TypeVar("T")

_WAIT_SECONDS = 5.0
_POLL_SECONDS = 0.02

# What a release is made of, for :func:`release`: the code, templates, translations and
# static files of the project.
_RELEASE_DIRS = ("config", "incidents", "mapping", "templates", "static", "locale")
_RELEASE_SUFFIXES = frozenset({".py", ".html", ".js", ".css", ".mo", ".txt"})


@once
def release() -> str:
    """A fingerprint of the code, templates, translations and settings that shape answers.

    Two processes of one release compute the same fingerprint, so their ETags agree; a new
    release (or another tile server, page size, ...) gets new keys and validators, so nothing
    rendered by the previous one is served as current.
    """
    digest = hashlib.blake2b(digest_size=8)
    base = Path(settings.BASE_DIR)
    for top in _RELEASE_DIRS:
        for path in sorted((base / top).rglob("*")):
            if path.suffix in _RELEASE_SUFFIXES and path.is_file():
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    for name in ("INCIDENT_MAP", "LEAFLET_CONFIG", "STATIC_URL", "LANGUAGES"):
        digest.update(repr(getattr(settings, name, None)).encode())
    return digest.hexdigest()


def key(name: str, parts: Iterable[Any], token: str | None = None) -> str:
    """The cache key of answer ``name`` asked with ``parts``, in generation ``token``."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(repr(part).encode())
        digest.update(b"\x00")
    token = generation.current() if token is None else token
    return f"answer:{name}:{release()}:{token}:{digest.hexdigest()}"


def query_parts(params: Any) -> list[tuple[str, list[str]]]:
    """Query parameters in a canonical order (``a=1&b=2`` and ``b=2&a=1`` are one answer)."""
    return sorted((name, list(values)) for name, values in params.lists())


def get(cache_key: str) -> Any:
    try:
        return caches["answers"].get(cache_key)
    except Exception:
        logger.exception("The shared cache did not answer.")
        return None


def put(cache_key: str, value: Any) -> None:
    try:
        caches["answers"].set(cache_key, value, timeout=settings.PUBLIC_ANSWER_TTL)
    except Exception:
        logger.exception("The shared cache did not keep an answer.")


def cached(name: str, parts: Iterable[Any], compute: Callable[[], T]) -> T:
    """The answer ``name`` for ``parts`` in the current generation, computed only when it is
    not kept yet (see the module). Exceptions of ``compute`` (a 400 for a bad parameter)
    pass through and nothing is kept."""
    cache_key = key(name, parts)
    found = get(cache_key)
    if found is not None:
        return found
    lock = f"{cache_key}:computing"
    try:
        computing_elsewhere = not caches["answers"].add(lock, 1, timeout=int(_WAIT_SECONDS * 6))
    except Exception:
        computing_elsewhere = False
    if computing_elsewhere:
        deadline = time.monotonic() + _WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(_POLL_SECONDS)
            found = get(cache_key)
            if found is not None:
                return found
            try:
                if not caches["answers"].has_key(lock):
                    break  # the other reader gave up (its request was refused, or failed)
            except Exception:
                break
        found = get(cache_key)
        return found if found is not None else compute()
    try:
        value = compute()
        put(cache_key, value)
        return value
    finally:
        try:
            caches["answers"].delete(lock)
        except Exception:
            logger.exception("The shared cache did not answer.")

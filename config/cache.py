"""A file-based cache that every process on one machine shares safely.

Without ``REDIS_URL`` the embedded default keeps its cache (today: the API's request
counts) in files under ``var/cache/``, so that every runserver or gunicorn worker on the
machine counts against one limit. Django's ``FileBasedCache`` writes each entry atomically,
but its ``add`` and ``incr`` read then write, so two processes counting the same client at
once could both see 9 and both write 10. Here every operation holds one exclusive lock on
``<dir>/.lock``: a count of N requests is N, whichever processes served them.

Why files rather than Django's database cache: on SQLite every anonymous read would become
a write to the database file, and SQLite lets one writer in at a time; files keep the
throttle's bookkeeping away from the data. Why not for many machines: files are local,
which is what ``REDIS_URL`` is for.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.files import locks
from django.core.files.move import file_move_safe


class SharedFileCache(FileBasedCache):
    """``FileBasedCache`` whose operations are atomic across processes (see the module)."""

    def __init__(self, dir: str, params: dict[str, Any]) -> None:
        super().__init__(dir, params)
        self._lock_path = os.path.join(self._dir, ".lock")
        self._depth = 0  # add() calls has_key() and set(): one lock, taken once

    @contextmanager
    def _locked(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._createdir()
        with open(self._lock_path, "a+b") as handle:
            locks.lock(handle, locks.LOCK_EX)
            self._depth = 1
            try:
                yield
            finally:
                self._depth = 0
                locks.unlock(handle)

    def add(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version=None) -> bool:
        with self._locked():
            return super().add(key, value, timeout, version)

    def get(self, key: str, default: Any = None, version=None) -> Any:
        # Reading takes the lock too: an expired entry is deleted by the reader, which must
        # not delete the fresh one another process has just put in its place.
        with self._locked():
            return super().get(key, default, version)

    def set(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version=None) -> None:
        with self._locked():
            super().set(key, value, timeout, version)

    def touch(self, key: str, timeout: Any = DEFAULT_TIMEOUT, version=None) -> bool:
        with self._locked():
            return super().touch(key, timeout, version)

    def delete(self, key: str, version=None) -> bool:
        with self._locked():
            return super().delete(key, version)

    def has_key(self, key: str, version=None) -> bool:
        with self._locked():
            return super().has_key(key, version)

    def clear(self) -> None:
        with self._locked():
            super().clear()

    def incr(self, key: str, delta: int = 1, version=None) -> int:
        """Add ``delta`` to the number kept under ``key``, keeping its expiry (the base
        class's ``incr`` would give it the default timeout again)."""
        with self._locked():
            fname = self._key_to_file(key, version)
            try:
                with open(fname, "rb") as handle:
                    expiry = pickle.load(handle)  # noqa: S301 - our own files, as in Django
                    value = pickle.loads(zlib.decompress(handle.read()))  # noqa: S301
            except (FileNotFoundError, EOFError):
                raise ValueError(f"Key '{key}' not found") from None
            if expiry is not None and expiry < time.time():
                self._delete(fname)
                raise ValueError(f"Key '{key}' not found")
            value += delta
            fd, tmp_path = tempfile.mkstemp(dir=self._dir)
            moved = False
            try:
                with open(fd, "wb") as handle:
                    handle.write(pickle.dumps(expiry, self.pickle_protocol))
                    handle.write(zlib.compress(pickle.dumps(value, self.pickle_protocol)))
                file_move_safe(tmp_path, fname, allow_overwrite=True)
                moved = True
            finally:
                if not moved:
                    os.remove(tmp_path)
            return value

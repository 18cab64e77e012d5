"""Request rates for the API, counted in the cache that all server processes share.

DRF's stock throttles keep each client's list of request times in the cache and write it
back after reading it: two workers serving one client at once both read 9 requests and
both write 10, so the limit leaks by as many requests as run in parallel. Here a client's
requests are counted with the cache's ``add`` and ``incr``, which are atomic on Redis
(``REDIS_URL``) and on the embedded default's file cache (``config.cache``): a limit of N
lets exactly N requests through, whichever worker or machine serves them.

The window opens with a client's first request and lasts the rate's period (a minute for
``120/minute``); the count starts again when it has passed.

Who the client is comes from DRF's ``get_ident``: the connection's address, or, behind
``NUM_PROXIES`` trusted proxies, the address the nearest of them saw (the ``NUM_PROXIES``-th
entry of ``X-Forwarded-For`` from the right). With ``NUM_PROXIES`` 0, the default, the
header is ignored, so a client cannot pass for another by sending one.

Rates are read from ``settings.INCIDENT_MAP`` on every request (DRF's stock throttles copy
them when they are imported), so a deployment or a test can change one without a restart.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from rest_framework.throttling import AnonRateThrottle, BaseThrottle, UserRateThrottle


def client_address(request: HttpRequest) -> str | None:
    """The client's address as the API's throttles see it (``NUM_PROXIES`` applies); the
    login lockout counts failures by the same address."""
    return BaseThrottle().get_ident(request)


class _CountingThrottle:
    """Counts a client's requests in a window with atomic cache operations (a mix-in for
    DRF's ``SimpleRateThrottle`` subclasses, which find the key and parse the rate)."""

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        count = self._count()
        if count > self.num_requests:
            return self.throttle_failure()
        return True

    def _count(self) -> int:
        count_key, opened_key = f"{self.key}:count", f"{self.key}:opened"
        for _attempt in range(3):
            if self.cache.add(count_key, 0, self.duration):
                self.cache.set(opened_key, self.now, self.duration)
            try:
                return self.cache.incr(count_key)
            except ValueError:
                continue  # the window closed between add and incr: open the next one
        return 1  # windows closing faster than a request is counted: count it as the first

    def wait(self) -> float | None:
        opened = self.cache.get(f"{self.key}:opened")
        if opened is None:
            return float(self.duration)
        return max(0.0, opened + self.duration - self.timer())


class AnonymousThrottle(_CountingThrottle, AnonRateThrottle):
    def get_rate(self) -> str | None:
        return settings.INCIDENT_MAP["API_ANON_RATE"] or None


class SignedInThrottle(_CountingThrottle, UserRateThrottle):
    def get_rate(self) -> str | None:
        return settings.INCIDENT_MAP["API_USER_RATE"] or None

"""Request rates for the API, read from ``settings.INCIDENT_MAP`` on every request.

DRF's stock throttles copy their rates when they are imported; reading them each time
lets a deployment (or a test) change a rate without restarting anything.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class AnonymousThrottle(AnonRateThrottle):
    def get_rate(self) -> str | None:
        return settings.INCIDENT_MAP["API_ANON_RATE"] or None


class SignedInThrottle(UserRateThrottle):
    def get_rate(self) -> str | None:
        return settings.INCIDENT_MAP["API_USER_RATE"] or None

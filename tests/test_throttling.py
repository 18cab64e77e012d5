"""Who the API's throttles count: X-Forwarded-For is trusted only behind configured proxies.

In-process (the local-memory cache is enough here); tests/test_processes_throttling.py holds
the limit across server processes.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

URL = reverse("api:incident-list")


@pytest.fixture
def limit_of_three(settings):
    settings.INCIDENT_MAP = {**settings.INCIDENT_MAP, "API_ANON_RATE": "3/minute"}


def test_a_new_forwarded_address_per_request_does_not_reset_the_count(db, client, limit_of_three):
    codes = [client.get(URL, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(6)]
    assert codes == [200, 200, 200, 429, 429, 429]


def test_the_answer_says_how_long_to_wait(db, client, limit_of_three):
    for _ in range(3):
        client.get(URL)
    response = client.get(URL)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60


def test_behind_one_proxy_the_address_it_saw_is_the_client(db, client, limit_of_three, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    # The proxy appends the address it saw; what the client wrote before it is not trusted.
    first = [
        client.get(URL, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 198.51.100.7").status_code
        for n in range(4)
    ]
    other = client.get(URL, HTTP_X_FORWARDED_FOR="198.51.100.8").status_code
    assert first == [200, 200, 200, 429]
    assert other == 200

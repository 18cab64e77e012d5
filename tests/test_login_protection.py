"""Login protection (django-axes): repeated wrong passwords lock a user name and an address.

The policy (config/settings.py): after ``LOGIN_FAILURE_LIMIT`` (5) wrong passwords for one
user name, or from one address, that user name and that address are refused for
``LOGIN_LOCKOUT_MINUTES`` (60), even with the right password; other users from other
addresses sign in as before.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

LOGIN = reverse("admin:login")
LOCKED = "Sign-in is locked"


def _attempt(client: Client, username: str, password: str, address: str, **headers: str):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
        **headers,
    )


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _fail(client: Client, username: str, address: str, times: int) -> list[int]:
    return [_attempt(client, username, "wrong", address).status_code for _ in range(times)]


def test_five_wrong_passwords_lock_the_user_name_out_even_with_the_right_one(
    researcher, reviewer, superuser
):
    attacker = Client()
    assert _fail(attacker, "rita", "192.0.2.10", 5) == [200, 200, 200, 200, 429]

    right = _attempt(attacker, "rita", "pw-rita", "192.0.2.10")
    assert right.status_code == 429
    assert LOCKED in right.content.decode()
    assert not _signed_in(attacker)

    # Per user name: the right password from anywhere else is refused too.
    elsewhere = Client()
    assert _attempt(elsewhere, "rita", "pw-rita", "198.51.100.20").status_code == 429
    assert not _signed_in(elsewhere)

    # Per address: another user from the attacker's address is refused as well.
    assert _attempt(Client(), "victor", "pw-victor", "192.0.2.10").status_code == 429

    # Another user from another address is unaffected.
    colleague = Client()
    response = _attempt(colleague, "victor", "pw-victor", "198.51.100.21")
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert _signed_in(colleague)


def test_fewer_failures_than_the_limit_leave_sign_in_open(researcher):
    client = Client()
    assert _fail(client, "rita", "192.0.2.11", 4) == [200] * 4
    assert _attempt(client, "rita", "pw-rita", "192.0.2.11").status_code == 302
    assert _signed_in(client)


def test_guessing_many_user_names_locks_the_address(researcher):
    # A new X-Forwarded-For per attempt does not make a new address (NUM_PROXIES is 0).
    codes = [
        _attempt(
            Client(), f"user{n}", "wrong", "192.0.2.12", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}"
        ).status_code
        for n in range(5)
    ]
    assert codes == [200, 200, 200, 200, 429]
    assert _attempt(Client(), "rita", "pw-rita", "192.0.2.12").status_code == 429


def test_the_lockout_page_explains_and_has_no_inline_script_or_style(researcher):
    client = Client()
    _fail(client, "rita", "192.0.2.13", 5)
    page = _attempt(client, "rita", "pw-rita", "192.0.2.13").content.decode()
    assert "5 wrong passwords" in page and "Try again in 60 minutes" in page
    assert "rita" not in page  # says nothing about which user names exist
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert "<style" not in page and " style=" not in page


def test_lockouts_are_listed_in_the_admin(researcher, superuser):
    from axes.models import AccessAttempt

    _fail(Client(), "rita", "192.0.2.14", 5)
    assert AccessAttempt.objects.filter(username="rita", failures_since_start=5).exists()
    admin = Client()
    admin.force_login(superuser)
    page = admin.get(reverse("admin:axes_accessattempt_changelist"))
    assert page.status_code == 200
    assert "rita" in page.content.decode() and "192.0.2.14" in page.content.decode()


@pytest.mark.django_db
def test_a_signed_in_session_is_not_affected_by_lockouts_of_others(researcher, reviewer):
    _fail(Client(), "rita", "192.0.2.15", 5)
    client = Client()
    client.force_login(reviewer)
    assert client.get(reverse("admin:index")).status_code == 200

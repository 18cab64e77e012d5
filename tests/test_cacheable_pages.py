"""Public pages are the same for every anonymous reader, so a shared cache may keep them.

A page that sets a cookie cannot be shared (nginx keeps no answer that sets one), and a
page holding a visitor's CSRF token would hand it to the next reader. The public pages
carry the language switch, which therefore works without a token.
"""

import pytest
from django.test import Client
from django.urls import reverse


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/incidents/SY-2025-0001/",
        "/api/v1/incidents/?ordering=-published_at",
        "/api/v1/map/?zoom=7",
    ],
)
def test_an_anonymous_public_read_sets_no_cookie_and_holds_no_token(url, seeded):
    response = Client(enforce_csrf_checks=True).get(url)
    assert response.status_code == 200
    assert response.cookies == {}, response.cookies
    assert b"csrfmiddlewaretoken" not in response.content


def test_the_language_switch_works_without_a_token(seeded):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/").content.decode()
    assert f'action="{reverse("set_language")}"' in page
    switched = client.post(reverse("set_language"), {"language": "ar", "next": "/"})
    assert switched.status_code == 302
    assert switched.cookies["django_language"].value == "ar"
    assert 'lang="ar" dir="rtl"' in client.get("/").content.decode()

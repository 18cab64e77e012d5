"""A one-day incident needs only its start: the end defaults to it in the admin form, the
API and the services, and an end before the start is still refused, naming the field."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from incidents import services
from incidents.models import Incident

from .conftest import incident_fields
from .test_admin import ADD_URL, _form
from .test_api import API, _create_body


def _without_end(**overrides):
    fields = incident_fields(**overrides)
    del fields["date_end"]
    return fields


def test_the_service_defaults_the_end_to_the_start(researcher):
    incident = services.incident_create(user=researcher, **_without_end())
    assert incident.date_end == incident.date_start == dt.date(2025, 3, 7)
    explicit_none = services.incident_create(
        user=researcher, **incident_fields(date_end=None, title="Another")
    )
    assert explicit_none.date_end == explicit_none.date_start


def test_the_service_still_refuses_an_end_before_the_start(researcher):
    with pytest.raises(ValidationError) as error:
        services.incident_create(user=researcher, **incident_fields(date_end=dt.date(2025, 3, 1)))
    assert "date_end" in error.value.message_dict
    assert not Incident.objects.exists()


def test_the_admin_saves_a_one_day_incident_without_an_end(client, researcher, source):
    client.force_login(researcher)
    response = client.post(
        ADD_URL,
        _form(source, claims=[{"killed_min": "7", "quote": "Seven were killed."}], date_end=""),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    incident = Incident.objects.get()
    assert incident.date_end == incident.date_start == dt.date(2025, 3, 7)


def test_the_admin_names_the_end_when_it_is_before_the_start(client, researcher, source):
    client.force_login(researcher)
    response = client.post(ADD_URL, _form(source, date_end="2025-03-01"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "before the start date" in " ".join(errors["date_end"])
    assert not Incident.objects.exists()


def test_clearing_the_end_of_an_incident_in_the_admin_makes_it_one_day(client, incident, reviewer):
    client.force_login(reviewer)
    url = reverse("admin:incidents_incident_change", args=[incident.pk])
    form = client.get(url).context["adminform"].form
    data = _form(date_end="", expected_version=str(incident.version))
    data.update({"date_start": "2025-03-06", "title": form.initial["title"]})
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    incident.refresh_from_db()
    assert incident.date_end == incident.date_start == dt.date(2025, 3, 6)


def test_the_api_creates_a_one_day_incident_without_an_end(client, researcher, source):
    client.force_login(researcher)
    body = _create_body()
    del body["date_end"]
    created = client.post(f"{API}/incidents/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["date_end"] == "2025-03-07"


def test_the_api_names_the_end_when_it_is_before_the_start(client, researcher, source):
    client.force_login(researcher)
    answer = client.post(
        f"{API}/incidents/", _create_body(date_end="2025-03-01"), content_type="application/json"
    )
    assert answer.status_code == 400
    assert "date_end" in answer.json()
    assert not Incident.objects.exists()

"""The workflow on an incident's admin page (one button per step the user may take, each
through its service with the version the page was read at) and the reviewers' queue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import services
from incidents.models import Incident, Status

from .conftest import incident_fields

QUEUE_URL = reverse("admin:incidents_incident_review_queue")


def _change_url(incident: Incident) -> str:
    return reverse("admin:incidents_incident_change", args=[incident.pk])


def _workflow_url(incident: Incident) -> str:
    return reverse("admin:incidents_incident_workflow", args=[incident.pk])


def _buttons(client, incident: Incident) -> set[str]:
    page = client.get(_change_url(incident)).content.decode()
    return {
        step
        for step in ("submit", "return_to_draft", "publish", "retract")
        if f'name="step" value="{step}"' in page
    }


def _step(client, incident: Incident, step: str, version: int | None = None, **extra):
    data = {"step": step, "version": incident.version if version is None else version, **extra}
    response = client.post(_workflow_url(incident), data)
    assert response.status_code == 302
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_a_researcher_submits_from_the_page_and_cannot_publish(client, researcher, incident):
    client.force_login(researcher)
    assert _buttons(client, incident) == {"submit"}
    assert _step(client, incident, "submit") == [f"{incident.public_id} is in review."]
    incident.refresh_from_db()
    assert incident.status == Status.IN_REVIEW
    assert _buttons(client, incident) == {"return_to_draft"}
    messages = _step(client, incident, "publish")
    assert "may not publish" in messages[0]
    incident.refresh_from_db()
    assert incident.status == Status.IN_REVIEW


def test_a_reviewer_publishes_then_retracts_with_a_reason(client, reviewer, incident):
    services.incident_submit_for_review(incident=incident, user=None)
    client.force_login(reviewer)
    assert _buttons(client, incident) == {"return_to_draft", "publish"}
    _step(client, incident, "publish")
    incident.refresh_from_db()
    assert incident.status == Status.PUBLISHED
    page = client.get(_change_url(incident)).content.decode()
    assert 'name="reason"' in page and "Why is it retracted?" in page
    assert _buttons(client, incident) == {"retract"}

    messages = _step(client, incident, "retract", reason="  ")
    assert "Say why the incident is retracted." in messages[0]
    incident.refresh_from_db()
    assert incident.status == Status.PUBLISHED
    _step(client, incident, "retract", reason="Same event as SY-2025-0004")
    incident.refresh_from_db()
    assert incident.status == Status.RETRACTED
    assert incident.retraction_reason == "Same event as SY-2025-0004"

    # A retracted incident can be reopened by a reviewer, to be corrected and reviewed again.
    assert _buttons(client, incident) == {"return_to_draft"}
    _step(client, incident, "return_to_draft")
    incident.refresh_from_db()
    assert (incident.status, incident.retraction_reason) == (Status.DRAFT, "")


def test_a_researcher_cannot_reopen_a_retracted_incident(client, researcher, reviewer, incident):
    services.incident_publish(incident=incident, user=reviewer)
    services.incident_retract(incident=incident, user=reviewer, reason="Wrong place")
    client.force_login(researcher)
    assert _buttons(client, incident) == set()
    messages = _step(client, incident, "return_to_draft")
    assert "may not reopen" in messages[0]
    assert Incident.objects.get(pk=incident.pk).status == Status.RETRACTED


def test_a_stale_page_gets_a_concurrency_error_and_changes_nothing(
    client, reviewer, researcher, incident
):
    client.force_login(reviewer)
    seen = incident.version
    assert "publish" in _buttons(client, incident)
    # Someone else submits it, then returns it to draft, while the page stays open.
    services.incident_submit_for_review(incident=incident, user=researcher)
    services.incident_return_to_draft(incident=incident, user=researcher)
    messages = _step(client, incident, "publish", version=seen)
    assert "was changed by someone else since you opened it" in messages[0]
    incident.refresh_from_db()
    assert incident.status == Status.DRAFT and incident.version == seen + 2


def test_workflow_posts_only_and_known_steps(client, reviewer, incident):
    client.force_login(reviewer)
    assert client.get(_workflow_url(incident)).status_code == 405
    bad_step = client.post(_workflow_url(incident), {"step": "explode", "version": 1})
    assert bad_step.status_code == 400
    no_version = client.post(_workflow_url(incident), {"step": "publish"})
    assert no_version.status_code == 400
    assert Incident.objects.get(pk=incident.pk).status == Status.DRAFT


def test_the_review_queue_is_for_reviewers_and_linked_from_the_index(client, researcher, reviewer):
    client.force_login(researcher)
    assert client.get(QUEUE_URL).status_code == 403
    assert QUEUE_URL not in client.get(reverse("admin:index")).content.decode()
    client.force_login(reviewer)
    assert QUEUE_URL in client.get(reverse("admin:index")).content.decode()
    assert QUEUE_URL in client.get(reverse("admin:incidents_incident_changelist")).content.decode()
    assert client.get(QUEUE_URL).status_code == 200


def _submitted(source, user, title: str) -> Incident:
    incident = services.incident_create(
        user=user,
        claims=[{"source": source, "killed_min": 3, "quote": "Three were killed."}],
        **incident_fields(title=title),
    )
    return services.incident_submit_for_review(incident=incident, user=user)


def test_the_queue_lists_the_longest_waiting_first_with_who_submitted(
    client, reviewer, researcher, source
):
    first = _submitted(source, researcher, "First submitted")
    second = _submitted(source, reviewer, "Second submitted")
    draft = services.incident_create(user=researcher, **incident_fields(title="Still a draft"))
    # Returned and submitted again: it waits from its latest submission.
    services.incident_return_to_draft(incident=first, user=reviewer)
    services.incident_submit_for_review(incident=first, user=researcher)

    client.force_login(reviewer)
    response = client.get(QUEUE_URL)
    items = response.context["items"]
    assert [item.incident for item in items] == [second, first]
    assert items[0].submitted_by == reviewer and items[1].submitted_by == researcher
    assert items[0].submitted_at <= items[1].submitted_at
    page = response.content.decode()
    assert draft.public_id not in page
    assert "by rita" in page and "Never published: all of it is new." in page


def test_the_queue_shows_what_changed_since_the_last_published_version(
    client, reviewer, researcher, source, news_source
):
    incident = _submitted(source, researcher, "Shelling of a market")
    services.incident_publish(incident=incident, user=reviewer)
    services.incident_retract(incident=incident, user=reviewer, reason="Place to check")
    services.incident_return_to_draft(incident=incident, user=reviewer)
    incident.refresh_from_db()
    services.incident_edit(
        incident=incident,
        user=researcher,
        expected_version=incident.version,
        title="Shelling of the old market",
        date_end=dt.date(2025, 3, 8),
    )
    claim = incident.claims.get()
    services.claim_update(claim=claim, user=researcher, killed_min=5)
    services.claim_add(
        incident=incident, user=researcher, source=news_source, killed_min=9, quote="Nine."
    )
    actor = services.actor_create(user=reviewer, slug="a-group", name="A group")
    services.attribution_set(incident=incident, user=researcher, actor=actor, confidence="alleged")
    incident.refresh_from_db()
    services.incident_submit_for_review(incident=incident, user=researcher)

    client.force_login(reviewer)
    response = client.get(QUEUE_URL)
    (item,) = response.context["items"]
    changes = {c.label: (c.before, c.after) for c in item.since_published.fields}
    assert changes["title (English)"] == ("Shelling of a market", "Shelling of the old market")
    assert changes["date end"] == ("2025-03-07", "2025-03-08")
    assert changes["killed low"] == ("3", "5")  # the reconciled figures follow
    assert "status" not in changes and "version" not in changes
    records = {(r.action, r.label): r for r in item.since_published.records}
    changed_claim = records[("changed", "claim of A monitor: Monthly report")]
    assert [(f.label, f.before, f.after) for f in changed_claim.fields] == [
        ("killed min", "3", "5")
    ]
    assert ("added", "claim of A newspaper: An article") in records
    assert ("added", "perpetrator A group") in records
    page = response.content.decode()
    assert "Shelling of the old market" in page and "<del>3</del>" in page


def test_the_queue_reads_a_constant_number_of_queries(client, reviewer, researcher, source):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(QUEUE_URL).status_code == 200
        return len(captured)

    client.force_login(reviewer)
    published = _submitted(source, researcher, "Published once")
    services.incident_publish(incident=published, user=reviewer)
    services.incident_retract(incident=published, user=reviewer, reason="Recheck")
    services.incident_return_to_draft(incident=published, user=reviewer)
    services.incident_submit_for_review(incident=published, user=researcher)
    few = queries()
    for n in range(4):
        again = _submitted(source, researcher, f"More {n}")
        services.incident_publish(incident=again, user=reviewer)
        services.incident_retract(incident=again, user=reviewer, reason="Recheck")
        services.incident_return_to_draft(incident=again, user=reviewer)
        services.incident_submit_for_review(incident=again, user=researcher)
    assert queries() == few


@pytest.mark.parametrize("step", ["submit", "publish"])
def test_a_step_the_incident_is_not_ready_for_says_what_is_missing(client, reviewer, step):
    incident = services.incident_create(user=reviewer, **incident_fields())
    client.force_login(reviewer)
    messages = _step(client, incident, step)
    assert "It has no claims" in messages[0]
    assert Incident.objects.get(pk=incident.pk).status == Status.DRAFT


def test_the_queue_and_the_buttons_speak_arabic(client, reviewer, incident):
    services.incident_submit_for_review(incident=incident, user=None)
    client.force_login(reviewer)
    queue = client.get(QUEUE_URL, HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert "بانتظار المراجعة: 1" in queue and "لم تُنشر قط" in queue
    page = client.get(_change_url(incident), HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert ">نشر</button>" in page and ">إعادة إلى المسودة</button>" in page


def test_the_api_reopens_a_retracted_incident_for_reviewers_only(
    client, researcher, reviewer, incident
):
    services.incident_publish(incident=incident, user=reviewer)
    services.incident_retract(incident=incident, user=reviewer, reason="Wrong place")
    url = f"/api/v1/incidents/{incident.public_id}/return-to-draft/"
    client.force_login(researcher)
    refused = client.post(url, HTTP_IF_MATCH=f'"{incident.version}"')
    assert refused.status_code == 403
    client.force_login(reviewer)
    reopened = client.post(url, HTTP_IF_MATCH=f'"{incident.version}"')
    assert reopened.status_code == 200, reopened.content
    assert reopened.json()["status"] == "draft"
    assert Incident.objects.get(pk=incident.pk).retraction_reason == ""

"""The admin page "Possible duplicates", end to end with the test client: who may see it,
the pairs side by side, merging and dismissing by CSRF-protected POSTs, errors as admin
messages; the link from the index and from an incident's page; the roles' permissions."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from incidents import duplicates, roles, services
from incidents.models import DuplicateCandidate, DuplicateStatus, Incident, Source, Status

from .conftest import incident_fields

URL = reverse("admin:incidents_incident_duplicates")


def client_for(user: User, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def make(source: Source, killed: int, **overrides: Any) -> Incident:
    return services.incident_create(
        user=None,
        claims=[{"source": source, "killed_min": killed, "killed_max": killed, "quote": "q."}],
        **incident_fields(**overrides),
    )


@pytest.fixture
def candidate(source: Source) -> DuplicateCandidate:
    first = make(source, 40, title="Shelling of the Jableh market")
    make(source, 38, latitude=35.37, title="Market in Jableh shelled <b>twice</b>")
    duplicates.flag_duplicates([first.pk])
    return DuplicateCandidate.objects.get()


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def decide(client: Client, candidate: DuplicateCandidate, **data: Any) -> Any:
    return client.post(URL, {"candidate": candidate.pk, **data}, follow=True)


def test_only_users_who_review_duplicates_see_the_page(
    candidate: DuplicateCandidate, researcher: User, reviewer: User
) -> None:
    anonymous = Client().get(URL)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    outsider = User.objects.create_user("olga", password="x", is_staff=True)
    assert client_for(outsider).get(URL).status_code == 403
    assert (
        client_for(outsider).post(URL, {"candidate": candidate.pk, "action": "dismiss"}).status_code
        == 403
    )
    assert client_for(reviewer).get(URL).status_code == 200
    page = client_for(researcher).get(URL)
    assert page.status_code == 200
    text = page.content.decode()
    first, second = candidate.first, candidate.second
    for incident in (first, second):
        assert incident.public_id in text
        assert reverse("admin:incidents_incident_change", args=[incident.pk]) in text
    assert "Shelling of the Jableh market" in text
    assert "Market in Jableh shelled &lt;b&gt;twice&lt;/b&gt;" in text  # escaped
    assert "1.1 km apart (within their location precision)" in text
    assert f"Score {candidate.score:.2f}" in text
    assert "2025-03-07" in text and "40" in text and "38" in text
    assert f"Merge, keeping {first.public_id}" in text
    assert f"Merge, keeping {second.public_id}" in text
    assert "Not the same event" in text
    assert 'name="csrfmiddlewaretoken"' in text


def test_linked_from_the_index_and_the_incident_page(
    candidate: DuplicateCandidate, researcher: User
) -> None:
    client = client_for(researcher)
    assert URL in client.get(reverse("admin:index")).content.decode()
    change = client.get(reverse("admin:incidents_incident_change", args=[candidate.first_id]))
    assert f"{URL}?incident={candidate.first_id}" in change.content.decode()
    assert "Possible duplicates: 1" in change.content.decode()
    focused = client.get(URL, {"incident": candidate.first_id})
    assert len(focused.context["rows"]) == 1
    # A decision made from the focused list comes back to it, and only to it.
    back = client.post(
        URL,
        {
            "candidate": candidate.pk,
            "action": "dismiss",
            "return_query": f"incident={candidate.first_id}&next=https://evil.example\r\nX: 1",
        },
    )
    assert back["Location"] == f"{URL}?incident={candidate.first_id}"


def test_researcher_dismisses_a_pair(candidate: DuplicateCandidate, researcher: User) -> None:
    response = decide(client_for(researcher), candidate, action="dismiss")
    assert response.redirect_chain[-1][0] == URL
    assert messages_of(response) == [
        f"{candidate.first.public_id} and {candidate.second.public_id} marked as distinct events."
    ]
    candidate.refresh_from_db()
    assert (candidate.status, candidate.decided_by) == (DuplicateStatus.DISMISSED, researcher)
    assert response.context["rows"] == []
    again = decide(client_for(researcher), candidate, action="dismiss")
    assert messages_of(again) == ["That pair was already decided (not the same event)."]


def test_researcher_merges_keeping_the_second(
    candidate: DuplicateCandidate, researcher: User
) -> None:
    first, second = candidate.first, candidate.second
    response = decide(
        client_for(researcher),
        candidate,
        action="merge",
        keep=second.pk,
        reason="Same shelling, two reports.",
        **{f"version_{first.pk}": first.version, f"version_{second.pk}": second.version},
    )
    assert messages_of(response) == [
        f"{first.public_id} merged into {second.public_id}: its claims, perpetrators and "
        "history are kept there."
    ]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.merged_into) == (Status.MERGED, second)
    assert second.claims.count() == 2
    assert first.history.first().history_user == researcher
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.MERGED
    change = client_for(researcher).get(reverse("admin:incidents_incident_change", args=[first.pk]))
    assert reverse("admin:incidents_incident_change", args=[second.pk]) in change.content.decode()


def test_errors_come_back_as_messages_and_change_nothing(
    candidate: DuplicateCandidate, researcher: User, reviewer: User
) -> None:
    client = client_for(researcher)
    first, second = candidate.first, candidate.second
    stale = decide(
        client,
        candidate,
        action="merge",
        keep=first.pk,
        **{f"version_{first.pk}": first.version + 5, f"version_{second.pk}": second.version},
    )
    assert "was changed by someone else" in messages_of(stale)[0]
    assert messages_of(decide(client, candidate, action="merge")) == [
        "Choose which of the two incidents to keep."
    ]
    assert messages_of(decide(client, candidate, action="merge", keep="12345")) == [
        "Choose which of the two incidents to keep."
    ]
    assert messages_of(decide(client, candidate, action="explode")) == [
        "Unknown decision: merge, or not the same."
    ]
    missing = client.post(URL, {"candidate": "999999", "action": "dismiss"}, follow=True)
    assert messages_of(missing) == ["That pair no longer exists; the list below is up to date."]

    # A published incident: the researcher is offered no merge, and a forged one fails.
    services.incident_publish(incident=first, user=reviewer)
    page = client.get(URL).content.decode()
    assert "Merge, keeping" not in page
    assert "Only a reviewer can merge these" in page
    forged = decide(client, candidate, action="merge", keep=first.pk)
    assert "You may not edit" in messages_of(forged)[0]
    second.refresh_from_db()
    assert second.status == Status.DRAFT
    assert DuplicateCandidate.objects.get().status == DuplicateStatus.OPEN
    # The reviewer may merge into the published one (not the other way round).
    reviewer_page = client_for(reviewer).get(URL).content.decode()
    assert f"Merge, keeping {first.public_id}" in reviewer_page
    assert f"Merge, keeping {second.public_id}" not in reviewer_page
    done = decide(client_for(reviewer), candidate, action="merge", keep=first.pk)
    assert "merged into" in messages_of(done)[0]
    second.refresh_from_db()
    assert second.status == Status.MERGED


def test_posts_need_the_csrf_token(candidate: DuplicateCandidate, researcher: User) -> None:
    client = client_for(researcher, enforce_csrf_checks=True)
    response = client.post(URL, {"candidate": candidate.pk, "action": "dismiss"})
    assert response.status_code == 403
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.OPEN


def test_admin_action_looks_for_duplicates_of_the_selected(
    source: Source, researcher: User
) -> None:
    a = make(source, 40)
    b = make(source, 38, latitude=35.37)
    response = client_for(researcher).post(
        reverse("admin:incidents_incident_changelist"),
        {"action": "find_duplicates", "_selected_action": [a.pk, b.pk]},
        follow=True,
    )
    assert "1 possible duplicate pair(s) to review" in messages_of(response)[0]
    assert DuplicateCandidate.objects.filter(first=a, second=b).exists()


def test_roles_grant_every_permission_they_name(db: None) -> None:
    roles.ensure_role_groups(django_apps)
    for name, spec in (
        (roles.RESEARCHER, [roles.RESEARCHER_PERMISSIONS]),
        (roles.REVIEWER, [roles.RESEARCHER_PERMISSIONS, roles.REVIEWER_EXTRA_PERMISSIONS]),
    ):
        granted = set(
            Group.objects.get(name=name).permissions.values_list(
                "content_type__app_label", "codename"
            )
        )
        named = {
            (app, codename) for part in spec for app, codes in part.items() for codename in codes
        }
        assert granted == named
        assert ("incidents", "review_duplicatecandidate") in granted


def test_the_page_reads_a_constant_number_of_queries(source: Source, reviewer: User) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def pairs(n: int, start: int) -> int:
        for k in range(start, start + n):
            first = make(source, 40, latitude=34.0 + k * 0.5)
            make(source, 40, latitude=34.0 + k * 0.5 + 0.005)
            duplicates.flag_duplicates([first.pk])
        client = client_for(reviewer)
        client.get(URL)  # sessions and permissions warmed
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL)
        assert response.status_code == 200
        return len(queries)

    few = pairs(2, 0)
    assert DuplicateCandidate.objects.count() == 2
    many = pairs(4, 2)
    assert DuplicateCandidate.objects.count() == 6
    assert many == few

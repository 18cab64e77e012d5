"""The admin page "Draft incidents from an article", end to end with the test client."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from incidents import services
from incidents.models import Claim, Incident, Source, SourceKind, Status
from mapping.models import Place

URL = reverse("admin:incidents_incident_draft_from_article")
TEXT = (
    "Residents say the violence spread quickly.\n"
    "On Friday, at least 12 civilians were killed by government forces in the town of Baniyas.\n"
    "Around 7 people were killed in an airstrike on Idlib yesterday.\n"
    "Dozens of civilians were executed in Homs on Thursday."
)
ARTICLE = {
    "text": TEXT,
    "headline": "Killings on the coast",
    "publisher": "A test newspaper",
    "publication_date": "2025-03-08",
    "url": "https://news.example.org/coast",
    "language": "en",
    "kind": SourceKind.NEWS_ARTICLE,
    "episode": "",
}


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def step_one(client: Client, **changes: Any) -> Any:
    return client.post(URL, {"step": "1", **ARTICLE, **changes})


def step_two_data(response: Any, decisions: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """The proposals as the page shows them, with the researcher's changes."""
    formset = response.context["formset"]
    data: dict[str, Any] = {"step": "2", **ARTICLE}
    for key, value in formset.management_form.initial.items():
        data[f"proposal-{key}"] = value
    for index, form in enumerate(formset.forms):
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            if name == "perpetrator" and value is not None:
                value = getattr(value, "pk", value)
            if isinstance(value, bool):
                if value:
                    data[f"proposal-{index}-{name}"] = "on"
                continue
            data[f"proposal-{index}-{name}"] = "" if value is None else value
        for name, value in decisions.get(index, {}).items():
            data[f"proposal-{index}-{name}"] = value
    return data


def counts() -> tuple[int, int, int]:
    return Source.objects.count(), Incident.objects.count(), Claim.objects.count()


@pytest.fixture
def baniyas_incident(seeded: None, researcher: User) -> Incident:
    """A draft at Baniyas on 7 March, which a researcher may add claims to (the seed's
    own Baniyas incident, SY-2025-0009, is published: only reviewers may)."""
    baniyas = Place.objects.get(slug="baniyas")
    return services.incident_create(
        user=researcher,
        title="Killings in Baniyas",
        event_type="summary_execution",
        date_start=dt.date(2025, 3, 7),
        date_end=dt.date(2025, 3, 7),
        place=baniyas,
        latitude=baniyas.latitude,
        longitude=baniyas.longitude,
        place_name="Baniyas",
    )


def test_researcher_drafts_from_an_article(
    seeded: None, researcher: User, baniyas_incident: Incident
) -> None:
    client = client_for(researcher)
    assert client.get(URL).status_code == 200
    response = step_one(client)
    assert response.status_code == 200
    forms = response.context["formset"].forms
    assert [f.proposal.quote for f in forms] == [
        "On Friday, at least 12 civilians were killed by government forces in the town of Baniyas.",
        "Around 7 people were killed in an airstrike on Idlib yesterday.",
        "Dozens of civilians were executed in Homs on Thursday.",
    ]
    # The Baniyas report matches the incidents already recorded there, and the page says
    # so; the published one is shown, but only the draft is offered to a researcher.
    published = Incident.objects.get(public_id="SY-2025-0009")
    assert {i for i, _ in forms[0].matches} == {baniyas_incident, published}
    assert [value for value, _ in forms[0].fields["existing"].choices] == [
        "",
        str(baniyas_incident.pk),
    ]
    assert forms[0].initial["existing"] == str(baniyas_incident.pk)
    assert forms[0].initial["decision"] == "claim"
    assert forms[1].initial["decision"] == "accept"
    assert forms[2].initial["decision"] == "drop"  # no figure
    page = response.content.decode()
    assert '<mark class="figure">at least 12 civilians</mark>' in page
    assert '<mark class="place">Baniyas</mark>' in page
    assert "SY-2025-0009</a> (published: only a reviewer can add claims to it)" in page

    before_version = baniyas_incident.version
    data = step_two_data(
        response,
        {
            0: {"decision": "claim", "existing": str(baniyas_incident.pk)},
            1: {"decision": "accept", "title": "Airstrike on Idlib", "killed_max": "8"},
            2: {"decision": "drop"},
        },
    )
    response = client.post(URL, data)
    assert response.status_code == 200, [f.errors for f in response.context["formset"].forms]
    assert response.context["step"] == 3

    source = Source.objects.get(url=ARTICLE["url"])
    assert source.publisher == "A test newspaper"
    assert source.headline == "Killings on the coast"
    assert source.publication_date.isoformat() == "2025-03-08"
    assert source.content_hash == hashlib.sha256(TEXT.encode()).hexdigest()
    assert source.history.first().history_user == researcher

    draft = Incident.objects.get(title="Airstrike on Idlib")
    assert draft.status == Status.DRAFT
    assert draft.event_type == "airstrike"
    assert draft.place.slug == "idlib"
    assert draft.governorate.slug == "idlib-governorate"
    assert (draft.date_start.isoformat(), draft.date_end.isoformat()) == ("2025-03-07",) * 2
    assert draft.created_by == researcher
    assert draft.history.earliest().history_user == researcher
    claim = draft.claims.get()
    assert claim.source == source
    assert claim.quote == "Around 7 people were killed in an airstrike on Idlib yesterday."
    assert (claim.killed_min, claim.killed_max, claim.approximate) == (7, 8, True)
    assert claim.history.first().history_user == researcher
    assert (draft.killed_low, draft.killed_high) == (7, 8)

    added = baniyas_incident.claims.get(source=source)
    assert added.quote == (
        "On Friday, at least 12 civilians were killed by government forces in the town of Baniyas."
    )
    assert (added.killed_min, added.killed_max, added.civilians) == (12, None, 12)
    assert added.perpetrator.slug == "syrian-government-forces"
    assert added.history.first().history_user == researcher
    baniyas_incident.refresh_from_db()
    assert baniyas_incident.version > before_version
    assert baniyas_incident.status == Status.DRAFT
    assert baniyas_incident.killed_low == 12
    assert list(baniyas_incident.attributions.values_list("actor__slug", flat=True)) == [
        "syrian-government-forces"
    ]
    assert not Incident.objects.filter(place__slug="homs").exists()  # dropped

    page = response.content.decode()
    assert reverse("admin:incidents_incident_change", args=[draft.pk]) in page
    assert reverse("admin:incidents_incident_change", args=[baniyas_incident.pk]) in page


def test_a_reviewer_adds_a_claim_to_a_published_incident(seeded: None, reviewer: User) -> None:
    published = Incident.objects.get(public_id="SY-2025-0009")
    client = client_for(reviewer)
    response = step_one(client)
    assert response.context["formset"].forms[0].initial["existing"] == str(published.pk)
    data = step_two_data(response, {1: {"decision": "drop"}})
    response = client.post(URL, data)
    assert response.context["step"] == 3
    claim = published.claims.get(source__url=ARTICLE["url"])
    assert claim.history.first().history_user == reviewer
    published.refresh_from_db()
    assert published.status == Status.PUBLISHED  # a claim does not change its status
    # the attribution it already had keeps its confidence
    assert published.attributions.get(actor__slug="syrian-government-forces").confidence == (
        "alleged"
    )


def test_a_researcher_cannot_add_to_a_published_incident(seeded: None, researcher: User) -> None:
    published = Incident.objects.get(public_id="SY-2025-0009")
    client = client_for(researcher)
    response = step_one(client)
    data = step_two_data(response, {0: {"decision": "claim", "existing": str(published.pk)}})
    before = counts()
    response = client.post(URL, data)
    assert response.status_code == 400
    assert "existing" in response.context["formset"].forms[0].errors
    assert counts() == before


def test_a_source_with_the_same_url_is_reused(seeded: None, researcher: User) -> None:
    existing = services.source_create(
        user=None,
        slug="already-there",
        headline="The same article",
        url=ARTICLE["url"],
        kind=SourceKind.NEWS_ARTICLE,
    )
    client = client_for(researcher)
    response = step_one(client)
    data = step_two_data(response, {0: {"decision": "drop"}, 1: {"decision": "accept"}})
    response = client.post(URL, data)
    assert response.context["step"] == 3
    assert Source.objects.filter(url=ARTICLE["url"]).count() == 1
    assert Incident.objects.get(place__slug="idlib").claims.get().source == existing


def test_a_form_error_writes_nothing(seeded: None, researcher: User) -> None:
    client = client_for(researcher)
    response = step_one(client)
    before = counts()
    data = step_two_data(
        response,
        {
            0: {"decision": "accept", "killed_min": "12", "killed_max": "3"},
            1: {"decision": "accept", "title": ""},
        },
    )
    response = client.post(URL, data)
    assert response.status_code == 400
    forms = response.context["formset"].forms
    assert forms[0].errors["killed_max"] == ["The maximum cannot be below the minimum."]
    assert forms[1].errors["title"] == ["Give the new incident a title."]
    assert counts() == before


def test_an_error_from_the_services_writes_nothing(seeded: None, researcher: User) -> None:
    """The first proposal is valid; the second fails the model's own rules: neither, nor
    the source, is saved."""
    client = client_for(researcher)
    response = step_one(client)
    before = counts()
    data = step_two_data(
        response,
        {
            0: {"decision": "accept"},
            1: {"decision": "accept", "date_start": "2999-01-01", "date_end": "2999-01-02"},
        },
    )
    response = client.post(URL, data)
    assert response.status_code == 400
    errors = response.context["formset"].forms[1].errors
    assert "The start date cannot be in the future." in errors["date_start"]
    assert counts() == before


def test_an_unknown_place_or_a_missing_match_is_refused(seeded: None, researcher: User) -> None:
    client = client_for(researcher)
    response = step_one(client)
    data = step_two_data(
        response,
        {
            0: {"decision": "claim", "existing": ""},
            1: {"decision": "accept", "place_other": "Nowhere-on-any-map-qqq"},
        },
    )
    before = counts()
    response = client.post(URL, data)
    assert response.status_code == 400
    forms = response.context["formset"].forms
    assert forms[0].errors["existing"] == ["Choose the incident to add this claim to."]
    assert "has no place called" in forms[1].errors["place_other"][0]
    assert counts() == before


def test_the_article_form_checks_its_fields(seeded: None, researcher: User) -> None:
    client = client_for(researcher)
    response = step_one(client, headline="", publication_date="2999-01-01", url="not a url")
    assert response.status_code == 400
    errors = response.context["article_form"].errors
    assert errors["headline"] == ["This field is required."]
    assert errors["publication_date"] == ["The publication date cannot be in the future."]
    assert "url" in errors
    assert Source.objects.filter(headline="").count() == 0


def test_dropping_everything_saves_nothing(seeded: None, researcher: User) -> None:
    client = client_for(researcher)
    response = step_one(client)
    before = counts()
    data = step_two_data(response, {0: {"decision": "drop"}, 1: {"decision": "drop"}})
    response = client.post(URL, data)
    assert response.status_code == 400
    assert "Accept at least one proposal" in response.content.decode()
    assert counts() == before


def test_who_may_draft(seeded: None, researcher: User, reviewer: User) -> None:
    assert Client().get(URL).status_code == 302  # to the login page
    onlooker = User.objects.create_user("onlooker", password="pw", is_staff=True)
    assert client_for(onlooker).get(URL).status_code == 403
    assert client_for(onlooker).post(URL, {"step": "1", **ARTICLE}).status_code == 403
    assert Source.objects.filter(url=ARTICLE["url"]).count() == 0
    for user in (researcher, reviewer):
        client = client_for(user)
        assert client.get(URL).status_code == 200
        for page in (reverse("admin:index"), reverse("admin:incidents_incident_changelist")):
            assert URL in client.get(page).content.decode()
    assert URL not in client_for(onlooker).get(reverse("admin:index")).content.decode()

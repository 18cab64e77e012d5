"""The drafting page does not make a duplicate by default: a proposal whose incident is
already recorded defaults to adding its claim to it, or, when only a reviewer may do
that, to dropping it; never to a new draft."""

from __future__ import annotations

from incidents.models import Incident

from .test_drafting_admin import client_for, step_one


def test_a_proposal_found_published_defaults_to_drop_for_a_researcher(seeded, researcher):
    response = step_one(client_for(researcher))
    baniyas = response.context["formset"].forms[0]
    published = Incident.objects.get(public_id="SY-2025-0009")
    assert [incident for incident, _ in baniyas.matches] == [published]
    assert baniyas.initial["decision"] == "drop"
    page = response.content.decode()
    assert "only a reviewer can add claims to it" in page
    # A proposal that matches nothing is still offered as a new draft.
    assert response.context["formset"].forms[1].initial["decision"] == "accept"


def test_a_proposal_found_defaults_to_adding_its_claim_for_a_reviewer(seeded, reviewer):
    response = step_one(client_for(reviewer))
    baniyas = response.context["formset"].forms[0]
    published = Incident.objects.get(public_id="SY-2025-0009")
    assert baniyas.initial["decision"] == "claim"
    assert baniyas.initial["existing"] == str(published.pk)

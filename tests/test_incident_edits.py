"""An edit of an incident is one transaction: one version check, one history entry.

A PATCH (or an admin save) that changes fields, victim groups and figures together is
applied whole or not at all, and never writes back over what another editor committed.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents import services
from incidents.models import FigureRule, Incident, VictimGroup

from .test_admin import _form

API = "/api/v1"


def _patch(client, incident: Incident, body: dict, version: int | None = None):
    return client.patch(
        f"{API}/incidents/{incident.public_id}/",
        body,
        content_type="application/json",
        HTTP_IF_MATCH=f'"{incident.version if version is None else version}"',
    )


@pytest.fixture
def victim_group(db: None) -> VictimGroup:
    return services.victim_group_get_or_create(slug="civilians", name="Civilians")


def test_a_patch_refused_at_its_figures_changes_nothing(client, researcher, incident):
    client.force_login(researcher)
    before = Incident.objects.get(pk=incident.pk)
    history = incident.history.count()
    response = _patch(
        client,
        incident,
        {
            "title_ar": "عنوان جديد",
            "figure_rule": "manual",
            # Out of order: the database and the model refuse it.
            "figures": {"killed_low": 10, "killed_best": 5, "killed_high": 20},
            "figure_rationale": "Hospital lists.",
        },
    )
    assert response.status_code == 400, response.content
    after = Incident.objects.get(pk=incident.pk)
    assert after.title_ar == before.title_ar
    assert after.version == before.version
    assert after.figure_rule == before.figure_rule
    assert incident.history.count() == history


def test_a_patch_of_fields_groups_and_figures_is_one_version_and_one_history_entry(
    client, researcher, incident, victim_group
):
    client.force_login(researcher)
    history = incident.history.count()
    response = _patch(
        client,
        incident,
        {
            "title": "Shelling of the market, revised",
            "victim_groups": ["civilians"],
            "figure_rule": "manual",
            # A partial breakdown: what is left out is unknown.
            "figures": {"killed_low": 10, "killed_best": 12, "killed_high": 20, "children": 3},
            "figure_rationale": "Hospital lists name twelve.",
        },
    )
    assert response.status_code == 200, response.content
    after = Incident.objects.get(pk=incident.pk)
    assert after.version == incident.version + 1
    assert response["ETag"] == f'"{after.version}"'
    assert after.title == "Shelling of the market, revised"
    assert (after.killed_low, after.killed_best, after.killed_high) == (10, 12, 20)
    assert (after.children, after.women) == (3, None)
    assert list(after.victim_groups.values_list("slug", flat=True)) == ["civilians"]
    assert incident.history.count() == history + 1
    entry = incident.history.first()
    assert entry.history_user == researcher and entry.title == after.title
    assert entry.killed_best == 12


def test_a_stale_patch_is_412_and_changes_nothing(client, researcher, incident):
    client.force_login(researcher)
    seen = incident.version
    services.incident_update(
        incident=incident, user=researcher, expected_version=seen, summary="Another editor."
    )
    response = _patch(
        client,
        incident,
        {"title": "Mine", "figure_rule": "manual", "figures": {}, "figure_rationale": "x"},
        version=seen,
    )
    assert response.status_code == 412
    after = Incident.objects.get(pk=incident.pk)
    assert (after.title, after.figure_rule, after.version) == (
        incident.title,
        FigureRule.RANGE_OF_CLAIMS,
        seen + 1,
    )


def test_setting_figures_never_writes_back_a_stale_copy(researcher, incident):
    # An editor's copy read before another editor's change: writing its figures without a
    # version check must still keep that change.
    stale = Incident.objects.get(pk=incident.pk)
    services.incident_update(
        incident=incident,
        user=researcher,
        expected_version=incident.version,
        summary="Written in between.",
    )
    services.incident_set_figures(
        incident=stale,
        user=researcher,
        expected_version=None,
        rule=FigureRule.MANUAL,
        figures={"killed_low": 1, "killed_best": 2, "killed_high": 3},
        rationale="A list of names.",
    )
    after = Incident.objects.get(pk=incident.pk)
    assert after.summary == "Written in between."
    assert after.killed_best == 2
    assert after.version == incident.version + 1


def test_an_admin_save_of_fields_and_figures_is_one_version_and_one_history_entry(
    client, researcher, incident, source
):
    client.force_login(researcher)
    claim = incident.claims.get()
    claims = [
        {
            "id": claim.pk,
            "incident": incident.pk,
            "killed_min": "12",
            "quote": claim.quote,
            "attributed_to": "",
        }
    ]
    history = incident.history.count()
    response = client.post(
        reverse("admin:incidents_incident_change", args=[incident.pk]),
        _form(
            source,
            claims,
            expected_version=incident.version,
            title="Revised in the admin",
            figure_rule="manual",
            killed_low="10",
            killed_best="11",
            killed_high="14",
            figure_rationale="Hospital lists name eleven.",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    after = Incident.objects.get(pk=incident.pk)
    assert after.title == "Revised in the admin" and after.killed_best == 11
    assert after.version == incident.version + 1
    assert incident.history.count() == history + 1

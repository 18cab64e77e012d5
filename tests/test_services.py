"""The write services: claims, reconciliation, workflow, permissions, versions, history."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from incidents import services
from incidents.models import FigureRule, Incident, Status

from .conftest import incident_fields


def test_create_assigns_sequential_public_ids_and_reconciles_claims(
    source, news_source, researcher
):
    first = services.incident_create(
        user=researcher,
        claims=[
            {"source": source, "killed_min": 125, "quote": "at least 125 civilians"},
            {"source": news_source, "killed_min": 134, "quote": "at least 134"},
        ],
        **incident_fields(),
    )
    second = services.incident_create(user=researcher, **incident_fields(title="Another"))
    assert first.public_id == "SY-2025-0001"
    assert second.public_id == "SY-2025-0002"
    # Two floors and no ceiling: the high stays open (never 134).
    assert (first.killed_low, first.killed_best, first.killed_high) == (125, 125, None)
    assert first.killed_high_open
    assert first.status == Status.DRAFT
    assert first.created_by == researcher
    assert second.killed_low is None


def test_public_ids_keep_counting_past_ids_given_by_an_import(source):
    services.incident_create(user=None, public_id="SY-2025-0041", **incident_fields())
    nxt = services.incident_create(user=None, **incident_fields())
    assert nxt.public_id == "SY-2025-0042"
    with pytest.raises(ValidationError) as error:
        services.incident_create(user=None, public_id="SY-2025-0041", **incident_fields())
    assert "public_id" in error.value.message_dict


def test_public_ids_number_by_year_of_the_start_date(db):
    old = services.incident_create(
        user=None,
        **incident_fields(date_start=dt.date(2024, 12, 30), date_end=dt.date(2025, 1, 2)),
    )
    assert old.public_id == "SY-2024-0001"


def test_adding_and_editing_claims_recomputes_the_range(incident, news_source, researcher):
    claim = services.claim_add(
        incident=incident,
        user=researcher,
        source=news_source,
        killed_min=20,
        killed_max=25,
        quote="between 20 and 25 people",
    )
    incident.refresh_from_db()
    # The fixture's claim is "at least 12": the high stays open beside "20 to 25".
    assert (incident.killed_low, incident.killed_best, incident.killed_high) == (12, 12, None)
    services.claim_update(claim=claim, user=researcher, killed_min=8, killed_max=10)
    incident.refresh_from_db()
    assert (incident.killed_low, incident.killed_best, incident.killed_high) == (8, 9, None)
    first = incident.claims.exclude(pk=claim.pk).get()
    services.claim_update(claim=first, user=researcher, killed_max=12)  # now exactly 12
    incident.refresh_from_db()
    assert (incident.killed_low, incident.killed_best, incident.killed_high) == (8, 9, 12)
    assert not incident.killed_high_open
    services.claim_remove(claim=claim, user=researcher)
    incident.refresh_from_db()
    assert (incident.killed_low, incident.killed_best, incident.killed_high) == (12, 12, 12)


def test_a_claim_needs_a_quote_and_an_ordered_range(incident, news_source, researcher):
    with pytest.raises(ValidationError) as error:
        services.claim_add(
            incident=incident, user=researcher, source=news_source, killed_min=3, quote="  "
        )
    assert "quote" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.claim_add(
            incident=incident,
            user=researcher,
            source=news_source,
            killed_min=9,
            killed_max=3,
            quote="q",
        )
    assert "killed_max" in error.value.message_dict
    assert incident.claims.count() == 1


def test_manual_override_needs_a_rationale_and_survives_new_claims(incident, news_source, reviewer):
    with pytest.raises(ValidationError) as error:
        services.incident_set_figures(
            incident=incident,
            user=reviewer,
            expected_version=incident.version,
            rule=FigureRule.MANUAL,
            figures={"killed_low": 10, "killed_best": 11, "killed_high": 14},
            rationale="",
        )
    assert "figure_rationale" in error.value.message_dict
    incident.refresh_from_db()
    services.incident_set_figures(
        incident=incident,
        user=reviewer,
        expected_version=incident.version,
        rule=FigureRule.MANUAL,
        figures={"killed_low": 10, "killed_best": 11, "killed_high": 14},
        rationale="Hospital list names 11 dead; two more unconfirmed.",
    )
    services.claim_add(
        incident=incident, user=reviewer, source=news_source, killed_min=50, quote="50 dead"
    )
    incident.refresh_from_db()
    assert (incident.killed_low, incident.killed_best, incident.killed_high) == (10, 11, 14)
    services.incident_set_figures(
        incident=incident,
        user=reviewer,
        expected_version=incident.version,
        rule=FigureRule.SOURCE_HIERARCHY,
    )
    incident.refresh_from_db()
    # Monitor report ("at least 12") outranks the news article (50): 12 or more.
    assert (incident.killed_low, incident.killed_best, incident.killed_high) == (12, 12, None)
    assert incident.killed_high_open
    assert incident.figure_rationale == ""


def test_manual_figures_must_be_ordered(incident, reviewer):
    with pytest.raises(ValidationError) as error:
        services.incident_set_figures(
            incident=incident,
            user=reviewer,
            expected_version=incident.version,
            rule=FigureRule.MANUAL,
            figures={"killed_low": 10, "killed_best": 9, "killed_high": 14},
            rationale="because",
        )
    assert "killed_best" in error.value.message_dict


def test_workflow_researcher_submits_reviewer_publishes_and_retracts(
    incident, researcher, reviewer
):
    services.incident_submit_for_review(incident=incident, user=researcher)
    assert incident.status == Status.IN_REVIEW
    with pytest.raises(PermissionDenied):
        services.incident_publish(incident=incident, user=researcher)
    services.incident_publish(incident=incident, user=reviewer)
    incident.refresh_from_db()
    assert incident.status == Status.PUBLISHED and incident.published_at is not None
    with pytest.raises(PermissionDenied):
        services.incident_retract(incident=incident, user=researcher, reason="wrong")
    with pytest.raises(ValidationError):
        services.incident_retract(incident=incident, user=reviewer, reason=" ")
    services.incident_retract(incident=incident, user=reviewer, reason="Duplicate of SY-2025-0009")
    incident.refresh_from_db()
    assert incident.status == Status.RETRACTED
    assert incident.retraction_reason == "Duplicate of SY-2025-0009"


def test_an_incident_without_claims_or_point_cannot_go_to_review(researcher, reviewer):
    bare = services.incident_create(
        user=researcher, **incident_fields(latitude=None, longitude=None)
    )
    with pytest.raises(ValidationError) as error:
        services.incident_submit_for_review(incident=bare, user=researcher)
    messages = " ".join(error.value.messages)
    assert "no location" in messages and "no claims" in messages
    with pytest.raises(ValidationError):
        services.incident_publish(incident=bare, user=reviewer)


def test_researchers_cannot_edit_published_incidents_but_reviewers_can(
    incident, researcher, reviewer
):
    services.incident_publish(incident=incident, user=reviewer)
    with pytest.raises(PermissionDenied):
        services.incident_update(
            incident=incident, user=researcher, expected_version=incident.version, title="x"
        )
    services.incident_update(
        incident=incident, user=reviewer, expected_version=incident.version, title="Fixed"
    )
    assert Incident.objects.get(pk=incident.pk).title == "Fixed"


def test_a_stale_version_is_refused_and_changes_nothing(incident, researcher):
    read_version = incident.version
    services.incident_update(
        incident=incident, user=researcher, expected_version=read_version, title="First"
    )
    stale = Incident.objects.get(pk=incident.pk)
    stale.version = read_version  # what the second editor had read
    with pytest.raises(services.ConcurrentEditError):
        services.incident_update(
            incident=stale, user=researcher, expected_version=read_version, title="Second"
        )
    assert Incident.objects.get(pk=incident.pk).title == "First"


def test_update_refuses_status_and_unknown_fields(incident, researcher):
    with pytest.raises(ValidationError) as error:
        services.incident_update(
            incident=incident,
            user=researcher,
            expected_version=incident.version,
            status="published",
        )
    assert "status" in error.value.message_dict


def test_future_dates_and_reversed_ranges_are_refused(researcher):
    future = dt.date.today() + dt.timedelta(days=3)
    with pytest.raises(ValidationError) as error:
        services.incident_create(
            user=researcher, **incident_fields(date_start=future, date_end=future)
        )
    assert {"date_start", "date_end"} <= set(error.value.message_dict)
    with pytest.raises(ValidationError) as error:
        services.incident_create(
            user=researcher,
            **incident_fields(date_start=dt.date(2025, 3, 8), date_end=dt.date(2025, 3, 7)),
        )
    assert "date_end" in error.value.message_dict
    assert Incident.objects.count() == 0


def test_every_change_is_in_the_history_with_its_user(incident, researcher, reviewer):
    services.incident_update(
        incident=incident, user=researcher, expected_version=incident.version, title="Renamed"
    )
    services.incident_publish(incident=incident, user=reviewer)
    records = list(incident.history.order_by("history_date"))
    assert records[0].history_user == researcher
    assert records[-1].history_user == reviewer
    assert records[-1].history_change_reason == "Published"
    assert records[-1].status == Status.PUBLISHED
    renamed = next(r for r in records if r.title == "Renamed")
    delta = renamed.diff_against(renamed.prev_record)
    assert "title" in delta.changed_fields
    claim_history = incident.claims.first().history.first()
    assert claim_history.history_user == researcher

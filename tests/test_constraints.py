"""The database itself refuses rows that break the domain's invariants.

Rows are written with ``QuerySet.update`` or ``save`` without validation, as a careless
script or import would, and the database must reject them.
"""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from incidents.models import Claim, Episode, Incident, Status
from mapping.models import Place


def _rejects(queryset, **values):
    with pytest.raises(IntegrityError), transaction.atomic():
        queryset.update(**values)


@pytest.mark.parametrize(
    "values",
    [
        {"latitude": 91},
        {"latitude": -90.5},
        {"longitude": 180.01},
        {"longitude": -181},
        {"latitude": None},  # longitude alone
        {"date_end": dt.date(2025, 3, 6)},  # before date_start
        {"killed_low": 20},  # low above best (12)
        {"killed_best": 30, "killed_high": 12, "killed_high_open": False},  # best above high
        {"killed_high": 12},  # a high while the high is open ("at least 12")
        {"killed_high_open": False},  # no high, and not said to be open
        {"killed_low": None, "killed_best": None},  # open, but no low and best
        {"killed_low": None},  # incomplete range
        {"figure_rule": "manual", "figure_rationale": ""},
        {"status": Status.RETRACTED, "retraction_reason": ""},
        {"version": 0},
        {"title": ""},
    ],
)
def test_incident_rows_breaking_an_invariant_are_rejected(incident, values):
    _rejects(Incident.objects.filter(pk=incident.pk), **values)
    incident.refresh_from_db()
    assert incident.killed_low == 12 and incident.latitude == 35.36


def test_negative_figures_are_rejected(incident):
    for field in ["killed_low", "children", "civilians", "combatants"]:
        with pytest.raises(IntegrityError), transaction.atomic():
            Incident.objects.filter(pk=incident.pk).update(**{field: -1})


def test_a_published_incident_needs_a_point(incident):
    Incident.objects.filter(pk=incident.pk).update(status=Status.PUBLISHED)
    _rejects(Incident.objects.filter(pk=incident.pk), latitude=None, longitude=None)


@pytest.mark.parametrize(
    "values",
    [
        {"killed_min": -1},
        {"killed_min": 10, "killed_max": 5},
        {"killed_min": None, "killed_max": 5},
        {"figure_kind": "exact"},  # "at least 12" has no maximum
        {"figure_kind": "vague"},  # a vague claim has no figure
        {"figure_kind": "range", "killed_max": 12},  # a range runs to a higher figure
        {"figure_kind": "up_to", "killed_max": 20},  # up to: from 0
        {"figure_kind": "around", "killed_max": 12},  # around: approximate
        {"quote": ""},
        {"children": -3},
    ],
)
def test_claim_rows_breaking_an_invariant_are_rejected(incident, values):
    _rejects(Claim.objects.filter(incident=incident), **values)


def test_episode_dates_must_be_ordered(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Episode.objects.create(
            slug="e", title="E", date_start=dt.date(2025, 3, 8), date_end=dt.date(2025, 3, 6)
        )


def test_place_coordinates_must_be_on_earth(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Place.objects.create(
            slug="p",
            name="P",
            kind="village",
            latitude=95,
            longitude=36,
            origin="curated",
            origin_note="A test entry.",
        )

"""Building the incident filters for a request is cheap: no copy of every declared filter,
no form class built afresh, no query to check parameters that were not given.

Every incident read (list, exports, statistics, map) builds ``IncidentFilter``; its time
per request is measured by ``bench/filterset_bench.py``. Here: what makes it cheap, and
that each request's filters are still its own.
"""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.http import QueryDict
from django.test import RequestFactory
from rest_framework.request import Request

from incidents.api.filters import IncidentFilter
from incidents.models import Incident

QUERY = "bbox=35.5,32.3,42.5,37.4&date_to=2025-12-31&event_type=shelling,airstrike&killed_min=1"


def _filterset(query: str = QUERY) -> IncidentFilter:
    request = Request(RequestFactory().get(f"/api/v1/incidents/?{query}"))
    request.user = AnonymousUser()
    return IncidentFilter(data=QueryDict(query), queryset=Incident.objects.all(), request=request)


def test_parameters_that_name_no_record_are_checked_without_a_query(db, django_assert_num_queries):
    filterset = _filterset()
    with django_assert_num_queries(0):
        assert filterset.is_valid(), filterset.errors
        str(filterset.qs.query)


def test_the_form_class_is_built_once(db):
    assert _filterset().get_form_class() is _filterset().get_form_class()


def test_each_filter_set_has_filters_of_its_own(db):
    first, second = _filterset(), _filterset()
    for name, declared in IncidentFilter.base_filters.items():
        assert (
            first.filters[name] is not declared and first.filters[name] is not second.filters[name]
        )
        assert first.filters[name].parent is first and second.filters[name].parent is second
    # A filter backed by a method calls it on its own filter set.
    assert first.filters["perpetrator"].filter.method.__self__ is first
    assert second.filters["q"].filter.method.__self__ is second


def test_a_slug_is_still_checked_against_what_the_reader_may_see(seeded):
    filterset = _filterset("perpetrator=no-such-actor")
    assert not filterset.is_valid()
    assert "perpetrator" in filterset.errors


class _EveryFieldFilter(IncidentFilter):
    """The filters as they were: a form holding a copy of every declared field."""

    def get_form_class(self):
        built = super().get_form_class()

        class EveryField(built):
            def __init__(self, data=None, *args, **kwargs) -> None:
                forms.Form.__init__(self, data, *args, **kwargs)

        return EveryField


def test_a_form_copies_only_the_fields_given(db):
    assert set(_filterset().form.fields) == {"bbox", "date_to", "event_type", "killed_min"}
    assert set(_filterset("").form.fields) == set()


@pytest.mark.parametrize(
    "query",
    [
        "",
        QUERY,
        "date_from=2025-03-06&date_to=2025-03-10&grade=confirmed,fair",
        "perpetrator=no-such-actor&date_from=2025-03-10&date_to=2025-03-01",
        "killed_min=9&killed_max=2&bbox=1,2,3",
        "governorate=latakia&perpetrator_confidence=probable&status=published",
        "perpetrator_confidence=confirmed&q=Baniyas&updated_since=2025-01-01T00:00:00Z",
        "event_type=nonsense&location_precision=settlement,district&external_id=acled:X1",
        "source=no-such-source&episode=no-such-episode&district=no-such-district",
    ],
)
def test_filters_given_alone_validate_and_filter_as_with_every_field(seeded, reviewer, query):
    for user in (AnonymousUser(), reviewer):
        request = Request(RequestFactory().get(f"/api/v1/incidents/?{query}"))
        request.user = user
        sets = [
            kind(data=QueryDict(query), queryset=Incident.objects.all(), request=request)
            for kind in (IncidentFilter, _EveryFieldFilter)
        ]
        assert sets[0].is_valid() == sets[1].is_valid()
        assert sets[0].errors == sets[1].errors
        if sets[0].is_valid():
            assert str(sets[0].qs.query) == str(sets[1].qs.query)
            assert list(sets[0].qs.values_list("pk", flat=True)) == list(
                sets[1].qs.values_list("pk", flat=True)
            )

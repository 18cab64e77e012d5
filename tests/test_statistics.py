"""The statistics: one pass over the filtered incidents (GROUPING SETS on PostgreSQL, one
GROUP BY a breakdown on SQLite) gives the same figures as the plain per-breakdown
aggregates it replaced, on the seed and on a generated set with filters; ``breakdown``
asks for some breakdowns only."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qsl

import pytest
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from rest_framework.test import APIClient

from incidents import services
from incidents.imports import geojson
from incidents.models import (
    Actor,
    Attribution,
    Episode,
    Incident,
    PublishedStatisticsSum,
    Status,
)
from incidents.readmodel import mapcells, statsums
from incidents.reconciliation import high_or_best, open_highs
from incidents.selectors import episode_summary
from incidents.statistics import BREAKDOWNS
from mapping.models import Place, PlaceKind
from tests.conftest import incident_fields
from tests.test_round_trip import export, wipe

API = "/api/v1"

_SUMS = {
    "killed_high": Sum(high_or_best()),
    "killed_high_open": open_highs(),
    "incidents": Count("id"),
    "killed_low": Sum("killed_low"),
    "killed_best": Sum("killed_best"),
}
_FIGURES = ("incidents", "killed_low", "killed_best", "killed_high", "killed_high_open")


def _figures(row: dict[str, Any]) -> dict[str, int]:
    return {name: row.get(name) or 0 for name in _FIGURES}


def reference(incidents) -> dict[str, Any]:
    """The figures as the plain aggregates compute them, one query per breakdown (the
    statistics' former implementation, without the episodes' reported aggregates)."""
    incidents = incidents.order_by()
    attributed = Attribution.objects.filter(incident__in=incidents.values("pk")).order_by()
    return {
        "totals": _figures(incidents.aggregate(**_SUMS)),
        "by_day": [
            {"date": row["date_start"].isoformat(), **_figures(row)}
            for row in incidents.values("date_start").annotate(**_SUMS).order_by("date_start")
        ],
        # Ties in one order on both databases (a NULL sum is 0, no governorate last).
        "by_governorate": sorted(
            (
                {
                    "governorate": row["governorate__slug"],
                    "name": row["governorate__name"],
                    "name_ar": row["governorate__name_ar"],
                    **_figures(row),
                }
                for row in incidents.values(
                    "governorate__slug", "governorate__name", "governorate__name_ar"
                ).annotate(**_SUMS)
            ),
            key=lambda r: (-r["killed_best"], r["governorate"] is None, r["governorate"] or ""),
        ),
        "by_event_type": [
            {"event_type": row["event_type"], **_figures(row)}
            for row in incidents.values("event_type").annotate(**_SUMS).order_by("event_type")
        ],
        "by_perpetrator": [
            {
                "actor": row["actor__slug"],
                "name": row["actor__name"],
                "name_ar": row["actor__name_ar"],
                **_figures(row),
            }
            for row in attributed.values("actor__slug", "actor__name", "actor__name_ar")
            .annotate(
                incidents=Count("incident_id"),
                killed_low=Sum("incident__killed_low"),
                killed_best=Sum("incident__killed_best"),
                killed_high=Sum(high_or_best("incident__")),
                killed_high_open=open_highs("incident__"),
            )
            .order_by(Coalesce("killed_best", 0).desc(), "actor__slug")
        ],
        "episodes": {
            Episode.objects.get(pk=row["episode"]).slug: _figures(row)
            for row in incidents.exclude(episode=None).values("episode").annotate(**_SUMS)
        },
    }


def _comparable(answer: dict[str, Any]) -> dict[str, Any]:
    answer = {key: value for key, value in answer.items() if key != "notes"}
    if "episodes" in answer:
        answer["episodes"] = {e["episode"]: e["incidents_in_view"] for e in answer["episodes"]}
    return answer


def _generate(count: int = 300, seed: int = 17) -> None:
    """Incidents of every status, some without a governorate, a figure or an open high,
    some in the seed's episode, each held against none, one or two actors."""
    rng = random.Random(seed)
    governorates = list(Place.objects.filter(kind=PlaceKind.GOVERNORATE))
    actors = list(Actor.objects.all())
    episode = Episode.objects.first()
    statuses = [Status.PUBLISHED] * 6 + [Status.DRAFT, Status.IN_REVIEW, Status.RETRACTED]
    incidents = []
    for n in range(count):
        start = date(2025, 2, 20) + timedelta(days=rng.randrange(40))
        best = rng.choice([None, 0, 1, 3, 12, 40])
        open_high = best is not None and rng.random() < 0.2
        incidents.append(
            Incident(
                public_id=f"SY-2025-{9000 + n}",
                title=f"Generated {n}",
                event_type=rng.choice(["shelling", "airstrike", "summary_execution", "massacre"]),
                date_start=start,
                date_end=start + timedelta(days=rng.choice([0, 0, 1, 4])),
                latitude=35.1,
                longitude=36.0,
                governorate=rng.choice([*governorates, None]),
                episode=episode if rng.random() < 0.3 else None,
                killed_low=None if best is None else max(0, best - 1),
                killed_best=best,
                killed_high=None if best is None or open_high else best + 2,
                killed_high_open=open_high,
                status=(status := rng.choice(statuses)),
                retraction_reason="Generated." if status == Status.RETRACTED else "",
            )
        )
    Incident.objects.bulk_create(incidents)
    attributions = []
    for incident in Incident.objects.filter(public_id__startswith="SY-2025-9"):
        for actor in rng.sample(actors, rng.choice([0, 1, 1, 2])):
            attributions.append(Attribution(incident=incident, actor=actor))
    Attribution.objects.bulk_create(attributions)
    mapcells.rebuild()  # as every bulk writer does: the longest span, the cells


FILTERS = [
    "",
    "date_from=2025-03-01&date_to=2025-03-31",
    "date_from=2025-03-07",
    "governorate=latakia-governorate",
    "event_type=shelling,massacre",
    "perpetrator=__first_actor__",
    "killed_min=3&date_to=2025-03-10",
]


def _query(filters: str) -> str:
    if "__first_actor__" in filters:
        filters = filters.replace("__first_actor__", Actor.objects.order_by("slug")[0].slug)
    return filters


@pytest.mark.django_db
def test_the_one_pass_equals_the_plain_aggregates_on_the_seed(seeded):
    answer = APIClient().get(f"{API}/statistics/").json()
    expected = reference(Incident.objects.filter(status=Status.PUBLISHED))
    assert _comparable(answer) == expected
    assert answer["totals"]["incidents"] > 0 and answer["by_perpetrator"]
    assert answer["episodes"][0]["reported_aggregates"]
    # The episode's own incidents, summed from the sums, as the episode's page gives them.
    episode = Episode.objects.get(slug=answer["episodes"][0]["episode"])
    summary = episode_summary(episode=episode, user=None)
    assert answer["episodes"][0]["incidents_in_episode"] == {
        "incidents": summary.incident_count,
        "killed_low": summary.killed_low,
        "killed_best": summary.killed_best,
        "killed_high": summary.killed_high,
        "killed_high_open": summary.killed_high_open,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("filters", FILTERS)
def test_the_one_pass_equals_the_plain_aggregates_with_filters(seeded, filters):
    _generate()
    filters = _query(filters)
    answer = APIClient().get(f"{API}/statistics/?{filters}").json()
    shown = Incident.objects.filter(status=Status.PUBLISHED)
    expected = reference(
        Incident.objects.filter(pk__in=[i.pk for i in shown if _matches(i, filters)])
    )
    assert _comparable(answer) == expected
    assert answer["totals"]["incidents"] > 0


def _matches(incident: Incident, filters: str) -> bool:
    params = dict(part.split("=", 1) for part in filters.split("&") if part)
    if "date_from" in params and incident.date_end < date.fromisoformat(params["date_from"]):
        return False
    if "date_to" in params and incident.date_start > date.fromisoformat(params["date_to"]):
        return False
    if "governorate" in params and (
        incident.governorate is None
        or incident.governorate.slug not in params["governorate"].split(",")
    ):
        return False
    if "event_type" in params and incident.event_type not in params["event_type"].split(","):
        return False
    if "perpetrator" in params:
        actor = Actor.objects.get(slug=params["perpetrator"])
        named = set(incident.attributions.values_list("actor_id", flat=True))
        affiliated = {actor.pk, *Actor.objects.filter(parent=actor).values_list("pk", flat=True)}
        if not named & affiliated:
            return False
    return "killed_min" not in params or (incident.killed_best or 0) >= int(params["killed_min"])


@pytest.mark.django_db
def test_unpublished_incidents_never_count_for_anonymous_readers(seeded):
    _generate()
    answer = APIClient().get(f"{API}/statistics/").json()
    published = Incident.objects.filter(status=Status.PUBLISHED)
    assert answer["totals"]["incidents"] == published.count()
    assert Incident.objects.exclude(status=Status.PUBLISHED).exists()


@pytest.mark.django_db
def test_one_breakdown_only(seeded):
    client = APIClient()
    full = client.get(f"{API}/statistics/").json()
    assert set(full) == {"totals", *BREAKDOWNS, "notes"}
    days = client.get(f"{API}/statistics/?breakdown=by_day").json()
    assert set(days) == {"totals", "by_day", "notes"}
    assert days["by_day"] == full["by_day"] and days["totals"] == full["totals"]
    two = client.get(f"{API}/statistics/?breakdown=by_perpetrator,episodes").json()
    assert set(two) == {"totals", "by_perpetrator", "episodes", "notes"}
    assert two["by_perpetrator"] == full["by_perpetrator"]
    assert two["episodes"] == full["episodes"] and two["totals"] == full["totals"]
    for name in BREAKDOWNS:
        one = client.get(f"{API}/statistics/?breakdown={name}&status=published").json()
        assert one[name] == full[name] and one["totals"] == full["totals"]


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["days", "by_day,nope", "", ",", "by_day,"])
def test_a_wrong_breakdown_is_a_400_naming_it(seeded, value):
    response = APIClient().get(f"{API}/statistics/?breakdown={value}")
    assert response.status_code == 400
    assert list(response.json()) == ["breakdown"]


def test_the_schema_documents_the_breakdown(client):
    schema = client.get(f"{API}/schema/", HTTP_ACCEPT="application/json").json()
    parameters = schema["paths"]["/api/v1/statistics/"]["get"]["parameters"]
    breakdown = next(p for p in parameters if p["name"] == "breakdown")
    assert breakdown["schema"]["items"]["enum"] == list(BREAKDOWNS)


# --- the precomputed sums stay exact ------------------------------------------------------


def _stored() -> dict[int, list[tuple]]:
    found: dict[int, list[tuple]] = {}
    for grain in statsums.GRAINS:
        found[grain] = sorted(
            PublishedStatisticsSum.objects.filter(grain=grain).values_list(*_ROW), key=repr
        )
    return found


_ROW = (
    "day",
    "month",
    "governorate_id",
    "event_type",
    "episode_id",
    "place_id",
    "actor_id",
    "confidence",
    "co_actor_id",
    "co_confidence",
    "incidents",
    "killed_low",
    "killed_best",
    "killed_high",
    "killed_high_open",
)


def _assert_exact() -> None:
    """The kept rows are what a recomputation from the incidents gives, at every grain."""
    kept = _stored()
    statsums.rebuild()
    assert kept == _stored()
    assert any(kept.values())


def _summed_equals_one_pass(filters: str = "") -> None:
    client = APIClient()
    answer = client.get(f"{API}/statistics/?{filters}").json()
    published = Incident.objects.filter(status=Status.PUBLISHED)
    expected = reference(published.filter(pk__in=[i.pk for i in published if _matches(i, filters)]))
    assert _comparable(answer) == expected


@pytest.mark.django_db
def test_the_sums_follow_publish_edit_attribution_retract_merge_and_delete(
    seeded, reviewer, source
):
    _assert_exact()
    incident = services.incident_create(
        user=reviewer,
        claims=[{"source": source, "killed_min": 9, "killed_max": 9, "quote": "Nine."}],
        **incident_fields(),
    )
    _assert_exact()  # a draft: no sum moves
    incident = services.incident_publish(incident=incident, user=reviewer)
    _assert_exact()
    incident = services.incident_edit(
        incident=incident,
        user=reviewer,
        expected_version=incident.version,
        date_start=date(2025, 3, 2),
        date_end=date(2025, 3, 2),
        event_type="massacre",
    )
    _assert_exact()
    # Another place (the top places' sums).
    place = Place.objects.exclude(kind=PlaceKind.GOVERNORATE).exclude(pk=incident.place_id)[0]
    incident = services.incident_edit(
        incident=incident, user=reviewer, expected_version=incident.version, place=place
    )
    assert incident.place_id == place.pk
    _assert_exact()
    actor = Actor.objects.order_by("slug").first()
    services.attribution_set(incident=incident, user=reviewer, actor=actor, confidence="alleged")
    _assert_exact()
    _summed_equals_one_pass("governorate=latakia-governorate")
    _summed_equals_one_pass("event_type=massacre&date_from=2025-03-01&date_to=2025-03-31")
    # The attribution's confidence, then another actor (the perpetrator's sums, its
    # co-perpetrators', its places').
    services.attribution_set(incident=incident, user=reviewer, actor=actor, confidence="confirmed")
    _assert_exact()
    lone = _lone_actor()
    services.attribution_set(incident=incident, user=reviewer, actor=lone, confidence="probable")
    _assert_exact()
    for filters in SUMMED_FILTERS:
        assert_sums_answer_as_the_incidents(filters.replace("__actor__", lone.slug))
    other = Incident.objects.filter(status=Status.PUBLISHED).exclude(pk=incident.pk).first()
    incident.refresh_from_db()
    services.incident_merge(keep=other, merge=incident, user=reviewer, reason="The same event.")
    _assert_exact()
    assert_sums_answer_as_the_incidents("perpetrator=__actor__")
    other.refresh_from_db()
    services.incident_retract(incident=other, user=reviewer, reason="Not verified.")
    _assert_exact()
    _summed_equals_one_pass()
    assert_sums_answer_as_the_incidents("")
    Incident.objects.get(pk=incident.pk).delete()
    Incident.objects.get(pk=other.pk).delete()
    _assert_exact()
    assert_sums_answer_as_the_incidents("governorate=latakia-governorate")


@pytest.mark.django_db
def test_the_sums_follow_an_import(seeded, reviewer, django_capture_on_commit_callbacks):
    data = export("geojson", reviewer)
    wipe()
    mapcells.rebuild()
    assert not PublishedStatisticsSum.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        report = geojson.import_file(data, user=reviewer)
    assert not report.failures, report.failures
    _assert_exact()
    _summed_equals_one_pass()
    _summed_equals_one_pass("date_from=2025-03-07&date_to=2025-04-30")
    for filters in ("", "event_type=shelling", "perpetrator=__actor__"):
        assert_sums_answer_as_the_incidents(filters)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "filters",
    [
        "",
        "status=published",
        "date_from=2025-03-01&date_to=2025-03-31",
        "date_from=2025-03-07",
        "date_to=2025-03-31",
        "date_from=2025-02-10&date_to=2025-04-03",
        "governorate=latakia-governorate&date_from=2025-03-01",
        "event_type=shelling&date_to=2025-03-31",
        "governorate=latakia-governorate,tartus-governorate&event_type=shelling",
    ],
)
def test_the_sums_answer_as_the_incidents_would(seeded, filters):
    _generate()
    _summed_equals_one_pass(filters)


# --- the sums answer as the incidents do: statistics and dashboard -------------------------

# Filters the sums answer (each is checked to be answered from them); "__actor__" is an
# actor with no affiliates that incidents are held against.
SUMMED_FILTERS = [
    "",
    "status=published",
    "date_from=2025-03-01&date_to=2025-03-31",
    "date_from=2025-02-10&date_to=2025-04-03",
    "date_from=2025-03-07",
    "governorate=latakia-governorate",
    "governorate=latakia-governorate,tartus-governorate&date_from=2025-02-01",
    "event_type=shelling",
    "event_type=shelling,massacre&date_to=2025-03-31",
    "perpetrator=__actor__",
    "perpetrator=__actor__&perpetrator_confidence=probable",
    "perpetrator=__actor__&perpetrator_confidence=confirmed&date_from=2025-03-05",
    # An actor and its affiliates, and several actors: an incident held against two of
    # them is counted once.
    "perpetrator=syrian-government-forces",
    "perpetrator=syrian-government-forces&perpetrator_confidence=probable",
    "perpetrator=syrian-government-forces&date_from=2025-02-10&date_to=2025-04-03",
    "perpetrator=__actor__,mod-affiliated-factions&perpetrator_confidence=confirmed",
]


def _lone_actor() -> Actor:
    """An actor with no affiliates held responsible for the most published incidents."""
    return (
        Actor.objects.filter(affiliates__isnull=True)
        .annotate(n=Count("attributions", filter=Q(attributions__incident__status="published")))
        .order_by("-n", "slug")
        .first()
    )


def _vary(seed: int = 5) -> None:
    """The generated incidents get places and their attributions every confidence."""
    rng = random.Random(seed)
    places = list(Place.objects.exclude(kind=PlaceKind.GOVERNORATE)[:6])
    for incident in Incident.objects.filter(public_id__startswith="SY-2025-9"):
        Incident.objects.filter(pk=incident.pk).update(place=rng.choice([*places, None]))
    for attribution in Attribution.objects.all():
        Attribution.objects.filter(pk=attribution.pk).update(
            confidence=rng.choice(["alleged", "probable", "confirmed"])
        )
    mapcells.rebuild()


def _request(filters: str):
    from django.contrib.auth.models import AnonymousUser
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    request = Request(APIRequestFactory().get("/", filters and dict(parse_qsl(filters))))
    request.user = AnonymousUser()
    return request


def assert_sums_answer_as_the_incidents(filters: str) -> None:
    """The statistics and the dashboard from the sums equal those counted from the
    incidents, for ``filters`` (which the sums must answer)."""
    from incidents import selectors
    from incidents.api.filters import confidences_at_least, filter_incidents
    from incidents.api.views.figures import summable_filter
    from incidents.dashboard import dashboard_figures
    from incidents.statistics import incident_statistics

    filters = filters.replace("__actor__", _lone_actor().slug)
    request = _request(filters)
    summable = summable_filter(request)
    assert summable is not None, filters
    incidents = filter_incidents(
        request, selectors.incident_queryset(user=request.user), extra_parameters={"breakdown"}
    )
    least = request.query_params.get("perpetrator_confidence")
    least_confidence = confidences_at_least(least) if least else None
    live = incident_statistics(
        incidents=incidents, user=request.user, least_confidence=least_confidence
    )
    summed = incident_statistics(
        incidents=incidents,
        user=request.user,
        summable=summable,
        least_confidence=least_confidence,
    )
    assert summed == live, filters
    live_dashboard = dashboard_figures(incidents=incidents)
    assert dashboard_figures(incidents=incidents, summable=summable) == live_dashboard, filters


@pytest.mark.django_db
@pytest.mark.parametrize("filters", SUMMED_FILTERS)
def test_the_sums_answer_the_statistics_and_the_dashboard_as_the_incidents(seeded, filters):
    _generate()
    _vary()
    assert_sums_answer_as_the_incidents(filters)
    query = filters.replace("__actor__", _lone_actor().slug)
    answer = APIClient().get(f"{API}/statistics/?{query}").json()
    assert answer["totals"]["incidents"] > 0  # each filter is counted on something


# The grains of places without months: a view without dates reads its top places there.
_PLACE_GRAINS = {"": 17, "governorate=latakia-governorate": 17, "event_type=shelling": 18}
_MONTHLY_PLACE_GRAINS = (11, 12, 13)


def _grains_read(filters: str) -> set[int]:
    """The grains of the sums the dashboard's statements read for ``filters``."""
    import re

    from django.core.cache import caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    caches["answers"].clear()
    with CaptureQueriesContext(connection) as captured:
        response = APIClient().get(f"{API}/dashboard/?{filters}")
    assert response.status_code == 200
    return {
        int(grain)
        for query in captured.captured_queries
        for grain in re.findall(r'"grain" = (\d+)', query["sql"])
    }


@pytest.mark.django_db
@pytest.mark.parametrize("filters", [*_PLACE_GRAINS, "perpetrator=__actor__"])
def test_a_view_without_dates_reads_its_top_places_from_the_grains_without_months(seeded, filters):
    _generate()
    _vary()
    grain = _PLACE_GRAINS.get(filters, 19)
    filters = filters.replace("__actor__", _lone_actor().slug)
    read = _grains_read(filters)
    assert grain in read and not read & set(_MONTHLY_PLACE_GRAINS), read
    assert_sums_answer_as_the_incidents(filters)
    # With dates, the monthly grains answer (a place's months inside the range).
    dated = _grains_read(f"{filters}&date_from=2025-03-01".lstrip("&"))
    assert grain not in dated and dated & set(_MONTHLY_PLACE_GRAINS), dated


@pytest.mark.django_db
def test_the_place_grains_count_each_published_incident_once_a_place(seeded, reviewer):
    _generate()
    _vary()
    published = Incident.objects.filter(status=Status.PUBLISHED)

    def summed(grain: int, **where) -> int:
        rows = PublishedStatisticsSum.objects.filter(grain=grain, **where)
        return rows.aggregate(n=Sum("incidents"))["n"] or 0

    def counted(place: Place) -> tuple[int, int, int]:
        here = published.filter(place=place)
        return (
            here.count(),
            here.filter(event_type="shelling").count(),
            Attribution.objects.filter(incident__in=here).count(),
        )

    def kept(place: Place) -> tuple[int, int, int]:
        return (
            summed(17, place=place),
            summed(18, place=place, event_type="shelling"),
            summed(19, place=place),
        )

    assert summed(17) == summed(18) == published.count()
    assert summed(19) == Attribution.objects.filter(incident__in=published).count()
    # An incident moved to another place (and its attribution's confidence changed) moves
    # its share between the places' rows.
    incident = published.filter(event_type="shelling").exclude(place=None).first()
    before = incident.place
    after = Place.objects.exclude(kind=PlaceKind.GOVERNORATE).exclude(pk=before.pk)[0]
    incident = services.incident_edit(
        incident=incident, user=reviewer, expected_version=incident.version, place=after
    )
    actor = Actor.objects.order_by("slug").first()
    services.attribution_set(incident=incident, user=reviewer, actor=actor, confidence="alleged")
    for place in (before, after):
        assert kept(place) == counted(place), place
    assert summed(19, place=after, actor=actor, confidence="alleged") == (
        Attribution.objects.filter(
            incident__in=published.filter(place=after), actor=actor, confidence="alleged"
        ).count()
    )
    _assert_exact()
    # Retracted: its share leaves the places' rows.
    services.incident_retract(incident=incident, user=reviewer, reason="Not verified.")
    assert kept(after) == counted(after)
    _assert_exact()


@pytest.mark.django_db
def test_an_incident_held_against_an_actor_and_its_affiliate_counts_once(seeded, reviewer, source):
    from incidents.api.views.figures import summable_filter

    parent = Actor.objects.get(slug="syrian-government-forces")
    affiliate = parent.affiliates.order_by("slug").first()
    # Held against both, at two confidences; another against the affiliate only.
    both = services.incident_create(
        user=reviewer,
        claims=[{"source": source, "killed_min": 4, "killed_max": 6, "quote": "Four."}],
        attributions=[
            {"actor": parent, "confidence": "confirmed"},
            {"actor": affiliate, "confidence": "probable"},
        ],
        **incident_fields(),
    )
    services.incident_publish(incident=both, user=reviewer)
    one = services.incident_create(
        user=reviewer,
        claims=[{"source": source, "killed_min": 2, "killed_max": 2, "quote": "Two."}],
        attributions=[{"actor": affiliate, "confidence": "alleged"}],
        **incident_fields(),
    )
    services.incident_publish(incident=one, user=reviewer)
    group = [parent.pk, *parent.affiliates.values_list("pk", flat=True)]
    for filters, confidences in (
        ("perpetrator=syrian-government-forces", None),
        ("perpetrator=syrian-government-forces&perpetrator_confidence=probable", None),
        (f"perpetrator=syrian-government-forces,{affiliate.slug}", None),
        ("perpetrator=syrian-government-forces&perpetrator_confidence=confirmed", ["confirmed"]),
    ):
        assert summable_filter(_request(filters)) is not None, filters  # from the sums
        if "probable" in filters:
            confidences = ["probable", "confirmed"]
        held = Attribution.objects.filter(actor_id__in=group)
        if confidences:
            held = held.filter(confidence__in=confidences)
        expected = (
            Incident.objects.filter(status=Status.PUBLISHED, pk__in=held.values("incident_id"))
            .order_by()
            .aggregate(**_SUMS)
        )
        assert expected["incidents"] >= 1
        statistics = APIClient().get(f"{API}/statistics/?{filters}").json()
        assert statistics["totals"] == _figures(expected), filters
        assert sum(row["incidents"] for row in statistics["by_day"]) == expected["incidents"]
        dashboard = APIClient().get(f"{API}/dashboard/?{filters}").json()
        assert dashboard["totals"] == _figures(expected), filters
        assert_sums_answer_as_the_incidents(filters)
    # The incident held against both, once in the totals, in each actor's own row.
    statistics = APIClient().get(f"{API}/statistics/?perpetrator=syrian-government-forces").json()
    rows = {row["actor"]: row["incidents"] for row in statistics["by_perpetrator"]}
    assert (
        rows[parent.slug]
        == Attribution.objects.filter(actor=parent, incident__status=Status.PUBLISHED).count()
    )


@pytest.mark.django_db
def test_filters_the_sums_cannot_answer_are_counted(seeded):
    from incidents.api.views.figures import summable_filter

    # The attribution confidence without a perpetrator, a perpetrator with other filters
    # than dates, other filters.
    for filters in (
        "perpetrator=syrian-government-forces&event_type=shelling",
        "perpetrator_confidence=probable",
        "grade=confirmed",
        "status=draft",
    ):
        assert summable_filter(_request(filters)) is None, filters


# --- the sums are kept by deltas: the writes whose state before is easy to get wrong ------


def _published_with_perpetrators(reviewer, source, count: int = 3, **fields: Any) -> Incident:
    """A published incident held against ``count`` actors (two of them at one confidence,
    so that one co-perpetrator row counts two pairs)."""
    actors = list(Actor.objects.order_by("slug")[:count])
    confidences = ["alleged", "alleged", "confirmed", "probable"]
    incident = services.incident_create(
        user=reviewer,
        claims=[{"source": source, "killed_min": 7, "killed_max": 11, "quote": "Seven."}],
        attributions=[
            {"actor": actor, "confidence": confidences[i % 4]} for i, actor in enumerate(actors)
        ],
        **{**incident_fields(), **fields},
    )
    incident = services.incident_publish(incident=incident, user=reviewer)
    assert incident.attributions.count() == count
    return incident


@pytest.mark.django_db
def test_deleting_published_incidents_with_several_perpetrators_takes_their_share_away(
    seeded, reviewer, source
):
    # The collector sends pre_delete for the incident and each attribution before deleting
    # any of them: each share is taken away once.
    one = _published_with_perpetrators(reviewer, source, 3)
    _assert_exact()
    Incident.objects.get(pk=one.pk).delete()
    _assert_exact()
    # A queryset's delete: several incidents, with every attribution of each, at once.
    two = _published_with_perpetrators(
        reviewer, source, 2, date_start=date(2025, 3, 9), date_end=date(2025, 3, 9)
    )
    three = _published_with_perpetrators(reviewer, source, 3, event_type="massacre")
    _assert_exact()
    Incident.objects.filter(pk__in=[two.pk, three.pk]).delete()
    _assert_exact()
    assert_sums_answer_as_the_incidents("perpetrator=__actor__")


@pytest.mark.django_db
def test_replacing_an_incidents_perpetrators_keeps_the_sums(seeded, reviewer, source, client):
    incident = _published_with_perpetrators(reviewer, source, 3)
    _assert_exact()
    # Every attribution deleted in one statement, others set: in one transaction.
    with transaction.atomic():
        Attribution.objects.filter(incident=incident).delete()
        for actor in Actor.objects.order_by("-slug")[:2]:
            services.attribution_set(
                incident=incident, user=reviewer, actor=actor, confidence="probable"
            )
    _assert_exact()
    # Through the API: an actor held again with another confidence, and a new one.
    client.force_login(reviewer)
    url = f"{API}/incidents/{incident.public_id}/perpetrators/"
    for actor, confidence in (
        (Actor.objects.order_by("-slug")[0], "confirmed"),
        (Actor.objects.order_by("slug")[0], "alleged"),
    ):
        etag = client.get(f"{API}/incidents/{incident.public_id}/")["ETag"]
        answer = client.post(
            url,
            {"actor": actor.slug, "confidence": confidence},
            content_type="application/json",
            HTTP_IF_MATCH=etag,
        )
        assert answer.status_code == 200, answer.content
        _assert_exact()
    assert_sums_answer_as_the_incidents("perpetrator=__actor__")


@pytest.mark.django_db
def test_an_attributions_actor_and_confidence_changed_keep_the_sums(seeded, reviewer, source):
    incident = _published_with_perpetrators(reviewer, source, 3)
    _assert_exact()
    attribution = incident.attributions.order_by("pk").first()
    unused = Actor.objects.exclude(attributions__incident=incident).order_by("slug").first()
    attribution.actor = unused
    attribution.confidence = "confirmed"
    attribution.save()
    _assert_exact()
    attribution.confidence = "probable"
    attribution.save(update_fields=["confidence"])
    _assert_exact()
    # Moved to another published incident (as a merge moves it).
    other = _published_with_perpetrators(
        reviewer, source, 1, date_start=date(2025, 3, 20), date_end=date(2025, 3, 20)
    )
    attribution.incident = other
    attribution.save()
    _assert_exact()
    assert_sums_answer_as_the_incidents("perpetrator=__actor__")


class _Undone(Exception):
    pass


@pytest.mark.django_db
def test_a_write_rolled_back_leaves_nothing_that_skews_the_next(seeded, reviewer, source):
    incident = _published_with_perpetrators(reviewer, source, 3)
    _assert_exact()
    attribution = incident.attributions.order_by("pk").first()
    # Saved, then undone: the instances hold what the database no longer does.
    with pytest.raises(_Undone), transaction.atomic():
        incident.event_type = "massacre"
        incident.killed_low = 0
        incident.save()
        attribution.confidence = "probable" if attribution.confidence != "probable" else "alleged"
        attribution.save()
        raise _Undone
    _assert_exact()
    # The same instances written again, each from where the database is.
    incident.date_start = incident.date_end = date(2025, 3, 28)
    incident.save()
    _assert_exact()
    attribution.save()
    _assert_exact()
    # A delete undone, then done.
    pk = incident.pk
    with pytest.raises(_Undone), transaction.atomic():
        incident.delete()
        raise _Undone
    _assert_exact()
    incident = Incident.objects.get(pk=pk)
    incident.delete()
    _assert_exact()


def _sampled_rows(table: str) -> int | None:
    """The rows the database's planner statistics say ``table`` holds (None: never
    sampled)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
            (found,) = cursor.fetchone()
            return None if found < 0 else int(found)
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return None
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s", [table])
        found = cursor.fetchone()
        return None if found is None else int(found[0].split()[0])


@pytest.mark.django_db
def test_sums_rebuilt_whole_or_by_grain_leave_the_planner_statistics_fresh(seeded):
    """A grain filled at once (a migration) is new to the planner; left unsampled, every
    write's read of its rows took an index matching the whole grain."""
    _generate()
    table = PublishedStatisticsSum._meta.db_table
    statsums.rebuild_grains((17, 18, 19))
    assert _sampled_rows(table) == PublishedStatisticsSum.objects.count()
    PublishedStatisticsSum.objects.filter(grain=19).delete()
    statsums.rebuild()
    assert _sampled_rows(table) == PublishedStatisticsSum.objects.count()

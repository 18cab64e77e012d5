"""Finding incidents that may be one event: scoring and reasons, candidates through the
prefilters, flag_duplicates for a batch, and the whole-database command."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from incidents import duplicates, services
from incidents.duplicates import Record, find_candidates, flag_duplicates, score_pair
from incidents.models import DuplicateCandidate, DuplicateStatus, Incident, Source, Status
from mapping.models import Place, PlaceKind, PlaceOrigin

from .conftest import incident_fields

D = dt.date(2025, 3, 7)
# About 1.1 km north of the conftest's default point (35.36, 35.93).
NEAR = 35.37


def make(source: Source, killed: int | None = 40, **overrides: Any) -> Incident:
    claims = []
    if killed is not None:
        claims = [{"source": source, "killed_min": killed, "killed_max": killed, "quote": "q."}]
    return services.incident_create(user=None, claims=claims, **incident_fields(**overrides))


def record(**overrides: Any) -> Record:
    values: dict[str, Any] = {
        "id": 1,
        "public_id": "SY-2025-0001",
        "title": "Shelling of a market",
        "event_type": "shelling",
        "date_start": D,
        "date_end": D,
        "date_precision": "day",
        "latitude": 35.36,
        "longitude": 35.93,
        "location_precision": "settlement",
        "place_id": None,
        "place_name": None,
        "district_id": None,
        "governorate_id": None,
        "killed_low": 40,
        "killed_best": 40,
        "killed_high": 40,
    }
    values.update(overrides)
    return Record(**values)


def test_the_same_event_twice_scores_high_with_readable_reasons() -> None:
    a = record()
    b = record(id=2, latitude=NEAR, killed_low=38, killed_best=38, killed_high=38)
    match = score_pair(b, a)
    assert (match.first_id, match.second_id) == (1, 2)  # lower id first
    assert match.score > 0.9
    assert match.reasons == [
        "1.1 km apart (within their location precision)",
        "same dates",
        "both shelling or bombardment",
        "killed 40 vs 38",
        "similar titles",
    ]
    assert match.distance_km == pytest.approx(1.11, abs=0.01)


def test_far_apart_or_days_apart_is_not_a_duplicate() -> None:
    a = record()
    far = record(id=2, latitude=35.6)  # about 27 km north
    match = score_pair(a, far)
    assert match.score == 0
    assert match.reasons[0] == "27 km apart"
    later = record(id=3, date_start=D + dt.timedelta(days=5), date_end=D + dt.timedelta(days=5))
    match = score_pair(a, later)
    assert match.score == 0
    assert "5 days apart" in match.reasons


def test_nearer_and_closer_in_time_score_higher() -> None:
    a = record()
    scores = [
        score_pair(a, record(id=2, latitude=lat)).score for lat in (35.36, 35.38, 35.40, 35.45)
    ]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] > scores[-1]
    by_gap = [
        score_pair(
            a, record(id=2, date_start=D + dt.timedelta(days=g), date_end=D + dt.timedelta(days=g))
        )
        for g in (0, 1, 2, 3)
    ]
    assert [m.score for m in by_gap] == sorted((m.score for m in by_gap), reverse=True)
    assert "1 day apart" in by_gap[1].reasons
    assert "3 days apart" in by_gap[3].reasons


def test_location_precision_widens_what_counts_as_the_same_place() -> None:
    a = record(location_precision="exact")
    b = record(id=2, latitude=35.40, location_precision="exact")  # 4.4 km
    precise = score_pair(a, b)
    vague = score_pair(
        record(location_precision="subdistrict"),
        record(id=2, latitude=35.40, location_precision="subdistrict"),
    )
    assert precise.reasons[0] == "4.4 km apart"
    assert vague.reasons[0] == "4.4 km apart (within their location precision)"
    assert vague.score > precise.score
    # Agreement between two positions known only to a governorate says little.
    coarse = score_pair(
        record(location_precision="governorate"),
        record(id=2, location_precision="governorate"),
    )
    assert coarse.score < duplicates.MIN_SCORE


def test_overlapping_ranges_and_date_precision() -> None:
    a = record(date_start=D, date_end=D + dt.timedelta(days=2))
    b = record(id=2, date_start=D + dt.timedelta(days=1), date_end=D + dt.timedelta(days=1))
    assert "dates overlap" in score_pair(a, b).reasons
    # "Within a week" lets a date three days off still overlap.
    c = record(id=3, date_start=D + dt.timedelta(days=5), date_end=D + dt.timedelta(days=5))
    assert "dates overlap" not in score_pair(a, c).reasons
    weekly = record(
        id=3,
        date_start=D + dt.timedelta(days=5),
        date_end=D + dt.timedelta(days=5),
        date_precision="week",
    )
    assert "dates overlap" in score_pair(a, weekly).reasons


def test_figures_event_type_and_titles_support_the_score() -> None:
    a = record()
    same = score_pair(a, record(id=2)).score
    other_figures = score_pair(a, record(id=2, killed_low=4, killed_best=4, killed_high=4))
    assert "killed 40 vs 4" in other_figures.reasons
    assert other_figures.score < same
    related = score_pair(a, record(id=2, event_type="airstrike"))
    assert "related types: airstrike or drone strike and shelling or bombardment" in (
        related.reasons
    )
    unrelated = score_pair(a, record(id=2, event_type="abduction"))
    assert unrelated.reasons[2].startswith("different types:")
    assert same > related.score > unrelated.score
    retitled = score_pair(a, record(id=2, title="Armed men detain a doctor"))
    assert "similar titles" not in retitled.reasons
    assert retitled.score < same
    # Small figures agree by chance: 1 vs 1 counts for less than 40 vs 40.
    small = score_pair(
        record(killed_low=1, killed_best=1, killed_high=1, title="x"),
        record(id=2, killed_low=1, killed_best=1, killed_high=1, title="y"),
    )
    large = score_pair(record(title="x"), record(id=2, title="y"))
    assert large.score > small.score


def test_without_points_the_same_place_or_district_stands_in() -> None:
    a = record(latitude=None, longitude=None, place_id=7, place_name="Baniyas")
    b = record(id=2, latitude=None, longitude=None, place_id=7, place_name="Baniyas")
    match = score_pair(a, b)
    assert "same place: Baniyas" in match.reasons
    assert match.score >= duplicates.MIN_SCORE
    c = record(id=3, latitude=None, longitude=None, district_id=4)
    d = record(id=4, latitude=None, longitude=None, district_id=4)
    assert "same district, no point to compare" in score_pair(c, d).reasons
    assert score_pair(a, record(id=5, latitude=None, longitude=None)).score == 0


def test_find_candidates_uses_the_window_and_leaves_out_merged_and_retracted(
    source: Source, reviewer: Any
) -> None:
    a = make(source)
    b = make(source, killed=38, latitude=NEAR)
    make(source, latitude=35.6)  # far
    make(source, date_start=D - dt.timedelta(days=20), date_end=D - dt.timedelta(days=20))
    matches = find_candidates(a)
    assert [(m.first_id, m.second_id) for m in matches] == [(a.pk, b.pk)]
    assert matches[0].reasons[:2] == [
        "1.1 km apart (within their location precision)",
        "same dates",
    ]
    services.incident_publish(incident=b, user=None)
    services.incident_retract(incident=b, user=None, reason="Wrong place.")
    assert find_candidates(a) == []


def test_find_candidates_reaches_long_incidents_that_started_earlier(source: Source) -> None:
    a = make(source)
    long = make(source, date_start=D - dt.timedelta(days=40), date_end=D)
    assert [m.second_id for m in find_candidates(a)] == [long.pk]


def test_flag_duplicates_is_idempotent_and_respects_dismissed_pairs(
    source: Source, reviewer: Any
) -> None:
    a = make(source)
    b = make(source, killed=38, latitude=NEAR)
    c = make(source, killed=41, longitude=35.94)
    assert flag_duplicates([a.pk]) == 2
    pairs = set(DuplicateCandidate.objects.values_list("first_id", "second_id"))
    assert pairs == {(a.pk, b.pk), (a.pk, c.pk)}
    assert flag_duplicates([a.pk, b.pk, c.pk]) == 1  # b~c is new; the others unchanged
    assert DuplicateCandidate.objects.count() == 3
    assert flag_duplicates([a.pk, b.pk, c.pk]) == 0
    assert DuplicateCandidate.objects.count() == 3

    pair = DuplicateCandidate.objects.get(first=a, second=b)
    services.duplicate_dismiss(candidate=pair, user=reviewer)
    pair.refresh_from_db()
    assert (pair.status, pair.decided_by) == (DuplicateStatus.DISMISSED, reviewer)
    flag_duplicates([a.pk, b.pk])
    pair.refresh_from_db()
    assert pair.status == DuplicateStatus.DISMISSED
    assert DuplicateCandidate.objects.filter(status=DuplicateStatus.OPEN).count() == 2

    # An incident moved away loses its open pairs when it is looked at again.
    services.incident_update(incident=c, user=None, expected_version=None, latitude=36.2)
    flag_duplicates([c.pk])
    assert not DuplicateCandidate.objects.filter(second=c).exists()


def test_flag_duplicates_skips_merged_and_retracted_incidents(source: Source) -> None:
    a = make(source)
    b = make(source, killed=38, latitude=NEAR)
    services.incident_publish(incident=a, user=None)
    services.incident_retract(incident=a, user=None, reason="A duplicate report.")
    assert flag_duplicates([a.pk, b.pk]) == 0
    assert not DuplicateCandidate.objects.exists()


def test_whole_database_pass_finds_the_same_pairs_as_one_by_one(source: Source) -> None:
    governorate = Place.objects.create(
        slug="g",
        name="G",
        kind=PlaceKind.GOVERNORATE,
        latitude=35,
        longitude=36,
        origin=PlaceOrigin.CURATED,
        origin_note="A test entry.",
    )
    village = Place.objects.create(
        slug="v",
        name="Village",
        kind=PlaceKind.VILLAGE,
        latitude=35,
        longitude=36,
        origin=PlaceOrigin.CURATED,
        origin_note="A test entry.",
        parent=governorate,
    )
    made = [
        make(source),
        make(source, killed=38, latitude=NEAR),
        make(
            source,
            killed=39,
            longitude=35.945,
            date_start=D + dt.timedelta(days=1),
            date_end=D + dt.timedelta(days=1),
        ),
        make(source, latitude=35.6),
        make(source, date_start=D + dt.timedelta(days=9), date_end=D + dt.timedelta(days=9)),
        make(source, latitude=None, longitude=None, place=village),
        make(source, latitude=None, longitude=None, place=village, killed=41),
        make(source, date_start=D - dt.timedelta(days=30), date_end=D, date_precision="month"),
    ]
    # Positions known only to a district are looked for in a wider box.
    made.append(make(source, location_precision="district", latitude=35.45, killed=39))
    made.append(make(source, location_precision="subdistrict", longitude=36.05, killed=41))
    for low in (0.5, 0.3):
        one_by_one = {
            (m.first_id, m.second_id): m.score
            for incident in made
            for m in find_candidates(incident, min_score=low)
        }
        assert {k: m.score for k, m in duplicates.find_all(min_score=low).items()} == one_by_one
    assert (made[0].pk, made[8].pk) in one_by_one
    assert (made[0].pk, made[9].pk) in one_by_one
    one_by_one = {
        (m.first_id, m.second_id): m.score for incident in made for m in find_candidates(incident)
    }
    whole = {key: m.score for key, m in duplicates.find_all().items()}
    assert whole == one_by_one
    assert (made[5].pk, made[6].pk) in whole
    assert len(whole) >= 4

    out = StringIO()
    call_command("find_duplicates", stdout=out)
    assert f"{len(made)} incidents" in out.getvalue()
    assert f"{len(whole)} new candidates" in out.getvalue()
    assert set(DuplicateCandidate.objects.values_list("first_id", "second_id")) == set(whole)
    out = StringIO()
    call_command("find_duplicates", stdout=out)
    assert "0 new candidates, 0 updated, 0 no longer alike removed" in out.getvalue()
    # A stricter threshold drops the open pairs that no longer reach it.
    weakest = min(whole.values())
    out = StringIO()
    call_command("find_duplicates", "--min-score", str(weakest + 0.001), stdout=out)
    assert "no longer alike removed" in out.getvalue()
    assert DuplicateCandidate.objects.count() == sum(s > weakest for s in whole.values())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "--since: 'yesterday' is not a date"),
        (["--min-score", "high"], "--min-score: 'high' is not a number"),
        (["--min-score", "2"], "--min-score: give a number from 0 to 1"),
    ],
)
def test_command_refuses_bad_options(db: None, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("find_duplicates", *args)


def test_find_all_since_looks_only_at_recent_pairs(source: Source) -> None:
    old = [make(source, date_start=dt.date(2024, 1, 5), date_end=dt.date(2024, 1, 5)) for _ in "ab"]
    new = [make(source), make(source, killed=38, latitude=NEAR)]
    found = duplicates.find_all(since=dt.date(2025, 1, 1))
    assert set(found) == {(new[0].pk, new[1].pk)}
    assert (old[0].pk, old[1].pk) in duplicates.find_all()
    assert Incident.objects.filter(status=Status.MERGED).count() == 0


def test_a_large_batch_is_flagged_in_one_pass_with_the_same_result(
    source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = [
        make(source),
        make(source, killed=38, latitude=NEAR),
        make(source, killed=39, longitude=35.945, date_end=D + dt.timedelta(days=1)),
        make(source, location_precision="district", latitude=35.45, killed=39),
        make(source, date_start=D - dt.timedelta(days=30), date_end=D, date_precision="month"),
        make(source, date_start=dt.date(2024, 5, 1), date_end=dt.date(2024, 5, 1)),
        make(source, date_start=dt.date(2024, 5, 2), date_end=dt.date(2024, 5, 2), killed=41),
        make(source, latitude=35.6),
    ]
    batch = [made[1].pk, made[4].pk, made[6].pk]

    def flagged() -> dict[tuple[int, int], tuple[float, list[str]]]:
        rows = DuplicateCandidate.objects.values_list("first_id", "second_id", "score", "reasons")
        return {(a, b): (score, reasons) for a, b, score, reasons in rows}

    monkeypatch.setattr(duplicates, "BATCH_PASS_MIN", 1000)
    one_by_one_count = flag_duplicates(batch, min_score=0.4)
    one_by_one = flagged()
    DuplicateCandidate.objects.all().delete()
    monkeypatch.setattr(duplicates, "BATCH_PASS_MIN", 1)
    assert flag_duplicates(batch, min_score=0.4) == one_by_one_count
    assert flagged() == one_by_one
    assert (made[5].pk, made[6].pk) in one_by_one
    assert (made[0].pk, made[1].pk) in one_by_one
    assert all(a in batch or b in batch for a, b in one_by_one)

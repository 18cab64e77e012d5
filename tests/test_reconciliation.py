"""The rules that turn conflicting claims into a reconciled range."""

from incidents.models import SourceKind
from incidents.reconciliation import ClaimedFigure, by_source_hierarchy, range_of_claims


def test_at_least_125_against_at_least_134_gives_a_range_with_the_lower_best():
    # SNHR: "at least 125"; other estimates: "at least 134"; SNHR via another outlet: ~125.
    result = range_of_claims([ClaimedFigure(125), ClaimedFigure(134), ClaimedFigure(125, 125)])
    assert (result.low, result.best, result.high) == (125, 125, 134)
    assert result.claims_counted == 3


def test_two_claims_take_the_lower_median_as_best():
    result = range_of_claims([ClaimedFigure(134), ClaimedFigure(125)])
    assert (result.low, result.best, result.high) == (125, 125, 134)


def test_a_claimed_range_counts_its_maximum_as_high_and_its_midpoint_as_central():
    result = range_of_claims([ClaimedFigure(20, 30), ClaimedFigure(22), ClaimedFigure(40)])
    # centrals: 25, 22, 40 -> lower median 25
    assert (result.low, result.best, result.high) == (20, 25, 40)


def test_claims_without_a_figure_take_no_part():
    result = range_of_claims([ClaimedFigure(None), ClaimedFigure(5, 5)])
    assert (result.low, result.best, result.high) == (5, 5, 5)
    assert result.claims_counted == 1
    assert range_of_claims([ClaimedFigure(None)]).is_empty


def test_breakdowns_take_the_highest_figure_given():
    result = range_of_claims(
        [
            ClaimedFigure(31, 31, breakdown={"children": 9, "women": 4}),
            ClaimedFigure(30, breakdown={"children": 7}),
        ]
    )
    assert result.breakdown["children"] == 9
    assert result.breakdown["women"] == 4
    assert result.breakdown["civilians"] is None


def test_source_hierarchy_uses_only_the_highest_ranked_kind_present():
    claims = [
        ClaimedFigure(100, source_kind=SourceKind.OFFICIAL_STATEMENT),
        ClaimedFigure(40, source_kind=SourceKind.MONITOR_REPORT),
        ClaimedFigure(45, source_kind=SourceKind.MONITOR_REPORT),
        ClaimedFigure(60, source_kind=SourceKind.NEWS_ARTICLE),
    ]
    result = by_source_hierarchy(claims)
    assert (result.low, result.best, result.high) == (40, 40, 45)
    assert range_of_claims(claims).high == 100


def test_source_hierarchy_falls_back_to_lower_ranks_when_the_top_is_absent():
    claims = [
        ClaimedFigure(100, source_kind=SourceKind.OFFICIAL_STATEMENT),
        ClaimedFigure(60, source_kind=SourceKind.NEWS_ARTICLE),
    ]
    result = by_source_hierarchy(claims)
    assert (result.low, result.best, result.high) == (60, 60, 60)

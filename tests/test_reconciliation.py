"""The rules that turn conflicting claims into a reconciled range."""

from incidents.models import SourceKind
from incidents.reconciliation import ClaimedFigure, by_source_hierarchy, range_of_claims


def test_at_least_125_against_at_least_134_keeps_the_high_open_with_the_lower_best():
    # SNHR: "at least 125"; other estimates: "at least 134"; SNHR via another outlet: ~125.
    result = range_of_claims([ClaimedFigure(125), ClaimedFigure(134), ClaimedFigure(125, 125)])
    assert (result.low, result.best, result.high, result.high_open) == (125, 125, None, True)
    assert result.claims_counted == 3


def test_two_claims_take_the_lower_median_as_best():
    result = range_of_claims([ClaimedFigure(134, 134), ClaimedFigure(125, 125)])
    assert (result.low, result.best, result.high) == (125, 125, 134)
    assert not result.high_open


def test_a_claimed_range_counts_its_maximum_as_high_and_its_midpoint_as_central():
    result = range_of_claims([ClaimedFigure(20, 30), ClaimedFigure(22, 22), ClaimedFigure(40, 40)])
    # centrals: 25, 22, 40 -> lower median 25
    assert (result.low, result.best, result.high) == (20, 25, 40)


def test_at_least_7_alone_is_7_or_more_never_7_to_7():
    # "At least 7 civilians were killed": a floor, and no ceiling that any source gave.
    result = range_of_claims([ClaimedFigure(7)])
    assert (result.low, result.best, result.high, result.high_open) == (7, 7, None, True)
    assert result.incident_figures()["killed_high"] is None
    assert result.incident_figures()["killed_high_open"] is True


def test_an_open_claim_keeps_the_high_open_beside_a_higher_closed_one():
    # The range spans what the sources claim; "at least 7" spans every figure above 7,
    # so a second source's "10 to 12" does not close it. Best: the open claim counts its
    # floor (centrals 7 and 11 -> lower median 7).
    result = range_of_claims([ClaimedFigure(7), ClaimedFigure(10, 12)])
    assert (result.low, result.best, result.high, result.high_open) == (7, 7, None, True)


def test_when_only_a_minimum_is_known_best_is_that_minimum():
    # "More than 100" is a minimum of 101: best is 101, not a figure above it.
    assert range_of_claims([ClaimedFigure(101)]).best == 101
    # Among several claims it takes part in the lower median with its minimum.
    result = range_of_claims([ClaimedFigure(30), ClaimedFigure(40, 50), ClaimedFigure(60, 60)])
    assert (result.low, result.best, result.high_open) == (30, 45, True)


def test_closed_claims_give_a_closed_high():
    result = range_of_claims([ClaimedFigure(5, 5), ClaimedFigure(0, 20)])
    assert (result.low, result.best, result.high, result.high_open) == (0, 5, 20, False)


def test_source_hierarchy_keeps_an_open_high_only_if_the_ranked_claims_have_one():
    claims = [
        ClaimedFigure(40, 40, source_kind=SourceKind.MONITOR_REPORT),
        ClaimedFigure(60, source_kind=SourceKind.NEWS_ARTICLE),
    ]
    assert by_source_hierarchy(claims).high == 40
    assert not by_source_hierarchy(claims).high_open
    assert range_of_claims(claims).high_open
    claims.append(ClaimedFigure(45, source_kind=SourceKind.MONITOR_REPORT))
    result = by_source_hierarchy(claims)
    assert (result.low, result.best, result.high, result.high_open) == (40, 40, None, True)


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
        ClaimedFigure(100, 100, source_kind=SourceKind.OFFICIAL_STATEMENT),
        ClaimedFigure(40, 40, source_kind=SourceKind.MONITOR_REPORT),
        ClaimedFigure(45, 45, source_kind=SourceKind.MONITOR_REPORT),
        ClaimedFigure(60, 60, source_kind=SourceKind.NEWS_ARTICLE),
    ]
    result = by_source_hierarchy(claims)
    assert (result.low, result.best, result.high) == (40, 40, 45)
    assert range_of_claims(claims).high == 100


def test_source_hierarchy_falls_back_to_lower_ranks_when_the_top_is_absent():
    claims = [
        ClaimedFigure(100, 100, source_kind=SourceKind.OFFICIAL_STATEMENT),
        ClaimedFigure(60, 60, source_kind=SourceKind.NEWS_ARTICLE),
    ]
    result = by_source_hierarchy(claims)
    assert (result.low, result.best, result.high) == (60, 60, 60)

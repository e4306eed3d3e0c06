"""coverage: the row's under weight per head short, its over weight per head over."""

from __future__ import annotations

from datetime import timedelta

from fieldops.domain.roster import RosterWeights
from fieldops.solver.roster.constraints import coverage
from roster_fixtures import agent, need, problem, template

from roster_verifier import verify

WEIGHTS = RosterWeights(under=100, over=3, fairness_weekends=0, fairness_nights=0,
                        fairness_hours=0)


def test_short_and_over_heads_are_priced_per_row() -> None:
    rows = (need(0, 9, required=2), need(0, 10, required=1),
            need(1, 9, required=2, under_weight=500), need(1, 12, required=0, over_weight=7),
            need(2, 9, required=1))
    p = problem(days=3, agents=(agent("a"), agent("b")), requirements=rows,
                templates=(template("D", 8, 8),), weights=WEIGHTS)
    # a works day 0 and 1, b day 1: heads 1, 1, 2, 2, 0 on the five rows
    v = verify(coverage.FAMILY, p, [("a", 0, "D"), ("a", 1, "D"), ("b", 1, "D")])
    under = 100 * (2 - 1) + 500 * 0 + 100 * (1 - 0)
    over = 7 * (2 - 0)
    assert v.penalty == {"coverage_under": under, "coverage_over": over}
    assert v.encoded == under + over
    assert v.violations == []


def test_a_break_takes_the_agent_off_the_intervals_it_covers() -> None:
    lunch = template("L", 8, 4, break_length=timedelta(hours=1),
                     break_earliest=timedelta(hours=1),
                     break_latest=timedelta(hours=1))
    p = problem(days=1, templates=(lunch,), weights=WEIGHTS,
                requirements=tuple(need(0, h) for h in (8, 9, 10, 11)))
    v = verify(coverage.FAMILY, p, [("a", 0, "L")])
    assert v.penalty == {"coverage_under": 100 * 1, "coverage_over": 0}  # 09:00 on break
    assert v.encoded == 100
    assert v.violations == []


def test_row_weights_fall_back_to_the_problem_weights() -> None:
    assert need(0, 9).prices(WEIGHTS) == (100, 3)
    assert need(0, 9, under_weight=0, over_weight=9).prices(WEIGHTS) == (0, 9)

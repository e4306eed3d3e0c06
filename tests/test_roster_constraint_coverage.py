"""coverage: the row's under weight per head short, its over weight per head over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fieldops.domain.roster import Contract, RosterWeights
from fieldops.solver.roster.constraints import coverage
from roster_fixtures import agent, need, problem, solve, template

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


def test_coverage_under_weighs_far_above_over() -> None:
    a, b = agent("a"), agent("b")
    cheap_over = problem(days=1, agents=(a, b), requirements=(need(0, 9, required=1),),
                         contracts=(Contract("c", min_work_total=timedelta(0)),))
    r = solve(cheap_over)
    assert len(r.assignments) == 1 and r.objective == 0
    row = r.coverage.iloc[0]
    assert (row.required, row.staffed, row.short, row.over) == (1, 1, 0, 0)


def test_coverage_row_weights_override_defaults() -> None:
    # one agent, two queues needed at the same hour: the row with the higher
    # under_weight wins the agent
    a = agent("a", "x", "y")
    p = problem(days=1, agents=(a,), queues=("x", "y"),
                requirements=(need(0, 9, "x", under_weight=10), need(0, 9, "y", under_weight=50)))
    r = solve(p)
    assert r.coverage.set_index("queue").loc["y", "staffed"] == 1
    assert r.penalties["coverage_under"] == 10


def test_coverage_breaks_are_placed_where_nobody_is_needed() -> None:
    brk = template("B", 8, 8, break_length=timedelta(hours=1),
                   break_earliest=timedelta(hours=2), break_latest=timedelta(hours=5))
    needs = (*(need(0, h) for h in (10, 11, 12)), need(0, 14))  # 13:00 is free
    p = problem(days=1, templates=(brk,), requirements=needs)
    r = solve(p)
    s = r.assignments[0]
    assert s.break_start == datetime(2026, 3, 2, 13, tzinfo=UTC)
    assert r.penalties["coverage_under"] == 0
    assert [a.kind for a in s.activities] == ["work", "break", "work"]


def test_coverage_multi_skilled_agent_counts_once_per_interval() -> None:
    p = problem(days=1, agents=(agent("a", "x", "y"),), queues=("x", "y"),
                requirements=(need(0, 9, "x"), need(0, 9, "y")))
    r = solve(p)
    assert int(r.coverage["staffed"].sum()) == 1
    assert r.penalties["coverage_under"] == 100

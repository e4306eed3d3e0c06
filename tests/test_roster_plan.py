"""roster/plan.py: a concrete roster from CP-SAT's values or from chosen shifts, its
exact penalties (the same as CP-SAT's objective) and the Roster built from it."""

from __future__ import annotations

import pytest
from ortools.sat.python import cp_model

from fieldops.domain.roster import RosterStatus
from fieldops.solver.roster.plan import from_shifts, from_values, penalties, to_roster
from fieldops.solver.roster.solve import build_model
from fieldops.validators.roster import assert_roster_valid
from roster_fixtures import agent, need, problem, template


def _problem():  # type: ignore[no-untyped-def]
    return problem(days=3, agents=(agent("a", "x", "y"), agent("b", "x")), queues=("x", "y"),
                   templates=(template("E", 6, 8), template("L", 14, 8)),
                   requirements=(need(0, 7, "x", 2), need(0, 15, "y"), need(1, 9, "x"),
                                 need(2, 16, "x", 3)))


def _solved():  # type: ignore[no-untyped-def]
    p = _problem()
    m, _ = build_model(p)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 20
    assert solver.solve(m.model) == cp_model.OPTIMAL
    return p, m, list(solver.response_proto.solution), solver.objective_value


def test_exact_penalties_equal_cp_sat_objective() -> None:
    p, m, values, objective = _solved()
    agg = from_values(m, values)
    priced = penalties(m, agg)
    assert sum(priced.values()) == pytest.approx(objective)
    assert priced["coverage_under"] > 0  # day 2 needs three, two agents exist
    roster = to_roster(m, agg, RosterStatus.OPTIMAL, 0.1, {})
    assert_roster_valid(p, roster)
    assert roster.objective == pytest.approx(objective)
    assert len(roster.assignments) == len(agg.chosen)


def test_chosen_shifts_give_the_same_roster_as_the_values() -> None:
    p, m, values, _ = _solved()
    agg = from_values(m, values)
    shifts = {(a, slot.d, slot.t): q for (d, t, g, q), n in agg.assigned.items() if n
              for a, slot, ga in agg.chosen if (slot.d, slot.t, ga) == (d, t, g)}
    again = from_shifts(m, shifts)
    assert sorted((a, s.d, s.t) for a, s, _ in again.chosen) == sorted(
        (a, s.d, s.t) for a, s, _ in agg.chosen)
    # Chosen shifts keep each agent on its home queue in every block; the values may
    # move multi-skilled agents block by block, which can only help the optimum.
    assert all(n == again.assigned.get(key[:4], 0) for key, n in again.blocks.items())
    home = {k: v for k, v in agg.blocks.items()
            if v == agg.assigned.get(k[:4], 0)} == agg.blocks
    if home:
        assert {k: v for k, v in again.staffed.items() if v} == {
            k: v for k, v in agg.staffed.items() if v}
    assert sum(penalties(m, again).values()) >= sum(penalties(m, agg).values())
    assert_roster_valid(p, to_roster(m, again, RosterStatus.FEASIBLE, 0.1, {}))


def test_nothing_rostered_is_priced_as_the_empty_roster() -> None:
    p = _problem()
    m, _ = build_model(p)
    roster = to_roster(m, None, RosterStatus.FEASIBLE, 0.0, {})
    assert_roster_valid(p, roster)
    assert roster.assignments == ()
    assert list(roster.coverage["staffed"]) == [0, 0, 0, 0]
    under = sum(r.required * r.prices(p.weights)[0] for r in p.requirements)
    assert roster.penalties["coverage_under"] == under
    assert roster.objective == sum(roster.penalties.values())


def test_rebalancing_blocks_moves_pooled_heads_to_the_short_queue() -> None:
    """The heuristic's one-queue shifts, then a greedy block re-split: x needed 08-12,
    y 12-16, one agent with both skills and an 8-hour shift without a break."""
    from fieldops.solver.roster.plan import rebalance_blocks

    p = problem(days=1, agents=(agent("a", "x", "y"),), queues=("x", "y"),
                requirements=tuple(need(0, h, "x" if h < 12 else "y") for h in range(8, 16)))
    m, _ = build_model(p)
    ((a, d, t),) = [k for k in m.x]
    home = from_shifts(m, {(a, d, t): "x"})
    assert penalties(m, home)["coverage_under"] == 4 * 100  # y short 12-16
    pooled = rebalance_blocks(m, home)
    assert penalties(m, pooled)["coverage_under"] == 0
    roster = to_roster(m, pooled, RosterStatus.FEASIBLE, 0.1, {})
    assert_roster_valid(p, roster)  # the activities give the coverage claimed
    (shift,) = roster.assignments
    assert [a.queue for a in shift.activities] == ["x", "y"]

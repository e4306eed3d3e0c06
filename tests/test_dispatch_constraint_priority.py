"""constraints/priority.py: unassigned[priority] × travel bound per job left out."""

from __future__ import annotations

from fieldops.domain import (
    ObjectiveWeights,
    Priority,
    Unassigned,
    UnassignedReason,
)
from fieldops.solver.dispatch.constraints import priority

from line_world import LineWorld, assignment, reasons, shift, solve


def test_each_job_left_out_costs_its_priority_weight_times_the_travel_bound() -> None:
    w = LineWorld()
    a = w.technician("A", 0)
    weights = ObjectiveWeights(unassigned={Priority.CRITICAL: 50.0, Priority.HIGH: 20.0,
                                           Priority.NORMAL: 4.0, Priority.LOW: 0.5})
    problem = w.problem([a], [w.job("C", 1, priority=Priority.CRITICAL),
                              w.job("L", 2, priority=Priority.LOW)], weights=weights)
    reason = UnassignedReason.NOT_ENOUGH_CAPACITY
    left = [Unassigned("C", Priority.CRITICAL, reason), Unassigned("L", Priority.LOW, reason)]
    got = priority.penalty(problem, left, travel_bound=1000.0)
    assert got.constraint == "priority"
    assert got.amount == 2
    assert got.cost == 50.0 * 1000.0 + 0.5 * 1000.0
    assert priority.penalty(problem, [], travel_bound=1000.0).cost == 0


def test_priority_decides_which_job_is_left_out() -> None:
    # Room for one 5-hour job in an 8-hour shift. The critical job is further away
    # (more travel) but dropping it costs more than any amount of travel.
    w = LineWorld()
    a = w.technician("A", 0)
    low = w.job("LOW", 1, duration=300, priority=Priority.LOW)
    crit = w.job("CRIT", 60, duration=300, priority=Priority.CRITICAL)
    plan = solve(w.problem([a], [low, crit], shifts=[shift("A", 0, 480)]))
    assert assignment(plan) == {"CRIT": "A"}
    assert reasons(plan) == {"LOW": "not_enough_capacity"}

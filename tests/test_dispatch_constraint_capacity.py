"""constraints/capacity.py: summed loads within the van's capacity (hard)."""

from __future__ import annotations

from fieldops.solver.dispatch.constraints import capacity

from dispatch_timed import timed
from line_world import LineWorld, reasons, solve


def test_load_over_capacity_is_the_violation() -> None:
    w = LineWorld()
    a = w.technician("A", 0, capacity=5.0)
    b = w.technician("B", 0)  # no capacity: unlimited
    problem = w.problem([a, b], [w.job("J1", 5, load=3.0), w.job("J2", 10, load=4.5)])
    starts = [("J1", 5), ("J2", 40)]
    got = capacity.check(problem, timed(problem, "S-A", starts))
    assert got.hard and got.constraint == "capacity"
    assert got.amount == 3.0 + 4.5 - 5.0
    assert capacity.check(problem, timed(problem, "S-B", starts)).amount == 0


def test_van_capacity_limits_the_route() -> None:
    # Loads 6 + 6 exceed the van's 10; one job stays out. A load of 20 exceeds
    # every van and is diagnosed before solving.
    w = LineWorld()
    a = w.technician("A", 0, capacity=10)
    jobs = [w.job("J1", 1, load=6), w.job("J2", 2, load=6), w.job("BIG", 3, load=20)]
    plan = solve(w.problem([a], jobs))
    assert plan.kpis.jobs_assigned == 1
    assert reasons(plan)["BIG"] == "exceeds_capacity"
    assert sorted(reasons(plan).values()) == ["exceeds_capacity", "not_enough_capacity"]

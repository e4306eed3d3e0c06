"""constraints/travel.py: travel_time per second + travel_distance per km, every leg."""

from __future__ import annotations

from fieldops.domain import (
    ObjectiveWeights,
)
from fieldops.solver.dispatch.constraints import travel

from dispatch_timed import timed
from line_world import LineWorld, mins, solve


def test_travel_costs_every_leg_home_included() -> None:
    # Home at km 0, jobs at km 10 and 25: legs of 10, 15 and 25 km (1 km = 1 min).
    w = LineWorld()
    a = w.technician("A", 0)
    jobs = [w.job("J1", 10), w.job("J2", 25)]
    weights = ObjectiveWeights(travel_time=2.0, travel_distance=0.5)
    problem = w.problem([a], jobs, weights=weights)
    route = timed(problem, "S-A", [("J1", 10), ("J2", 55)])
    km = 10 + 15 + 25
    expected = 2.0 * km * 60 + 0.5 * km
    got = travel.penalty(problem, route)
    assert got.constraint == "travel" and not got.hard
    assert got.cost == expected
    assert got.amount == km * 60


def test_an_empty_day_at_home_costs_nothing() -> None:
    w = LineWorld()
    a = w.technician("A", 0)
    problem = w.problem([a], [w.job("J", 5)])
    assert travel.penalty(problem, timed(problem, "S-A", [])).cost == 0


def test_jobs_on_a_line_are_visited_in_order() -> None:
    # Jobs at km -10, 20 and 30 from home at 0: every tour must reach both ends of
    # the road and come back, so 2 × 10 + 2 × 30 = 80 km is the least possible, and
    # only orders that visit -10 on its own side achieve it (e.g. -10, 20, 30 costs
    # 10 + 30 + 10 + 30 = 80; 20, -10, 30 costs 20 + 30 + 40 + 30 = 120).
    w = LineWorld()
    a = w.technician("A", 0)
    jobs = [w.job("C", 30), w.job("W", -10), w.job("B", 20)]
    plan = solve(w.problem([a], jobs))
    order = plan.routes[0].request_ids
    assert order[0] == "W" or order[-1] == "W"
    assert plan.kpis.travel_distance == 80_000
    assert plan.kpis.travel_time == mins(80)

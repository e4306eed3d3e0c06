"""constraints/preferences.py: non_preferred per job served by someone it did not prefer."""

from __future__ import annotations

from fieldops.domain import (
    ObjectiveWeights,
)
from fieldops.solver.dispatch.constraints import preferences

from dispatch_timed import timed
from line_world import LineWorld, assignment, solve


def test_each_job_that_prefers_someone_else_costs_the_weight() -> None:
    w = LineWorld()
    a, b, c = w.technician("A", 0), w.technician("B", 50), w.technician("C", 60)
    jobs = [w.job("B1", 5, preferred_technicians=("B",)),
            w.job("B2", 10, preferred_technicians=("B", "C")),
            w.job("AB", 15, preferred_technicians=("A", "B")),
            w.job("ANY", 20)]
    problem = w.problem([a, b, c], jobs, weights=ObjectiveWeights(non_preferred=250.0))
    route = timed(problem, "S-A", [("B1", 5), ("B2", 40), ("AB", 75), ("ANY", 110)])
    got = preferences.penalty(problem, route)
    assert got.constraint == "preferences"
    assert got.amount == 2
    assert got.cost == 2 * 250.0


def test_preferred_technician_wins_a_tie() -> None:
    w = LineWorld()
    a, b = w.technician("A", 0), w.technician("B", 0)
    job = w.job("J", 10, preferred_technicians=("B",))
    plan = solve(w.problem([a, b], [job]))
    assert assignment(plan) == {"J": "B"}
    assert plan.penalties["preference"] == 0


def test_preference_is_soft_against_a_long_detour() -> None:
    # B is 60 km further away: 120 extra minutes of driving cost more than the
    # 30-minute (1 800 s) non-preference penalty, so A goes and the penalty is paid.
    w = LineWorld()
    a, b = w.technician("A", 0), w.technician("B", 70)
    job = w.job("J", 10, preferred_technicians=("B",))
    plan = solve(w.problem([a, b], [job]))
    assert assignment(plan) == {"J": "A"}
    assert plan.penalties["preference"] == 1800

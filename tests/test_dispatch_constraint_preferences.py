"""constraints/preferences.py: non_preferred per job served by someone it did not prefer."""

from __future__ import annotations

from fieldops.domain import ObjectiveWeights
from fieldops.solver.dispatch.constraints import preferences

from dispatch_timed import timed
from line_world import LineWorld


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

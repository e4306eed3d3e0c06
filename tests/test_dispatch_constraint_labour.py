"""constraints/labour.py: weights.labour × cost_per_hour × hours of span."""

from __future__ import annotations

import dataclasses

from fieldops.domain import ObjectiveWeights
from fieldops.solver.dispatch.constraints import labour

from dispatch_timed import timed
from line_world import LineWorld


def test_labour_is_paid_from_departure_to_return() -> None:
    w = LineWorld()
    a = dataclasses.replace(w.technician("A", 0), cost_per_hour=30.0)
    job = w.job("J", 20, duration=50)
    problem = w.problem([a], [job], weights=ObjectiveWeights(labour=2.0))
    # Leaves at minute 10, serves from 30 to 80, home at 100: 90 minutes paid.
    route = timed(problem, "S-A", [("J", 30)], departure=10)
    got = labour.penalty(problem, route)
    assert got.constraint == "labour"
    assert got.amount == 1.5
    assert got.cost == 2.0 * 30.0 * 1.5


def test_labour_is_free_at_weight_zero() -> None:
    w = LineWorld()
    a = dataclasses.replace(w.technician("A", 0), cost_per_hour=30.0)
    problem = w.problem([a], [w.job("J", 20)])
    assert labour.penalty(problem, timed(problem, "S-A", [("J", 20)])).cost == 0

"""constraints/shifts.py: overtime (soft) and the shift's hours (hard)."""

from __future__ import annotations

from fieldops.domain import ObjectiveWeights
from fieldops.solver.dispatch.constraints import shifts

from dispatch_timed import timed
from line_world import LineWorld, shift


def test_overtime_is_charged_per_hour_back_after_shift_end() -> None:
    w = LineWorld()
    a = w.technician("A", 0)
    job = w.job("J", 30, duration=60)
    problem = w.problem([a], [job], shifts=[shift("A", 0, 100, overtime=60)],
                        weights=ObjectiveWeights(overtime_per_hour=600.0))
    # Serves 50–110, home at 140: 40 minutes after the end at 100.
    route = timed(problem, "S-A", [("J", 50)])
    got = shifts.penalty(problem, route)
    assert got.constraint == "shifts"
    assert got.amount == 40 / 60
    assert got.cost == 40 * 60 / 3600 * 600.0
    assert shifts.check(problem, route).amount == 0


def test_leaving_early_or_back_after_the_overtime_is_a_violation() -> None:
    w = LineWorld()
    a = w.technician("A", 0)
    job = w.job("J", 30, duration=60)
    problem = w.problem([a], [job], shifts=[shift("A", 10, 100, overtime=20)])
    # Leaves at 0 (10 min early), home at 140 (20 min past 100 + 20).
    got = shifts.check(problem, timed(problem, "S-A", [("J", 50)], departure=0))
    assert got.hard and got.cost == 0
    assert got.amount == (10 + 20) * 60

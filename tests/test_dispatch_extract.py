"""extract.py: the plan built from timed routes, its KPIs and its penalties in real
units (the objective is their sum)."""

from __future__ import annotations

import pytest

from line_world import LineWorld, solve


def test_objective_is_the_sum_of_the_penalties() -> None:
    w = LineWorld()
    a = w.technician("A", 0)
    plan = solve(w.problem([a], [w.job("J1", 10), w.job("J2", 900)]))
    assert plan.objective == pytest.approx(sum(plan.penalties.values()), abs=0.01)
    assert plan.penalties["travel"] == 20 * 60  # 10 km out and back at 1 km/min, 1 per s
    assert plan.penalties["unassigned"] > plan.penalties["travel"]

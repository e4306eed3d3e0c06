"""polish.py: OR-Tools from the best candidate, or from its own first solution."""

from __future__ import annotations

import pytest

from fieldops.solver.dispatch import SolveParams, solve_dispatch
from fieldops.validators.dispatch import assert_valid

from line_world import LineWorld


@pytest.mark.parametrize("strategy", ["path_cheapest_arc", "savings", "local_cheapest_insertion"])
def test_other_first_solution_strategies_give_valid_plans(strategy: str) -> None:
    w = LineWorld()
    techs = [w.technician("A", 0), w.technician("B", 50)]
    jobs = [w.job(f"J{i}", i * 7 % 60, duration=20) for i in range(8)]
    problem = w.problem(techs, jobs)
    plan = solve_dispatch(problem, SolveParams(time_limit=1, first_solution=strategy))
    assert_valid(problem, plan)
    assert plan.kpis.jobs_assigned == 8

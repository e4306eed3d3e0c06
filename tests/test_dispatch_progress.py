"""The solver's progress reports speak the plan's language (what ``fieldops solve``,
``demo`` and the API's progress show while the search runs)."""

from __future__ import annotations

import pytest

from fieldops.data.sample import load_demo_day
from fieldops.domain import UnassignedReason
from fieldops.solver.dispatch import Progress, SolveParams, solve_dispatch
from fieldops.validators.dispatch import assert_valid

#: Internal costs are rounded integers per arc and job; the scales must agree to this.
RELATIVE_TOLERANCE = 1e-3


def test_progress_objective_is_on_the_plans_scale_and_counts_plans() -> None:
    problem = load_demo_day()
    seen: list[Progress] = []
    plan = solve_dispatch(problem, SolveParams(time_limit=4), progress=seen.append)
    assert_valid(problem, plan)
    # The demo day has jobs nobody is qualified for: the diagnosis leaves them out
    # of the routing model, and their cost must still be in the reported objective.
    assert any(u.reason is UnassignedReason.NO_QUALIFIED_TECHNICIAN for u in plan.unassigned)
    assert seen
    best = seen[-1]
    assert best.objective == pytest.approx(plan.objective, rel=RELATIVE_TOLERANCE)
    # Every report is a plan found, so the count is never 0 and never goes down.
    counts = [p.solutions for p in seen]
    assert counts[0] >= 1 and counts == sorted(counts)
    assert best.assigned == plan.kpis.jobs_assigned

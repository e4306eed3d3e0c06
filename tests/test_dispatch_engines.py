"""engines/__init__.py: the interface every engine keeps (its result, and the two
ways it may return nothing: unavailable or stopped)."""

from __future__ import annotations

from typing import Any

import pytest

from fieldops.solver.dispatch import SolveParams, solve_dispatch
from fieldops.solver.dispatch.engines import EngineResult, EngineStopped, EngineUnavailable, hgs
from fieldops.solver.dispatch.engines import vroom as vroom_engine
from fieldops.solver.dispatch.engines.flat import FlatProblem
from fieldops.validators.dispatch import assert_valid

from line_world import lunch_day, solver_info, spy, tiny_flat


def test_a_result_is_feasible_with_its_own_details_unless_told() -> None:
    a, b = EngineResult("x", [[0]], 0.1), EngineResult("y", [[]], 0.2)
    assert a.feasible and a.details == {}
    a.details["k"] = 1
    assert b.details == {}  # not shared between results


def test_an_engine_refuses_what_it_cannot_express() -> None:
    with pytest.raises(EngineUnavailable, match="lunch breaks"):
        hgs.solve(tiny_flat(breaks=True), 0.5, seed=0, all_required=True)
    assert issubclass(EngineUnavailable, RuntimeError)


def test_a_stopped_engine_is_reported_and_the_construction_kept(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def stopped(flat: FlatProblem, time_limit: float, **kwargs: Any) -> EngineResult:
        raise EngineStopped("stopped by the caller")

    problem = lunch_day()
    spy(monkeypatch, vroom_engine, replace=stopped)
    plan = solve_dispatch(problem, SolveParams(time_limit=2))
    assert_valid(problem, plan)
    assert solver_info(plan)["engines"]["vroom"] == {"stopped": True}
    assert solver_info(plan)["engine"].startswith("fieldops-insertion")
    assert plan.kpis.jobs_assigned > 0

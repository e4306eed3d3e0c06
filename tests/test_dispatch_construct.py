"""construct.py: the fieldops construction (insertion, re-timing of given routes,
the swap for a higher-priority job) and its objective."""

from __future__ import annotations

from typing import Any

import pytest

from fieldops.domain import Priority
from fieldops.solver.dispatch import SolveParams, solve_dispatch
from fieldops.solver.dispatch.construct import Constructor
from fieldops.solver.dispatch.engines import EngineResult, hgs
from fieldops.solver.dispatch.engines.flat import FlatProblem
from fieldops.solver.dispatch.solve import evaluate_routes
from fieldops.validators.dispatch import assert_valid

from line_world import LineWorld, solve, solver_info, spy


def test_retiming_tries_the_break_before_every_leg(monkeypatch: pytest.MonkeyPatch) -> None:
    # VROOM may put the lunch break where neither of the scheduler's own rules
    # (lazy: as late as the next job allows; eager: at the first stop after the
    # window opens) would. Here both rules are made to fail on every route with
    # a break: re-timing must still keep each route whole by trying the break
    # before each leg, and the plan must pass the validator.
    from fieldops.data.sample import load_demo_day

    problem = load_demo_day()
    plan = solve_dispatch(problem, SolveParams(time_limit=3))
    assert_valid(problem, plan)
    routes = {r.shift_id: list(r.request_ids) for r in plan.routes}
    with_break = {r.shift_id for r in plan.routes if r.request_ids and any(
        s.id == r.shift_id and s.lunch is not None for s in problem.shifts)}
    assert with_break
    original = Constructor._schedule

    def rules_fail(self, v, veh, route, *, eager, break_before=None, on_arrival=False):  # type: ignore[no-untyped-def]
        if break_before is None and veh.lunch is not None and route:
            return None
        return original(self, v, veh, route, eager=eager, break_before=break_before,
                        on_arrival=on_arrival)

    monkeypatch.setattr(Constructor, "_schedule", rules_fail)
    same = evaluate_routes(problem, routes)
    assert_valid(problem, same)
    assert solver_info(same)["repaired_jobs"] == 0
    assert same.kpis.jobs_assigned == plan.kpis.jobs_assigned


def test_a_left_out_job_takes_the_place_of_a_lower_priority_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # One van, room for three long jobs; the engine filled it with the three low
    # ones. Re-inserting the high job needs one of them out: cheapest insertion
    # alone leaves it out, the swap puts it in.
    w = LineWorld()
    tech = w.technician("A", 0)
    lows = [w.job(f"L{i}", 1 + i, duration=170, priority=Priority.LOW) for i in range(3)]
    high = w.job("H", 2, duration=170, priority=Priority.HIGH)
    problem = w.problem([tech], [*lows, high])

    def low_only(flat: FlatProblem, time_limit: float, **kwargs: Any) -> EngineResult:
        return EngineResult("pyvrp-hgs", [[0, 1, 2]], 0.0)

    spy(monkeypatch, hgs, replace=low_only)
    plan = solve_dispatch(problem, SolveParams(time_limit=2))
    assert_valid(problem, plan)
    as_given = evaluate_routes(problem, {"S-A": ["L0", "L1", "L2"]})
    assert "H" not in {rid for r in as_given.routes for rid in r.request_ids}
    candidate = solver_info(plan)["engines"]["pyvrp-hgs"]["objective_internal"]
    assert candidate < solver_info(as_given)["objective_internal"]
    assert "H" in {rid for r in plan.routes for rid in r.request_ids}


def test_construction_and_plan_price_the_same_objective() -> None:
    # One job, one technician: the only plan drives 15 km out and back and returns
    # 30 minutes after shift end. Overtime is free here, so the construction's own
    # objective must equal the plan's (travel only): both use the cost definitions
    # of the constraint modules, with no private copy that could drift.
    import dataclasses

    from line_world import shift

    w = LineWorld()
    a = w.technician("A", 0)
    problem = w.problem([a], [w.job("J", 15, duration=120)],
                        shifts=[shift("A", 0, 120, overtime=60)])
    problem = dataclasses.replace(
        problem, weights=dataclasses.replace(problem.weights, overtime_per_hour=0.0))
    plan = solve(problem)
    assert plan.routes[0].kpis.overtime.total_seconds() == 30 * 60
    assert plan.penalties["overtime"] == 0
    assert plan.solver["construction_objective"] == pytest.approx(plan.objective)
    assert plan.objective == 30 * 60  # 30 minutes of driving at 1 per second

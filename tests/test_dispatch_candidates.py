"""candidates.py: which engine runs beside the construction, with which share of the
time, and how its routes are re-timed, repaired, priced or given up on."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from fieldops.solver.dispatch import SolveParams, solve_dispatch
from fieldops.solver.dispatch.construct import Constructor
from fieldops.solver.dispatch.engines import EngineResult, hgs
from fieldops.solver.dispatch.engines import vroom as vroom_engine
from fieldops.solver.dispatch.engines.flat import FlatProblem
from fieldops.solver.dispatch.params import EngineParams
from fieldops.validators.dispatch import assert_valid

from line_world import lunch_day, solver_info, spy, vrptw_day


def test_pure_vrptw_goes_to_pyvrp_with_the_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = vrptw_day()
    calls = spy(monkeypatch, hgs)
    plan = solve_dispatch(problem, SolveParams(time_limit=2, seed=7))
    assert_valid(problem, plan)
    assert calls and calls[0]["seed"] == 7
    assert calls[0]["time_limit"] < 2  # a share of the limit, the rest for OR-Tools
    assert solver_info(plan)["engine"].startswith(("pyvrp-hgs", "fieldops-insertion"))
    report = solver_info(plan)["engines"]["pyvrp-hgs"]
    assert report["assigned"] == len(problem.requests) == plan.kpis.jobs_assigned


def _small_pyvrp_day(monkeypatch: pytest.MonkeyPatch, time_limit: float
                     ) -> tuple[Any, list[dict[str, Any]], Any]:
    """A 16-job pure VRPTW solved with PyVRP's calls spied on; the plan is validated."""
    problem = vrptw_day(16)
    calls = spy(monkeypatch, hgs)
    plan = solve_dispatch(problem, SolveParams(time_limit=time_limit))
    assert_valid(problem, plan)
    return problem, calls, plan


def test_small_day_pyvrp_models_in_full_gets_the_polish_time_too(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A pure VRPTW under 400 jobs: PyVRP's objective is the full objective, so
    # OR-Tools does not polish after it and PyVRP has its time (the 99 % share).
    from fieldops.solver.dispatch import candidates

    _problem, calls, plan = _small_pyvrp_day(monkeypatch, 2)
    info = solver_info(plan)
    assert info["search_skipped"] == candidates.EXACT_REASON
    assert "ortools-routing" not in info["engine"]
    assert calls[0]["time_limit"] > 2 * EngineParams().hgs_share


def test_a_small_pyvrp_day_restarts_a_stagnant_search_and_its_plan_is_valid(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A 16-job day converges at once: after 30 % of PyVRP's budget without a better
    # plan the search starts afresh; with the share at 1 it never does.
    problem, calls, plan = _small_pyvrp_day(monkeypatch, 3)
    assert calls[0]["restart_after"] == pytest.approx(
        calls[0]["time_limit"] * EngineParams().hgs_restart_share)
    assert solver_info(plan)["engines"]["pyvrp-hgs"]["restarts"] >= 1
    never = SolveParams(time_limit=2, engines=EngineParams(hgs_restart_share=1.0))
    plan = solve_dispatch(problem, never)
    assert_valid(problem, plan)
    assert "restarts" not in solver_info(plan)["engines"]["pyvrp-hgs"]


def test_field_day_with_lunch_goes_to_vroom(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = lunch_day()
    pyvrp_calls = spy(monkeypatch, hgs)
    vroom_calls = spy(monkeypatch, vroom_engine)
    # 5 s: VROOM's child must start and answer within the budget on a busy box.
    plan = solve_dispatch(problem, SolveParams(time_limit=5, workers=2))
    assert_valid(problem, plan)
    assert not pyvrp_calls and vroom_calls
    assert vroom_calls[0]["threads"] == 2  # the cores go to VROOM, no process portfolio
    assert "portfolio" not in plan.solver
    assert "error" not in solver_info(plan)["engines"]["vroom"]


def test_vroom_starts_beside_the_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    # The construction waits (up to 5 s) for VROOM to be called: if VROOM only
    # started after the construction, it would find the construction finished.
    called = threading.Event()
    finished = threading.Event()
    seen: dict[str, bool] = {}
    real_solve = vroom_engine.solve

    def engine(flat: FlatProblem, time_limit: float, **kwargs: Any) -> EngineResult:
        seen["construction_finished"] = finished.is_set()
        called.set()
        return real_solve(flat, time_limit, **kwargs)

    real_build = Constructor.build

    def build(self: Constructor, *args: Any, **kwargs: Any) -> list[list[int]]:
        first = not finished.is_set() and not args and not kwargs
        if first:
            called.wait(5)
        routes = real_build(self, *args, **kwargs)
        if first:
            finished.set()
        return routes

    monkeypatch.setattr(Constructor, "build", build)
    spy(monkeypatch, vroom_engine, replace=engine)
    problem = lunch_day()
    # 6 s: VROOM's child must start and answer before the search's deadline (it
    # is killed there), which took over 3 s at load 4.
    plan = solve_dispatch(problem, SolveParams(time_limit=6))
    assert_valid(problem, plan)
    assert seen == {"construction_finished": False}
    assert "error" not in solver_info(plan)["engines"]["vroom"]


def test_engine_failure_falls_back_to_the_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(flat: FlatProblem, time_limit: float, **kwargs: Any) -> EngineResult:
        raise RuntimeError("engine crashed")

    problem = lunch_day()
    spy(monkeypatch, vroom_engine, replace=broken)
    plan = solve_dispatch(problem, SolveParams(time_limit=2))
    assert_valid(problem, plan)
    assert solver_info(plan)["engines"]["vroom"]["error"] == "RuntimeError: engine crashed"
    assert solver_info(plan)["engine"].startswith("fieldops-insertion")
    assert plan.kpis.jobs_assigned > 0


def test_engine_routes_breaking_our_rules_are_repaired(monkeypatch: pytest.MonkeyPatch) -> None:
    # An engine that puts every job on the first vehicle, in reverse order: the
    # gas job is fine there, but the day cannot fit one van with its lunch; the
    # solver re-times, takes out what does not fit, re-inserts elsewhere.
    def careless(flat: FlatProblem, time_limit: float, **kwargs: Any) -> EngineResult:
        routes = [list(reversed(range(flat.n_jobs)))] + [[] for _ in flat.vehicles[1:]]
        return EngineResult("vroom", routes, 0.0)

    problem = lunch_day()
    spy(monkeypatch, vroom_engine, replace=careless)
    plan = solve_dispatch(problem, SolveParams(time_limit=2))
    assert_valid(problem, plan)
    report = solver_info(plan)["engines"]["vroom"]
    assert report["repaired_jobs"] > 0
    # What was taken out went back in elsewhere: both vans work, the critical job is in.
    assert len(plan.routes) == 2
    assert "GAS" in {rid for r in plan.routes for rid in r.request_ids}


def test_engine_budget_stays_inside_the_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = lunch_day()
    calls = spy(monkeypatch, vroom_engine)
    plan = solve_dispatch(problem, SolveParams(time_limit=1.5))
    assert_valid(problem, plan)
    assert 0 < calls[0]["time_limit"] < 1.5 * EngineParams().vroom_share


def test_engine_share_comes_from_the_params(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = lunch_day()
    calls = spy(monkeypatch, vroom_engine)
    plan = solve_dispatch(problem, SolveParams(time_limit=2,
                                               engines=EngineParams(vroom_share=0.2)))
    assert_valid(problem, plan)
    assert 0 < calls[0]["time_limit"] < 2 * 0.2


@pytest.mark.parametrize("large", [True, False])
def test_ruin_and_recreate_runs_beside_vroom_on_large_days_only(
        monkeypatch: pytest.MonkeyPatch, large: bool) -> None:
    # While VROOM's child runs (here: a stand-in that takes 0.8 s and finds
    # nothing), a day past warm_start_max_jobs has its construction improved in
    # this process; a smaller day waits for VROOM as before. The plan is valid.
    import time

    from fieldops.solver.dispatch import candidates
    from fieldops.solver.dispatch.improve import RuinRecreate

    problem = lunch_day()
    engine_alive = threading.Event()

    def slow_engine(state: Any, constructed: Any) -> None:
        engine_alive.set()
        time.sleep(0.8)
        engine_alive.clear()

    beside: list[bool] = []
    original = RuinRecreate.run

    def run(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        beside.append(engine_alive.is_set())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(candidates, "run_engine", slow_engine)
    monkeypatch.setattr(RuinRecreate, "run", run)
    monkeypatch.setattr(candidates.os, "cpu_count", lambda: 2)  # a core to spare
    limit = 0 if large else len(problem.requests)
    plan = solve_dispatch(problem, SolveParams(
        time_limit=2, engines=EngineParams(warm_start_max_jobs=limit)))
    assert_valid(problem, plan)
    assert beside and beside[0] is large
    stats = solver_info(plan)["ruin_recreate"]
    assert stats["iterations"] > 0 and stats["best_objective"] <= stats["start_objective"]


@pytest.mark.parametrize("large", [True, False])
def test_vroom_waits_for_the_first_plan_on_large_days_only(
        monkeypatch: pytest.MonkeyPatch, large: bool) -> None:
    # Past warm_start_max_jobs VROOM's child starts once the construction's plan
    # has been reported (handing it the day slowed the first plan by half); on a
    # smaller day it starts first, to get the construction's seconds.
    from fieldops.solver.dispatch import candidates

    problem = lunch_day()
    reported = threading.Event()
    seen_at_start: list[bool] = []

    def engine(state: Any, constructed: Any) -> None:
        seen_at_start.append(reported.is_set())

    monkeypatch.setattr(candidates, "run_engine", engine)
    limit = 0 if large else len(problem.requests)
    plan = solve_dispatch(problem, SolveParams(
        time_limit=1, engines=EngineParams(warm_start_max_jobs=limit)),
        progress=lambda p: reported.set())
    assert_valid(problem, plan)
    assert seen_at_start == [large]


@pytest.mark.parametrize("huge", [True, False])
def test_vroom_is_asked_for_its_first_plan_only_on_huge_days(
        monkeypatch: pytest.MonkeyPatch, huge: bool) -> None:
    # Past HUGE_JOBS VROOM's start heuristics are most of its work: it is asked
    # for a short timeout (its first plan, early) while the parent waits up to
    # the whole budget; a smaller day keeps the crowding rule (aim left to it).
    from fieldops.solver.dispatch import candidates

    problem = lunch_day()
    monkeypatch.setattr(vroom_engine, "HUGE_JOBS", 0 if huge else len(problem.requests))
    calls = spy(monkeypatch, vroom_engine, replace=lambda *args, **kwargs: None)
    plan = solve_dispatch(problem, SolveParams(time_limit=1))
    assert_valid(problem, plan)
    assert calls[0]["aim"] == (candidates.HUGE_VROOM_TIMEOUT if huge else None)


@pytest.mark.parametrize("share", [None, 0.6])
def test_ruin_and_recreate_has_the_time_after_vroom(monkeypatch: pytest.MonkeyPatch,
                                                    share: float | None) -> None:
    # By default ruin and recreate runs to the search's deadline after the engine
    # (ruin_share 1.0: OR-Tools' polish gained nothing after it on field days), so
    # OR-Tools is not started; a smaller share still leaves it the rest. (VROOM's
    # child is left out: on a loaded machine it may take the whole of a short limit.)
    from fieldops.solver.dispatch import candidates

    monkeypatch.setattr(candidates, "run_engine", lambda *args, **kwargs: None)
    problem = lunch_day()
    engines = EngineParams() if share is None else EngineParams(ruin_share=share)
    plan = solve_dispatch(problem, SolveParams(time_limit=3, engines=engines))
    assert_valid(problem, plan)
    info = solver_info(plan)
    assert info["ruin_recreate"]["iterations"] > 0
    if share is None:
        assert info["routing_status"] == []
    else:
        assert info["routing_status"]  # OR-Tools ran in the rest


@pytest.mark.parametrize("from_construction", [True, False])
def test_pyvrp_starts_from_the_construction_unless_told_otherwise(
        monkeypatch: pytest.MonkeyPatch, from_construction: bool) -> None:
    problem = vrptw_day(12)
    calls = spy(monkeypatch, hgs)
    engines = EngineParams(hgs_from_construction=from_construction)
    plan = solve_dispatch(problem, SolveParams(time_limit=2, engines=engines))
    assert_valid(problem, plan)
    assert (calls[0]["initial"] is not None) is from_construction

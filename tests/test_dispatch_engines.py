"""The engine layer: the flat integer view, PyVRP and VROOM mappings, and how the
solver re-times, repairs, prices and falls back on what the engines return."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

from fieldops.domain import LunchBreak, Priority, Skill, TimeWindow
from fieldops.solver.dispatch import SolveParams, solve_dispatch
from fieldops.solver.dispatch.construct import Constructor
from fieldops.solver.dispatch.engines import EngineResult, hgs
from fieldops.solver.dispatch.engines import vroom as vroom_engine
from fieldops.solver.dispatch.engines.flat import FlatJob, FlatProblem, FlatVehicle
from fieldops.solver.dispatch.params import EngineParams
from fieldops.solver.dispatch.solve import evaluate_routes
from fieldops.validators.dispatch import assert_valid

from line_world import LineWorld, shift, t


def solver_info(plan: Any) -> dict[str, Any]:
    """``plan.solver`` as the loosely typed record it is."""
    return dict(plan.solver)


# ----------------------------------------------------------------- fixtures
def vrptw_day(n: int = 12) -> Any:
    """Two vans at km 0, jobs with windows along the road: PyVRP can take it."""
    w = LineWorld()
    techs = [w.technician("A", 0), w.technician("B", 0)]
    jobs = [w.job(f"J{i}", (i * 17) % 60, duration=20,
                  windows=(TimeWindow(t((i % 4) * 60), t((i % 4) * 60 + 180)),))
            for i in range(n)]
    return w.problem(techs, jobs)


def lunch_day() -> Any:
    """Lunch breaks, skills, two windows for one job: VROOM's field day."""
    w = LineWorld()
    lunch = LunchBreak(duration=t(30) - t(0), earliest_start=t(180), latest_start=t(240))
    techs = [w.technician("A", 0, skills=[Skill("gas", 2)]), w.technician("B", 40)]
    jobs = [w.job(f"J{i}", (i * 13) % 50, duration=25) for i in range(8)]
    jobs.append(w.job("GAS", 20, duration=30, required_skills=(Skill("gas", 1),),
                      priority=Priority.CRITICAL))
    jobs.append(w.job("TWO", 35, duration=20,
                      windows=(TimeWindow(t(0), t(30)), TimeWindow(t(300), t(360)))))
    shifts = [shift("A", lunch=lunch), shift("B", lunch=lunch, overtime=60)]
    return w.problem(techs, jobs, shifts=shifts)


def tiny_flat(breaks: bool = False) -> FlatProblem:
    """Depot nodes 4..7 at 0; jobs 0..3 one to four time units out; job 3 only on
    vehicle 1; job 0 must start in [100, 200]."""
    places = [1, 2, 3, 4, 0, 0, 0, 0]
    travel = np.array([[abs(a - b) * 10 for b in places] for a in places], dtype=np.int64)
    jobs = tuple(
        FlatJob(service=5, windows=((100, 200),) if j == 0 else ((0, 1000),), load=0,
                allowed=frozenset({1}) if j == 3 else None, priority=2,
                drop_cost=10_000, pinned=False, has_soft_terms=False)
        for j in range(4))
    vehicles = tuple(
        FlatVehicle(start_node=4 + 2 * v, end_node=5 + 2 * v, start=0, soft_end=1000,
                    latest_end=1000, lunch=(50, 400, 30) if breaks else None,
                    capacity=None, labour_cost=0, overtime_cost=0)
        for v in range(2))
    return FlatProblem(travel=travel, cost=travel * 100, jobs=jobs, vehicles=vehicles,
                       horizon=1000)


def check_flat_routes(flat: FlatProblem, routes: list[list[int]]) -> None:
    """Each job once, allowed vehicles kept, windows met with the given travel."""
    served = sorted(j for r in routes for j in r)
    assert served == list(range(flat.n_jobs))
    for v, route in enumerate(routes):
        veh = flat.vehicles[v]
        clock, here = veh.start, veh.start_node
        for j in route:
            job = flat.jobs[j]
            assert job.allowed is None or v in job.allowed
            clock = max(clock + int(flat.travel[here, j]), job.windows[0][0])
            assert clock <= job.windows[-1][1]
            clock += job.service
            here = j
        assert clock + int(flat.travel[here, veh.end_node]) <= veh.latest_end


def spy(monkeypatch: pytest.MonkeyPatch, module: Any, replace: Any = None) -> list[dict[str, Any]]:
    """Record every call of ``module.solve`` (and optionally replace it)."""
    calls: list[dict[str, Any]] = []
    real = module.solve

    def wrapper(flat: FlatProblem, time_limit: float, **kwargs: Any) -> EngineResult:
        calls.append({"flat": flat, "time_limit": time_limit, **kwargs})
        if replace is not None:
            return replace(flat, time_limit, **kwargs)
        return real(flat, time_limit, **kwargs)

    monkeypatch.setattr(module, "solve", wrapper)
    return calls


# ----------------------------------------------------------------- flat view
def test_flat_view_carries_the_modelled_day(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = lunch_day()
    calls = spy(monkeypatch, vroom_engine)
    plan = solve_dispatch(problem, SolveParams(time_limit=3))
    assert_valid(problem, plan)
    flat: FlatProblem = calls[0]["flat"]
    ids = [r.id for r in problem.requests]
    assert flat.n_jobs == len(ids) and flat.n_vehicles == 2 and flat.has_breaks
    gas, two = flat.jobs[ids.index("GAS")], flat.jobs[ids.index("TWO")]
    assert gas.allowed == frozenset({0})  # only A holds the gas skill
    assert flat.jobs[0].allowed is None
    assert len(two.windows) == 2 and two.windows[0][1] < two.windows[1][0]
    assert gas.drop_cost > flat.jobs[0].drop_cost  # critical costs more to leave out
    assert flat.vehicles[1].latest_end - flat.vehicles[1].soft_end == 3600  # overtime
    # Travel in whole seconds between model nodes: 1 km per minute on the road.
    a_home = flat.vehicles[0].start_node
    assert flat.travel[a_home, ids.index("GAS")] == 20 * 60


# ----------------------------------------------------------------- engines alone
def test_hgs_refuses_what_it_cannot_express() -> None:
    assert hgs.why_not(tiny_flat()) is None
    assert hgs.why_not(tiny_flat(breaks=True)) == "lunch breaks"


@pytest.mark.parametrize("engine", ["hgs", "vroom"])
def test_engine_routes_respect_windows_and_allowed_vehicles(engine: str) -> None:
    flat = tiny_flat()
    if engine == "hgs":
        result = hgs.solve(flat, 0.5, seed=3, all_required=True)
    else:
        result = vroom_engine.solve(flat, 0.5)
    assert result.feasible
    check_flat_routes(flat, result.routes)


def test_vroom_takes_breaks_into_account() -> None:
    flat = tiny_flat(breaks=True)
    result = vroom_engine.solve(flat, 0.5)
    check_flat_routes(flat, result.routes)


# ----------------------------------------------------------------- in the solver
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


def test_field_day_with_lunch_goes_to_vroom(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = lunch_day()
    pyvrp_calls = spy(monkeypatch, hgs)
    vroom_calls = spy(monkeypatch, vroom_engine)
    plan = solve_dispatch(problem, SolveParams(time_limit=3, workers=2))
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
    plan = solve_dispatch(problem, SolveParams(time_limit=3))
    assert_valid(problem, plan)
    assert seen == {"construction_finished": False}
    assert "error" not in solver_info(plan)["engines"]["vroom"]


def test_vroom_explores_less_when_its_searches_cannot_finish() -> None:
    # A day whose searches fit the time keeps the full level; a large day (or a
    # short budget) gets fewer, longer searches. The rule grows with jobs².
    assert vroom_engine.exploration_for(1000, 52.0) == vroom_engine.EXPLORATION
    assert vroom_engine.exploration_for(2000, 52.0) == vroom_engine.CROWDED_EXPLORATION
    assert vroom_engine.exploration_for(1000, 8.0) == vroom_engine.CROWDED_EXPLORATION
    assert vroom_engine.exploration_for(2000, 300.0) == vroom_engine.EXPLORATION
    assert vroom_engine.CROWDED_EXPLORATION < vroom_engine.EXPLORATION
    # The engine uses the rule unless told a level; the level reaches VROOM.
    flat = tiny_flat()
    default = vroom_engine.solve(flat, 0.5)
    assert default.details["exploration"] == vroom_engine.exploration_for(flat.n_jobs, 0.5)
    check_flat_routes(flat, default.routes)
    told = vroom_engine.solve(flat, 0.5, exploration=1)
    assert told.details["exploration"] == 1
    check_flat_routes(flat, told.routes)


def test_vroom_child_asks_for_a_share_of_what_is_left() -> None:
    # 10 s granted, the child read its input 1 s after it was sent: 90 % of 9 s.
    assert vroom_engine.child_timeout(10.0, 100.0, 101.0) == pytest.approx(
        vroom_engine.TIMEOUT_FRACTION * 9.0)
    assert vroom_engine.TIMEOUT_FRACTION < 1.0
    assert vroom_engine.child_timeout(10.0, 100.0, 100.0) < 10.0
    # Clocks that disagree never add time; a spent budget still gives VROOM a moment.
    assert vroom_engine.child_timeout(10.0, 100.0, 99.0) == pytest.approx(
        vroom_engine.TIMEOUT_FRACTION * 10.0)
    assert vroom_engine.child_timeout(1.0, 100.0, 105.0) == 0.05


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


def test_hgs_seeds_from_the_construction_and_plans_stay_valid_with_two_workers() -> None:
    problem = vrptw_day(16)
    plan = solve_dispatch(problem, SolveParams(time_limit=3, workers=2, seed=1))
    assert_valid(problem, plan)
    assert len(solver_info(plan)["portfolio_objectives"]) == 2
    assert plan.objective == min(solver_info(plan)["portfolio_objectives"])
    # Both processes ran PyVRP (same pipeline, other seed), none an OR-Tools start.
    assert solver_info(plan)["portfolio"] == ["automatic", "automatic"]


def test_evaluate_routes_prices_given_routes_under_the_full_model() -> None:
    problem = lunch_day()
    plan = solve_dispatch(problem, SolveParams(time_limit=2))
    assert_valid(problem, plan)
    routes = {r.shift_id: list(r.request_ids) for r in plan.routes}
    same = evaluate_routes(problem, routes)
    assert_valid(problem, same)
    assert same.objective == pytest.approx(plan.objective)
    assert solver_info(same)["repaired_jobs"] == 0
    # The gas job on the technician without the skill: taken out, listed unassigned.
    moved = {sid: [rid for rid in rids if rid != "GAS"] for sid, rids in routes.items()}
    moved["S-B"] = ["GAS", *moved.get("S-B", [])]
    priced = evaluate_routes(problem, moved)
    assert_valid(problem, priced)
    assert solver_info(priced)["repaired_jobs"] == 1
    assert "GAS" in {u.request_id for u in priced.unassigned}
    assert priced.objective > plan.objective


def test_retiming_tries_the_break_before_every_leg(monkeypatch: pytest.MonkeyPatch) -> None:
    # VROOM may put the lunch break where neither of the scheduler's own rules
    # (lazy: as late as the next job allows; eager: at the first stop after the
    # window opens) would. Here both rules are made to fail on every route with
    # a break: re-timing must still keep each route whole by trying the break
    # before each leg, and the plan must pass the validator.
    from fieldops.data.sample import load_demo_day
    from fieldops.solver.dispatch.construct import Constructor

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


# ----------------------------------------------------------------- VROOM beside other threads
def test_vroom_leaves_the_other_threads_running() -> None:
    """VROOM holds the GIL while it searches; run in-process it froze the API
    worker's lease heartbeat for the whole engine budget. The demo day (lunch
    breaks) goes to VROOM, which must now run beside a ticking thread."""
    import threading
    import time

    from fieldops.data.sample import load_demo_day

    problem = load_demo_day()
    ticks: list[float] = []
    done = threading.Event()

    def tick() -> None:
        while not done.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.05)

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        plan = solve_dispatch(problem, SolveParams(time_limit=4))
    finally:
        done.set()
        ticker.join()
    assert_valid(problem, plan)
    assert max(np.diff(ticks)) < 1.0  # in-process VROOM: one gap as long as its run
    report = solver_info(plan)["engines"]["vroom"]
    assert report["isolated"] is True and report["seconds"] > 1.0


def test_vroom_is_stopped_when_the_caller_asks() -> None:
    import threading
    import time

    from fieldops.data.sample import load_demo_day
    from fieldops.domain import PlanStatus

    problem = load_demo_day()
    stop = threading.Event()
    timer = threading.Timer(1.0, stop.set)
    started = time.monotonic()
    timer.start()
    plan = solve_dispatch(problem, SolveParams(time_limit=60), stop=stop)
    elapsed = time.monotonic() - started
    timer.cancel()
    assert_valid(problem, plan)
    assert plan.status is PlanStatus.CANCELLED
    assert solver_info(plan)["engines"]["vroom"] == {"stopped": True}
    assert elapsed < 30  # not VROOM's 54 s budget
    assert plan.kpis.jobs_assigned > 0  # the construction is kept


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


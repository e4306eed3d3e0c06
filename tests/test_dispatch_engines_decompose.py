"""engines/decompose.py: decomposition of large PyVRP runs (sub-problem selection
and building, the improvement loop) and how the solver uses it (every plan through
the validator)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest
import pyvrp

from fieldops.domain import TimeWindow
from fieldops.domain.plan import DispatchPlan
from fieldops.solver.dispatch import SolveParams, solve_dispatch
from fieldops.solver.dispatch.engines import hgs
from fieldops.solver.dispatch.engines.decompose import (
    DecomposeParams,
    Decomposer,
    as_solution,
    routes_of,
)
from fieldops.solver.dispatch.engines.pool import EnginePool
from fieldops.validators.dispatch import assert_valid

from line_world import LineWorld, t


def grid_data(n: int = 90, *, required: bool = True, fleet: int = 30,
              seed: int = 1) -> pyvrp.ProblemData:
    """``n`` clients scattered around one depot, wide windows, capacity 10 clients."""
    rng = np.random.default_rng(seed)
    xy = np.vstack([[50, 50], rng.integers(0, 100, size=(n, 2))])
    dist = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)))
    dist = dist.astype(np.int64)
    clients = [pyvrp.Client(location=i + 1, delivery=[1], service_duration=5,
                            tw_early=0, tw_late=1000, required=required,
                            prize=0 if required else 400)
               for i in range(n)]
    return pyvrp.ProblemData(
        [pyvrp.Location(float(x), float(y)) for x, y in xy], clients,
        [pyvrp.Depot(location=0, tw_early=0, tw_late=2000)],
        [pyvrp.VehicleType(num_available=fleet, capacity=[10], tw_early=0, tw_late=2000)],
        [dist], [dist])


def one_client_per_route(data: pyvrp.ProblemData, clients: list[int]) -> pyvrp.Solution:
    """A poor but feasible start: every client on its own route."""
    return as_solution(data, [(0, [c]) for c in clients])


def cost(data: pyvrp.ProblemData, solution: pyvrp.Solution) -> int:
    return int(pyvrp.CostEvaluator([0.0], 0.0, 0.0).cost(solution))


def test_params_are_checked() -> None:
    with pytest.raises(ValueError, match="sub_jobs"):
        DecomposeParams(sub_jobs=1)
    with pytest.raises(ValueError, match="sub_routes"):
        DecomposeParams(sub_routes=1)
    with pytest.raises(ValueError, match="sub_seconds"):
        DecomposeParams(sub_seconds=0)


def test_selection_takes_whole_routes_nearest_first() -> None:
    data = grid_data()
    decomposer = Decomposer(data, DecomposeParams(sub_jobs=12, sub_routes=2))
    routes = [(0, list(range(k, k + 6))) for k in range(0, 90, 6)]
    seed_client = 40
    chosen, extra = decomposer.select(routes, seed_client)
    assert extra == []
    assert chosen[0] == seed_client // 6  # the seed's own route first
    assert len(chosen) >= 2 and sum(len(routes[k][1]) for k in chosen) >= 12
    # Every route not chosen holds no client nearer the seed than the nearest
    # client of the last route taken (routes are taken in order of their nearest).
    near = decomposer.near[seed_client]
    last = min(near[c] for c in routes[chosen[-1]][1])
    for k, (_, visits) in enumerate(routes):
        if k not in chosen:
            assert min(near[c] for c in visits) >= last


def test_selection_brings_near_unrouted_clients_along() -> None:
    data = grid_data(required=False)
    decomposer = Decomposer(data, DecomposeParams(sub_jobs=30, sub_routes=2))
    routes = [(0, list(range(k, k + 5))) for k in range(0, 60, 5)]  # 60..89 unrouted
    chosen, extra = decomposer.select(routes, 0)
    assert extra and all(c >= 60 for c in extra)
    size = sum(len(routes[k][1]) for k in chosen) + len(extra)
    assert size >= 30


def test_sub_problem_starts_from_the_chosen_routes_at_their_cost() -> None:
    data = grid_data(fleet=40)
    routes = [(0, list(range(k, k + 6))) for k in range(0, 90, 6)]
    decomposer = Decomposer(data, DecomposeParams(sub_jobs=12, sub_routes=2))
    chosen, extra = decomposer.select(routes, 7)
    sub, start, clients = decomposer.sub_problem(routes, chosen, extra)
    assert clients == [c for k in chosen for c in routes[k][1]]
    assert sub.num_clients == len(clients)
    # One vehicle per chosen route, plus one spare: 15 of 40 vans are in use.
    assert sub.vehicle_type(0).num_available == len(chosen) + 1
    whole = as_solution(data, routes).routes()
    assert cost(sub, start) == sum(whole[k].distance_cost() + whole[k].duration_cost()
                                   for k in chosen)


def test_no_spare_vehicle_when_the_fleet_is_all_out() -> None:
    data = grid_data(fleet=15)
    routes = [(0, list(range(k, k + 6))) for k in range(0, 90, 6)]
    decomposer = Decomposer(data, DecomposeParams(sub_jobs=12, sub_routes=2))
    chosen, extra = decomposer.select(routes, 7)
    sub, _, _ = decomposer.sub_problem(routes, chosen, extra)
    assert sub.vehicle_type(0).num_available == len(chosen)


def test_selection_passes_over_excluded_clients() -> None:
    data = grid_data()
    decomposer = Decomposer(data, DecomposeParams(sub_jobs=12, sub_routes=2))
    routes = [(0, list(range(k, k + 6))) for k in range(0, 90, 6)]
    busy = set(range(36, 48))  # routes 6 and 7, held by another sub-problem
    rest = [r for k, r in enumerate(routes) if k not in (6, 7)]
    chosen, extra = decomposer.select(rest, 40 if 40 not in busy else 50, busy)
    assert extra == []  # a busy client is not taken for an unrouted one
    assert not busy & {c for k in chosen for c in rest[k][1]}


def test_spare_vehicle_left_to_a_sub_problem_under_way() -> None:
    data = grid_data(fleet=16)
    routes = [(0, list(range(k, k + 6))) for k in range(0, 90, 6)]  # 15 of 16 out
    decomposer = Decomposer(data, DecomposeParams(sub_jobs=12, sub_routes=2))
    chosen, extra = decomposer.select(routes, 7)
    free, _, _ = decomposer.sub_problem(routes, chosen, extra)
    held, _, _ = decomposer.sub_problem(routes, chosen, extra, held={0: 1})
    assert free.vehicle_type(0).num_available == len(chosen) + 1
    assert held.vehicle_type(0).num_available == len(chosen)


@pytest.mark.parametrize("required", [True, False])
def test_run_improves_and_keeps_every_client_once(required: bool) -> None:
    data = grid_data(fleet=90, required=required)
    start = one_client_per_route(data, list(range(90 if required else 70)))
    decomposer = Decomposer(data, DecomposeParams(sub_jobs=20, sub_routes=2,
                                                  sub_seconds=0.05), seed=3)
    best, stats = decomposer.run(start, time.monotonic() + 1.5)
    assert best.is_feasible()
    served = sorted(c for _, visits in routes_of(best) for c in visits)
    assert len(served) == len(set(served))
    if required:
        assert served == list(range(90))
    assert stats.rounds >= 2 and stats.improved >= 1
    assert cost(data, best) == stats.best_cost < stats.start_cost == cost(data, start)


@pytest.mark.parametrize("required", [True, False])
def test_parallel_run_keeps_the_fleet_and_every_client_once(required: bool) -> None:
    # Two sub-problems at a time on one plan, tight fleet: results are put back
    # while the other one is under way, so a client or a vehicle counted twice
    # would show here.
    data = grid_data(n=120, fleet=13, required=required)
    start = pyvrp.solve(data, pyvrp.stop.MaxIterations(50), seed=1,
                        display=False).best
    assert start.is_feasible()
    decomposer = Decomposer(data, DecomposeParams(sub_jobs=25, sub_routes=3,
                                                  sub_seconds=0.2), seed=5)
    with EnginePool(2) as pool:
        best, stats = decomposer.run(start, time.monotonic() + 6.0, pool=pool)
    assert best.is_feasible() and stats.errors == []
    assert best.num_routes() <= 13
    served = sorted(c for _, visits in routes_of(best) for c in visits)
    assert len(served) == len(set(served))
    if required:
        assert served == list(range(120))
    assert stats.rounds >= 4
    assert cost(data, best) == stats.best_cost <= stats.start_cost == cost(data, start)


def test_parallel_run_stops_its_workers_when_asked() -> None:
    data = grid_data(fleet=90)
    start = one_client_per_route(data, list(range(90)))
    decomposer = Decomposer(data, DecomposeParams(sub_jobs=40, sub_routes=2,
                                                  sub_seconds=30))
    with EnginePool(2) as pool:
        asked = time.monotonic() + 3.0  # after the workers have started
        began = time.monotonic()
        best, _ = decomposer.run(start, began + 60, lambda: time.monotonic() > asked,
                                 pool)
        took = time.monotonic() - began
    assert took < 10  # the workers' 30 s searches were ended, not waited for
    assert best.is_feasible()
    assert sorted(c for _, visits in routes_of(best) for c in visits) == list(range(90))


class BrokenPool:
    """A pool whose processes are gone: every submit fails at once."""

    size = 2

    def submit(self, *args: object) -> None:
        raise RuntimeError("A process in the process pool was terminated abruptly")

    def stop(self) -> None:
        pass


def test_broken_pool_falls_back_to_searching_here() -> None:
    data = grid_data(fleet=90)
    start = one_client_per_route(data, list(range(90)))
    decomposer = Decomposer(data, DecomposeParams(sub_jobs=20, sub_routes=2,
                                                  sub_seconds=0.05), seed=3)
    best, stats = decomposer.run(start, time.monotonic() + 1.0, pool=BrokenPool())  # type: ignore[arg-type]
    assert stats.errors and "terminated abruptly" in stats.errors[0]
    assert stats.improved >= 1 and cost(data, best) == stats.best_cost < stats.start_cost
    assert sorted(c for _, visits in routes_of(best) for c in visits) == list(range(90))


def test_run_leaves_an_infeasible_start_alone() -> None:
    data = grid_data()
    overfull = as_solution(data, [(0, list(range(90)))])  # capacity 10
    best, stats = Decomposer(data).run(overfull, time.monotonic() + 1.0)
    assert stats.rounds == 0 and routes_of(best) == routes_of(overfull)


def test_run_stops_when_asked() -> None:
    data = grid_data(fleet=90)
    start = one_client_per_route(data, list(range(90)))
    began = time.monotonic()
    _, stats = Decomposer(data).run(start, began + 30, should_stop=lambda: True)
    assert stats.rounds == 0 and time.monotonic() - began < 5


# ----------------------------------------------------------------- in the solver
# Decomposition from 20 jobs on (400 by default), so the 48-job road days below use it.
SMALL_DECOMPOSE = DecomposeParams(min_jobs=20)
# The same with the whole-day phase first stated (30 % of PyVRP's time, the default).
WHOLE_FIRST = DecomposeParams(min_jobs=20, whole_share=0.3)
# No whole-day phase: the construction's plan is decomposed at once.
NO_WHOLE = DecomposeParams(min_jobs=20, whole_share=0)


def long_road_day(n: int = 48, *, preference: bool = False) -> Any:
    """Four vans at km 0, ``n`` jobs along 60 km with 3-hour windows."""
    w = LineWorld()
    techs = [w.technician(name, 0) for name in "ABCD"]
    jobs = [w.job(f"J{i}", (i * 37) % 60, duration=10,
                  windows=(TimeWindow(t((i % 3) * 120), t((i % 3) * 120 + 180)),),
                  **({"preferred_technicians": ("B",)} if preference and i == 0 else {}))
            for i in range(n)]
    return w.problem(techs, jobs)


def engine_report(plan: Any) -> dict[str, Any]:
    return dict(plan.solver)["engines"]["pyvrp-hgs"]


def test_large_exact_day_is_decomposed_and_skips_ortools() -> None:
    problem = long_road_day()
    plan = solve_dispatch(problem, SolveParams(decompose=SMALL_DECOMPOSE, time_limit=4))
    assert_valid(problem, plan)
    assert plan.kpis.jobs_assigned == len(problem.requests)
    report = engine_report(plan)
    assert report["decomposition"]["rounds"] >= 1
    assert report["decomposition"]["best_cost"] <= report["decomposition"]["start_cost"]
    info = dict(plan.solver)
    assert info["search_skipped"] == "PyVRP's objective is the full objective"
    assert "ortools-routing" not in info["engine"]


def _two_workers_on_long_road(decompose: DecomposeParams,
                              time_limit: float) -> tuple[DispatchPlan, dict[str, Any]]:
    """The long road day solved with two workers: valid, every job routed."""
    problem = long_road_day()
    plan = solve_dispatch(problem, SolveParams(decompose=decompose, time_limit=time_limit,
                                               workers=2, seed=3))
    assert_valid(problem, plan)
    assert plan.kpis.jobs_assigned == len(problem.requests)
    return plan, engine_report(plan)


def test_large_day_uses_both_workers_on_one_plan() -> None:
    # 10 s: the whole phase (3 s) outlasts the workers' start on a busy machine.
    plan, report = _two_workers_on_long_road(WHOLE_FIRST, 10)
    assert "portfolio" not in dict(plan.solver)  # one pipeline, not two that race
    assert len(report["whole_costs"]) == 2  # seeds 3 and 4 on the whole day
    assert "helper_errors" not in report
    assert report["decomposition"]["workers"] == 2
    assert report["decomposition"]["rounds"] >= 2
    assert "errors" not in report["decomposition"]


def test_whole_share_0_decomposes_the_construction_on_both_workers() -> None:
    _, report = _two_workers_on_long_road(NO_WHOLE, 6)
    # No whole-day phase: no helper was handed the day and PyVRP made no
    # whole-problem iteration; both workers took sub-problems from the start.
    assert "whole_costs" not in report and "helper_errors" not in report
    assert report["iterations"] == 0
    assert report["decomposition"]["workers"] == 2
    assert report["decomposition"]["rounds"] >= 2
    assert report["decomposition"]["best_cost"] <= report["decomposition"]["start_cost"]


def test_best_whole_solution_is_feasible_first_then_cheapest() -> None:
    main, cheaper, infeasible = ([(0, [1])], True, 120), ([(0, [2])], True, 90), (
        [(0, [3])], False, 10)
    assert hgs.best_of([main, cheaper]) == 1  # the worker's seed found less
    assert hgs.best_of([main, infeasible]) == 0  # cheaper but infeasible loses
    assert hgs.best_of([main, ([(0, [4])], True, 120)]) == 0  # a tie keeps the main one


def test_stop_during_the_whole_phase_ends_the_workers_search() -> None:
    import threading

    problem = long_road_day()
    stop = threading.Event()
    threading.Timer(2.0, stop.set).start()  # inside the 18 s whole phase of a 60 s solve
    began = time.monotonic()
    plan = solve_dispatch(problem, SolveParams(decompose=WHOLE_FIRST, time_limit=60,
                                               workers=2), stop=stop)
    took = time.monotonic() - began
    assert_valid(problem, plan)
    assert str(plan.status) == "cancelled"
    # Not waiting for the worker's whole-day search to reach its own deadline.
    assert took < 10
    assert "helper_errors" not in engine_report(plan)


def test_small_day_is_not_decomposed() -> None:
    problem = long_road_day(12)
    plan = solve_dispatch(problem, SolveParams(time_limit=2))
    assert_valid(problem, plan)
    assert "decomposition" not in engine_report(plan)
    # Not decomposed; PyVRP's objective is still the full one, so no OR-Tools.
    assert dict(plan.solver)["search_skipped"] == "PyVRP's objective is the full objective"


def test_day_with_preferences_keeps_the_ortools_polish() -> None:
    problem = long_road_day(preference=True)
    plan = solve_dispatch(problem, SolveParams(decompose=SMALL_DECOMPOSE, time_limit=4))
    assert_valid(problem, plan)
    assert "decomposition" in engine_report(plan)  # still decomposed: PyVRP can take it
    assert "search_skipped" not in dict(plan.solver)  # OR-Tools prices preferences

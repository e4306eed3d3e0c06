"""portfolio.py: several searches in parallel processes, the best plan kept."""

from __future__ import annotations

import multiprocessing as mp
import threading
import time

from fieldops.solver.dispatch import Progress, SolveParams, solve_dispatch
from fieldops.solver.dispatch.portfolio import _helper_params
from fieldops.validators.dispatch import assert_valid

from line_world import LineWorld, solver_info, vrptw_day


def test_hgs_seeds_from_the_construction_and_plans_stay_valid_with_two_workers() -> None:
    problem = vrptw_day(16)
    plan = solve_dispatch(problem, SolveParams(time_limit=3, workers=2, seed=1))
    assert_valid(problem, plan)
    assert len(solver_info(plan)["portfolio_objectives"]) == 2
    assert plan.objective == min(solver_info(plan)["portfolio_objectives"])
    # Both processes ran PyVRP (same pipeline, other seed), none an OR-Tools start.
    assert solver_info(plan)["portfolio"] == ["automatic", "automatic"]


def test_two_workers_search_in_parallel_and_keep_the_best_plan() -> None:
    # One search in this process, one in a worker process from another start; the
    # returned plan is the one with the lower objective, and it is valid.
    w = LineWorld()
    techs = [w.technician("A", 0), w.technician("B", 50)]
    jobs = [w.job(f"J{i}", i * 13 % 70, duration=25) for i in range(10)]
    problem = w.problem(techs, jobs)
    seen: list[Progress] = []
    plan = solve_dispatch(problem, SolveParams(time_limit=2, workers=2), progress=seen.append)
    assert_valid(problem, plan)
    assert plan.solver.get("portfolio_errors") is None
    objectives = plan.solver["portfolio_objectives"]
    assert len(objectives) == 2 and plan.objective == min(objectives)
    assert seen and [p.objective for p in seen] == sorted((p.objective for p in seen),
                                                          reverse=True)


class _SlowToPickle:
    """Pickles slowly, like a large problem does, so a concurrent writer shows up."""

    def __reduce__(self):  # type: ignore[no-untyped-def]
        time.sleep(0.3)
        return (_SlowToPickle, ())


def test_portfolio_ships_the_problem_before_the_main_search_fills_its_caches(
        demo_problem) -> None:  # type: ignore[no-untyped-def]
    # The main search fills the problem's cached properties (its __dict__) while a
    # helper's copy of the problem is on its way out. A copy pickled concurrently
    # failed with "dictionary changed size during iteration" and the helper's search
    # was lost (seen on 1 000-customer instances, two runs in three). Here the
    # problem pickles slowly and the stand-in main search writes to its __dict__
    # for the first second.
    import copy

    from fieldops.solver.dispatch.portfolio import solve_portfolio
    from fieldops.solver.dispatch.solve import solve_single

    problem = copy.copy(demo_problem)
    problem.__dict__["_slow"] = _SlowToPickle()

    def busy_main(problem, params, **kwargs):  # type: ignore[no-untyped-def]
        until, i = time.monotonic() + 1.0, 0
        while time.monotonic() < until:
            problem.__dict__[f"_cache_{i}"] = i
            i += 1
        for k in range(i):
            del problem.__dict__[f"_cache_{k}"]
        return solve_single(problem, params, **kwargs)

    plan = solve_portfolio(problem, SolveParams(time_limit=3, workers=2), busy_main,
                           None, None)
    assert_valid(demo_problem, plan)
    assert plan.solver.get("portfolio_errors") is None
    assert len(plan.solver["portfolio_objectives"]) == 2


def test_the_main_search_starts_at_once_and_no_server_process_is_started(
        demo_problem) -> None:  # type: ignore[no-untyped-def]
    # The helpers' progress queue and stop event reach them as they start; a
    # manager's server process, which imported the whole solver before the main
    # search could start, took 1.2-1.3 s of a 10 s run at load 4.
    from fieldops.solver.dispatch.portfolio import solve_portfolio
    from fieldops.solver.dispatch.solve import solve_single

    before = {p.pid for p in mp.active_children()}  # earlier tests' helpers may linger
    called = time.monotonic()
    seen: dict[str, float] = {}

    def main(problem, params, **kwargs):  # type: ignore[no-untyped-def]
        seen["after"] = time.monotonic() - called
        seen["processes"] = len({p.pid for p in mp.active_children()} - before)
        return solve_single(problem, params, **kwargs)

    plan = solve_portfolio(demo_problem, SolveParams(time_limit=3, workers=2), main,
                           None, None)
    assert_valid(demo_problem, plan)
    assert seen["after"] < 0.8  # the base took 1.42 s here (load 4)
    assert seen["processes"] == 1  # the helper alone
    assert len(plan.solver["portfolio_objectives"]) == 2


def test_a_stop_reaches_the_helper_and_its_plan_still_counts() -> None:
    problem = vrptw_day(16)
    stop = threading.Event()
    threading.Timer(2.0, stop.set).start()
    began = time.monotonic()
    plan = solve_dispatch(problem, SolveParams(time_limit=30, workers=2), stop=stop)
    took = time.monotonic() - began
    assert_valid(problem, plan)
    assert took < 10  # the helper did not search on to its own deadline
    assert plan.solver.get("portfolio_errors") is None
    assert len(plan.solver["portfolio_objectives"]) == 2


def test_on_pyvrp_days_the_helpers_start_pyvrp_from_its_own_start() -> None:
    # The main search starts PyVRP from the construction's plan; a helper from the
    # same plan often ended in the same plan, so the helpers start from PyVRP's own.
    params = SolveParams(time_limit=5, workers=3)
    same = _helper_params(params, same_pipeline=True)
    assert [h.engines.hgs_from_construction for h in same] == [False, False]
    assert params.engines.hgs_from_construction
    # OR-Tools' starts (PyVRP does not take the day) are left as they were.
    other = _helper_params(params, same_pipeline=False)
    assert all(h.engines == params.engines for h in other)

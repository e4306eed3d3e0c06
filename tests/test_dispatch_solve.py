"""The solve loop itself: progress, stopping, time limits, parameters, summaries."""

from __future__ import annotations

import threading
import time

import pytest

from fieldops.data.sample import load_demo_day
from fieldops.domain import FieldError, PlanStatus, Priority
from fieldops.solver.dispatch import Progress, SolveParams, solve_dispatch
from fieldops.solver.dispatch.params import DecomposeParams, EngineParams, RuinParams
from fieldops.validators.dispatch import assert_valid

from line_world import LineWorld, solve


@pytest.fixture(scope="module")
def demo_problem():  # type: ignore[no-untyped-def]
    return load_demo_day()


def test_progress_reports_improving_objectives_and_stop_keeps_best(demo_problem) -> None:  # type: ignore[no-untyped-def]
    # Stop as soon as the third improving plan arrives: the solver must return
    # that best-so-far plan (valid, status cancelled) rather than nothing.
    seen: list[Progress] = []
    stop = threading.Event()

    def on_progress(p: Progress) -> None:
        seen.append(p)
        if len(seen) >= 3:
            stop.set()

    plan = solve_dispatch(demo_problem, SolveParams(time_limit=60), progress=on_progress,
                          stop=stop)
    assert plan.status is PlanStatus.CANCELLED
    assert len(seen) >= 3
    objectives = [p.objective for p in seen]
    assert objectives == sorted(objectives, reverse=True)
    assert plan.solve_time.total_seconds() < 30  # stopped well before the 60 s limit
    assert_valid(demo_problem, plan)


def test_time_limit_returns_best_plan_found(demo_problem) -> None:  # type: ignore[no-untyped-def]
    plan = solve_dispatch(demo_problem, SolveParams(time_limit=2))
    assert plan.status is PlanStatus.TIME_LIMIT
    assert_valid(demo_problem, plan)
    # Every job is routed once or listed once as unassigned.
    routed = [rid for r in plan.routes for rid in r.request_ids]
    listed = [u.request_id for u in plan.unassigned]
    assert sorted(routed + listed) == sorted(r.id for r in demo_problem.requests)
    assert plan.kpis.jobs_assigned == len(routed)
    # The demo day has far more work than shift time, so jobs must be left out; a
    # critical job may only be among them when the diagnosis proves nobody can do
    # it, never for want of room (dropping one costs more than ten high jobs).
    critical_out = [u for u in plan.unassigned if u.priority is Priority.CRITICAL]
    assert all(u.reason.value != "not_enough_capacity" for u in critical_out)
    assert plan.kpis.unassigned_by_priority[Priority.LOW] > 0


def test_summary_lists_totals_routes_and_unassigned() -> None:
    w = LineWorld()
    a = w.technician("A", 0)
    far = w.job("FAR", 400, windows=())
    near = w.job("NEAR", 5)
    plan = solve(w.problem([a], [far, near]))
    text = plan.summary()
    assert "1 / 2" in text  # jobs assigned
    assert "S-A" in text and "FAR" in text and "unreachable_in_time" in text


def test_empty_day_gives_an_empty_valid_plan() -> None:
    w = LineWorld()
    a = w.technician("A", 0)
    problem = w.problem([a], [])
    plan = solve(problem)
    assert plan.routes == () and plan.unassigned == () and plan.kpis.jobs_total == 0


def test_objective_is_the_sum_of_the_penalties() -> None:
    w = LineWorld()
    a = w.technician("A", 0)
    plan = solve(w.problem([a], [w.job("J1", 10), w.job("J2", 900)]))
    assert plan.objective == pytest.approx(sum(plan.penalties.values()), abs=0.01)
    assert plan.penalties["travel"] == 20 * 60  # 10 km out and back at 1 km/min, 1 per s
    assert plan.penalties["unassigned"] > plan.penalties["travel"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"time_limit": 0}, "time_limit"),
        ({"time_limit": -5}, "time_limit"),
        ({"seed": -1}, "seed"),
        ({"workers": 0}, "workers"),
        ({"first_solution": "magic"}, "first_solution"),
        ({"metaheuristic": "annealing?"}, "metaheuristic"),
        ({"engines": {"vroom_share": 0}}, "engines.vroom_share"),
        ({"engines": {"hgs_share": 1.5}}, "engines.hgs_share"),
        ({"engines": "fast"}, "engines"),
        ({"ruin": {"blink": 2}}, "ruin.blink"),
        ({"ruin": {"strings": 3}}, "ruin.strings"),
        ({"decompose": {"sub_jobs": 1}}, "decompose.sub_jobs"),
        ({"decompose": {"whole_share": 0}}, "decompose.whole_share"),
    ],
)
def test_bad_parameters_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(FieldError) as err:
        SolveParams(**kwargs)  # type: ignore[arg-type]
    assert err.value.field == field


def test_nested_parameters_are_reachable_as_objects_or_mappings() -> None:
    params = SolveParams(engines={"vroom_share": 0.5}, ruin=RuinParams(mean_removed=4),
                         decompose={"min_jobs": 50})
    assert params.engines == EngineParams(vroom_share=0.5)
    assert params.ruin.mean_removed == 4
    assert params.decompose == DecomposeParams(min_jobs=50)
    assert SolveParams().engines == EngineParams()


@pytest.mark.parametrize("strategy", ["path_cheapest_arc", "savings", "local_cheapest_insertion"])
def test_other_first_solution_strategies_give_valid_plans(strategy: str) -> None:
    w = LineWorld()
    techs = [w.technician("A", 0), w.technician("B", 50)]
    jobs = [w.job(f"J{i}", i * 7 % 60, duration=20) for i in range(8)]
    problem = w.problem(techs, jobs)
    plan = solve_dispatch(problem, SolveParams(time_limit=1, first_solution=strategy))
    assert_valid(problem, plan)
    assert plan.kpis.jobs_assigned == 8


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

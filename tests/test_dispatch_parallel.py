"""Ruin and recreate on two cores (``fieldops.solver.dispatch.parallel``)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from fieldops.data.sample import load_demo_day
from fieldops.solver.dispatch import SolveParams, candidates, parallel, solve_dispatch
from fieldops.solver.dispatch.candidates import priced
from fieldops.solver.dispatch.construct import Constructor
from fieldops.solver.dispatch.model import build_model
from fieldops.solver.dispatch.params import RuinParams
from fieldops.validators.dispatch import assert_valid

SEARCH_SECONDS = 0.6  # each half's search in these tests (its length is not checked)


@pytest.fixture(scope="module")
def day():  # type: ignore[no-untyped-def]
    """The demo day's model, the construction's routes and their cost."""
    problem = load_demo_day()
    model = build_model(problem, search_jobs=0)
    builder = Constructor(model.context)
    routes = builder.build()
    cost = priced(model, builder, "construction", routes).cost
    return problem, model, builder, routes, cost


def _task(routes: list[list[int]], half: frozenset[int] | None, owned: frozenset[int],
          seconds: float = SEARCH_SECONDS) -> parallel.Task:
    return parallel.Task(routes, half, owned, time.time() + seconds, RuinParams())


def test_the_halves_cut_the_plan_in_two(day) -> None:  # type: ignore[no-untyped-def]
    _, model, _, routes, _ = day
    splitter = parallel.Splitter(model.context)
    cuts = set()
    for turn in range(4):
        a, b, owned_a, owned_b = splitter.halves(routes, turn)
        assert a and b and not a & b and a | b == set(range(len(routes)))
        left = {j for j in range(model.n_jobs)} - {j for r in routes for j in r}
        assert not owned_a & owned_b and owned_a | owned_b == left
        in_a = sum(len(routes[v]) for v in a)
        assert abs(2 * in_a - sum(len(r) for r in routes)) <= 2 * max(len(r) for r in routes)
        cuts.add(a)
    assert len(cuts) > 1  # the cut turns


def test_a_half_only_changes_its_own_routes(day) -> None:  # type: ignore[no-untyped-def]
    _, model, builder, routes, _ = day
    a, _, owned_a, _ = parallel.Splitter(model.context).halves(routes, 0)
    answer = parallel.HalfSearch(builder, 0, RuinParams()).run(_task(routes, a, owned_a), None)
    assert answer.stats.iterations > 0
    assert answer.stats.best_cost < answer.stats.start_cost
    changed = {v for v, r in enumerate(answer.routes) if r != routes[v]}
    assert changed and changed <= a
    left_before = {j for j in range(model.n_jobs)} - {j for r in routes for j in r}
    newly_in = {j for r in answer.routes for j in r} - {j for r in routes for j in r}
    assert newly_in <= owned_a & left_before


def test_the_union_of_two_halves_is_valid_and_adds_both_gains(day) -> None:  # type: ignore[no-untyped-def]
    problem, model, builder, routes, cost = day
    a, b, owned_a, owned_b = parallel.Splitter(model.context).halves(routes, 1)
    one = parallel.HalfSearch(builder, 0, RuinParams()).run(_task(routes, a, owned_a), None)
    two = parallel.HalfSearch(builder, 1, RuinParams()).run(_task(routes, b, owned_b), None)
    merged = [one.routes[v] if v in a else two.routes[v] for v in range(len(routes))]
    jobs = [j for r in merged for j in r]
    assert len(jobs) == len(set(jobs))
    start = one.stats.start_cost
    assert two.stats.start_cost == start
    # Priced as the search prices a plan (a run with no time left): better than
    # either half, as both gains count (not to the unit: a route's schedule is
    # timed afresh here, in the search it was the insertion's).
    _, stats = parallel.HalfSearch(builder, 2, RuinParams()).search.run(
        merged, time.monotonic() - 1)
    assert stats.start_cost < min(one.stats.best_cost, two.stats.best_cost) < start
    plan = priced(model, builder, "merged", builder.build(initial=merged, insert=False))
    assert builder.repaired == 0 and plan.cost < cost
    assert_valid(problem, model.plan(plan.routes, *_plan_args()))


def _plan_args() -> tuple[Any, ...]:
    from datetime import timedelta

    from fieldops.domain.plan import PlanStatus

    return PlanStatus.FEASIBLE, timedelta(0), {}


def test_the_child_searches_a_half_and_stops_when_told(day) -> None:  # type: ignore[no-untyped-def]
    _, model, _, routes, _ = day
    a, _, owned_a, _ = parallel.Splitter(model.context).halves(routes, 0)
    helper = parallel.Helper(model.context, 1, RuinParams())
    try:
        # The first tasks may end before the child has loaded the model.
        for _ in range(60):
            assert helper.ask(_task(routes, a, owned_a, seconds=2 * SEARCH_SECONDS))
            answer = helper.answer(0, time.monotonic() + 120)
            assert answer is not None
            if answer.stats.iterations:
                break
        assert answer.stats.best_cost < answer.stats.start_cost
        assert {v for v, r in enumerate(answer.routes) if r != routes[v]} <= a
        # An hour's task, stopped by the shared event: the answer comes back.
        assert helper.ask(_task(routes, a, owned_a, seconds=3600))
        helper.stop.set()
        stopped = helper.answer(0, time.monotonic() + 120)
        assert stopped is not None and stopped.stats.seconds < 3600
    finally:
        helper.close()
    assert not helper.process.is_alive()


class _Recorder:
    def __init__(self) -> None:
        self.helpers: list[parallel.Helper] = []


def _solve(patch: pytest.MonkeyPatch, kill: bool) -> tuple[Any, Any, list[parallel.Helper]]:
    """The demo day with two workers, no engine (ruin and recreate from the
    construction); ``kill``: the child is killed before it is given its first task."""
    problem = load_demo_day()
    seen = _Recorder()
    start = parallel.Helper.start.__func__  # type: ignore[attr-defined]
    ask = parallel.Helper.ask

    def spied(cls: type[parallel.Helper], state: Any) -> parallel.Helper | None:
        helper = start(cls, state)
        if helper is not None:
            seen.helpers.append(helper)
        return helper

    def killing(helper: parallel.Helper, task: parallel.Task) -> bool:
        helper.starter.join()
        helper.process.kill()
        helper.process.join()
        return ask(helper, task)

    patch.setattr(parallel.Helper, "start", classmethod(spied))
    if kill:
        patch.setattr(parallel.Helper, "ask", killing)
    patch.setattr(candidates, "run_engine", lambda *args, **kwargs: None)
    plan = solve_dispatch(problem, SolveParams(time_limit=8, workers=2))
    return problem, plan, seen.helpers


def test_a_solve_on_two_workers_searches_in_halves(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    problem, plan, helpers = _solve(monkeypatch, kill=False)
    assert_valid(problem, plan)
    assert len(helpers) == 1 and not helpers[0].failed
    assert "ruin_two_cores" in plan.solver["phases"]
    assert "ruin_alone" not in plan.solver["phases"]
    stats = plan.solver["ruin_recreate"]
    assert stats["best_objective"] < stats["start_objective"]
    assert not helpers[0].process.is_alive()  # ended with the phase


def test_a_dead_child_leaves_the_plan_to_this_process(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    problem, plan, helpers = _solve(monkeypatch, kill=True)
    assert_valid(problem, plan)
    assert len(helpers) == 1 and helpers[0].failed, plan.solver["phases"]
    assert "ruin_alone" in plan.solver["phases"]
    stats = plan.solver["ruin_recreate"]
    assert stats["best_objective"] < stats["start_objective"]


def test_one_worker_starts_no_child(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    started: list[object] = []
    monkeypatch.setattr(parallel.Helper, "__init__",
                        lambda self, *args: started.append(args))
    monkeypatch.setattr(candidates, "run_engine", lambda *args, **kwargs: None)
    problem = load_demo_day()
    plan = solve_dispatch(problem, SolveParams(time_limit=2, workers=1))
    assert_valid(problem, plan)
    assert not started and "ruin_two_cores" not in plan.solver["phases"]

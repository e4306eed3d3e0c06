"""solver/dispatch/distributed.py: the split by territory, sub-problems, the merge
and the fallback that keeps a plan when task workers fail (no broker here; the
real Celery path is tests/test_worker_distributed.py)."""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from concurrent.futures import Future
from typing import Any

import pytest

from fieldops.data.sample import generate_field_day
from fieldops.domain import DispatchProblem
from fieldops.domain.plan import UnassignedReason
from fieldops.solver.dispatch import SolveParams, solve_dispatch
from fieldops.solver.dispatch.distributed import (
    Merged,
    Solvers,
    decode,
    encode,
    run_task,
    solve_distributed,
    split,
    sub_problem,
    travel_bound,
)
from fieldops.solver.dispatch.model import build_model
from fieldops.solver.dispatch.params import DistributeParams
from fieldops.solver.dispatch.solve import evaluate_routes
from fieldops.validators.dispatch import validate_plan


def local_solvers() -> Solvers:
    return Solvers(solve_dispatch, evaluate_routes)


@pytest.fixture(scope="module")
def day() -> DispatchProblem:
    return generate_field_day(24, 4, seed=3)


def _fast(**distribute: Any) -> SolveParams:
    return SolveParams(time_limit=5, distribute=DistributeParams(**{
        "enabled": True, "territory_jobs": 12, "workers": 1, "territory_seconds": 0.5,
        "boundary_seconds": 1.0, **distribute}))


def test_split_puts_every_job_and_shift_in_one_compact_territory(
        day: DispatchProblem) -> None:
    territories = split(day, 6)
    assert len(territories) == 4
    assert sorted(i for t in territories for i in t.requests) == list(range(24))
    assert sorted(k for t in territories for k in t.shifts) == list(range(4))
    assert all(t.shifts for t in territories)  # every territory has a technician
    pinned = [i for i, r in enumerate(day.requests) if r.pinned_technician]
    assert pinned  # the generator pins a couple of jobs
    for i in pinned:  # a pinned job goes where its technician is
        [home] = [t for t in territories if i in t.requests]
        assert day.requests[i].pinned_technician in {
            day.shifts[k].technician_id for k in home.shifts}
    free = [len([i for i in t.requests if i not in pinned]) for t in territories]
    assert max(free) - min(free) <= len(pinned) + 1  # equal parts before the pins move


def test_a_sub_problem_names_only_its_own_technicians(day: DispatchProblem) -> None:
    tech = day.shifts[0].technician_id
    others = [s.technician_id for s in day.shifts[1:]]
    reqs = list(day.requests)
    reqs[0] = dataclasses.replace(reqs[0], preferred_technicians=(tech, others[0]),
                                  excluded_technicians=(others[1],), pinned_technician=None,
                                  pinned_start=None)
    reqs[1] = dataclasses.replace(reqs[1], pinned_technician=others[0], pinned_start=None)
    problem = dataclasses.replace(day, requests=tuple(reqs))
    sub = sub_problem(problem, [0, 1, 2], [0], "one")
    assert [s.id for s in sub.shifts] == [day.shifts[0].id]
    assert [t.id for t in sub.technicians] == [tech]
    ids = [r.id for r in sub.requests]
    assert reqs[1].id not in ids  # pinned to someone absent: cannot be posed here
    first = sub.request_by_id[reqs[0].id]
    assert first.preferred_technicians == (tech,) and first.excluded_technicians == ()


def test_the_travel_bound_is_the_whole_models_without_its_matrix(
        day: DispatchProblem) -> None:
    model = build_model(day, search_jobs=0)
    modelled = len(model.job_ids) + len(model.vehicles)
    per_node = travel_bound(day) / (len(day.requests) + len(day.shifts))
    assert per_node == pytest.approx(model.travel_bound / modelled, rel=1e-9)


def test_the_travel_bound_with_extra_requests_is_that_of_the_problem_holding_them(
        day: DispatchProblem) -> None:
    # Extra requests are bounded from the day's kept hull corners plus their own
    # places: the hull of both is the whole set's, so the bound is the same, and a
    # far-away request (a new hull corner) raises it.
    import dataclasses

    from fieldops.domain import Location

    near, far = day.requests[0], day.requests[1]
    far = dataclasses.replace(far, id="FAR", location=Location(
        lat=far.location.lat + 0.5, lon=far.location.lon + 0.5))
    near = dataclasses.replace(near, id="NEAR")
    for extra in ([near], [far], [near, far]):
        whole = dataclasses.replace(day, requests=(*day.requests, *extra))
        for _ in range(2):  # the second call reads the kept corners
            assert travel_bound(day, extra) == pytest.approx(travel_bound(whole), rel=1e-12)
    assert travel_bound(day, [far]) > travel_bound(day, [near])


def test_a_territory_task_round_trips_and_prices_the_routes_it_replaces(
        day: DispatchProblem) -> None:
    from fieldops.schemas.dispatch import problem_to_json

    assert decode(encode({"a": [1, "é"]})) == {"a": [1, "é"]}
    t = split(day, 12)[0]
    sub = sub_problem(day, t.requests, t.shifts, "t0")
    current = {sub.shifts[0].id: [sub.requests[0].id]}
    payload = encode({"problem": problem_to_json(sub), "time_limit": 0.5, "seed": 0,
                      "current": current})
    out = run_task(payload, local_solvers())
    routed = [rid for r in out["routes"] for rid in r["jobs"]]
    left = [u[0] for u in out["unassigned"]]
    assert sorted(routed + left) == sorted(r.id for r in sub.requests)
    assert out["current_objective"] == evaluate_routes(sub, current).objective


def _counts(problem: DispatchProblem, plan: Any) -> Counter[str]:
    seen = Counter(rid for r in plan.routes for rid in r.request_ids)
    seen.update(u.request_id for u in plan.unassigned)
    return seen


def test_the_merged_plan_is_valid_and_covers_each_job_once(day: DispatchProblem) -> None:
    plan = solve_dispatch(day, _fast())  # the normal entry point, distribution on
    assert plan.solver["engine"] == "distributed"
    info: Any = plan.solver["distributed"]
    assert len(info["territories"]) == 2 and info["local_fallbacks"] == 0
    assert validate_plan(day, plan) == []
    assert _counts(day, plan) == Counter(r.id for r in day.requests)
    assert plan.kpis.jobs_assigned >= 8  # both territories' routes are in
    assert plan.kpis.routes_used == len([r for r in plan.routes if r.request_ids])
    # The plan is priced on the whole day: the same routes evaluated agree.
    again = evaluate_routes(day, {r.shift_id: list(r.request_ids) for r in plan.routes})
    assert again.kpis.jobs_assigned == plan.kpis.jobs_assigned


def test_the_boundary_phase_places_jobs_across_territories(day: DispatchProblem) -> None:
    from fieldops.solver.dispatch.distributed import Stats, _boundary

    merged = Merged(day)  # nothing routed yet: every job left out by "its territory"
    merged.take({"routes": [], "unassigned": []}, range(len(day.requests)), [])
    assert len(merged.unassigned) == 24
    stats = Stats()
    params = _fast(boundary_routes=4)
    _boundary(day, params, merged, None, local_solvers(), time.monotonic() + 2.0, stats,
              None)
    assert stats.boundary_tasks >= 1 and stats.boundary_improved >= 1
    routed = [i for r in merged.routes.values() for i in r.jobs]
    assert routed and not set(routed) & set(merged.unassigned)
    assert len(routed) + len(merged.unassigned) == 24


class Failing:
    """A runner whose workers all fail: every task must be solved by the caller."""

    def __init__(self) -> None:
        self.sent = 0

    def submit(self, payload: str) -> Future[dict[str, Any]]:
        self.sent += 1
        future: Future[dict[str, Any]] = Future()
        future.set_exception(ConnectionError("worker lost"))
        return future

    def cancel(self, future: Future[dict[str, Any]]) -> None:
        pass


def test_failed_tasks_are_solved_here_and_the_plan_is_kept(day: DispatchProblem) -> None:
    runner = Failing()
    plan = solve_distributed(day, _fast(boundary_share=0.01, territory_jobs=24),
                             local_solvers(), runner=runner)
    info: Any = plan.solver["distributed"]
    assert runner.sent == 1 and info["local_fallbacks"] == 1
    assert any("worker lost" in e for e in info["errors"])
    assert validate_plan(day, plan) == []
    assert plan.kpis.jobs_assigned >= 8


def test_merging_a_result_replaces_only_what_it_held(day: DispatchProblem) -> None:
    merged = Merged(day)
    shift = day.shifts[0]
    start = shift.start.isoformat()
    merged.take({"routes": [{"shift": shift.id, "jobs": [day.requests[5].id],
                             "starts": [start], "departure": start, "break": None}],
                 "unassigned": [[day.requests[6].id, "not_enough_capacity", ""]]},
                [5, 6, 7], [0])
    assert merged.routes[0].jobs == [5]
    assert set(merged.unassigned) == {6, 7}  # 7 was sent but came back nowhere
    assert merged.unassigned[7].reason is UnassignedReason.NOT_ENOUGH_CAPACITY
    pinned = dataclasses.replace(merged.unassigned[7], reason=UnassignedReason.PIN_INFEASIBLE)
    merged.unassigned[7] = pinned
    merged.take({"routes": [], "unassigned": []}, [7], [])  # not posed: keeps its reason
    assert merged.unassigned[7] is pinned
    merged.take({"routes": [], "unassigned": []}, [], [0])
    assert 0 not in merged.routes and set(merged.unassigned) == {6, 7}


def test_a_live_replan_or_a_supplied_matrix_is_not_distributed(day: DispatchProblem) -> None:
    from types import SimpleNamespace

    from fieldops.domain.problem import TravelProvider
    from fieldops.solver.dispatch.distributed import distributable

    assert distributable(day) is None
    reqs = list(day.requests)
    reqs[0] = dataclasses.replace(reqs[0], baseline_technician=day.shifts[0].technician_id,
                                  baseline_start=day.shifts[0].start)
    live = dataclasses.replace(day, requests=tuple(reqs))
    assert "live re-plan" in (distributable(live) or "")
    # Only the provider is read: a stand-in for a day with a supplied matrix.
    matrix = SimpleNamespace(travel=SimpleNamespace(provider=TravelProvider.MATRIX),
                             requests=day.requests)
    assert "supplied travel matrix" in (distributable(matrix) or "")  # type: ignore[arg-type]


class Silent:
    """A runner whose workers never answer."""

    def __init__(self) -> None:
        self.cancelled = 0

    def submit(self, payload: str) -> Future[dict[str, Any]]:
        return Future()

    def cancel(self, future: Future[dict[str, Any]]) -> None:
        self.cancelled += 1


def test_a_stop_ends_the_wait_for_territories_with_a_valid_plan(day: DispatchProblem) -> None:
    import threading

    from fieldops.domain.plan import PlanStatus

    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    runner = Silent()
    began = time.monotonic()
    plan = solve_distributed(day, _fast(territory_seconds=30), local_solvers(), stop=stop,
                             runner=runner)
    assert time.monotonic() - began < 5  # not the 30 s per territory, nor a local solve
    assert plan.status is PlanStatus.CANCELLED and runner.cancelled == 2
    assert plan.kpis.jobs_assigned == 0 and len(plan.unassigned) == 24
    assert all("stopped" in u.detail for u in plan.unassigned)
    assert validate_plan(day, plan) == []


def test_a_boundary_group_has_technicians_who_may_serve_its_seed(
        day: DispatchProblem) -> None:
    from fieldops.solver.dispatch.distributed import _group_shifts, _Near

    order = [int(k) for k in _Near(day).shifts_near(0)]
    far = order[-1]
    others = tuple(s.technician_id for k, s in enumerate(day.shifts) if k != far)
    reqs = list(day.requests)
    reqs[0] = dataclasses.replace(reqs[0], excluded_technicians=others, required_skills=(),
                                  preferred_technicians=(), pinned_technician=None,
                                  pinned_start=None, required_technicians=())
    problem = dataclasses.replace(day, requests=tuple(reqs))
    near = _Near(problem)
    assert _group_shifts(problem, near, 0, set(), 2) == [order[0], far]
    assert _group_shifts(problem, near, 0, {far}, 2) == order[:2]  # busy: the nearest

"""Ruin and recreate (``fieldops.solver.dispatch.improve``) inside the dispatch solver."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from typing import Any, ClassVar

import pytest

from fieldops.data.sample import load_demo_day
from fieldops.solver.dispatch import SolveParams, candidates, improve, solve_dispatch
from fieldops.solver.dispatch.construct import Constructor
from fieldops.solver.dispatch.improve import REPORT_EVERY, RuinParams, RuinRecreate
from fieldops.solver.dispatch.model import build_model
from fieldops.solver.dispatch.schedule import Schedule
from fieldops.solver.dispatch.solve import evaluate_routes
from fieldops.validators.dispatch import assert_valid
from schedule_reference import reference_schedule


class _Spy(RuinRecreate):
    """Records each search and what it was given and returned."""

    seen: ClassVar[list[_Spy]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _Spy.seen.append(self)

    def run(self, routes, deadline, should_stop=None, on_improve=None):  # type: ignore[no-untyped-def]
        self.given = [list(r) for r in routes]
        self.result = super().run(routes, deadline, should_stop, on_improve)
        return self.result


@pytest.fixture(scope="module")
def spied():  # type: ignore[no-untyped-def]
    """The demo day solved from the construction alone (no engine), 6 s."""
    _Spy.seen = []
    problem = load_demo_day()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(candidates, "RuinRecreate", _Spy)
        patch.setattr(candidates, "run_engine", lambda *args, **kwargs: None)
        plan = solve_dispatch(problem, SolveParams(time_limit=6, workers=1,
                                                   ruin=RuinParams(neighbours=30)))
    assert_valid(problem, plan)
    assert len(_Spy.seen) == 1
    return problem, plan, _Spy.seen[0]


def test_ruin_params_reach_the_search(spied) -> None:  # type: ignore[no-untyped-def]
    _, _, search = spied
    assert search.params == RuinParams(neighbours=30)
    assert search.near.shape[1] == 31  # each job and its 30 nearest


def test_ruin_and_recreate_improves_the_construction(spied) -> None:  # type: ignore[no-untyped-def]
    _, plan, search = spied
    stats = plan.solver["ruin_recreate"]
    assert stats["iterations"] > 0
    assert stats["best_objective"] < stats["start_objective"]
    assert plan.solver["objective_internal"] <= stats["best_objective"]
    _, run_stats = search.result
    assert run_stats.best_cost == min(cost for _, cost in run_stats.history)


def test_no_priority_level_loses_a_job(spied) -> None:  # type: ignore[no-untyped-def]
    # A left-out job costs more than any travel, and each level ten times the one
    # below: the search may trade a low job for a normal one, never the reverse.
    _, _, search = spied
    routes, _ = search.result
    jobs = search.builder.ctx.jobs

    def levels(rs: list[list[int]]) -> list[int]:
        count = Counter(jobs[j].priority.rank for r in rs for j in r)
        return [count.get(rank, 0) for rank in range(4)]

    before, after = levels(search.given), levels(routes)
    assert after >= before  # lexicographic: critical first


def test_pruned_insertion_finds_the_cheapest_position(spied) -> None:  # type: ignore[no-untyped-def]
    # The detour lower bound and the window pre-checks only skip positions that
    # cannot win: the chosen insertion costs what trying every position gives.
    _, _, search = spied
    builder = search.builder
    routes = [list(r) for r in search.result[0]]
    rng = random.Random(3)
    routed = [j for r in routes for j in r]
    checked = 0
    for j in rng.sample(routed, 25):
        v = next(v for v, r in enumerate(routes) if j in r)
        trial = [list(r) for r in routes]
        trial[v].remove(j)
        schedules = [builder.schedule(u, r) for u, r in enumerate(trial)]
        if any(s is None for s in schedules):
            continue
        loads = [sum(builder.load[k] for k in r) for r in trial]
        found = builder.best_insertion(j, trial, schedules, loads)
        brute = None
        for u in builder._candidates(j, trial):
            cap = builder.vehicles[u].capacity
            if cap is not None and loads[u] + builder.load[j] > cap:
                continue
            for p in range(len(trial[u]) + 1):
                s = builder.schedule(u, [*trial[u][:p], j, *trial[u][p:]])
                if s is not None:
                    delta = s.cost - schedules[u].cost  # type: ignore[union-attr]
                    brute = delta if brute is None else min(brute, delta)
        assert (found is None) == (brute is None)
        if found is not None:
            assert found[0] == brute
            checked += 1
    assert checked >= 20


def test_a_stopped_search_hands_back_its_start(spied) -> None:  # type: ignore[no-untyped-def]
    import time

    _, _, search = spied
    start = [list(r) for r in search.result[0]]
    routes, stats = search.run(start, time.monotonic() + 60, should_stop=lambda: True)
    assert routes == start and stats.iterations == 0


class _FocusSpy(RuinRecreate):
    """Records, per iteration, the left-out job the ruin was centred on (or -1)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.foci: list[tuple[int, bool]] = []

    def _ruin(self, routes, schedules, loads, where, saved):  # type: ignore[no-untyped-def]
        removed = super()._ruin(routes, schedules, loads, where, saved)
        if removed is not None:
            self.foci.append((self.focus, self.focus in removed))
        return removed


@pytest.mark.parametrize("chance", [0.0, 1.0])
def test_left_out_jobs_seed_the_ruin(spied, chance: float) -> None:  # type: ignore[no-untyped-def]
    import time

    _, _, search = spied
    routes = [list(r) for r in search.result[0]]
    v = max(range(len(routes)), key=lambda u: len(routes[u]))
    out = next(j for j in routes[v] if search.movable[j])
    routes[v].remove(out)  # fits back where it was: an easy job to bring back
    spy = _FocusSpy(search.builder, seed=5, params=RuinParams(left_out_seed=chance))
    best, stats = spy.run(routes, time.monotonic() + 1.0)
    assert stats.iterations > 0 and spy.foci
    if chance == 1.0:
        # While a job is out, every ruin is centred on one, and that job is among
        # the jobs to re-insert; the one taken out here fits back.
        assert spy.foci[0][0] >= 0
        assert all(taken for focus, taken in spy.foci if focus >= 0)
        assert any(out in r for r in best)
    else:
        assert all(focus == -1 for focus, _ in spy.foci)


def test_progress_reports_are_new_bests_at_most_twice_a_second(spied) -> None:  # type: ignore[no-untyped-def]
    import time

    _, _, search = spied
    heard: list[tuple[float, int, int]] = []
    fresh = RuinRecreate(search.builder, seed=11)
    _, stats = fresh.run(search.given, time.monotonic() + 2.5,
                         on_improve=lambda cost, n: heard.append((time.monotonic(), cost, n)))
    assert heard, "an improving search reports at least once"
    costs = [cost for _, cost, _ in heard]
    assert costs == sorted(costs, reverse=True) and len(set(costs)) == len(costs)
    assert all(b[0] - a[0] >= REPORT_EVERY - 0.01 for a, b in itertools.pairwise(heard))
    assert stats.best_cost <= costs[-1] < stats.start_cost


def _where(routes: list[list[int]], n: int) -> list[int]:
    where = [-1] * n
    for v, route in enumerate(routes):
        for j in route:
            where[j] = v
    return where


@pytest.mark.parametrize("kept", [256, 4])
def test_walked_routes_are_the_scanned_ones(spied, kept: int) -> None:  # type: ignore[no-untyped-def]
    # The walk over the nodes nearest a job (with the vehicle of each job at hand)
    # must offer the same routes as scanning every allowed route's stops; with
    # only 4 nodes kept it runs out and hands over to the scan.
    from fieldops.solver.dispatch import construct
    from fieldops.solver.dispatch.construct import Constructor

    _, _, search = spied
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(construct, "NEAREST_NODES", kept)
        patch.setattr(construct, "FIRST_NODES", min(kept, construct.FIRST_NODES))
        builder = Constructor(search.builder.ctx)
        routes = [list(r) for r in search.result[0]]
        rng = random.Random(7)
        wide = [j for j in range(builder.ctx.n_jobs)
                if len(builder.ctx.allowed[j]) > construct.NEAREST]
        assert len(wide) >= 20
        compared = 0
        for j in rng.sample(wide, 20):
            trial = [[k for k in r if k != j] for r in routes]
            for r in rng.sample(trial, 3):
                r.clear()  # empty routes count by kind
            where = _where(trial, builder.ctx.n_jobs)
            walked = builder._candidates(j, trial, where)
            scanned = builder._candidates(j, trial)
            assert set(walked) == set(scanned)
            compared += 1
        assert compared == 20


def test_a_left_out_job_ruins_routes_that_may_take_it(spied) -> None:  # type: ignore[no-untyped-def]
    # A job with few qualified technicians, none of them on its neighbours' routes,
    # gets room on their routes rather than on its geographic neighbours' (who
    # lack the skill).
    _, _, search = spied
    builder = search.builder
    ctx = builder.ctx
    routes = [list(r) for r in search.result[0]]
    narrow = min((j for r in routes for j in r if search.movable[j]),
                 key=lambda j: len(ctx.allowed[j]))
    allowed = set(ctx.allowed[narrow])
    assert len(allowed) < len(ctx.vehicles) // 2
    for r in routes:
        if narrow in r:
            r.remove(narrow)
    spy = RuinRecreate(builder, seed=3, params=RuinParams(left_out_seed=1.0))
    schedules = [builder.schedule(v, r, thorough=True) for v, r in enumerate(routes)]
    assert all(s is not None for s in schedules)
    loads = [sum(builder.load[k] for k in r) for r in routes]
    where = _where(routes, ctx.n_jobs)
    touched: set[int] = set()
    centred = 0
    for _ in range(3000):  # other jobs are out too: about one ruin in ten is its
        saved: dict[int, Any] = {}
        removed = spy._ruin(routes, schedules, loads, where, saved)  # type: ignore[arg-type]
        assert removed is not None and spy.focus >= 0
        if spy.focus == narrow:
            assert narrow in removed
            touched.update(saved)
            centred += 1
        spy._restore(routes, schedules, loads, where, saved)  # type: ignore[arg-type]
        if centred == 30:
            break
    assert centred == 30
    assert touched and touched <= allowed
    # The neighbours' routes alone would have reached other technicians.
    near_routes = {where[k] for k in search.near[narrow].tolist() if where[k] >= 0}
    assert near_routes - allowed
    assert not spy._near_routes_may_take(narrow, search.near[narrow].tolist(), where, 3)


def test_a_left_out_job_near_routes_that_may_take_it_ruins_them(spied) -> None:  # type: ignore[no-untyped-def]
    # When the routes around it may take it, the ruin stays geographic: the
    # strings come from the routes its nearest neighbours ride on.
    _, _, search = spied
    builder = search.builder
    routes = [list(r) for r in search.result[0]]
    where = _where(routes, builder.ctx.n_jobs)
    spy = RuinRecreate(builder, seed=3, params=RuinParams(left_out_seed=1.0))
    geographic = 0
    for j in range(builder.ctx.n_jobs):
        near = search.near[j].tolist()
        first = next((where[k] for k in near if where[k] >= 0), -1)
        if where[j] >= 0 or first < 0:
            continue
        expected = first in builder._allowed(j)
        assert spy._near_routes_may_take(j, near, where, 1) == expected
        geographic += expected
    assert geographic > 0


def _with_jobs_out(search):  # type: ignore[no-untyped-def]
    """The spied plan with one job of each priority taken out (where it can be)."""
    builder = search.builder
    routes = [list(r) for r in search.result[0]]
    taken: dict[int, int] = {}
    for v, r in enumerate(routes):
        for j in list(r):
            if search.rank[j] in taken or not search.movable[j]:
                continue
            rest = [k for k in r if k != j]
            if builder.schedule(v, rest, thorough=True) is not None:
                r[:] = rest
                taken[search.rank[j]] = j
    return routes, taken


def test_half_the_left_out_ruins_go_to_the_highest_priority_out(spied) -> None:  # type: ignore[no-untyped-def]
    _, _, search = spied
    builder = search.builder
    routes, taken = _with_jobs_out(search)
    assert len(taken) >= 2
    where = _where(routes, builder.ctx.n_jobs)
    schedules = [builder.schedule(v, r, thorough=True) for v, r in enumerate(routes)]
    loads = [sum(builder.load[k] for k in r) for r in routes]
    left = [j for j, w in enumerate(where) if w < 0]
    top = min(search.rank[j] for j in left)

    def foci(chance: float) -> list[int]:
        spy = RuinRecreate(builder, seed=9, params=RuinParams(
            left_out_seed=1.0, top_priority_focus=chance))
        seen = []
        for _ in range(200):
            saved: dict[int, Any] = {}
            if spy._ruin(routes, schedules, loads, where, saved) is not None:  # type: ignore[arg-type]
                seen.append(spy.focus)
            spy._restore(routes, schedules, loads, where, saved)  # type: ignore[arg-type]
        return seen

    assert all(search.rank[j] == top for j in foci(1.0))
    # Without the rule the lower priorities get their turns too.
    assert any(search.rank[j] != top for j in foci(0.0))


def test_the_job_a_ruin_made_room_for_goes_back_first(spied) -> None:  # type: ignore[no-untyped-def]
    # Even before jobs of higher priority taken out with it: they would take
    # their old places back and leave it out again.
    _, _, search = spied
    builder = search.builder
    routes, taken = _with_jobs_out(search)
    where = _where(routes, builder.ctx.n_jobs)
    schedules = [builder.schedule(v, r, thorough=True) for v, r in enumerate(routes)]
    loads = [sum(builder.load[k] for k in r) for r in routes]
    low = taken[max(taken)]
    higher = [k for r in routes for k in r if search.rank[k] < search.rank[low]][:3]
    assert higher
    spy = RuinRecreate(builder, seed=2)
    spy.focus = low
    order: list[int] = []
    real = builder.best_insertion

    def record(j, *args, **kwargs):  # type: ignore[no-untyped-def]
        order.append(j)
        return real(j, *args, **kwargs)

    saved: dict[int, Any] = {}
    for k in higher:  # take them out as a ruin would
        v = where[k]
        if v not in saved:
            saved[v] = (routes[v], schedules[v], loads[v])
        routes[v] = [x for x in routes[v] if x != k]
        schedules[v] = builder.schedule(v, routes[v], thorough=True)
        loads[v] -= builder.load[k]
        where[k] = -1
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(builder, "best_insertion", record)
        spy._recreate([*higher, low], routes, schedules, loads, where, saved)  # type: ignore[arg-type]
    assert order[0] == low
    assert sorted(order[1:], key=lambda k: search.rank[k]) == order[1:]


def _ruined_for(search, iterations: int, screen: bool,  # type: ignore[no-untyped-def]
                patch: pytest.MonkeyPatch) -> tuple[list[list[int]], int, int]:
    """Ruin and recreate from ``search``'s start for ``iterations`` iterations, with
    or without the own-terms screen: (routes, best cost, exact schedules computed)."""
    import time

    from fieldops.solver.dispatch.construct import Constructor

    calls = [0]
    real = Constructor.schedule

    def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls[0] += 1
        return real(self, *args, **kwargs)

    patch.setattr(Constructor, "schedule", counted)
    patch.setattr(Constructor, "screen_own_terms", screen)
    fresh = RuinRecreate(Constructor(search.builder.ctx), seed=11, params=search.params)
    seen = [0]

    def enough() -> bool:
        seen[0] += 1
        return seen[0] > iterations

    routes, stats = fresh.run(search.given, time.monotonic() + 120, should_stop=enough)
    assert stats.iterations == iterations
    return routes, stats.best_cost, calls[0]


def test_the_own_terms_screen_keeps_the_plan_and_skips_schedules(spied) -> None:  # type: ignore[no-untyped-def]
    # The floor of a job's own SLA and preference terms only skips positions that
    # cannot beat the best found: the same search (same seed, same iterations) ends
    # with the same routes, having timed fewer of them.
    _, _, search = spied
    jobs = search.builder.ctx.jobs
    assert any(job.preferred_technicians for job in jobs)  # the screen has work here
    with pytest.MonkeyPatch.context() as patch:
        off = _ruined_for(search, 300, False, patch)
    with pytest.MonkeyPatch.context() as patch:
        on = _ruined_for(search, 300, True, patch)
    assert on[:2] == off[:2]
    assert on[2] < off[2]


class _Ticks:
    """``time`` for :mod:`.improve` whose clock is its count of looks: a search then
    runs the same iterations at any machine speed."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        self.now += 1.0
        return self.now


def _from_scratch(builder: Constructor, v: int, route: list[int], p: int, old: list[int],
                  old_schedule: Schedule, *, thorough: bool = False) -> Schedule | None:
    """``resume`` as the search called ``schedule`` before: the whole route, both
    lunch rules by the reference loop."""
    return reference_schedule(builder, v, route, thorough)


def test_resumed_schedules_leave_the_search_s_decisions_unchanged(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The same seed and iterations give the same routes and costs with the trial
    # routes timed from their unchanged prefix as timed whole from the start.
    problem = load_demo_day()
    model = build_model(problem, search_jobs=0)
    assert model.ctx is not None
    outcomes = []
    for whole in (False, True):
        with monkeypatch.context() as patch:
            patch.setattr(improve, "time", _Ticks())
            if whole:
                patch.setattr(Constructor, "resume", _from_scratch)
            builder = Constructor(model.context)
            start = builder.build()
            best, stats = RuinRecreate(builder, seed=5).run(start, 400.0)
        outcomes.append((best, stats.iterations, stats.accepted, stats.best_cost))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][2] > 10  # accepted moves: the routes did change
    ids = [r.id for r in problem.requests]
    plan = evaluate_routes(problem, {model.vehicles[v].id: [ids[model.job_ids[j]] for j in route]
                                     for v, route in enumerate(outcomes[0][0])})
    assert plan.solver["repaired_jobs"] == 0
    assert_valid(problem, plan)

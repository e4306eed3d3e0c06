"""schedule.py: the route evaluator (integer model) and the plan's timing (real units).

Line world: 1 km = 1 minute of driving; minutes after 08:00. Every expectation is
worked out by hand from the rules in the module doc.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

from fieldops.data.sample import generate_field_day
from fieldops.domain import ContractTier, LunchBreak, StepKind, TimeWindow
from fieldops.solver.dispatch.constraints import MODULE_KEYS, PLAN_KEYS
from fieldops.solver.dispatch.context import COST_SCALE
from fieldops.solver.dispatch.model import build_model
from fieldops.solver.dispatch.schedule import (
    RouteEvaluator,
    check_route,
    price_route,
    time_route,
)
from fieldops.solver.dispatch.timed import RawRoute
from schedule_reference import reference_schedule

from dispatch_timed import context_of, leg_of, minute, timed
from line_world import LineWorld, mins, shift, solve, t

SECONDS = 60  # per minute, and per km of driving


def _lunch(earliest: float, latest: float, duration: float = 30) -> LunchBreak:
    return LunchBreak(duration=mins(duration), earliest_start=t(earliest),
                      latest_start=t(latest))


# ------------------------------------------------------------ integer evaluator
def test_service_waits_for_the_window_and_travel_is_priced_per_arc() -> None:
    w = LineWorld()
    a = w.technician("A", 0)
    problem = w.problem([a], [w.job("J", 10, windows=(TimeWindow(t(60), t(90)),))])
    ctx = context_of(problem)
    sched = RouteEvaluator(ctx).schedule(0, [0])
    assert sched is not None
    assert sched.starts == [minute(ctx, 60)]  # arrives at 10, waits 50 minutes
    assert sched.end == minute(ctx, 60 + 30 + 10)
    assert sched.break_start is None
    assert sched.cost == COST_SCALE * 2 * 10 * SECONDS  # travel_time weight 1
    # Leaves as late as the window allows: 10 minutes of driving before 60.
    assert RouteEvaluator(ctx).departure(0, [0], sched) == minute(ctx, 50)


def test_lunch_is_taken_on_site_while_waiting_for_the_window() -> None:
    w = LineWorld()
    a = w.technician("A", 0)
    problem = w.problem([a], [w.job("J", 10, windows=(TimeWindow(t(70), t(90)),))],
                        shifts=[shift("A", lunch=_lunch(20, 120))])
    ctx = context_of(problem)
    sched = RouteEvaluator(ctx).schedule(0, [0])
    assert sched is not None
    # Arrives at 10; the break opens at 20 and ends at 50, before the window at 70.
    assert sched.break_start == minute(ctx, 20)
    assert sched.starts == [minute(ctx, 70)]
    # The break comes before the first job: the shift's start is the departure.
    assert RouteEvaluator(ctx).departure(0, [0], sched) == minute(ctx, 0)


def test_lazy_lunch_goes_after_return_when_the_day_ends_before_its_latest_start() -> None:
    w = LineWorld()
    a = w.technician("A", 0)
    problem = w.problem([a], [w.job("J", 10)], shifts=[shift("A", lunch=_lunch(60, 180))])
    ctx = context_of(problem)
    sched = RouteEvaluator(ctx).schedule(0, [0])
    assert sched is not None
    # Served 10-40, home at 50: the break waits for its window, off the clock.
    assert sched.starts == [minute(ctx, 10)]
    assert sched.end == minute(ctx, 50)
    assert sched.break_start == minute(ctx, 60)


def test_eager_lunch_when_putting_it_off_misses_a_window() -> None:
    # J1 10-60; J2 opens at 90 (20 min of waiting); J3 must start at exactly 150.
    # Lazy: the break is put off until before leaving J2 (120-150) and J3 is missed.
    # Eager: taken after J1 (60-90), J2 starts at 100 instead of 90, J3 still at 150.
    w = LineWorld()
    a = w.technician("A", 0)
    jobs = [w.job("J1", 10, duration=50),
            w.job("J2", 20, windows=(TimeWindow(t(90), t(200)),)),
            w.job("J3", 30, windows=(TimeWindow(t(150), t(150)),))]
    problem = w.problem([a], jobs, shifts=[shift("A", lunch=_lunch(60, 150))])
    ctx = context_of(problem)
    evaluator = RouteEvaluator(ctx)
    veh = evaluator.vehicles[0]
    assert evaluator._schedule(0, veh, [0, 1, 2], eager=False) is None
    sched = evaluator.schedule(0, [0, 1, 2])
    assert sched is not None
    assert sched.break_start == minute(ctx, 60)
    assert sched.starts == [minute(ctx, m) for m in (10, 100, 150)]


def test_lunch_comes_early_when_putting_it_off_makes_an_sla_job_late() -> None:
    # J1 10-60; J2 opens at 90 (arrives at 70); GOLD's SLA deadline is minute 150.
    # Lazy: J2 90-120, the break put off until before leaving J2 (120-150), GOLD
    # starts at 160: 10 minutes late. Eager: the break after J1 (60-90), J2 100-130,
    # GOLD at 140, on time, for the same travel: the evaluator takes the eager one.
    w = LineWorld()
    a = w.technician("A", 0)
    gold = ContractTier("gold", response_time=timedelta(hours=1))
    jobs = [w.job("J1", 10, duration=50),
            w.job("J2", 20, windows=(TimeWindow(t(90), t(200)),)),
            w.job("GOLD", 30, contract_tier="gold", created_at=t(90))]
    problem = w.problem([a], jobs, shifts=[shift("A", lunch=_lunch(60, 150))], tiers=[gold])
    ctx = context_of(problem)
    evaluator = RouteEvaluator(ctx)
    lazy = evaluator._schedule(0, evaluator.vehicles[0], [0, 1, 2], eager=False)
    assert lazy is not None and lazy.late
    assert lazy.starts == [minute(ctx, m) for m in (10, 90, 160)]
    sched = evaluator.schedule(0, [0, 1, 2])
    assert sched is not None and not sched.late
    assert sched.break_start == minute(ctx, 60)
    assert sched.starts == [minute(ctx, m) for m in (10, 100, 140)]
    assert sched.cost < lazy.cost


def test_overtime_is_priced_per_second_and_its_limit_is_hard() -> None:
    w = LineWorld()
    a = w.technician("A", 0)
    problem = w.problem([a], [w.job("J", 30, duration=60)],
                        shifts=[shift("A", 0, 100, overtime=30)])
    ctx = context_of(problem)
    evaluator = RouteEvaluator(ctx)
    sched = evaluator.schedule(0, [0])
    assert sched is not None
    assert sched.end == minute(ctx, 120)  # served 30-90, home at 120: 20 min over
    per_second = round(problem.weights.overtime_per_hour / 3600 * COST_SCALE)
    assert sched.cost == COST_SCALE * 2 * 30 * SECONDS + 20 * SECONDS * per_second
    tighter = w.problem([a], [w.job("J", 30, duration=60)],
                        shifts=[shift("A", 0, 100, overtime=10)])
    assert RouteEvaluator(context_of(tighter)).schedule(0, [0]) is None


# ------------------------------------------------------------ real units
def test_plan_timing_moves_the_break_on_site_after_arrival() -> None:
    w = LineWorld()
    a = w.technician("A", 0)
    problem = w.problem([a], [w.job("J", 10)], shifts=[shift("A", lunch=_lunch(20, 120))])
    route = timed(problem, "S-A", [("J", 100)], break_at=30)
    assert route.break_start == t(20)  # arrived at 10, the window opens at 20
    assert route.break_position == 1  # after the start, before J
    assert route.stops[0].arrival == t(10)
    assert route.stops[0].wait == mins(90)


def test_plan_timing_takes_the_break_before_leaving_when_on_site_is_too_late() -> None:
    w = LineWorld()
    a = w.technician("A", 0)
    problem = w.problem([a], [w.job("J1", 10), w.job("J2", 50)],
                        shifts=[shift("A", lunch=_lunch(40, 70))])
    # J1 10-40; 40 km to J2, served at 110: on site (80) is past the latest start.
    route = timed(problem, "S-A", [("J1", 10), ("J2", 110)], break_at=45)
    assert route.break_start == t(40)
    assert route.stops[1].arrival == t(40 + 30 + 40)
    assert route.break_position == 2


def test_a_solved_plan_priced_again_gives_its_penalties_and_breaks_no_hard_rule() -> None:
    w = LineWorld()
    a, b = w.technician("A", 0), w.technician("B", 40)
    jobs = [w.job(f"J{k}", 7 * k, windows=(TimeWindow(t(30 * k), t(30 * k + 120)),))
            for k in range(1, 7)]
    shifts = [shift("A", lunch=_lunch(180, 240)), shift("B", lunch=_lunch(180, 240))]
    problem = w.problem([a, b], jobs, shifts=shifts)
    plan = solve(problem)  # checked by the independent validator
    index = {r.id: i for i, r in enumerate(problem.requests)}
    totals = dict.fromkeys(PLAN_KEYS, 0.0)
    for route in plan.routes:
        jobs_steps = [s for s in route.steps if s.kind is StepKind.JOB]
        lunch = [s.start for s in route.steps if s.kind is StepKind.BREAK]
        raw = RawRoute(shift=next(s for s in problem.shifts if s.id == route.shift_id),
                       jobs=[index[str(s.request_id)] for s in jobs_steps],
                       starts=[s.start for s in jobs_steps], departure=route.steps[0].start,
                       break_start=lunch[0] if lunch else None)
        again = time_route(problem, raw, leg_of(problem))
        assert [p.amount for p in check_route(problem, again)] == [0] * 6
        for p in price_route(problem, again):
            totals[MODULE_KEYS[p.constraint]] += p.cost
    for key, value in totals.items():
        if key != "unassigned":
            assert round(value, 3) == plan.penalties[key]


def test_fits_load_holds_a_route_to_the_van_and_an_open_van_takes_anything() -> None:
    # The one capacity check of the live insertion, the slot offers and relocation.
    w = LineWorld()
    van, open_van = w.technician("A", 0, capacity=10.0), w.technician("B", 0)
    jobs = [w.job("J1", 5, load=4.0), w.job("J2", 10, load=6.0), w.job("J3", 15, load=1.0)]
    ev = RouteEvaluator(context_of(w.problem([van, open_van], jobs)))
    assert ev.fits_load(0, [0, 1])  # 10 of 10
    assert not ev.fits_load(0, [0, 1, 2])  # 11 of 10
    assert ev.fits_load(1, [0, 1, 2])


# ------------------------------------------------------------ resuming a route's timing
def _field_evaluator(seed: int) -> RouteEvaluator:
    model = build_model(generate_field_day(60, 6, seed=seed), search_jobs=0)
    assert model.ctx is not None
    return RouteEvaluator(model.context)


def test_resumed_schedules_are_the_reference_ones_on_random_insertions_and_removals() -> None:
    # Routes grown by insertions at random positions and cut by taking strings out,
    # each timed by resume from the previous route's trace (traces of traces, the
    # eager run filled on first need) and by the reference from the start: the
    # same schedule every time. The mix is checked to hold the cases resume tells
    # apart (lazy or eager kept, diverging before the change or not, the eager
    # run left for later; the lazy rule failing before the change: below).
    seen: Counter[str] = Counter()
    for seed in range(3):
        ev = _field_evaluator(seed)
        rng = random.Random(seed)
        n = ev.ctx.n_jobs
        for _ in range(150):
            v = rng.randrange(len(ev.vehicles))
            route: list[int] = []
            sched = ev.empty(v)
            for _ in range(rng.randint(4, 14)):
                if route and rng.random() < 0.25:
                    first = rng.randrange(len(route))
                    trial_route = route[:first] + route[first + rng.randint(1, 3):]
                    p, thorough = first, True
                else:
                    p = rng.randint(0, len(route))
                    j = rng.choice([k for k in range(n) if k not in route])
                    trial_route, thorough = [*route[:p], j, *route[p:]], False
                got = ev.resume(v, trial_route, p, route, sched, thorough=thorough)
                assert got == reference_schedule(ev, v, trial_route, thorough)
                assert got == ev.schedule(v, trial_route, thorough=thorough)
                base = sched.trace
                if base is not None:
                    seen["lazy fails before p" if p >= len(base.lazy) else "lazy resumed"] += 1
                    seen["diverged before p" if 0 <= base.diverge < p else "not before p"] += 1
                if got is not None and trial_route:
                    assert got.trace is not None
                    seen["eager kept" if got.starts != got.trace.lazy_starts else "lazy kept"] += 1
                    seen["diverges"] += got.trace.diverge >= 0
                    if got.trace.diverge >= 0 and got.trace.eager is None:
                        seen["eager left for later"] += 1
                if got is not None:
                    route, sched = trial_route, got
    for case in ("lazy resumed", "diverged before p",
                 "eager kept", "lazy kept", "diverges", "eager left for later"):
        assert seen[case] > 0, (case, seen)


def test_a_route_the_lazy_rule_fails_resumes_past_the_failure_with_the_eager_rule() -> None:
    # The world of the eager-lunch test above and J4 after J3: the lazy rule fails
    # at J3 on [J1, J2, J3], so on [J1, J2, J3, J4] too (J4 inserted after the
    # failure); the eager one is timed from its state before J4.
    w = LineWorld()
    a = w.technician("A", 0)
    jobs = [w.job("J1", 10, duration=50),
            w.job("J2", 20, windows=(TimeWindow(t(90), t(200)),)),
            w.job("J3", 30, windows=(TimeWindow(t(150), t(150)),)),
            w.job("J4", 40)]
    problem = w.problem([a], jobs, shifts=[shift("A", lunch=_lunch(60, 150))])
    evaluator = RouteEvaluator(context_of(problem))
    sched = evaluator.schedule(0, [0, 1, 2])
    assert sched is not None and sched.trace is not None
    assert len(sched.trace.lazy) == 3  # the states before J1, J2 and J3: fails at J3
    longer = evaluator.resume(0, [0, 1, 2, 3], 3, [0, 1, 2], sched)
    assert longer is not None
    assert longer == reference_schedule(evaluator, 0, [0, 1, 2, 3])
    assert longer.starts[:3] == sched.starts
    # Taking J3 out again (from position 2) gives the lazy rule's route back.
    shorter = evaluator.resume(0, [0, 1, 3], 2, [0, 1, 2, 3], longer, thorough=True)
    assert shorter == reference_schedule(evaluator, 0, [0, 1, 3], thorough=True)

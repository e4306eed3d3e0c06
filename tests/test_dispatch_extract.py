"""extract.py: the plan built from timed routes, its KPIs and its penalties in real
units (the objective is their sum)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fieldops.domain import (
    LunchBreak,
    PlanStatus,
    Priority,
    StepKind,
    TimeWindow,
    Unassigned,
    UnassignedReason,
)
from fieldops.solver.dispatch.extract import build_plan
from fieldops.solver.dispatch.model import build_model
from fieldops.solver.dispatch.timed import RawRoute
from fieldops.validators.dispatch import assert_valid

from line_world import LineWorld, mins, shift, solve, t


def test_objective_is_the_sum_of_the_penalties() -> None:
    w = LineWorld()
    a = w.technician("A", 0)
    plan = solve(w.problem([a], [w.job("J1", 10), w.job("J2", 900)]))
    assert plan.objective == pytest.approx(sum(plan.penalties.values()), abs=0.01)
    assert plan.penalties["travel"] == 20 * 60  # 10 km out and back at 1 km/min, 1 per s
    assert plan.penalties["unassigned"] > plan.penalties["travel"]


def _lunch_plan():  # type: ignore[no-untyped-def]
    # A: home km 0, J1 at km 10 served 10-40, lunch after it, J2 at km 30 served 90-120,
    # home at 150; a 9-hour shift with a 30-minute lunch. LOW is left out.
    w = LineWorld()
    lunch = LunchBreak(mins(30), t(30), t(120))
    problem = w.problem([w.technician("A", 0)],
                        [w.job("J1", 10), w.job("J2", 30), w.job("LOW", 5, priority=Priority.LOW)],
                        shifts=[shift("A", lunch=lunch)])
    model = build_model(problem)
    raw = RawRoute(shift=problem.shifts[0], jobs=[0, 1], starts=[t(10), t(90)],
                   departure=t(0), break_start=t(40))
    plan = build_plan(problem, [raw], model.leg,
                      [Unassigned("LOW", Priority.LOW, UnassignedReason.NOT_ENOUGH_CAPACITY,
                                  "no room")],
                      PlanStatus.FEASIBLE, timedelta(seconds=1), model.travel_bound, {})
    return problem, plan


def test_steps_run_start_jobs_break_end_in_time_order() -> None:
    problem, plan = _lunch_plan()
    assert_valid(problem, plan)
    [route] = plan.routes
    kinds = [s.kind for s in route.steps]
    assert kinds == [StepKind.START, StepKind.JOB, StepKind.BREAK, StepKind.JOB, StepKind.END]
    starts = [s.start for s in route.steps]
    assert starts == sorted(starts)
    # The break lies between the jobs, inside its window, and lasts its duration.
    j1, brk, j2 = route.steps[1:4]
    assert j1.end <= brk.start and brk.end <= j2.start
    assert t(30) <= brk.start <= t(120) and brk.end - brk.start == mins(30)
    assert j2.start == t(90) and j2.travel_time == mins(20)
    assert route.steps[-1].arrival == t(150) and route.steps[-1].travel_time == mins(30)


def test_route_and_plan_kpis_add_up() -> None:
    _, plan = _lunch_plan()
    kpis = plan.routes[0].kpis
    assert kpis.jobs == 2 and kpis.service_time == mins(60)
    assert kpis.travel_time == mins(60) and kpis.travel_distance == pytest.approx(60_000)
    assert kpis.span == mins(150) and kpis.overtime == timedelta(0)
    assert kpis.break_time == mins(30)
    assert kpis.utilisation == pytest.approx(60 / (540 - 30))
    assert plan.kpis.jobs_total == 3 and plan.kpis.jobs_assigned == 2
    assert plan.kpis.unassigned_by_priority[Priority.LOW] == 1
    assert plan.kpis.assigned_by_priority[Priority.NORMAL] == 2
    assert plan.kpis.routes_used == 1 and plan.kpis.travel_time == kpis.travel_time


def test_penalties_are_keyed_by_plan_key_and_the_route_cost_is_its_share() -> None:
    _, plan = _lunch_plan()
    assert plan.penalties["travel"] == pytest.approx(60 * 60)  # 1 per second of driving
    assert plan.penalties["unassigned"] > plan.penalties["travel"]  # LOW left out
    route_share = sum(v for k, v in plan.penalties.items() if k != "unassigned")
    assert plan.routes[0].kpis.cost == pytest.approx(route_share)
    assert plan.objective == pytest.approx(sum(plan.penalties.values()))
    assert [u.request_id for u in plan.unassigned] == ["LOW"]


def test_lunch_on_site_while_waiting_is_a_break_not_waiting() -> None:
    # J2 opens at 90; A, 20 min away, leaves J1 at 40 and lunches at J2's door from 60:
    # the half hour before service is the break, so neither the step nor the KPIs
    # count it as waiting (it is the route's break_time already).
    w = LineWorld()
    problem = w.problem([w.technician("A", 0)],
                        [w.job("J1", 10), w.job("J2", 30, windows=(TimeWindow(t(90), t(120)),))],
                        shifts=[shift("A", lunch=LunchBreak(mins(30), t(30), t(120)))])
    model = build_model(problem)
    raw = RawRoute(shift=problem.shifts[0], jobs=[0, 1], starts=[t(10), t(90)],
                   departure=t(0), break_start=t(60))
    plan = build_plan(problem, [raw], model.leg, [], PlanStatus.FEASIBLE,
                      timedelta(seconds=1), model.travel_bound, {})
    assert_valid(problem, plan)
    [route] = plan.routes
    j1, j2 = route.jobs
    brk = next(s for s in route.steps if s.kind is StepKind.BREAK)
    assert j2.arrival == t(60) and brk.start == t(60) and j2.start == t(90)
    assert j2.wait == timedelta(0) and j1.wait == timedelta(0)
    assert route.kpis.wait_time == timedelta(0) and plan.kpis.wait_time == timedelta(0)
    assert route.kpis.break_time == mins(30)

"""constraints/shifts.py: overtime (soft) and the shift's hours (hard)."""

from __future__ import annotations

from fieldops.domain import (
    ObjectiveWeights,
    StepKind,
)
from fieldops.solver.dispatch.constraints import shifts

from dispatch_timed import timed
from line_world import LineWorld, mins, reasons, shift, solve, t


def test_overtime_is_charged_per_hour_back_after_shift_end() -> None:
    w = LineWorld()
    a = w.technician("A", 0)
    job = w.job("J", 30, duration=60)
    problem = w.problem([a], [job], shifts=[shift("A", 0, 100, overtime=60)],
                        weights=ObjectiveWeights(overtime_per_hour=600.0))
    # Serves 50–110, home at 140: 40 minutes after the end at 100.
    route = timed(problem, "S-A", [("J", 50)])
    got = shifts.penalty(problem, route)
    assert got.constraint == "shifts"
    assert got.amount == 40 / 60
    assert got.cost == 40 * 60 / 3600 * 600.0
    assert shifts.check(problem, route).amount == 0


def test_leaving_early_or_back_after_the_overtime_is_a_violation() -> None:
    w = LineWorld()
    a = w.technician("A", 0)
    job = w.job("J", 30, duration=60)
    problem = w.problem([a], [job], shifts=[shift("A", 10, 100, overtime=20)])
    # Leaves at 0 (10 min early), home at 140 (20 min past 100 + 20).
    got = shifts.check(problem, timed(problem, "S-A", [("J", 50)], departure=0))
    assert got.hard and got.cost == 0
    assert got.amount == (10 + 20) * 60


def test_route_respects_shift_and_returns_to_end_location() -> None:
    # Shift 08:00–12:00 ends at a depot at km 10. Each job takes 100 minutes at
    # km 5: two fit (5 + 100 + 100 + 5 = 210 min), a third would need 310 > 240.
    w = LineWorld()
    a = w.technician("A", 0)
    depot = w.at(10, "depot")
    jobs = [w.job(f"J{i}", 5, duration=100) for i in range(3)]
    sh = shift("A", 0, 240, end_location=depot)
    plan = solve(w.problem([a], jobs, shifts=[sh]))
    assert plan.kpis.jobs_assigned == 2
    assert [u.reason.value for u in plan.unassigned] == ["not_enough_capacity"]
    route = plan.routes[0]
    end = route.steps[-1]
    assert end.kind is StepKind.END and end.location == depot
    assert end.end <= t(240)


def test_overtime_is_allowed_up_to_the_maximum_and_paid_for() -> None:
    # A 120-minute job 15 minutes away in a 08:00–10:00 shift: back at 10:30, so
    # 30 minutes of overtime. With no overtime allowed it cannot be done at all.
    w = LineWorld()
    a = w.technician("A", 0)
    job = w.job("J", 15, duration=120)
    plan = solve(w.problem([a], [job], shifts=[shift("A", 0, 120, overtime=60)]))
    assert plan.routes[0].kpis.overtime == mins(30)
    assert plan.penalties["overtime"] > 0
    strict = solve(w.problem([a], [job], shifts=[shift("A", 0, 120, overtime=0)]))
    assert reasons(strict) == {"J": "unreachable_in_time"}

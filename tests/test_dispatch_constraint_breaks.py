"""constraints/breaks.py: one lunch break in its window, never during service (hard)."""

from __future__ import annotations

import dataclasses

from fieldops.domain import LunchBreak, StepKind, TimeWindow
from fieldops.solver.dispatch.constraints import breaks

from dispatch_timed import timed
from line_world import LineWorld, job_step, mins, shift, solve, t


def _window(start: float, end: float) -> TimeWindow:
    return TimeWindow(t(start), t(end))


def _world():  # type: ignore[no-untyped-def]
    w = LineWorld()
    a = w.technician("A", 0)
    lunch = LunchBreak(duration=mins(30), earliest_start=t(60), latest_start=t(120))
    problem = w.problem([a], [w.job("J", 10, duration=30)],
                        shifts=[shift("A", lunch=lunch)])
    # Serves J from 100 to 130.
    return problem, timed(problem, "S-A", [("J", 100)], departure=90, break_at=60)


def test_a_break_in_its_window_clear_of_service_costs_nothing() -> None:
    problem, route = _world()
    assert route.break_start == t(60)
    got = breaks.check(problem, route)
    assert got.hard and got.constraint == "breaks"
    assert got.amount == 0


def test_overlap_with_service_and_time_outside_the_window_add_up() -> None:
    problem, route = _world()
    # From 110: 20 minutes over J's service (110–130), inside the window.
    overlapping = dataclasses.replace(route, break_start=t(110))
    assert breaks.check(problem, overlapping).amount == 20 * 60
    # From 130: clear of J, but 10 minutes after the latest start (120).
    late = dataclasses.replace(route, break_start=t(130))
    assert breaks.check(problem, late).amount == 10 * 60
    # None at all: the whole break is missing.
    missing = dataclasses.replace(route, break_start=None)
    assert breaks.check(problem, missing).amount == 30 * 60


def test_a_break_in_a_gap_too_short_for_the_drive_counts_the_missing_time() -> None:
    problem, _ = _world()
    # Leaves at 70 and breaks at once (70-100): the 10 minutes to J, served at 100,
    # no longer fit in the gap.
    route = timed(problem, "S-A", [("J", 100)], departure=70, break_at=70)
    assert route.break_start == t(70)
    assert breaks.check(problem, route).amount == 10 * 60


def test_lunch_break_is_taken_inside_its_window_between_jobs() -> None:
    # J1 is fixed 08:00–11:30 at home. J2 must start 11:30–12:00 and lasts 2 h.
    # The 30-minute lunch must start 11:30–13:00 and cannot overlap service: after
    # J2 (13:30 at the earliest) is too late, so the only plan is lunch 11:30–12:00
    # and J2 starting at 12:00.
    w = LineWorld()
    a = w.technician("A", 0)
    j1 = w.job("J1", 0, duration=210, windows=(_window(0, 0),))
    j2 = w.job("J2", 0, duration=120, windows=(_window(210, 240),))
    lunch = LunchBreak(mins(30), t(210), t(300))
    plan = solve(w.problem([a], [j1, j2], shifts=[shift("A", lunch=lunch)]))
    steps = plan.routes[0].steps
    brk = next(s for s in steps if s.kind is StepKind.BREAK)
    assert (brk.start, brk.end) == (t(210), t(240))
    assert job_step(plan, "J2").start == t(240)

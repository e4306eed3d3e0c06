"""constraints/time_windows.py: service starts inside one of the job's windows (hard)."""

from __future__ import annotations

from datetime import timedelta

from fieldops.domain import TimeWindow
from fieldops.solver.dispatch.constraints import time_windows

from dispatch_timed import timed
from line_world import LineWorld, job_step, solve, t


def _window(start: float, end: float) -> TimeWindow:
    return TimeWindow(t(start), t(end))


def test_seconds_outside_the_nearest_window_are_the_violation() -> None:
    w = LineWorld()
    a = w.technician("A", 0)
    windows = (TimeWindow(t(60), t(90)), TimeWindow(t(200), t(230)))
    early = w.job("EARLY", 10, windows=windows)
    inside = w.job("IN", 20, windows=windows)
    problem = w.problem([a], [early, inside])
    # EARLY starts at 40: 20 min before 60. IN starts at 215, inside the second window.
    route = timed(problem, "S-A", [("EARLY", 40), ("IN", 215)], departure=30)
    got = time_windows.check(problem, route)
    assert got.hard and got.constraint == "time_windows"
    assert got.amount == 20 * 60
    # Between the windows, the nearer one counts: 100 is 10 min past 90.
    assert time_windows.outside(t(100), windows).total_seconds() == 10 * 60


def test_second_appointment_window_is_used_when_first_is_out_of_reach() -> None:
    # The site is 30 minutes away: the 08:00–08:10 window cannot be reached by a
    # technician leaving at 08:00, so service starts when the second window opens
    # at 10:00 (minute 120).
    w = LineWorld()
    a = w.technician("A", 0)
    job = w.job("J", 30, windows=(_window(0, 10), _window(120, 180)))
    plan = solve(w.problem([a], [job]))
    step = job_step(plan, "J")
    assert step.start == t(120)
    # Leaving at 09:30 is enough; no point waiting at the site.
    assert step.arrival == t(120) and step.wait == timedelta(0)

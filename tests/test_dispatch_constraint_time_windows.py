"""constraints/time_windows.py: service starts inside one of the job's windows (hard)."""

from __future__ import annotations

from fieldops.domain import TimeWindow
from fieldops.solver.dispatch.constraints import time_windows

from dispatch_timed import timed
from line_world import LineWorld, t


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

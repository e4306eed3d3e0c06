"""constraints/breaks.py: one lunch break in its window, never during service (hard)."""

from __future__ import annotations

import dataclasses

from fieldops.domain import LunchBreak
from fieldops.solver.dispatch.constraints import breaks

from dispatch_timed import timed
from line_world import LineWorld, mins, shift, t


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

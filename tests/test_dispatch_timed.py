"""timed.py: a timed route's totals in real units (travel, span, overtime, waits)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch_timed import timed
from line_world import LineWorld, mins, shift, t


def _day():  # type: ignore[no-untyped-def]
    w = LineWorld()
    return w.problem([w.technician("A", 0)], [w.job("J1", 10), w.job("J2", 30)],
                     shifts=[shift("A", 0, 120)])


def test_stops_know_their_wait_and_end() -> None:
    # Leave at 0, J1 reached at 10 but served from 20; J2 reached at 20 + 30 + 20 = 70.
    route = timed(_day(), "S-A", [("J1", 20), ("J2", 70)])
    first, second = route.stops
    assert first.arrival == t(10) and first.wait == mins(10) and first.end == t(50)
    assert second.arrival == t(70) and second.wait == timedelta(0) and second.end == t(100)
    assert [s.travel for s in route.stops] == [mins(10), mins(20)]


def test_totals_add_every_leg_and_the_way_home() -> None:
    route = timed(_day(), "S-A", [("J1", 20), ("J2", 70)])
    assert route.last_travel == mins(30) and route.end == t(130)
    assert route.travel_time == mins(60)
    assert route.travel_distance == pytest.approx(60_000)
    assert route.span == mins(130)
    assert route.overtime == mins(10)  # the shift ends at minute 120


def test_no_overtime_when_home_in_time() -> None:
    route = timed(_day(), "S-A", [("J1", 10)])
    assert route.end == t(50) and route.overtime == timedelta(0)
    assert route.span == mins(50) and route.break_start is None

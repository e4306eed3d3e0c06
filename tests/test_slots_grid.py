"""solver/slots/grid.py: the slot grid, slot ids and windows."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fieldops.domain import FieldError, TimeWindow
from fieldops.solver.slots import (
    check_grid,
    day_slots,
    local_day,
    open_slots,
    parse_slot_id,
    slot_id,
    slot_windows,
)

from line_world import LineWorld, shift, t

PARIS = ZoneInfo("Europe/Paris")


def test_a_day_is_cut_from_local_midnight_without_gaps() -> None:
    slots = day_slots(date(2026, 3, 2), PARIS, timedelta(hours=2))
    assert len(slots) == 12
    assert slots[0].start == datetime(2026, 3, 1, 23, 0, tzinfo=UTC)  # 00:00 in Paris
    assert slots[4].start.astimezone(PARIS).hour == 8
    assert all(a.end == b.start for a, b in itertools.pairwise(slots))
    day = local_day(date(2026, 3, 2), PARIS)
    assert (slots[0].start, slots[-1].end) == (day.start, day.end)


def test_the_spring_change_shortens_one_slot_and_keeps_wall_clock_steps() -> None:
    slots = day_slots(date(2026, 3, 29), PARIS, timedelta(hours=2))
    assert sum((s.duration for s in slots), timedelta()) == timedelta(hours=23)
    assert [s.start.astimezone(PARIS).hour for s in slots[2:5]] == [4, 6, 8]


@pytest.mark.parametrize("grid", [timedelta(minutes=7), timedelta(hours=5),
                                  timedelta(minutes=10), timedelta(hours=13),
                                  timedelta(seconds=90)])
def test_a_grid_that_does_not_cut_a_day_evenly_is_refused(grid: timedelta) -> None:
    with pytest.raises(FieldError) as err:
        check_grid(grid)
    assert err.value.field == "grid"


def test_slot_ids_round_trip_and_bad_ones_name_the_field() -> None:
    slot = TimeWindow(t(0), t(120))
    assert slot_id(slot) == "2026-03-02T07:00:00Z/2026-03-02T09:00:00Z"
    assert parse_slot_id(slot_id(slot)) == slot
    for bad in ("x", "2026-03-02T07:00:00Z", "2026-03-02T09:00:00Z/2026-03-02T07:00:00Z",
                "2026-03-02T07:00:00/2026-03-02T09:00:00"):
        with pytest.raises(FieldError) as err:
            parse_slot_id(bad, "body.slot_id")
        assert err.value.field == "body.slot_id"


def test_the_requests_own_windows_cut_the_slot() -> None:
    w = LineWorld()
    job = w.job("J", 1, windows=(TimeWindow(t(60), t(90)), TimeWindow(t(200), t(300))))
    assert slot_windows(job, TimeWindow(t(0), t(120))) == (TimeWindow(t(60), t(90)),)
    assert slot_windows(job, TimeWindow(t(120), t(180))) == ()
    free = w.job("K", 2)
    assert slot_windows(free, TimeWindow(t(0), t(120))) == (TimeWindow(t(0), t(120)),)


def test_open_slots_need_a_shift_the_request_and_the_lead_time() -> None:
    w = LineWorld()
    slots = day_slots(date(2026, 3, 2), PARIS)
    job = w.job("J", 1)
    opened = open_slots(slots, [shift("A")], job)  # 08:00–17:00
    assert [s.start.astimezone(PARIS).hour for s in opened] == [8, 10, 12, 14, 16]
    later = open_slots(slots, [shift("A")], job, not_before=t(60))
    assert [s.start.astimezone(PARIS).hour for s in later] == [10, 12, 14, 16]

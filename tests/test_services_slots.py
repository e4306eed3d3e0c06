"""services/slots.py without a database: freezing work about to start."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any, cast

from fieldops.domain import TimeWindow
from fieldops.services.slots import Day, _freeze, not_started, thaw
from fieldops.solver.slots import SlotParams, book_slot
from fieldops.validators.dispatch import assert_valid

from line_world import t
from live_fixtures import Day as LineDay
from live_fixtures import starts


def test_work_starting_before_the_lead_is_pinned_and_given_back_as_it_is() -> None:
    d = LineDay()
    day = Day(date(2026, 3, 2), d.problem, d.published, None)
    frozen = _freeze(day, t(60))  # A1 and B1 start 08:10, A2 08:50: all before 09:00
    assert set(frozen.thawed) == {"A1", "B1", "A2"}
    pinned = frozen.problem.request_by_id["A2"]
    assert (pinned.pinned_technician, pinned.pinned_start) == ("A", t(50))
    booked = book_slot(frozen.problem, frozen.plan, d.request("N", "G"),
                       TimeWindow(t(0), t(120)))
    assert booked is not None
    before = starts(d.published)
    after = starts(booked.insertion.plan)
    assert all(after[rid] == before[rid] for rid in frozen.thawed)  # nobody frozen moved
    problem = thaw(frozen, booked.insertion.problem)
    assert problem.request_by_id["A2"] == d.problem.request_by_id["A2"]
    assert_valid(problem, booked.insertion.plan)


def test_nothing_to_freeze_leaves_the_day_alone() -> None:
    d = LineDay()
    day = Day(date(2026, 3, 2), d.problem, d.published, None)
    assert _freeze(day, t(0)) is day
    assert thaw(day, d.problem) is d.problem


def test_a_day_counts_as_started_at_its_first_shift_or_with_a_live_state() -> None:
    # Offers and bookings start published jobs earlier only on a day not started.
    d = LineDay()
    day = Day(date(2026, 3, 2), d.problem, d.published, None)
    assert not_started(day, t(-1))
    assert not not_started(day, t(0))  # the shifts start at 08:00
    live = dataclasses.replace(day, live=cast(Any, object()))
    assert not not_started(live, t(-60))
    assert day.params(SlotParams()).future is False  # the field's default
    assert dataclasses.replace(day, future=True).params(SlotParams()).future is True

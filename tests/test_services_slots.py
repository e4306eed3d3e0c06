"""services/slots.py without a database: freezing work about to start."""

from __future__ import annotations

from datetime import date

from fieldops.domain import TimeWindow
from fieldops.services.slots import Day, _freeze, thaw
from fieldops.solver.slots import book_slot
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

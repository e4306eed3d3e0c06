"""solver/slots/book.py: booking a slot (insert_job with the slot as window)."""

from __future__ import annotations

from datetime import timedelta

from fieldops.domain import TimeWindow
from fieldops.solver.slots import book_slot, booked_request
from fieldops.validators.dispatch import assert_valid
from fieldops.validators.promises import assert_promises_kept

from line_world import t
from live_fixtures import Day


def test_the_booked_job_carries_the_slot_as_its_window_and_keeps_it() -> None:
    d = Day()
    slot = TimeWindow(t(240), t(360))
    booked = book_slot(d.problem, d.published, d.request("N", "E"), slot)
    assert booked is not None
    job = booked.insertion.problem.request_by_id["N"]
    assert job.windows == (slot,)
    assert slot.start <= booked.start <= slot.end
    assert booked.end - booked.start == timedelta(minutes=30)
    assert_valid(booked.insertion.problem, booked.insertion.plan)
    assert_promises_kept(booked.insertion.plan, {"N": slot})


def test_a_slot_outside_every_shift_is_not_bookable() -> None:
    d = Day()
    assert book_slot(d.problem, d.published, d.request("N", "E"),
                     TimeWindow(t(-360), t(-240))) is None


def test_a_slot_the_requests_own_windows_miss_is_not_bookable() -> None:
    d = Day()
    new = d.request("N", "E", windows=(TimeWindow(t(0), t(60)),))
    assert booked_request(new, TimeWindow(t(120), t(240))).windows == ()
    assert book_slot(d.problem, d.published, new, TimeWindow(t(120), t(240))) is None


def test_a_full_slot_is_refused_rather_than_taking_a_job_out() -> None:
    d = Day()
    problem, plan = d.problem, d.published
    slot = TimeWindow(t(0), t(30))
    placed = 0
    for k in range(6):
        booked = book_slot(problem, plan, d.request(f"N{k}", "E", duration=60), slot)
        if booked is None:
            break
        placed += 1
        problem, plan = booked.insertion.problem, booked.insertion.plan
        assert not plan.unassigned
    else:
        raise AssertionError("a half-hour slot took six hour-long jobs")
    assert placed >= 1
    assert len([s for r in plan.routes for s in r.jobs]) == len(problem.requests)

"""solver/live/problem.py: what of a live day is history, frozen, promised or free."""

from __future__ import annotations

import dataclasses

import pytest

from fieldops.domain import FieldError
from fieldops.domain.live import (
    Cancellation,
    Delay,
    JobStatus,
    LiveParams,
    NewRequest,
    StatusReport,
    Unavailability,
)
from fieldops.solver.dispatch import SolveParams
from fieldops.solver.live import current_plan, replan, replan_problem
from fieldops.validators.dispatch import assert_valid
from fieldops.validators.live import assert_live_valid

from line_world import t
from live_fixtures import Day, starts

OVERRUN = [StatusReport("A1", JobStatus.ON_SITE, t(10)), StatusReport("A1", JobStatus.DONE, t(40)),
           StatusReport("A2", JobStatus.ON_SITE, t(50)), Delay("A2", t(100), t(70)),
           StatusReport("B1", JobStatus.ON_SITE, t(10)), StatusReport("B1", JobStatus.DONE, t(40))]


def test_done_and_under_way_work_leaves_and_technicians_start_where_they_are_free() -> None:
    d = Day()
    built = replan_problem(d.live(75, OVERRUN))  # 09:15
    ids = {r.id for r in built.problem.requests}
    assert ids == {"A3", "B2"}
    a, b = built.problem.shift_by_id["S-A"], built.problem.shift_by_id["S-B"]
    # A is on site at A2 (km 20) until the reported 09:40.
    assert a.start == t(100)
    assert a.start_location == d.problem.request_by_id["A2"].location
    # B finished B1 at 08:40 and has not left: free at km 40 now.
    assert b.start == t(75)
    assert b.start_location == d.problem.request_by_id["B1"].location
    assert built.frozen == {"A": ("A2",)}


def test_jobs_inside_the_freeze_horizon_keep_technician_and_expected_start() -> None:
    d = Day()
    built = replan_problem(d.live(75, OVERRUN))
    a3, b2 = built.problem.request_by_id["A3"], built.problem.request_by_id["B2"]
    # A3 was at 09:30, 10 min of driving after A2's planned end: pushed to 09:50.
    assert (a3.pinned_technician, a3.pinned_start) == ("A", t(110))
    # B2 was at 09:00, B is idle at km 40 at 09:15, 20 min away: 09:35.
    assert (b2.pinned_technician, b2.pinned_start) == ("B", t(95))
    assert (a3.baseline_technician, a3.baseline_start) == ("A", t(90))
    assert built.pinned == {"A3", "B2"}


def test_a_shorter_freeze_horizon_leaves_later_jobs_free() -> None:
    d = Day()
    built = replan_problem(d.live(75, OVERRUN), LiveParams(freeze_horizon=t(0) - t(0)))
    a3 = built.problem.request_by_id["A3"]
    assert a3.pinned_technician is None and a3.baseline_technician == "A"


def test_promised_window_is_the_one_the_published_start_lies_in() -> None:
    d = Day()
    built = replan_problem(d.live(0))
    assert [(w.start, w.end) for w in built.problem.request_by_id["A2"].windows] == [
        (t(30), t(120))]
    kept = replan_problem(d.live(0), LiveParams(promised_windows=False))
    assert len(kept.problem.request_by_id["A2"].windows) == 2


def test_ill_technician_loses_the_rest_of_the_shift_and_their_jobs_are_released() -> None:
    d = Day()
    day = d.live(60, [StatusReport("B1", JobStatus.DONE, t(40)),
                      Unavailability("B", t(60), None, "ill", t(55))])
    built = replan_problem(day)
    assert [s.id for s in built.problem.shifts] == ["S-A"]
    b2 = built.problem.request_by_id["B2"]
    assert b2.baseline_technician is None and b2.pinned_technician is None
    assert built.released == {"B2"}
    result = replan(day, solve_params=SolveParams(time_limit=1))
    assert_valid(result.problem, result.plan)
    assert_live_valid(day, result.plan)
    assert starts(result.plan)["B2"][0] == "A"
    told = result.diff.for_technician("B")
    assert told is not None and told.removed == ("B2",)
    assert set(result.diff.notify) == {"A", "B"}


def test_vehicle_broken_for_two_hours_cuts_the_shift_in_two() -> None:
    d = Day()
    day = d.live(60, [StatusReport("B1", JobStatus.DONE, t(40)),
                      Unavailability("B", t(120), t(240), "vehicle", t(60))])
    built = replan_problem(day)
    pieces = [s for s in built.problem.shifts if s.technician_id == "B"]
    assert [(s.id, s.start, s.end) for s in pieces] == [
        ("S-B", t(60), t(120)), ("S-B@1200", t(240), t(540))]
    assert "B2" not in built.released  # 09:00–09:30, before the breakdown


def test_cancelled_requests_leave_and_new_ones_join_unpinned() -> None:
    d = Day()
    new = d.request("N", "E")
    built = replan_problem(d.live(0, [Cancellation("A3", t(0)), NewRequest(new, t(0))]))
    ids = {r.id for r in built.problem.requests}
    assert "A3" not in ids and "N" in ids
    assert built.problem.request_by_id["N"].baseline_technician is None


def test_events_naming_unknown_things_name_the_event() -> None:
    d = Day()
    with pytest.raises(FieldError) as err:
        d.live(0, [StatusReport("A1", JobStatus.DONE, t(0)), Cancellation("NOPE", t(0))])
    assert err.value.field == "events[1].request_id"
    with pytest.raises(FieldError) as err:
        d.live(0, [Unavailability("Z", t(0))])
    assert err.value.field == "events[0].technician_id"


def test_events_after_as_of_do_not_count_yet() -> None:
    d = Day()
    day = d.live(30, [StatusReport("A1", JobStatus.DONE, t(45))])
    assert day.status("A1") is JobStatus.DISPATCHED
    assert dataclasses.replace(day, as_of=t(50)).status("A1") is JobStatus.DONE


def test_a_job_still_under_way_is_done_once_its_technician_reports_on_the_next() -> None:
    d = Day()
    day = d.live(61, [StatusReport("B1", JobStatus.ON_SITE, t(10)),
                      StatusReport("B2", JobStatus.ON_SITE, t(60))])
    assert day.status("B1") is JobStatus.DONE
    assert day.actual_end("B1") == t(60)
    assert day.under_way() == {"B2"}


def test_a_job_pinned_to_the_minute_moves_to_its_expected_start_after_a_delay() -> None:
    from fieldops.domain.live import LiveDay
    from fieldops.solver.dispatch.solve import evaluate_routes

    from live_fixtures import ROUTES

    d = Day()
    problem = dataclasses.replace(d.problem, requests=tuple(
        dataclasses.replace(r, pinned_technician="A", pinned_start=t(90)) if r.id == "A3"
        else r for r in d.problem.requests))
    published = evaluate_routes(problem, ROUTES)
    day = LiveDay(problem, published, t(20), (StatusReport("A1", JobStatus.ON_SITE, t(10)),
                                              Delay("A1", t(80), t(20))))
    built = replan_problem(day)  # A3 (09:30) is past the freeze horizon (09:20)
    a3 = built.problem.request_by_id["A3"]
    assert (a3.pinned_technician, a3.pinned_start) == ("A", t(130))  # A2 09:30, A3 10:10
    plan = current_plan(built)
    assert_valid(built.problem, plan)
    assert_live_valid(day, plan)

"""validators/live.py: each live-day rule is found broken when it is."""

from __future__ import annotations

import dataclasses

from fieldops.domain import TimeWindow
from fieldops.domain.live import Delay, JobStatus, StatusReport, Unavailability
from fieldops.solver.dispatch.solve import evaluate_routes
from fieldops.solver.live import current_plan, replan_problem
from fieldops.validators.live import validate_live

from line_world import mins, t
from live_fixtures import Day

TEN = mins(10)


def _codes(found: list) -> set[str]:  # type: ignore[type-arg]
    return {v.code for v in found}


def test_the_published_plan_is_valid_at_the_start_of_the_day() -> None:
    d = Day()
    assert validate_live(d.live(0), d.published) == []


def test_work_before_as_of_and_history_planned_again_are_found() -> None:
    d = Day()
    day = d.live(75, [StatusReport("A1", JobStatus.DONE, t(40))])
    found = validate_live(day, d.published)
    assert {"starts_before_as_of", "history_in_plan"} <= _codes(found)
    assert any(v.code == "history_in_plan" and v.request_id == "A1" for v in found)


def test_work_overlapping_a_job_under_way_is_double_booking() -> None:
    d = Day()
    # A2 runs until 10:30; the published A3 at 09:30 would overlap it.
    day = d.live(50, [StatusReport("A2", JobStatus.ON_SITE, t(50)), Delay("A2", t(150), t(50))])
    keep = evaluate_routes(d.problem, {"S-A": ["A3"], "S-B": ["B1", "B2"]})
    assert "double_booked" in _codes(validate_live(day, keep))


def test_work_of_an_unavailable_technician_is_found() -> None:
    d = Day()
    day = d.live(0, [Unavailability("B", t(30), t(90), "vehicle", t(0))])
    found = validate_live(day, d.published)
    assert [(v.code, v.shift_id) for v in found] == [("unavailable_work", "S-B")]


def test_frozen_job_given_to_another_technician_is_found() -> None:
    d = Day()
    day = d.live(0)
    built = replan_problem(day)
    free = dataclasses.replace(built.problem, requests=tuple(
        dataclasses.replace(r, pinned_technician=None, pinned_start=None)
        for r in built.problem.requests))
    moved = evaluate_routes(free, {"S-A": ["A2", "A3"], "S-B": ["A1", "B1", "B2"]})
    found = validate_live(day, moved)
    assert any(v.code == "frozen_moved" and v.request_id == "A1" for v in found)
    assert validate_live(day, current_plan(built)) == []


def test_route_leaving_from_home_while_on_site_elsewhere_is_found() -> None:
    d = Day()
    day = d.live(20, [StatusReport("B1", JobStatus.ON_SITE, t(10))])  # until 08:40
    late = dataclasses.replace(d.problem, shifts=tuple(
        dataclasses.replace(s, start=t(20)) for s in d.problem.shifts))
    plan = evaluate_routes(late, {"S-A": ["A1", "A2", "A3"], "S-B": ["B2"]})
    found = validate_live(day, plan)
    assert any(v.code == "wrong_free_start" and v.shift_id == "S-B" for v in found)


def test_published_job_moved_out_of_its_promised_window_is_found() -> None:
    d = Day()
    day = d.live(0)
    second = dataclasses.replace(d.problem, requests=tuple(
        dataclasses.replace(r, windows=(TimeWindow(t(300), t(400)),)) if r.id == "A2" else r
        for r in d.problem.requests))
    plan = evaluate_routes(second, {"S-A": ["A1", "A3", "A2"], "S-B": ["B1", "B2"]})
    found = validate_live(day, plan)
    assert any(v.code == "promised_window_broken" and v.request_id == "A2" for v in found)


def test_a_job_frozen_behind_one_en_route_since_late_may_start_later() -> None:
    d = Day()
    # A left for A1 (10 min away, planned 08:10) only at 08:05: A1 starts 08:15,
    # ends 08:45, and the frozen A2 (planned 08:50, 10 min after A1) moves to 08:55.
    day = d.live(6, [StatusReport("A1", JobStatus.EN_ROUTE, t(5))])
    plan = current_plan(replan_problem(day))
    a2 = next(s for r in plan.routes for s in r.jobs if s.request_id == "A2")
    assert a2.start == t(55)
    assert validate_live(day, plan) == []
    # Left on time, A1 pushes nothing: A2 stays frozen at 08:50.
    on_time = d.live(6, [StatusReport("A1", JobStatus.EN_ROUTE, t(0))])
    plan = current_plan(replan_problem(on_time))
    assert validate_live(on_time, plan) == []
    route = next(r for r in plan.routes if "A2" in r.request_ids)
    steps = tuple(dataclasses.replace(s, start=s.start + TEN, end=s.end + TEN)
                  if s.request_id == "A2" else s for s in route.steps)
    moved = dataclasses.replace(plan, routes=tuple(
        dataclasses.replace(r, steps=steps) if r is route else r for r in plan.routes))
    assert any(v.code == "frozen_moved" and v.request_id == "A2"
               for v in validate_live(on_time, moved))

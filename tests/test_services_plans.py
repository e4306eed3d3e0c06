"""The plan use cases called directly with a session on SQLite (no Flask):
building the day's problem from the store and the publish status machine."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldops.domain import TimeWindow
from fieldops.domain.errors import FieldError
from fieldops.schemas import parse_instant, plan_to_json, request_from_json
from fieldops.services import plans
from fieldops.services.errors import Conflict, NotFound
from fieldops.services.requests import change_status, create_request
from fieldops.services.resources import SHIFTS, TECHNICIANS
from fieldops.solver.dispatch.solve import evaluate_routes
from fieldops.store.db import Database
from fieldops.store.models import PlanAssignment, PlanPublish, PlanRow, RequestRow, StatusEvent

DAY, NEXT = "2026-03-02", "2026-03-03"
TZ = "Europe/Berlin"


def at(day: str, hm: str) -> datetime:
    return parse_instant(f"{day}T{hm}:00+01:00", "t")


HORIZON = TimeWindow(at(DAY, "00:00"), at(NEXT, "00:00"))


@pytest.fixture
def s(tmp_path: Path) -> Iterator[Session]:
    db = Database(f"sqlite:///{tmp_path / 'services.sqlite3'}")
    db.upgrade()
    with db.session() as session:
        yield session
    db.dispose()


def add_technician(s: Session, tid: str, shift_day: str | None = DAY) -> None:
    TECHNICIANS.create(s, {"id": tid, "name": f"Tech {tid}", "home": {"lat": 52.5, "lon": 13.4}})
    if shift_day is not None:
        SHIFTS.create(s, {"id": f"s-{tid}", "technician_id": tid,
                          "start": f"{shift_day}T08:00:00+01:00",
                          "end": f"{shift_day}T17:00:00+01:00"})


def add_request(s: Session, rid: str, day: str | None = DAY, **extra: Any) -> RequestRow:
    body: dict[str, Any] = {"id": rid, "location": {"lat": 52.51, "lon": 13.39},
                            "duration": "PT30M", **extra}
    if day is not None:
        body["windows"] = [{"start": f"{day}T08:00:00+01:00", "end": f"{day}T16:00:00+01:00"}]
    return create_request(s, request_from_json(body, ""), actor="test")


def ids(items: Any) -> list[str]:
    return [item.id for item in items]


# ---------------------------------------------------------------- build_day_problem
def test_day_problem_takes_technicians_on_shift_and_open_requests_of_the_day(s: Session) -> None:
    add_technician(s, "t1")
    add_technician(s, "t2", shift_day=NEXT)  # works another day
    add_technician(s, "t3", shift_day=None)  # no shift at all
    add_request(s, "today")
    add_request(s, "tomorrow", day=NEXT)
    add_request(s, "any-day", day=None)
    add_request(s, "pinned-tomorrow", day=None, pinned_technician="t1",
                pinned_start=f"{NEXT}T09:00:00+01:00")
    row = add_request(s, "cancelled")
    change_status(s, row, "cancelled", actor="test", at=None)

    problem = plans.build_day_problem(s, HORIZON, TZ, name="monday")

    assert ids(problem.technicians) == ["t1"]
    assert ids(problem.shifts) == ["s-t1"]
    assert ids(problem.requests) == ["today", "any-day"]
    assert problem.name == "monday" and problem.timezone == TZ and problem.horizon == HORIZON


def test_named_technicians_and_requests_are_kept_in_order_without_repeats(s: Session) -> None:
    add_technician(s, "t1")
    add_technician(s, "t2")
    add_request(s, "r1")
    add_request(s, "r2", day=NEXT)  # named: taken although it is another day's work

    problem = plans.build_day_problem(s, HORIZON, TZ, technician_ids=["t2", "t1", "t2"],
                                      request_ids=["r2", "r1", "r2"])

    assert ids(problem.technicians) == ["t2", "t1"]
    assert ids(problem.requests) == ["r2", "r1"]


@pytest.mark.parametrize(("kwargs", "field", "message"), [
    ({"technician_ids": ["t1", "ghost"]}, "technician_ids[1]", "unknown technician"),
    ({"request_ids": ["ghost"]}, "request_ids[0]", "unknown request"),
    ({"request_ids": ["r1", "done"]}, "request_ids[1]", "not open"),
])
def test_unknown_or_closed_names_are_field_errors(s: Session, kwargs: dict[str, Any],
                                                  field: str, message: str) -> None:
    add_technician(s, "t1")
    add_request(s, "r1")
    row = add_request(s, "done")
    for status in ("scheduled", "en_route", "on_site", "done"):
        change_status(s, row, status, actor="test", at=None)
    with pytest.raises(FieldError) as err:
        plans.build_day_problem(s, HORIZON, TZ, **kwargs)
    assert err.value.field == field and message in err.value.message


def test_work_published_for_another_day_stays_there(s: Session) -> None:
    add_technician(s, "t1")
    add_request(s, "r1", day=None)  # fits any day
    add_request(s, "r2", day=None)
    plan = finished_plan(s, plans.build_day_problem(s, HORIZON, TZ),
                         {"r1": at(DAY, "09:00")})
    plans.publish_plan(s, plan.id, dispatch=False, actor="test", published_by=None)

    tomorrow = TimeWindow(at(NEXT, "00:00"), at(NEXT, "00:00") + timedelta(days=1))
    assert ids(plans.build_day_problem(s, tomorrow, TZ).requests) == ["r2"]
    assert ids(plans.build_day_problem(s, HORIZON, TZ).requests) == ["r1", "r2"]


# ---------------------------------------------------------------- publish_plan
def finished_plan(s: Session, problem: Any, starts: dict[str, datetime],
                  status: str = "done") -> PlanRow:
    """A solved plan assigning each request of ``starts`` to t1 at that time."""
    row = plans.queue_plan(s, problem, {}, created_by=None)
    # The stored result is a real plan of the problem (publishing decodes it); the
    # assignment rows below carry the times the tests look at.
    visited = [rid for rid in starts if rid in problem.request_by_id]
    row.status = status
    row.result = plan_to_json(evaluate_routes(problem, {"s-t1": visited} if visited else {}))
    for seq, (rid, start) in enumerate(starts.items(), start=1):
        s.add(PlanAssignment(plan_id=row.id, request_id=rid, shift_id="s-t1",
                             technician_id="t1", sequence=seq, arrival=start, start=start,
                             end=start + timedelta(minutes=30)))
    s.flush()
    return row


def events(s: Session, rid: str) -> list[tuple[str | None, str]]:
    return [(e.previous, e.status) for e in s.scalars(
        select(StatusEvent).where(StatusEvent.request_id == rid).order_by(StatusEvent.id))]


@pytest.mark.parametrize(("dispatch", "target"), [(False, "scheduled"), (True, "dispatched")])
def test_publish_moves_each_request_along_the_status_machine(s: Session, dispatch: bool,
                                                             target: str) -> None:
    add_technician(s, "t1")
    for rid in ("assigned", "left-out", "under-way", "deleted"):
        add_request(s, rid)
    problem = plans.build_day_problem(s, HORIZON, TZ)
    under_way = s.get(RequestRow, "under-way")
    assert under_way is not None
    change_status(s, under_way, "scheduled", actor="test", at=None)
    change_status(s, under_way, "en_route", actor="test", at=None)
    s.delete(s.get(RequestRow, "deleted"))
    # "left-out" was scheduled by an earlier plan: this one takes it off the dispatch.
    earlier = finished_plan(s, problem, {"left-out": at(DAY, "08:00")})
    plans.publish_plan(s, earlier.id, dispatch=False, actor="test", published_by=None)
    plan = finished_plan(s, problem, {"assigned": at(DAY, "10:00")})

    out = plans.publish_plan(s, plan.id, dispatch=dispatch, actor="dispatcher",
                             published_by=None)

    # assigned requests are listed under the status they now have
    assert (getattr(out, target), out.unscheduled, sorted(out.skipped)) == (
        ["assigned"], ["left-out"], ["deleted", "under-way"])
    other = "scheduled" if dispatch else "dispatched"
    assert getattr(out, other) == []
    assigned = s.get(RequestRow, "assigned")
    assert assigned is not None and assigned.status == target
    assert (assigned.plan_id, assigned.assigned_technician_id, assigned.assigned_shift_id,
            assigned.planned_start) == (plan.id, "t1", "s-t1", at(DAY, "10:00"))
    left = s.get(RequestRow, "left-out")
    assert left is not None and left.status == "new"
    assert (left.plan_id, left.assigned_technician_id, left.planned_start) == (None, None, None)
    assert events(s, "left-out")[-2:] == [("new", "scheduled"), ("scheduled", "new")]
    assert events(s, "under-way")[-1] == ("scheduled", "en_route")  # untouched
    assert plan.published_at == out.published_at
    assert s.scalar(select(PlanPublish.plan_id).where(PlanPublish.plan_id == plan.id))


def test_republishing_records_each_assignment_again(s: Session) -> None:
    add_technician(s, "t1")
    add_request(s, "r1")
    plan = finished_plan(s, plans.build_day_problem(s, HORIZON, TZ), {"r1": at(DAY, "09:00")})
    plans.publish_plan(s, plan.id, dispatch=False, actor="test", published_by=None)
    plans.publish_plan(s, plan.id, dispatch=False, actor="test", published_by=None)
    assert events(s, "r1") == [(None, "new"), ("new", "scheduled"),
                               ("scheduled", "scheduled")]


@pytest.mark.parametrize("status", ["queued", "solving", "failed"])
def test_only_a_finished_plan_can_be_published(s: Session, status: str) -> None:
    add_technician(s, "t1")
    add_request(s, "r1")
    plan = finished_plan(s, plans.build_day_problem(s, HORIZON, TZ), {"r1": at(DAY, "09:00")},
                         status=status)
    with pytest.raises(Conflict) as err:
        plans.publish_plan(s, plan.id, dispatch=False, actor="test", published_by=None)
    assert err.value.field == "status" and status in err.value.detail
    row = s.get(RequestRow, "r1")
    assert row is not None and row.status == "new"
    with pytest.raises(NotFound):
        plans.publish_plan(s, "nope", dispatch=False, actor="test", published_by=None)


def test_solve_params_are_checked_against_the_server_cap() -> None:
    assert plans.solve_params({"time_limit": 5}, 10.0) == {"time_limit": 5}
    with pytest.raises(FieldError) as err:
        plans.solve_params({"time_limit": 50}, 10.0)
    assert err.value.field == "params.time_limit"
    with pytest.raises(FieldError) as err:
        plans.solve_params({"time_limit": -1}, 10.0)
    assert err.value.field.startswith("params.")


def test_a_plan_superseded_by_a_later_publish_of_its_day_is_refused(s: Session) -> None:
    add_technician(s, "t1")
    add_request(s, "r1")
    problem = plans.build_day_problem(s, HORIZON, TZ)
    older = finished_plan(s, problem, {"r1": at(DAY, "09:00")})
    newer = finished_plan(s, problem, {"r1": at(DAY, "11:00")})
    plans.publish_plan(s, newer.id, dispatch=False, actor="test", published_by=None)
    with pytest.raises(Conflict, match=newer.id) as err:
        plans.publish_plan(s, older.id, dispatch=False, actor="test", published_by=None)
    assert err.value.field == "plan_id"
    row = s.get(RequestRow, "r1")
    assert row is not None and (row.plan_id, row.planned_start) == (newer.id, at(DAY, "11:00"))
    # A plan of another day is not affected by this day's publishes.
    other_day = TimeWindow(HORIZON.start + timedelta(days=3), HORIZON.end + timedelta(days=3))
    add_request(s, "r2", day=None)
    elsewhere = finished_plan(s, plans.build_day_problem(s, other_day, TZ, request_ids=["r2"]),
                              {})
    plans.publish_plan(s, elsewhere.id, dispatch=False, actor="test", published_by=None)


def test_horizon_days_are_the_utc_dates_touched() -> None:
    from fieldops.services.publishing import horizon_days

    # Berlin midnight to midnight is 23:00 to 23:00 UTC: two UTC dates.
    assert [d.isoformat() for d in horizon_days(HORIZON.start, HORIZON.end)] == [
        "2026-03-01", "2026-03-02"]
    utc_day = parse_instant("2026-03-02T00:00:00Z", "t")
    assert [d.isoformat() for d in horizon_days(utc_day, utc_day + timedelta(days=1))] == [
        "2026-03-02"]  # the end is excluded


def test_a_plan_job_gives_the_solver_its_limit_less_reading_and_writing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``params.time_limit`` bounds the job up to its plan serialised: the solver gets
    what is left after reading the problem, less the margin for writing the plan."""
    import threading

    import fieldops.solver.dispatch as dispatch
    from fieldops.schemas import problem_to_json
    from fieldops.solver.dispatch.deadline import output_margin

    from line_world import LineWorld

    w = LineWorld()
    problem = w.problem([w.technician("A", 0)], [w.job(f"J{i}", 5 * i) for i in range(3)])
    given: list[float] = []
    real = dispatch.solve_dispatch

    def spy(p: Any, params: Any, **kw: Any) -> Any:
        given.append(params.time_limit)
        return real(p, params, **kw)

    monkeypatch.setattr(dispatch, "solve_dispatch", spy)
    store = plans._solve_plan(problem_to_json(problem), {"time_limit": 4}, lambda p: None,
                              threading.Event())
    assert callable(store)
    margin = output_margin(3, per_job=plans.STORE_SECONDS_PER_JOB)
    assert 0 < given[0] <= 4 - margin

"""solver/live/insert.py: emergency insertion into the live plan."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from fieldops.domain import ContractTier, FieldError, Priority, Skill, TimeWindow
from fieldops.domain.live import LiveParams, NewRequest
from fieldops.solver.live import (
    InsertMode,
    InsertParams,
    current_plan,
    insert_job,
    replan_problem,
)
from fieldops.validators.dispatch import assert_valid
from fieldops.validators.live import assert_live_valid

from line_world import t
from live_fixtures import Day, starts


def _live(d: Day, minute: float):  # type: ignore[no-untyped-def]
    day = d.live(minute)
    built = replan_problem(day)
    plan = current_plan(built)
    assert_valid(built.problem, plan)
    return day, built.problem, plan


def test_job_goes_where_it_moves_nobody_when_such_a_place_exists() -> None:
    d = Day()
    day, problem, plan = _live(d, 0)
    new = d.request("N", "E", priority=Priority.CRITICAL)
    result = insert_job(problem, plan, new)
    assert_valid(result.problem, result.plan)
    assert_live_valid(day.with_events(NewRequest(new, t(0))), result.plan)
    assert result.mode == InsertMode.NO_MOVE
    assert result.moved == ()
    before, after = starts(plan), starts(result.plan)
    assert {k: v for k, v in after.items() if k != "N"} == before
    assert result.diff.notify == (after["N"][0],)
    told = result.diff.for_technician(after["N"][0])
    assert told is not None and [rid for rid, _ in told.added] == ["N"]


def test_untouched_routes_are_the_input_plans_own() -> None:
    d = Day()
    day, problem, plan = _live(d, 0)
    new = d.request("N", "E")
    result = insert_job(problem, plan, new)
    assert_valid(result.problem, result.plan)
    assert_live_valid(day.with_events(NewRequest(new, t(0))), result.plan)
    assert result.shift_id is not None
    for route in plan.routes:
        if route.shift_id != result.shift_id:
            assert result.plan.route_for(route.shift_id) is route


def test_later_jobs_are_pushed_within_their_windows_when_nothing_else_fits() -> None:
    d = Day()
    day, problem, plan = _live(d, 0)
    # Only right after A2 (ends 09:20 at km 20, E is 5 min away): A3 must wait.
    new = d.request("N", "E", windows=(TimeWindow(t(85), t(90)),))
    result = insert_job(problem, plan, new)
    assert_valid(result.problem, result.plan)
    assert_live_valid(day.with_events(NewRequest(new, t(0))), result.plan)
    assert result.mode == InsertMode.PUSH
    assert result.moved == ("A3",)
    after = starts(result.plan)
    assert after["N"] == ("A", t(85))
    assert after["A3"] == ("A", t(120))  # 09:55 + 5 min of driving
    assert after["A2"] == starts(plan)["A2"]  # frozen work is never pushed


def test_job_nobody_can_do_is_listed_unassigned_and_nothing_moves() -> None:
    d = Day()
    day, problem, plan = _live(d, 0)
    new = d.request("N", "E", required_skills=(Skill("welding", 3),))
    result = insert_job(problem, plan, new)
    assert_valid(result.problem, result.plan)
    assert_live_valid(day.with_events(NewRequest(new, t(0))), result.plan)
    assert result.mode == InsertMode.UNPLACED
    assert [(u.request_id, u.reason.value) for u in result.plan.unassigned] == [
        ("N", "no_qualified_technician")]
    assert result.diff.empty
    assert starts(result.plan) == starts(plan)


def test_a_critical_job_takes_the_place_of_a_low_one_when_the_day_is_full() -> None:
    d = Day()
    day, problem, plan = _live(d, 0)
    # Every shift ends when its route is back: no route has room left, and only
    # taking the low job A3 off A's route makes room for N after A2.
    back = {r.shift_id: r.steps[-1].end for r in plan.routes}
    short = dataclasses.replace(problem, shifts=tuple(
        dataclasses.replace(s, end=back[s.id]) for s in problem.shifts))
    low = dataclasses.replace(short, requests=tuple(
        dataclasses.replace(r, priority=Priority.LOW) if r.id == "A3" else r
        for r in short.requests))
    new = d.request("N", "E", priority=Priority.CRITICAL)
    result = insert_job(low, plan, new)
    assert_valid(result.problem, result.plan)
    assert_live_valid(day.with_events(NewRequest(new, t(0))), result.plan)
    assert result.mode == InsertMode.REPAIR
    assert "N" in starts(result.plan)
    assert result.moved == ("A3",)
    assert starts(result.plan)["N"] == ("A", t(85))
    assert [u.request_id for u in result.plan.unassigned] == ["A3"]


def test_a_request_id_already_in_the_day_is_refused_naming_the_request() -> None:
    d = Day()
    _, problem, plan = _live(d, 0)
    with pytest.raises(FieldError) as err:
        insert_job(problem, plan, d.request("A3", "E"))
    assert err.value.field == "request.id"


def test_sla_first_prefers_a_push_that_meets_the_deadline_to_a_late_no_move() -> None:
    d = Day()
    day, problem, plan = _live(d, 0)
    gold = dataclasses.replace(problem, contract_tiers=(
        ContractTier("gold", response_time=timedelta(minutes=95)),))  # deadline 09:35
    new = d.request("N", "E", contract_tier="gold", created_at=t(0))
    literal = insert_job(gold, plan, new)
    assert literal.mode == InsertMode.NO_MOVE
    assert starts(literal.plan)["N"][1] > t(95)  # after A3 or B2: late
    first = insert_job(gold, plan, new, InsertParams(sla_first=True))
    assert_valid(first.problem, first.plan)
    assert_live_valid(day.with_events(NewRequest(new, t(0))), first.plan)
    assert first.mode == InsertMode.PUSH
    assert starts(first.plan)["N"] == ("A", t(85))


def test_a_critical_job_meets_its_sla_by_pushing_when_no_quiet_place_is_on_time() -> None:
    d = Day()
    day, problem, plan = _live(d, 0)
    gold = dataclasses.replace(problem, contract_tiers=(
        ContractTier("gold", response_time=timedelta(minutes=95)),))  # deadline 09:35
    new = d.request("N", "E", contract_tier="gold", created_at=t(0),
                    priority=Priority.CRITICAL)
    result = insert_job(gold, plan, new)  # no sla_first: critical is enough
    assert_valid(result.problem, result.plan)
    assert_live_valid(day.with_events(NewRequest(new, t(0))), result.plan)
    assert result.mode == InsertMode.PUSH
    assert starts(result.plan)["N"] == ("A", t(85))


def test_a_critical_job_on_time_without_moving_anyone_moves_nobody() -> None:
    d = Day()
    day, problem, plan = _live(d, 0)
    gold = dataclasses.replace(problem, contract_tiers=(
        ContractTier("gold", response_time=timedelta(hours=8)),))
    new = d.request("N", "E", contract_tier="gold", created_at=t(0),
                    priority=Priority.CRITICAL)
    result = insert_job(gold, plan, new)
    assert_valid(result.problem, result.plan)
    assert_live_valid(day.with_events(NewRequest(new, t(0))), result.plan)
    assert result.mode == InsertMode.NO_MOVE
    assert result.moved == ()


def test_routes_past_the_nearest_are_tried_when_the_nearest_have_no_room() -> None:
    d = Day()
    day, problem, plan = _live(d, 0)
    # G (km 5) is nearest to A, whose shift ends when its route is back: only B
    # (the second nearest) has room.
    back = {r.shift_id: r.steps[-1].end for r in plan.routes}
    full_a = dataclasses.replace(problem, shifts=tuple(
        dataclasses.replace(s, end=back[s.id]) if s.id == "S-A" else s
        for s in problem.shifts))
    new = d.request("N", "G")
    narrow = insert_job(full_a, plan, new, InsertParams(candidates=1, wide_candidates=1))
    assert narrow.mode == InsertMode.UNPLACED
    wide = insert_job(full_a, plan, new, InsertParams(candidates=1, wide_candidates=2))
    assert_valid(wide.problem, wide.plan)
    assert_live_valid(day.with_events(NewRequest(new, t(0))), wide.plan)
    assert starts(wide.plan)["N"][0] == "B"
    assert wide.mode == InsertMode.NO_MOVE


def test_a_job_taken_out_for_a_critical_one_goes_to_another_route_with_room() -> None:
    d = Day()
    day, problem, plan = _live(d, 0)
    # A's shift ends when its route is back; N may not go to B, which keeps its
    # whole day: the low job A3 taken out for N is re-placed on B, not left out.
    back = {r.shift_id: r.steps[-1].end for r in plan.routes}
    full_a = dataclasses.replace(problem, shifts=tuple(
        dataclasses.replace(s, end=back[s.id]) if s.id == "S-A" else s
        for s in problem.shifts), requests=tuple(
        dataclasses.replace(r, priority=Priority.LOW) if r.id == "A3" else r
        for r in problem.requests))
    new = d.request("N", "E", priority=Priority.CRITICAL, excluded_technicians=("B",))
    result = insert_job(full_a, plan, new)
    assert_valid(result.problem, result.plan)
    assert_live_valid(day.with_events(NewRequest(new, t(0))), result.plan)
    assert result.mode == InsertMode.REPAIR
    after = starts(result.plan)
    assert after["N"][0] == "A"
    assert after["A3"][0] == "B"
    assert result.plan.unassigned == ()


def test_the_repair_takes_out_two_low_jobs_in_a_row_when_one_is_not_enough() -> None:
    d = Day()
    day = d.live(0)
    built = replan_problem(day, LiveParams(freeze_horizon=timedelta(0)))  # A2 not frozen
    problem, plan = built.problem, current_plan(built)
    # Every shift ends when its route is back; N takes 70 min: only taking both
    # A2 and A3 (low) off A's route makes room (after A1, back home at 10:30).
    back = {r.shift_id: r.steps[-1].end for r in plan.routes}
    low = dataclasses.replace(problem, shifts=tuple(
        dataclasses.replace(s, end=back[s.id]) for s in problem.shifts), requests=tuple(
        dataclasses.replace(r, priority=Priority.LOW) if r.id in ("A2", "A3") else r
        for r in problem.requests))
    new = d.request("N", "E", duration=70, priority=Priority.CRITICAL)
    one = insert_job(low, plan, new, InsertParams(repair_depth=1))
    assert one.mode == InsertMode.UNPLACED
    two = insert_job(low, plan, new, InsertParams(repair_depth=2))
    assert_valid(two.problem, two.plan)
    assert_live_valid(day.with_events(NewRequest(new, t(0))), two.plan, timedelta(0))
    assert two.mode == InsertMode.REPAIR
    assert starts(two.plan)["N"][0] == "A"
    assert sorted(u.request_id for u in two.plan.unassigned) == ["A2", "A3"]

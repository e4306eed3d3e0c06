"""The independent plan validator, on hand-made problems and hand-made plans.

Everything here is built by hand (no solver): one tiny problem with a supplied
travel matrix, so every travel time is a round number, and one valid plan whose
times were worked out on paper (see ``base_steps``). Each test then breaks exactly
one rule and checks that the validator reports it under the documented code, and
nothing else (or, where one broken rule necessarily breaks another, exactly the
two, with the reason given).
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from fieldops.domain import (
    ContractTier,
    DispatchPlan,
    DispatchProblem,
    Location,
    LunchBreak,
    PlanKPIs,
    PlanStatus,
    Priority,
    Route,
    RouteKPIs,
    ServiceRequest,
    Shift,
    Skill,
    Step,
    StepKind,
    Technician,
    TimeWindow,
    TravelMatrix,
    TravelProvider,
    TravelSettings,
    Unassigned,
    UnassignedReason,
)
from fieldops.schemas import plan_from_json, plan_to_json
from fieldops.validators.dispatch import Violation, assert_valid, validate_plan

CET = timezone(timedelta(hours=1))


def T(h: int, m: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 3, day, h, m, tzinfo=CET)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


# Matrix rows/columns: 0 home of A, 1 job r1, 2 job r2, 3 home of B, 4 job r3.
# Durations in seconds; distances are 10 m per second of driving, so every leg's
# distance is its duration × 10.
DURATIONS = (
    (0, 600, 1000, 1500, 800),
    (650, 0, 900, 1400, 700),
    (1200, 950, 0, 1300, 900),
    (1500, 1400, 1300, 0, 600),
    (800, 700, 900, 600, 0),
)
HOME_A = Location(48.10, 11.50, "A's home", matrix_index=0)
LOC_R1 = Location(48.11, 11.51, "r1", matrix_index=1)
LOC_R2 = Location(48.12, 11.52, "r2", matrix_index=2)
HOME_B = Location(48.13, 11.53, "B's home", matrix_index=3)
LOC_R3 = Location(48.14, 11.54, "r3", matrix_index=4)


def travel(durations: tuple[tuple[float, ...], ...] = DURATIONS) -> TravelSettings:
    distances = tuple(tuple(v * 10 for v in row) for row in durations)
    return TravelSettings(provider=TravelProvider.MATRIX, matrix=TravelMatrix(durations, distances))


def make_problem() -> DispatchProblem:
    """A: hvac 2 + electrical 1, capacity 10, shift sA 08-16 with a 30 min lunch
    starting 11:30..13:00 and 1 h overtime. B: electrical 3, shift sB 08-16, no lunch.
    r1 (high, gold SLA 24 h from 1 March 10:00, window 09-10, hvac 1, 1 h);
    r2 (normal, 45 min, load 4); r3 (low, needs plumbing that nobody has)."""
    return DispatchProblem(
        horizon=TimeWindow(T(0), T(0, day=3)),
        timezone="Europe/Berlin",
        technicians=(
            Technician("A", "Ann", HOME_A, skills=(Skill("hvac", 2), Skill("electrical", 1)),
                       capacity=10),
            Technician("B", "Bob", HOME_B, skills=(Skill("electrical", 3),)),
        ),
        shifts=(
            Shift("sA", "A", T(8), T(16),
                  lunch=LunchBreak(minutes(30), T(11, 30), T(13)), max_overtime=minutes(60)),
            Shift("sB", "B", T(8), T(16)),
        ),
        requests=(
            ServiceRequest("r1", LOC_R1, minutes(60), windows=(TimeWindow(T(9), T(10)),),
                           required_skills=(Skill("hvac", 1),), priority=Priority.HIGH,
                           contract_tier="gold", created_at=T(10, day=1)),
            ServiceRequest("r2", LOC_R2, minutes(45), load=4),
            ServiceRequest("r3", LOC_R3, minutes(30), required_skills=(Skill("plumbing"),),
                           priority=Priority.LOW),
        ),
        contract_tiers=(ContractTier("gold", response_time=timedelta(hours=24)),),
        travel=travel(),
    )


START, R1, R2, BREAK, END = range(5)


def base_steps() -> list[Step]:
    """The valid route of shift sA, worked out by hand.

    Leave home 08:45; 600 s to r1 -> arrive 08:55, wait 5 min for the 09:00 window,
    serve 09:00-10:00 (gold deadline = 1 March 10:00 + 24 h = 2 March 10:00, met).
    900 s to r2 -> arrive and start 10:15, serve 45 min to 11:00. Lunch 11:30-12:00
    (inside 11:30..13:00). 1200 s home: the gap 11:00 -> 12:00 holds the 20 min drive
    plus the 30 min lunch, so return at 12:00.
    """
    return [
        Step(StepKind.START, start=T(8, 45), end=T(8, 45), arrival=T(8, 45), location=HOME_A),
        Step(StepKind.JOB, request_id="r1", location=LOC_R1, arrival=T(8, 55), wait=minutes(5),
             start=T(9), end=T(10), travel_time=timedelta(seconds=600), travel_distance=6000,
             sla_deadline=T(10), sla_lateness=timedelta(0)),
        Step(StepKind.JOB, request_id="r2", location=LOC_R2, arrival=T(10, 15), start=T(10, 15),
             end=T(11), travel_time=timedelta(seconds=900), travel_distance=9000),
        Step(StepKind.BREAK, start=T(11, 30), end=T(12), arrival=T(11, 30)),
        Step(StepKind.END, start=T(12), end=T(12), arrival=T(12), location=HOME_A,
             travel_time=timedelta(seconds=1200), travel_distance=12000),
    ]


# Route totals of base_steps: 2 jobs, 60 + 45 min service, 10 + 15 + 20 min travel,
# 6 + 9 + 12 km, 5 min wait, no overtime (back at 12:00, shift ends 16:00), r1 met.
ROUTE_KPIS = RouteKPIs(
    jobs=2, service_time=minutes(105), travel_time=minutes(45), travel_distance=27000,
    wait_time=minutes(5), break_time=minutes(30), overtime=timedelta(0), span=minutes(195),
    utilisation=0.5, sla_met=1, sla_breached=0, cost=0.0,
)
# r3 stays out: nobody holds "plumbing". One high and one normal job routed.
PLAN_KPIS = PlanKPIs(
    jobs_total=3, jobs_assigned=2,
    assigned_by_priority={Priority.HIGH: 1, Priority.NORMAL: 1},
    unassigned_by_priority={Priority.LOW: 1},
    travel_time=minutes(45), travel_distance=27000, service_time=minutes(105),
    wait_time=minutes(5), overtime=timedelta(0), utilisation=0.5, routes_used=1,
    sla_met=1, sla_breached=0,
)
R3_UNASSIGNED = Unassigned("r3", Priority.LOW, UnassignedReason.NO_QUALIFIED_TECHNICIAN)


def make_plan(
    steps: list[Step] | None = None,
    *,
    route: dict[str, Any] | None = None,
    kpis: dict[str, Any] | None = None,
    unassigned: tuple[Unassigned, ...] = (R3_UNASSIGNED,),
    shift_id: str = "sA",
    technician_id: str = "A",
    extra_routes: tuple[Route, ...] = (),
) -> DispatchPlan:
    """The valid plan, with ``route``/``kpis`` overriding route and plan KPIs."""
    main = Route(shift_id, technician_id, tuple(base_steps() if steps is None else steps),
                 dataclasses.replace(ROUTE_KPIS, **(route or {})))
    return DispatchPlan(
        problem_name=None, timezone="Europe/Berlin", routes=(main, *extra_routes),
        unassigned=unassigned, kpis=dataclasses.replace(PLAN_KPIS, **(kpis or {})),
        penalties={}, objective=0.0, status=PlanStatus.FEASIBLE, solve_time=timedelta(0),
    )


def edit(index: int, **changes: Any) -> list[Step]:
    steps = base_steps()
    steps[index] = dataclasses.replace(steps[index], **changes)
    return steps


def with_request(problem: DispatchProblem, rid: str, **changes: Any) -> DispatchProblem:
    requests = tuple(dataclasses.replace(r, **changes) if r.id == rid else r
                     for r in problem.requests)
    return dataclasses.replace(problem, requests=requests)


def with_shift(problem: DispatchProblem, sid: str, **changes: Any) -> DispatchProblem:
    shifts = tuple(dataclasses.replace(s, **changes) if s.id == sid else s
                   for s in problem.shifts)
    return dataclasses.replace(problem, shifts=shifts)


def with_technician(problem: DispatchProblem, tid: str, **changes: Any) -> DispatchProblem:
    techs = tuple(dataclasses.replace(t, **changes) if t.id == tid else t
                  for t in problem.technicians)
    return dataclasses.replace(problem, technicians=techs)


def codes(problem: DispatchProblem, plan: DispatchPlan) -> set[str]:
    return {v.code for v in validate_plan(problem, plan)}


def test_validator_is_independent_of_the_solver() -> None:
    # A fresh interpreter, so modules other tests imported cannot hide an import.
    code = ("import sys, fieldops.validators.dispatch; print(sorted(m for m in sys.modules "
            "if m.startswith(('ortools', 'fieldops.solver.dispatch'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


# ---------------------------------------------------------------- valid plans
def test_hand_made_plan_is_valid() -> None:
    problem, plan = make_problem(), make_plan()
    assert validate_plan(problem, plan) == []
    assert_valid(problem, plan)


def test_break_after_end_is_valid() -> None:
    # Straight home: 11:00 + 20 min = 11:20; lunch 11:30-12:00 after the return.
    steps = edit(END, start=T(11, 20), end=T(11, 20), arrival=T(11, 20))
    steps[BREAK], steps[END] = steps[END], steps[BREAK]
    assert validate_plan(make_problem(), make_plan(steps)) == []


def test_break_before_start_is_valid() -> None:
    # Shift sB gets an 08:00-08:30 lunch window; B takes it at home, then leaves 08:30
    # for r2 (1300 s = 21:40), serves 08:51:40-09:36:40 and is home 1300 s later.
    problem = with_shift(make_problem(), "sB", lunch=LunchBreak(minutes(30), T(8), T(8, 30)))
    leg = timedelta(seconds=1300)
    arrive = T(8, 30) + leg
    steps = [
        Step(StepKind.BREAK, start=T(8), end=T(8, 30), arrival=T(8)),
        Step(StepKind.START, start=T(8, 30), end=T(8, 30), arrival=T(8, 30), location=HOME_B),
        Step(StepKind.JOB, request_id="r2", location=LOC_R2, arrival=arrive, start=arrive,
             end=arrive + minutes(45), travel_time=leg, travel_distance=13000),
        Step(StepKind.END, start=arrive + minutes(45) + leg, end=arrive + minutes(45) + leg,
             arrival=arrive + minutes(45) + leg, location=HOME_B, travel_time=leg,
             travel_distance=13000),
    ]
    route_b = Route("sB", "B", tuple(steps), dataclasses.replace(
        ROUTE_KPIS, jobs=1, service_time=minutes(45), travel_time=2 * leg,
        travel_distance=26000, wait_time=timedelta(0), sla_met=0))
    # A keeps only r1 and goes home from there (650 s), lunch after return.
    a_steps = base_steps()
    back = T(10) + timedelta(seconds=650)
    a_steps = [a_steps[START], a_steps[R1],
               Step(StepKind.END, start=back, end=back, arrival=back, location=HOME_A,
                    travel_time=timedelta(seconds=650), travel_distance=6500),
               a_steps[BREAK]]
    plan = make_plan(
        a_steps,
        route={"jobs": 1, "service_time": minutes(60), "travel_time": timedelta(seconds=1250),
               "travel_distance": 12500},
        kpis={"travel_time": timedelta(seconds=1250) + 2 * leg,
              "travel_distance": 12500 + 26000, "service_time": minutes(105)},
        extra_routes=(route_b,),
    )
    assert validate_plan(problem, plan) == []


def test_overtime_within_allowance_is_valid() -> None:
    # Shift sA ends 11:45 with 30 min allowed overtime; returning 12:00 is 15 min of
    # (soft) overtime, which the KPIs must report but which is not a violation.
    problem = with_shift(make_problem(), "sA", end=T(11, 45), max_overtime=minutes(30),
                         lunch=LunchBreak(minutes(30), T(11, 30), T(11, 30)))
    plan = make_plan(route={"overtime": minutes(15)}, kpis={"overtime": minutes(15)})
    assert validate_plan(problem, plan) == []


def test_travel_rounded_up_by_the_solver_is_accepted() -> None:
    # The true leg home->r1 is 599.6 s; the solver rounds travel up to 600 s.
    durations = tuple(tuple(599.6 if (i, j) == (0, 1) else v for j, v in enumerate(row))
                      for i, row in enumerate(DURATIONS))
    problem = dataclasses.replace(make_problem(), travel=travel(durations))
    assert validate_plan(problem, make_plan(edit(R1, travel_distance=5996))) == []


def test_window_end_is_inside_the_window() -> None:
    # Windows are closed: r1 starting exactly at 09:00 fits a window 08:00-09:00.
    problem = with_request(make_problem(), "r1", windows=(TimeWindow(T(8), T(9)),))
    assert validate_plan(problem, make_plan()) == []


def test_plan_survives_a_json_round_trip() -> None:
    problem = make_problem()
    assert validate_plan(problem, plan_from_json(plan_to_json(make_plan()))) == []


def test_address_text_does_not_matter() -> None:
    steps = edit(R1, location=dataclasses.replace(LOC_R1, address="Hauptstr. 1"))
    assert validate_plan(make_problem(), make_plan(steps)) == []


def test_assert_valid_lists_every_violation() -> None:
    plan = make_plan(kpis={"jobs_total": 7, "sla_met": 0})
    with pytest.raises(AssertionError) as info:
        assert_valid(make_problem(), plan)
    text = str(info.value)
    assert "2 violation(s)" in text
    assert "jobs_total is 7, expected 3" in text
    assert "sla_met is 0, expected 1" in text


def test_violation_is_frozen_and_readable() -> None:
    v = Violation("missing_skill", "A lacks hvac>=3", "sA", "r1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.code = "x"  # type: ignore[misc]
    assert str(v) == "[missing_skill] (shift=sA, request=r1) A lacks hvac>=3"


# ---------------------------------------------------------------- 1. coverage
def test_unknown_request() -> None:
    # "r99" is not a request. The plan now lists 2 routed + 2 unassigned = 4 jobs for a
    # problem of 3, so the count rule breaks too.
    plan = make_plan(unassigned=(R3_UNASSIGNED, Unassigned(
        "r99", Priority.LOW, UnassignedReason.PIN_INFEASIBLE)))
    assert codes(make_problem(), plan) == {"unknown_request", "wrong_plan_kpi"}


def test_duplicate_request() -> None:
    # r3 listed twice (by-priority counts say 2 to keep them consistent); 2 + 2 != 3.
    plan = make_plan(unassigned=(R3_UNASSIGNED, R3_UNASSIGNED),
                     kpis={"unassigned_by_priority": {Priority.LOW: 2}})
    assert codes(make_problem(), plan) == {"duplicate_request", "wrong_plan_kpi"}


def test_missing_request() -> None:
    # r3 dropped silently: 2 routed + 0 unassigned != 3 requests.
    plan = make_plan(unassigned=(), kpis={"unassigned_by_priority": {}})
    assert codes(make_problem(), plan) == {"missing_request", "wrong_plan_kpi"}


# ---------------------------------------------------------------- 2. routes
def test_unknown_shift() -> None:
    assert codes(make_problem(), make_plan(shift_id="sX")) == {"unknown_shift"}


def test_wrong_technician() -> None:
    # Shift sA belongs to A; the route claims B.
    assert codes(make_problem(), make_plan(technician_id="B")) == {"wrong_technician"}


def test_duplicate_route() -> None:
    # A second, empty route for sA (home to home at 15:00): adds nothing to any total.
    empty = Route("sA", "A", (
        Step(StepKind.START, start=T(15), end=T(15), arrival=T(15), location=HOME_A),
        Step(StepKind.END, start=T(15), end=T(15), arrival=T(15), location=HOME_A),
    ), dataclasses.replace(ROUTE_KPIS, jobs=0, service_time=timedelta(0),
                           travel_time=timedelta(0), travel_distance=0.0,
                           wait_time=timedelta(0), sla_met=0))
    assert codes(make_problem(), make_plan(extra_routes=(empty,))) == {"duplicate_route"}


def test_bad_step_sequence() -> None:
    # r1 before START: the same steps (so the same totals) in an impossible order.
    steps = base_steps()
    steps[START], steps[R1] = steps[R1], steps[START]
    assert codes(make_problem(), make_plan(steps)) == {"bad_step_sequence"}


def test_missing_end_is_a_bad_sequence() -> None:
    steps = base_steps()[:END]
    found = codes(make_problem(), make_plan(steps))
    # Dropping END also drops its 20 min of travel from the route's step sums.
    assert found == {"bad_step_sequence", "wrong_route_kpi"}


def test_wrong_location() -> None:
    # START must be at A's home; the plan puts it at r1's site.
    steps = edit(START, location=LOC_R1)
    assert codes(make_problem(), make_plan(steps)) == {"wrong_location"}


# ---------------------------------------------------------------- 3. timing
def test_travel_gap() -> None:
    # Lunch may start at 11:00 here. r2 ends 11:00, lunch 11:00-11:30, home at 11:45:
    # the 45 min gap cannot hold 20 min of driving plus 30 min of lunch. (The arrival
    # itself, 11:45 >= 11:00 + 20 min, is fine, so only the gap rule breaks.)
    problem = with_shift(make_problem(), "sA",
                         lunch=LunchBreak(minutes(30), T(11), T(13)))
    steps = edit(BREAK, start=T(11), end=T(11, 30), arrival=T(11))
    steps[END] = dataclasses.replace(steps[END], start=T(11, 45), end=T(11, 45),
                                     arrival=T(11, 45))
    assert codes(problem, make_plan(steps)) == {"travel_gap"}


def test_early_arrival() -> None:
    # r1 ends 10:00 and r2 is 15 min away, so arriving at 10:05 is impossible. The
    # wait is kept consistent (10 min) and so are the wait totals (5 + 10 min).
    steps = edit(R2, arrival=T(10, 5), wait=minutes(10))
    plan = make_plan(steps, route={"wait_time": minutes(15)}, kpis={"wait_time": minutes(15)})
    assert codes(make_problem(), plan) == {"early_arrival"}


def test_start_before_arrival() -> None:
    # Arrive 10:20 but "start" 10:15; wait -5 min = start - arrival, totals 5 - 5 = 0.
    steps = edit(R2, arrival=T(10, 20), wait=minutes(-5))
    plan = make_plan(steps, route={"wait_time": timedelta(0)}, kpis={"wait_time": timedelta(0)})
    assert codes(make_problem(), plan) == {"start_before_arrival"}


def test_wrong_wait() -> None:
    # r1: arrival 08:55, start 09:00, but the step says no wait (totals agree with it).
    steps = edit(R1, wait=timedelta(0))
    plan = make_plan(steps, route={"wait_time": timedelta(0)}, kpis={"wait_time": timedelta(0)})
    assert codes(make_problem(), plan) == {"wrong_wait"}


def _lunch_at_r2(r2_wait: timedelta) -> tuple[DispatchProblem, DispatchPlan]:
    """A arrives at r2 at 10:15, lunches there 10:15-10:45, serves 10:45-11:30 and is
    home at 11:50 (lunch window opened to 10:15 for it)."""
    problem = with_shift(make_problem(), "sA",
                         lunch=LunchBreak(minutes(30), T(10, 15), T(13)))
    steps = base_steps()
    steps[R2] = dataclasses.replace(steps[R2], start=T(10, 45), end=T(11, 30), wait=r2_wait)
    steps[BREAK] = dataclasses.replace(steps[BREAK], start=T(10, 15), end=T(10, 45),
                                       arrival=T(10, 15))
    steps[R2], steps[BREAK] = steps[BREAK], steps[R2]
    steps[END] = dataclasses.replace(steps[END], start=T(11, 50), end=T(11, 50),
                                     arrival=T(11, 50))
    total = minutes(5) + r2_wait
    return problem, make_plan(steps, route={"wait_time": total}, kpis={"wait_time": total})


def test_lunch_on_site_is_not_waiting() -> None:
    # The 30 min between arrival and start at r2 are the lunch break: no wait.
    problem, plan = _lunch_at_r2(timedelta(0))
    assert codes(problem, plan) == set()
    # Counting the lunch as waiting too shows the half hour twice.
    problem, plan = _lunch_at_r2(minutes(30))
    assert codes(problem, plan) == {"wrong_wait"}


def test_a_stored_plan_counting_lunch_as_waiting_is_accepted_as_stored() -> None:
    # Plans stored before lunch on site stopped counting as waiting have r2's wait
    # = start - arrival = 30 min: valid when re-validated as a stored plan ...
    problem, old = _lunch_at_r2(minutes(30))
    assert validate_plan(problem, old, legacy_wait=True) == []
    # ... the current convention too ...
    problem, new = _lunch_at_r2(timedelta(0))
    assert validate_plan(problem, new, legacy_wait=True) == []
    # ... but not a wait that follows neither convention.
    problem, wrong = _lunch_at_r2(minutes(20))
    assert {v.code for v in validate_plan(problem, wrong, legacy_wait=True)} == {"wrong_wait"}
    # Fresh solver output is held to the current convention.
    assert {v.code for v in validate_plan(problem, old)} == {"wrong_wait"}


def test_fieldops_validate_accepts_a_saved_plan_of_either_convention(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fieldops.cli import main
    from fieldops.schemas import dump_json, problem_to_json

    for wait, code in ((minutes(30), 0), (timedelta(0), 0), (minutes(20), 1)):
        problem, plan = _lunch_at_r2(wait)
        dump_json(problem_to_json(problem), tmp_path / "problem.json")
        dump_json(plan_to_json(plan), tmp_path / "plan.json")
        assert main(["validate", str(tmp_path / "problem.json"),
                     str(tmp_path / "plan.json")]) == code, capsys.readouterr().out


def test_wrong_service_duration() -> None:
    # r2 takes 45 min; the plan has 10:15-11:10 = 55 min (totals say 115 min to match).
    # Lunch at 11:30 and home at 12:00 still fit after 11:10.
    steps = edit(R2, end=T(11, 10))
    plan = make_plan(steps, route={"service_time": minutes(115)},
                     kpis={"service_time": minutes(115)})
    assert codes(make_problem(), plan) == {"wrong_service_duration"}


def test_depot_step_times() -> None:
    # START must have arrival == start == end (the departure time).
    steps = edit(START, arrival=T(8, 40))
    assert codes(make_problem(), make_plan(steps)) == {"depot_step_times"}


@pytest.mark.parametrize(
    ("changes", "route", "why"),
    [
        ({"travel_time": minutes(10)}, {"travel_time": minutes(40)}, "r1->r2 is 900 s, not 600"),
        ({"travel_distance": 8000.0}, {"travel_distance": 26000.0}, "r1->r2 is 9 km, not 8"),
    ],
)
def test_wrong_travel(changes: dict[str, Any], route: dict[str, Any], why: str) -> None:
    # The reported leg into r2 is wrong; route and plan totals are made to agree with
    # the steps so that only the leg itself is wrong.
    plan = make_plan(edit(R2, **changes), route=route, kpis=route)
    assert codes(make_problem(), plan) == {"wrong_travel"}, why


def test_break_step_must_not_report_travel() -> None:
    plan = make_plan(edit(BREAK, travel_time=minutes(5)), route={"travel_time": minutes(50)},
                     kpis={"travel_time": minutes(50)})
    assert codes(make_problem(), plan) == {"wrong_travel"}


# ---------------------------------------------------------------- 4. lunch
def test_missing_break() -> None:
    # sA has a lunch and the route has jobs, so a BREAK step is required.
    steps = base_steps()
    del steps[BREAK]
    assert codes(make_problem(), make_plan(steps)) == {"missing_break"}


def test_extra_break_twice() -> None:
    # A second 30 min lunch 12:00-12:30 after returning home: in the window, no
    # overlap, but only one lunch is allowed.
    steps = [*base_steps(), Step(StepKind.BREAK, start=T(12), end=T(12, 30), arrival=T(12))]
    assert codes(make_problem(), make_plan(steps)) == {"extra_break"}


def test_extra_break_without_lunch() -> None:
    problem = with_shift(make_problem(), "sA", lunch=None)
    assert codes(problem, make_plan()) == {"extra_break"}


def test_break_outside_window() -> None:
    # The lunch may start only from 11:45; the plan takes it at 11:30.
    problem = with_shift(make_problem(), "sA",
                         lunch=LunchBreak(minutes(30), T(11, 45), T(13)))
    assert codes(problem, make_plan()) == {"break_outside_window"}


def test_wrong_break_duration() -> None:
    # 11:30-11:50 is 20 min; the lunch is 30 min. (20 min drive + 20 min still fit.)
    steps = edit(BREAK, end=T(11, 50))
    assert codes(make_problem(), make_plan(steps)) == {"wrong_break_duration"}


def test_break_overlapping_the_previous_job() -> None:
    # The lunch may start from 10:30 here; taken 10:50-11:20 it cuts into r2's service
    # (10:15-11:00). The return at 12:00 still leaves room for drive + lunch.
    problem = with_shift(make_problem(), "sA",
                         lunch=LunchBreak(minutes(30), T(10, 30), T(13)))
    steps = edit(BREAK, start=T(10, 50), end=T(11, 20), arrival=T(10, 50))
    assert codes(problem, make_plan(steps)) == {"break_overlap"}


def test_break_overlap() -> None:
    # Home at 11:50 leaves 50 min = 20 min drive + 30 min lunch after r2, but the lunch
    # placed 11:30-12:00 runs past the return at 11:50.
    steps = edit(END, start=T(11, 50), end=T(11, 50), arrival=T(11, 50))
    assert codes(make_problem(), make_plan(steps)) == {"break_overlap"}


# ---------------------------------------------------------------- 5. shift
def test_before_shift_start() -> None:
    # Shift starts 08:50; the route leaves at 08:45.
    problem = with_shift(make_problem(), "sA", start=T(8, 50))
    assert codes(problem, make_plan()) == {"before_shift_start"}


def test_after_shift_end() -> None:
    # Shift ends 11:45 with 10 min overtime (hard end 11:55); home at 12:00 is too late.
    # Lunch window 11:00..11:25, taken 11:05-11:35; the 15 min overtime is reported.
    problem = with_shift(make_problem(), "sA", end=T(11, 45), max_overtime=minutes(10),
                         lunch=LunchBreak(minutes(30), T(11), T(11, 25)))
    steps = edit(BREAK, start=T(11, 5), end=T(11, 35), arrival=T(11, 5))
    plan = make_plan(steps, route={"overtime": minutes(15)}, kpis={"overtime": minutes(15)})
    assert codes(problem, plan) == {"after_shift_end"}


# ---------------------------------------------------------------- 6. windows
def test_outside_window() -> None:
    # r1 starts 09:00 but its only window opens 09:10.
    problem = with_request(make_problem(), "r1", windows=(TimeWindow(T(9, 10), T(10)),))
    assert codes(problem, make_plan()) == {"outside_window"}


# ---------------------------------------------------------------- 7. technician rules
def test_missing_skill() -> None:
    # r1 now needs hvac at level 3; A has level 2.
    problem = with_request(make_problem(), "r1", required_skills=(Skill("hvac", 3),))
    assert codes(problem, make_plan()) == {"missing_skill"}


def test_not_required_technician() -> None:
    problem = with_request(make_problem(), "r2", required_technicians=("B",))
    assert codes(problem, make_plan()) == {"not_required_technician"}


def test_excluded_technician() -> None:
    problem = with_request(make_problem(), "r2", excluded_technicians=("A",))
    assert codes(problem, make_plan()) == {"excluded_technician"}


def test_wrong_pinned_technician() -> None:
    problem = with_request(make_problem(), "r2", pinned_technician="B")
    assert codes(problem, make_plan()) == {"wrong_pinned_technician"}


def test_wrong_pinned_start() -> None:
    # Pinned to A (right) at 10:30 (wrong: the plan starts r2 at 10:15).
    problem = with_request(make_problem(), "r2", pinned_technician="A", pinned_start=T(10, 30))
    assert codes(problem, make_plan()) == {"wrong_pinned_start"}


# ---------------------------------------------------------------- 8. capacity
def test_over_capacity() -> None:
    # r2 loads 4 units; A's van now holds 3.
    problem = with_technician(make_problem(), "A", capacity=3)
    assert codes(problem, make_plan()) == {"over_capacity"}


# ---------------------------------------------------------------- 9. totals
def test_wrong_sla_deadline() -> None:
    # gold = 24 h after creation (1 March 10:00) = 2 March 10:00, not 11:00.
    steps = edit(R1, sla_deadline=T(11))
    assert codes(make_problem(), make_plan(steps)) == {"wrong_sla"}


def test_wrong_sla_lateness() -> None:
    # Created 1 March 08:30 -> deadline 2 March 08:30; start 09:00 is 30 min late, but
    # the step (deadline right) claims no lateness.
    problem = with_request(make_problem(), "r1", created_at=T(8, 30, day=1))
    steps = edit(R1, sla_deadline=T(8, 30))
    assert codes(problem, make_plan(steps)) == {"wrong_sla"}


def test_sla_on_job_without_contract() -> None:
    steps = edit(R2, sla_deadline=T(17))
    # r2 has no contract: the step must not carry a deadline. Counting it as met also
    # makes the route's sla_met (1) disagree with its steps (2).
    assert codes(make_problem(), make_plan(steps)) == {"wrong_sla", "wrong_route_kpi"}


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"overtime": minutes(10)}, "back at 12:00 and the shift ends 16:00: no overtime"),
        ({"travel_distance": 26000.0}, "the steps' legs are 6 + 9 + 12 = 27 km"),
        ({"sla_met": 0}, "r1 starts 09:00, by its 10:00 deadline"),
    ],
)
def test_wrong_route_kpi(changes: dict[str, Any], why: str) -> None:
    # The plan total agrees with the (wrong) route, so only the route is wrong.
    plan = make_plan(route=changes, kpis=changes)
    assert codes(make_problem(), plan) == {"wrong_route_kpi"}, why


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"travel_time": minutes(50)}, "the one route has 45 min of travel"),
        ({"travel_distance": 28000.0}, "the one route has 27 km"),
        ({"jobs_assigned": 3}, "the route has 2 jobs (and 3 + 1 unassigned != 3)"),
    ],
)
def test_wrong_plan_kpi(changes: dict[str, Any], why: str) -> None:
    assert codes(make_problem(), make_plan(kpis=changes)) == {"wrong_plan_kpi"}, why


def test_wrong_priority_counts() -> None:
    # r1 is high and r2 normal, not two high jobs.
    plan = make_plan(kpis={"assigned_by_priority": {Priority.HIGH: 2}})
    assert codes(make_problem(), plan) == {"wrong_priority_counts"}


def test_unassigned_entry_with_wrong_priority() -> None:
    wrong = dataclasses.replace(R3_UNASSIGNED, priority=Priority.NORMAL)
    assert codes(make_problem(), make_plan(unassigned=(wrong,))) == {"wrong_priority_counts"}


# ---------------------------------------------------------------- 10. reasons
def plumber_b() -> DispatchProblem:
    """B learns plumbing, so r3 has a qualified technician."""
    return with_technician(make_problem(), "B",
                           skills=(Skill("electrical", 3), Skill("plumbing", 1)))


def unassigned_r3(reason: UnassignedReason) -> DispatchPlan:
    return make_plan(unassigned=(dataclasses.replace(R3_UNASSIGNED, reason=reason),))


def test_false_no_qualified_technician() -> None:
    assert codes(plumber_b(), make_plan()) == {"false_reason"}


def test_false_excluded_everywhere() -> None:
    # Only A is excluded, and A is not even qualified; B qualifies and is allowed.
    problem = with_request(plumber_b(), "r3", excluded_technicians=("A",))
    plan = unassigned_r3(UnassignedReason.EXCLUDED_EVERYWHERE)
    assert codes(problem, plan) == {"false_reason"}


def test_true_excluded_everywhere() -> None:
    problem = with_request(plumber_b(), "r3", excluded_technicians=("B",))
    assert validate_plan(problem, unassigned_r3(UnassignedReason.EXCLUDED_EVERYWHERE)) == []


def test_false_outside_all_shifts() -> None:
    # Window 15:00-17:00 overlaps B's shift 08:00-16:00.
    problem = with_request(plumber_b(), "r3", windows=(TimeWindow(T(15), T(17)),))
    plan = unassigned_r3(UnassignedReason.OUTSIDE_ALL_SHIFTS)
    assert codes(problem, plan) == {"false_reason"}


def test_outside_all_shifts_needs_windows() -> None:
    # Without windows a job fits any shift, so this reason can never be true.
    plan = unassigned_r3(UnassignedReason.OUTSIDE_ALL_SHIFTS)
    assert codes(plumber_b(), plan) == {"false_reason"}


def test_true_outside_all_shifts() -> None:
    # 16:30-18:00 misses B's shift (08:00-16:00, no overtime); A's shift (to 17:00 with
    # overtime) does not count because A cannot do plumbing.
    problem = with_request(plumber_b(), "r3", windows=(TimeWindow(T(16, 30), T(18)),))
    assert validate_plan(problem, unassigned_r3(UnassignedReason.OUTSIDE_ALL_SHIFTS)) == []


def test_reasons_not_checked_are_accepted() -> None:
    plan = unassigned_r3(UnassignedReason.NOT_ENOUGH_CAPACITY)
    assert validate_plan(plumber_b(), plan) == []


def test_pinned_start_outside_all_shifts_is_true() -> None:
    # No appointment windows, but r3 is pinned to B at 17:00, after B's shift (08-16):
    # the pinned instant is the only possible start, so the reason holds.
    problem = with_request(plumber_b(), "r3", pinned_technician="B", pinned_start=T(17))
    assert validate_plan(problem, unassigned_r3(UnassignedReason.OUTSIDE_ALL_SHIFTS)) == []


def test_pinned_start_inside_a_shift_makes_outside_all_shifts_false() -> None:
    # The window 17:00-18:00 misses B's shift, but the pin at 15:00 is inside it.
    problem = with_request(plumber_b(), "r3", windows=(TimeWindow(T(17), T(18)),),
                           pinned_technician="B", pinned_start=T(15))
    plan = unassigned_r3(UnassignedReason.OUTSIDE_ALL_SHIFTS)
    assert codes(problem, plan) == {"false_reason"}


def test_unknown_request_inside_a_route() -> None:
    # r2's step renamed to "r99": r99 is unknown, r2 is nowhere, and the normal-priority
    # job the counts promise is gone. The legs around the unknown step cannot be
    # recomputed and are skipped rather than reported.
    plan = make_plan(edit(R2, request_id="r99"))
    assert codes(make_problem(), plan) == {"unknown_request", "missing_request",
                                           "wrong_priority_counts"}


def test_a_supplied_matrix_is_read_once_per_check(monkeypatch: pytest.MonkeyPatch) -> None:
    # Read once per route, a 1 240-location matrix made validating a 1 000-job
    # plan of 120 routes take 8.5 s: past what `fieldops solve` keeps back for it.
    from fieldops.geo import SuppliedMatrixProvider
    from fieldops.solver.dispatch import SolveParams, solve_dispatch

    from line_world import LineWorld

    w = LineWorld()
    techs = [w.technician("A", 0), w.technician("B", 50)]
    problem = w.problem(techs, [w.job(f"J{i}", i * 7 % 60, duration=20) for i in range(8)])
    plan = solve_dispatch(problem, SolveParams(time_limit=1))
    assert len(plan.routes) == 2
    made: list[int] = []
    real_init = SuppliedMatrixProvider.__init__

    def init(self: SuppliedMatrixProvider, matrix: Any) -> None:
        made.append(1)
        real_init(self, matrix)

    monkeypatch.setattr(SuppliedMatrixProvider, "__init__", init)
    assert validate_plan(problem, plan) == []
    assert len(made) == 1

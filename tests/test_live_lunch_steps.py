"""Live routes whose lunch break is not between START and END.

The dispatch model puts a lunch the search placed outside the route's span
*before* the START step (taken where the technician is, before leaving) or *after*
the END step (after return). The live day read the first and last steps as the
departure and the return: the live validator refused a valid re-plan with
``wrong_free_start`` ("does not leave from the site of its last job"; it looked at
the BREAK step, which has no place), and merging such a plan into the day lost its
START or END step, so the ETA walk skipped a job. A time-limited solve decides
where the departure falls, which made ``tests/test_live_day_sim.py`` fail now and
then; these build the routes directly.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from fieldops.domain import DispatchPlan, DispatchProblem, LunchBreak, TimeWindow
from fieldops.domain.live import JobStatus, LiveDay, StatusReport
from fieldops.domain.plan import PlanStatus, StepKind
from fieldops.services.live import merge_proposal
from fieldops.solver.dispatch.model import build_model
from fieldops.solver.dispatch.solve import evaluate_routes
from fieldops.solver.dispatch.timed import RawRoute
from fieldops.solver.live import etas, replan_problem
from fieldops.validators.dispatch import validate_plan
from fieldops.validators.live import validate_live

from line_world import LineWorld, mins, shift, t

LUNCH = LunchBreak(duration=mins(30), earliest_start=t(180), latest_start=t(240))  # 11–12
DONE_A1 = (StatusReport("A1", JobStatus.EN_ROUTE, t(0)),
           StatusReport("A1", JobStatus.ON_SITE, t(10)),
           StatusReport("A1", JobStatus.DONE, t(40)))


def _problem() -> DispatchProblem:
    """A at km 0 with a lunch; A1 at km 10; A2 at km 20, only 14:00–15:00."""
    w = LineWorld()
    jobs = [w.job("A1", 10), w.job("A2", 20, windows=(TimeWindow(t(360), t(420)),))]
    return w.problem([w.technician("A", 0)], jobs, shifts=[shift("A", lunch=LUNCH)])


def _plan(problem: DispatchProblem, start: datetime, departure: datetime,
          lunch: datetime) -> DispatchPlan:
    """A2 alone on the (only) shift, timed as given, through the dispatch model."""
    model = build_model(problem)
    a2 = [r.id for r in problem.requests].index("A2")
    raw = RawRoute(problem.shifts[0], [a2], [start], departure, lunch)
    plan = model.plan([raw], PlanStatus.FEASIBLE, mins(0), {})
    assert validate_plan(problem, plan) == []
    return plan


def test_a_replan_whose_technician_lunches_before_leaving_their_free_place_is_valid(
        ) -> None:
    problem = _problem()
    day = LiveDay(problem, evaluate_routes(problem, {"S-A": ["A1", "A2"]}), t(120), DONE_A1)
    built = replan_problem(day)  # A is free at 10:00 at A1's site (km 10)
    plan = _plan(built.problem, t(360), t(350), t(180))  # lunch 12:00, leaves 13:50
    assert [s.kind for s in plan.routes[0].steps][:2] == [StepKind.BREAK, StepKind.START]
    assert validate_live(day, plan) == []
    # Leaving from home instead is still found.
    home = dataclasses.replace(built.problem, shifts=tuple(
        dataclasses.replace(s, start_location=None) for s in built.problem.shifts))
    found = validate_live(day, _plan(home, t(360), t(340), t(180)))
    assert [(v.code, v.shift_id) for v in found] == [("wrong_free_start", "S-A")]


def _merged_etas(plan: DispatchPlan, published: DispatchPlan, problem: DispatchProblem
                 ) -> tuple[list[StepKind], dict[str, datetime]]:
    day = LiveDay(problem, published, t(120))
    built = replan_problem(day)
    whole, merged = merge_proposal(day, set(built.problem.request_by_id), (), plan)
    route = merged.routes[0]
    kinds: list[StepKind] = [s.kind for s in route.steps if s.kind is not StepKind.BREAK]
    return kinds, etas(LiveDay(whole, merged, t(120)))


def test_a_merged_proposal_keeps_its_departure_and_return_around_a_lunch_outside_them(
        ) -> None:
    problem = _problem()
    nothing = evaluate_routes(problem, {})  # A had no route this morning
    built = replan_problem(LiveDay(problem, nothing, t(120)))
    before = _plan(built.problem, t(360), t(340), t(180))  # lunch, then leaves 13:40
    assert before.routes[0].steps[0].kind is StepKind.BREAK
    kinds, eta = _merged_etas(before, nothing, problem)
    assert kinds == [StepKind.START, StepKind.JOB, StepKind.END]
    assert eta["A2"] == t(360)
    # Lunch after return: A2 at 14:00, home 14:50, lunch cannot wait that long
    # in the problem's window, so a later one is given.
    late = dataclasses.replace(LUNCH, earliest_start=t(360), latest_start=t(480))
    lunching = dataclasses.replace(problem, shifts=(dataclasses.replace(
        problem.shifts[0], lunch=late),))
    nothing = evaluate_routes(lunching, {})
    built = replan_problem(LiveDay(lunching, nothing, t(120)))
    after = _plan(built.problem, t(360), t(340), t(420))  # lunch 15:00, home 14:50
    assert after.routes[0].steps[-1].kind is StepKind.BREAK
    kinds, eta = _merged_etas(after, nothing, lunching)
    assert kinds == [StepKind.START, StepKind.JOB, StepKind.END]
    assert eta["A2"] == t(360)

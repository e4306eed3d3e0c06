"""finish.py: the plan's status rule, and which plan is handed back."""

from __future__ import annotations

import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
from ortools.constraint_solver import routing_enums_pb2

from fieldops.domain import PlanStatus
from fieldops.solver.dispatch import finish as finish_module
from fieldops.solver.dispatch.candidates import find_candidates
from fieldops.solver.dispatch.context import COST_SCALE
from fieldops.solver.dispatch.finish import TIME_LIMIT_USED, finish
from fieldops.solver.dispatch.polish import ORTOOLS_SUFFIX
from fieldops.validators.dispatch import assert_valid

from line_world import LineWorld, state_of

Status = routing_enums_pb2.RoutingSearchStatus
LIMIT = 10.0


def _day():  # type: ignore[no-untyped-def]
    w = LineWorld()
    return w.problem([w.technician("A", 0)], [w.job("J1", 10), w.job("J2", 20)])


def _status(statuses: list[int] | None, elapsed: float, cancelled: bool = False) -> PlanStatus:
    state = SimpleNamespace(report=SimpleNamespace(routing_status=statuses),
                            search=SimpleNamespace(limit=LIMIT))
    return finish_module._status(state, timedelta(seconds=elapsed), cancelled)  # type: ignore[arg-type]


@pytest.mark.parametrize(("statuses", "elapsed", "cancelled", "expected"), [
    ([Status.ROUTING_OPTIMAL], 1.0, True, PlanStatus.CANCELLED),  # a stop wins
    ([Status.ROUTING_OPTIMAL], 9.9, False, PlanStatus.OPTIMAL),  # proven beats the clock
    ([Status.ROUTING_SUCCESS, Status.ROUTING_OPTIMAL], 1.0, False, PlanStatus.OPTIMAL),
    ([Status.ROUTING_OPTIMAL, Status.ROUTING_SUCCESS], 1.0, False, PlanStatus.FEASIBLE),
    ([Status.ROUTING_PARTIAL_SUCCESS_LOCAL_OPTIMUM_NOT_REACHED], 1.0, False,
     PlanStatus.TIME_LIMIT),
    ([Status.ROUTING_SUCCESS], LIMIT * TIME_LIMIT_USED, False, PlanStatus.TIME_LIMIT),
    ([Status.ROUTING_SUCCESS], LIMIT * TIME_LIMIT_USED - 0.01, False, PlanStatus.FEASIBLE),
    (None, LIMIT, False, PlanStatus.TIME_LIMIT),  # OR-Tools never ran, time used up
    (None, 1.0, False, PlanStatus.FEASIBLE),
])
def test_status_rule(statuses: list[int] | None, elapsed: float, cancelled: bool,
                     expected: PlanStatus) -> None:
    assert _status(statuses, elapsed, cancelled) is expected


@pytest.mark.parametrize(("stopped", "expected"), [(False, PlanStatus.NO_SOLUTION),
                                                   (True, PlanStatus.CANCELLED)])
def test_no_incumbent_gives_an_empty_plan(stopped: bool, expected: PlanStatus) -> None:
    problem = _day()
    stop = threading.Event()
    if stopped:
        stop.set()
    plan = finish(state_of(problem, stop=stop))
    assert_valid(problem, plan)
    assert plan.status is expected and plan.routes == ()
    assert sorted(u.request_id for u in plan.unassigned) == ["J1", "J2"]


def test_the_candidate_is_returned_as_priced_when_it_is_the_incumbent() -> None:
    problem = _day()
    state = state_of(problem)
    find_candidates(state)
    plan = finish(state)
    assert_valid(problem, plan)
    candidate = state.incumbent.candidate_plan
    assert plan.objective == candidate.objective and plan.routes == candidate.routes
    assert plan.solver["objective_internal"] == pytest.approx(state.incumbent.cost / COST_SCALE)
    assert plan.status is not PlanStatus.NO_SOLUTION


def test_a_worse_ortools_plan_loses_to_the_candidate() -> None:
    # OR-Tools' plan is priced exactly before it is returned: here its "improvement"
    # is the candidate's routes with J2 dropped, which costs far more than the
    # candidate; the candidate is handed back and the engine name loses the suffix.
    problem = _day()
    state = state_of(problem)
    find_candidates(state)
    best = state.incumbent
    route = best.candidate_routes[0]
    best.routes = [type(route)(shift=route.shift, jobs=route.jobs[:1], starts=route.starts[:1],
                               departure=route.departure, break_start=route.break_start)]
    state.report.engine = best.candidate_plan.solver["engine"] + ORTOOLS_SUFFIX
    plan = finish(state)
    assert_valid(problem, plan)
    assert plan.kpis.jobs_assigned == 2
    assert plan.objective == best.candidate_plan.objective
    assert plan.solver["engine"] == best.candidate_plan.solver["engine"]
    assert plan.solver["ortools_objective_rejected"] > plan.objective

"""state.py: the typed state the phases hand on (stop, progress, the incumbent)."""

from __future__ import annotations

import math
import threading

import pytest

from fieldops.domain import PlanStatus
from fieldops.solver.dispatch import Progress
from fieldops.solver.dispatch.candidates import find_candidates
from fieldops.solver.dispatch.context import COST_SCALE
from fieldops.solver.dispatch.finish import finish
from fieldops.solver.dispatch.state import Incumbent
from fieldops.validators.dispatch import assert_valid

from line_world import LineWorld, state_of


def _day():  # type: ignore[no-untyped-def]
    w = LineWorld()
    return w.problem([w.technician("A", 0)], [w.job("J1", 10), w.job("J2", 20)])


def test_a_new_incumbent_holds_no_plan() -> None:
    best = Incumbent()
    assert best.cost == math.inf and best.routes is None and best.solutions == 0
    assert best.candidate_plan is None and best.candidate_routes is None


def test_stop_is_read_from_the_event() -> None:
    assert state_of(_day()).stopped() is False
    assert state_of(_day()).should_stop is None
    stop = threading.Event()
    state = state_of(_day(), stop=stop)
    assert state.stopped() is False and state.should_stop is not None
    assert state.should_stop() is False
    stop.set()
    assert state.stopped() is True and state.should_stop() is True


def test_tell_reports_the_objective_in_plan_units() -> None:
    seen: list[Progress] = []
    state = state_of(_day(), progress=seen.append)
    state.tell(7 * COST_SCALE, assigned=2, solutions=3)
    assert len(seen) == 1
    assert seen[0].objective == pytest.approx(7.0)
    assert seen[0].assigned == 2 and seen[0].solutions == 3
    assert 0 <= seen[0].elapsed < 2
    state_of(_day()).tell(1, assigned=0)  # without a callback: nothing to call


def test_the_chosen_candidate_becomes_the_incumbent_and_warm_start() -> None:
    problem = _day()
    state = state_of(problem)
    chosen = find_candidates(state)
    best = state.incumbent
    assert best.cost == chosen.cost and best.routes is chosen.routes
    assert best.candidate_routes is chosen.routes and best.candidate_plan is not None
    assert state.start_from == state.model.as_nodes(chosen.routes)
    assert sum(len(r) for r in state.start_from) == chosen.assigned == 2
    assert state.report.engine == chosen.name
    plan = finish(state)
    assert_valid(problem, plan)
    assert plan.status is not PlanStatus.NO_SOLUTION and plan.kpis.jobs_assigned == 2

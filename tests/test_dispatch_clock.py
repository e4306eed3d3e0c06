"""The solve's clock holds when a phase is slow (issue 21, item 3).

Each test makes one phase slow on purpose (a VROOM child that never answers, ...)
and checks that :func:`solve_dispatch` still returns within its time limit plus a
margin: a guard's obedience to the deadline, not the speed of anything. The bounds
are generous for a crowded machine yet well under what the slow phase alone
would take without its guard.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from fieldops.data.sample import load_demo_day
from fieldops.domain import DispatchProblem
from fieldops.solver.dispatch import SolveParams, solve_dispatch
from fieldops.solver.dispatch.engines import vroom as vroom_engine
from fieldops.validators.dispatch import assert_valid

from line_world import solver_info, tiny_flat

#: Seconds a solve may end past its limit in these tests (interpreter start-up of
#: a child, the plan's extraction on a crowded machine).
MARGIN = 1.0


@pytest.fixture
def silent_vroom(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """VROOM's child interpreter starts, reads nothing and never answers."""
    real = subprocess.Popen

    def popen(command: list[str], *args: Any, **kwargs: Any) -> Any:
        if command[1:3] == ["-m", vroom_engine.__name__]:
            command = [sys.executable, "-c", "import time; time.sleep(60)"]
        return real(command, *args, **kwargs)

    monkeypatch.setattr(vroom_engine.subprocess, "Popen", popen)
    yield


@pytest.fixture(scope="module")
def demo_day() -> DispatchProblem:
    return load_demo_day()


def test_a_silent_vroom_child_is_killed_at_the_callers_deadline(silent_vroom: None) -> None:
    # Its own budget (10 s) and grace (2 s) would keep the caller waiting 12 s.
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="did not answer"):
        vroom_engine.solve(tiny_flat(), 10.0, until=started + 1.0)
    assert time.monotonic() - started < 1.0 + MARGIN


def test_a_solve_whose_vroom_child_never_answers_ends_on_time(
        silent_vroom: None, demo_day: DispatchProblem, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A 3 s solve gives the child about 2.6 s, and here a grace of 10 s: without
    # the guard the solve waited for it until about 13 s.
    monkeypatch.setattr(vroom_engine, "CHILD_GRACE_SECONDS", 10.0)
    limit = 3.0
    started = time.monotonic()
    plan = solve_dispatch(demo_day, SolveParams(time_limit=limit))
    elapsed = time.monotonic() - started
    assert elapsed < limit + MARGIN
    assert "did not answer" in solver_info(plan)["engines"]["vroom"]["error"]
    assert_valid(demo_day, plan)
    assert plan.kpis.jobs_assigned > 0  # the construction's plan


def test_the_report_names_each_phase_with_its_start_and_end(demo_day: DispatchProblem,
                                                            ) -> None:
    plan = solve_dispatch(demo_day, SolveParams(time_limit=2))
    assert_valid(demo_day, plan)
    phases = solver_info(plan)["phases"]
    for name in ("model", "construction", "engine", "engine_wait", "ruin_recreate",
                 "polish", "finish"):
        start, end = phases[name]
        # The phases are rounded to the millisecond.
        assert 0 <= start <= end <= plan.solve_time.total_seconds() + 0.001
    assert phases["model"][1] <= phases["construction"][0]
    assert phases["polish"][1] <= phases["finish"][0]


def test_the_swap_for_a_higher_priority_job_stops_at_the_deadline(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # One van filled by an engine with three long low jobs; ten high jobs, each
    # longer than two low ones, fit in its place by no swap. Each try of the swap
    # (_eject_for_priority) times every position of every low job: made slow
    # here, the ten tries took about 3 s.
    from fieldops.domain import Priority
    from fieldops.solver.dispatch.construct import Constructor

    from line_world import LineWorld, state_of

    w = LineWorld()
    lows = [w.job(f"L{i}", 1 + i, duration=170, priority=Priority.LOW) for i in range(3)]
    highs = [w.job(f"H{i}", 2, duration=400, priority=Priority.HIGH) for i in range(10)]
    problem = w.problem([w.technician("A", 0)], [*lows, *highs])
    builder = Constructor(state_of(problem).model.context)
    slow = {"on": False}
    real_schedule, real_eject = Constructor.schedule, Constructor._eject_for_priority

    def schedule(self: Constructor, *args: Any, **kwargs: Any) -> Any:
        if slow["on"]:
            time.sleep(0.03)
        return real_schedule(self, *args, **kwargs)

    def eject(self: Constructor, *args: Any, **kwargs: Any) -> None:
        slow["on"] = True
        try:
            real_eject(self, *args, **kwargs)
        finally:
            slow["on"] = False

    monkeypatch.setattr(Constructor, "schedule", schedule)
    monkeypatch.setattr(Constructor, "_eject_for_priority", eject)
    started = time.monotonic()
    routes = builder.build(initial=[[0, 1, 2]], stop_at=started + 0.3)
    assert time.monotonic() - started < 0.3 + MARGIN
    assert routes == [[0, 1, 2]]

"""engines/flat.py: the flat integer view of the modelled day the engines read."""

from __future__ import annotations

import pytest

from fieldops.solver.dispatch import SolveParams, solve_dispatch
from fieldops.solver.dispatch.engines import vroom as vroom_engine
from fieldops.solver.dispatch.engines.flat import FlatProblem
from fieldops.validators.dispatch import assert_valid

from line_world import lunch_day, spy


def test_flat_view_carries_the_modelled_day(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = lunch_day()
    calls = spy(monkeypatch, vroom_engine)
    plan = solve_dispatch(problem, SolveParams(time_limit=3))
    assert_valid(problem, plan)
    flat: FlatProblem = calls[0]["flat"]
    ids = [r.id for r in problem.requests]
    assert flat.n_jobs == len(ids) and flat.n_vehicles == 2 and flat.has_breaks
    gas, two = flat.jobs[ids.index("GAS")], flat.jobs[ids.index("TWO")]
    assert gas.allowed == frozenset({0})  # only A holds the gas skill
    assert flat.jobs[0].allowed is None
    assert len(two.windows) == 2 and two.windows[0][1] < two.windows[1][0]
    assert gas.drop_cost > flat.jobs[0].drop_cost  # critical costs more to leave out
    assert flat.vehicles[1].latest_end - flat.vehicles[1].soft_end == 3600  # overtime
    # Travel in whole seconds between model nodes: 1 km per minute on the road.
    a_home = flat.vehicles[0].start_node
    assert flat.travel[a_home, ids.index("GAS")] == 20 * 60


def test_windows_are_cut_at_the_due_time_unless_none_starts_by_then() -> None:
    from fieldops.solver.dispatch.engines.flat import FlatJob

    def job(windows: tuple[tuple[int, int], ...], due: int | None) -> FlatJob:
        return FlatJob(service=60, windows=windows, load=0, allowed=None, priority=2,
                       drop_cost=10, pinned=False, has_soft_terms=True, due=due)

    assert job(((0, 100), (200, 300)), None).windows_by_due() == ((0, 100), (200, 300))
    assert job(((0, 100), (200, 300)), 250).windows_by_due() == ((0, 100), (200, 250))
    assert job(((0, 100), (200, 300)), 50).windows_by_due() == ((0, 50),)
    # No window starts by the deadline: the job can only be late, keep its windows.
    assert job(((200, 300),), 100).windows_by_due() == ((200, 300),)

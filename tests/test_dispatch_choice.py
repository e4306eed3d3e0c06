"""The engine choice (``fieldops.solver.dispatch.choice``): made once per solve."""

from __future__ import annotations

from typing import Any

import pytest

from fieldops.domain import LunchBreak, TimeWindow
from fieldops.solver.dispatch import SolveParams, solve_dispatch
from fieldops.solver.dispatch.choice import EngineChoice, hgs_candidate
from fieldops.solver.dispatch.engines import hgs
from fieldops.validators.dispatch import assert_valid

from line_world import LineWorld, shift, t


def day(*, lunch: bool = False, pinned: bool = False, two_windows: bool = False) -> Any:
    w = LineWorld()
    techs = [w.technician("A", 0), w.technician("B", 30)]
    jobs = [w.job(f"J{i}", (i * 11) % 50, duration=20) for i in range(6)]
    if pinned:
        jobs.append(w.job("PIN", 10, duration=20, pinned_technician="A"))
    if two_windows:
        jobs.append(w.job("TWO", 20, duration=20,
                          windows=(TimeWindow(t(0), t(60)), TimeWindow(t(200), t(260)))))
    shifts = None
    if lunch:
        brk = LunchBreak(duration=t(30) - t(0), earliest_start=t(180), latest_start=t(240))
        shifts = [shift("A", lunch=brk), shift("B", lunch=brk)]
    return w.problem(techs, jobs, shifts=shifts)


@pytest.mark.parametrize(("kwargs", "reason"), [
    ({}, None),
    ({"lunch": True}, "lunch breaks"),
    ({"pinned": True}, "pinned jobs"),
    ({"two_windows": True}, "several windows per job"),
])
def test_the_day_says_whether_pyvrp_may_take_it(kwargs: dict[str, bool],
                                                reason: str | None) -> None:
    problem = day(**kwargs)
    choice = EngineChoice.of(problem)
    assert choice.pyvrp_reason == reason
    assert choice.pyvrp is (reason is None)
    assert hgs_candidate(problem) is (reason is None)


def test_the_choice_is_made_once_per_solve(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    real = hgs.why_not_day

    def counting(problem: Any) -> str | None:
        calls.append(problem)
        return real(problem)

    monkeypatch.setattr(hgs, "why_not_day", counting)
    problem = day(lunch=True)
    plan = solve_dispatch(problem, SolveParams(time_limit=1))
    assert_valid(problem, plan)
    assert len(calls) == 1

"""The first roster under load: the heuristic's roster is reported before the CP-SAT
model is built, and is the result when no time is left to build it (issue 20)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from fieldops.domain.roster import Contract, RosterParams, RosterProblem, RosterStatus
from fieldops.solver.roster import heuristic, solve
from fieldops.solver.roster.context import RosterContext
from fieldops.solver.roster.deadline import Deadline
from fieldops.solver.roster.plan import construction_model, from_shifts, rebalance_blocks
from fieldops.solver.roster.solve import build_model
from fieldops.validators.roster import assert_roster_valid
from roster_fixtures import agent, need, problem, template


def center(days: int = 7) -> RosterProblem:
    """Multi-skilled and single-skilled agents, breaks, three shifts a day."""
    templates = (template("E", 6, 8, break_length=timedelta(minutes=30),
                          break_earliest=timedelta(hours=3), break_latest=timedelta(hours=5)),
                 template("L", 14, 8), template("N", 22, 8))
    agents = tuple(agent(f"a{k}", "x", "y") if k % 2 else agent(f"a{k}", "x")
                   for k in range(8))
    reqs = tuple(need(d, h, q, 1 + (d + h) % 2) for d in range(days)
                 for h in range(24) for q in ("x", "y"))
    return problem(days=days, agents=agents, templates=templates, queues=("x", "y"),
                   requirements=reqs,
                   contracts=(Contract("c", max_consecutive_days=5,
                                       min_rest=timedelta(hours=11)),))


def test_the_heuristic_roster_is_the_result_when_no_time_is_left_to_build(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # As on a loaded machine: after the heuristic, less than BUILD_SHARE is left.
    monkeypatch.setattr(solve, "BUILD_SHARE", 1.0)
    built: list[bool] = []
    monkeypatch.setattr(solve, "build_model", lambda *a: built.append(True))  # never called
    p = center()
    seen: list[float] = []
    r = solve.solve_roster(p, RosterParams(time_limit=5, workers=1),
                           progress=lambda u: seen.append(u.objective))
    assert not built
    assert r.status == RosterStatus.TIME_LIMIT and r.info["model_built"] is False
    assert r.assignments and seen == [r.objective]
    assert r.elapsed < 5
    assert_roster_valid(p, r)


def test_the_first_roster_is_reported_before_the_model_is_built(
        monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    real = solve.build_model

    def slow_build(*args: object) -> object:
        events.append("build")
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(solve, "build_model", slow_build)
    p = center()
    r = solve.solve_roster(p, RosterParams(time_limit=3, workers=1),
                           progress=lambda u: events.append("roster"))
    assert events[:2] == ["roster", "build"]
    assert r.objective <= r.info["hint_objective"]
    assert_roster_valid(p, r)


def test_past_its_pace_the_heuristic_still_completes_before_the_deadline() -> None:
    p = center()
    ctx = RosterContext(p)
    spent = Deadline.after(0.0)  # the pace is used up before the first agent
    started = time.monotonic()
    hint = heuristic.greedy_hint(ctx, Deadline.after(30.0), pace=spent)
    assert hint.complete and not hint.infeasible
    assert time.monotonic() - started < 30.0
    # Priced without the CP-SAT model, it is the same roster the full model prices.
    light = construction_model(ctx)
    full, _ = build_model(p, ctx)
    a = rebalance_blocks(light, from_shifts(light, hint.shifts))
    b = rebalance_blocks(full, from_shifts(full, hint.shifts))
    assert a.staffed == b.staffed
    assert solve.to_roster(light, a, RosterStatus.FEASIBLE, 0.0, {}).coverage.equals(
        solve.to_roster(full, b, RosterStatus.FEASIBLE, 0.0, {}).coverage)

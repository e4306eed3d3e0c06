"""roster/lns.py: the large-neighbourhood search around CP-SAT keeps the incumbent
or improves it, and its result is a valid roster."""

from __future__ import annotations

from datetime import timedelta

import pytest
from ortools.sat.python import cp_model

from fieldops.domain.roster import Contract, RosterParams, RosterStatus
from fieldops.solver.roster import lns
from fieldops.solver.roster.deadline import Deadline
from fieldops.solver.roster.lns import Incumbent, improve, set_hint
from fieldops.solver.roster.plan import from_values, to_roster
from fieldops.solver.roster.solve import build_model
from fieldops.validators.roster import assert_roster_valid
from roster_fixtures import agent, need, problem, template


def _problem():  # type: ignore[no-untyped-def]
    reqs = tuple(need(d, h, "x", 1 + (d + h) % 2) for d in range(7) for h in (7, 15))
    return problem(days=7, agents=tuple(agent(f"a{k}", "x") for k in range(4)),
                   templates=(template("E", 6, 8), template("L", 14, 8)), queues=("x",),
                   requirements=reqs,
                   contracts=(Contract("c", max_consecutive_days=4,
                                       min_rest=timedelta(hours=11)),))


def _first_solution(m):  # type: ignore[no-untyped-def]
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.stop_after_first_solution = True
    assert solver.solve(m.model) in (cp_model.FEASIBLE, cp_model.OPTIMAL)
    return list(solver.response_proto.solution), solver.objective_value


def test_set_hint_hints_every_variable_in_order() -> None:
    m, _ = build_model(_problem())
    values, _ = _first_solution(m)
    set_hint(m.model, values)
    hint = m.model.proto.solution_hint
    assert list(hint.vars) == list(range(len(values))) and list(hint.values) == values
    set_hint(m.model, values)  # replaces, never appends
    assert len(m.model.proto.solution_hint.vars) == len(values)


def test_improve_never_worsens_and_reports_each_improvement() -> None:
    p = _problem()
    m, _ = build_model(p)
    values, objective = _first_solution(m)
    best = Incumbent(values, objective)
    seen: list[float] = []
    stats = improve(m, best, Deadline.after(3.0), RosterParams(time_limit=3, workers=1, seed=0),
                    lambda inc: seen.append(inc.objective), [None])
    assert stats.iterations >= 1 and stats.improvements == len(seen)
    assert best.objective <= objective
    assert seen == sorted(seen, reverse=True) and all(s < objective for s in seen)
    if seen:
        assert best.objective == seen[-1]
    roster = to_roster(m, from_values(m, best.values), RosterStatus.FEASIBLE, 3.0, {})
    assert_roster_valid(p, roster)
    assert roster.objective == best.objective


def test_improve_returns_at_once_when_no_time_is_left() -> None:
    m, _ = build_model(_problem())
    values, objective = _first_solution(m)
    best = Incumbent(list(values), objective)
    stats = improve(m, best, Deadline.after(0.0), RosterParams(time_limit=1, workers=1),
                    lambda inc: None, [None])
    assert stats.iterations == 0 and best.values == values


def test_improve_stops_once_the_incumbent_reaches_a_proven_bound() -> None:
    m, _ = build_model(_problem())
    values, objective = _first_solution(m)
    params = RosterParams(time_limit=5, workers=1)
    best = Incumbent(list(values), objective)
    start = Deadline.after(5.0)
    stats = improve(m, best, start, params, lambda inc: None, [None], bound=objective)
    assert stats.iterations == 0 and start.elapsed() < 1.0
    below = improve(m, Incumbent(list(values), objective), Deadline.after(1.5), params,
                    lambda inc: None, [None], bound=objective - 1)
    assert below.iterations >= 1


def test_a_model_over_large_model_shifts_but_few_variables_is_searched_on_a_budget(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Curtois-Qu 13's case: more shift variables than LARGE_MODEL, few variables in
    # all: its sub-solves get the deterministic budget, not the wall-clock one
    m, _ = build_model(_problem())
    monkeypatch.setattr(lns, "LARGE_MODEL", 1)
    assert lns.searchable(m)
    assert lns._sub_solver(True, 0, 60.0, 1.0).parameters.max_deterministic_time == lns.SUB_DTIME
    # the realistic center's case: too many variables in all
    monkeypatch.setattr(lns, "LNS_MAX_VARIABLES", len(m.model.proto.variables) - 1)
    assert not lns.searchable(m)
    assert lns._sub_solver(False, 0, 60.0, 1.0).parameters.max_time_in_seconds == 1.0

"""Column generation over agents' rosters (solver/roster/columns.py) and its path
through ``solve_roster``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from ortools.sat.python import cp_model

from fieldops.domain.roster import (
    Contract,
    RosterParams,
    RosterStatus,
    RosterWeights,
    ShiftPreference,
)
from fieldops.solver.roster import columns, solve
from fieldops.solver.roster.context import RosterContext
from fieldops.solver.roster.deadline import Deadline
from fieldops.solver.roster.heuristic import greedy_hint
from fieldops.solver.roster.plan import construction_model, from_shifts, penalties, to_roster
from fieldops.validators.roster import assert_roster_valid
from roster_fixtures import MONDAY, agent, need, problem, template

FAIR = RosterWeights()  # the default weights price fairness spreads


def _day(k: int):  # type: ignore[no-untyped-def]
    return MONDAY + timedelta(days=k)


def _center():  # type: ignore[no-untyped-def]
    """Five agents, two shift types, a fortnight: uneven demand, rules that bind,
    wishes that pull against the demand."""
    reqs = tuple(need(d, h, q, 1 + (d * 3 + h) % 3)
                 for d in range(14) for h, q in ((7, "e"), (15, "l")))
    wishes = (ShiftPreference(_day(2), "E", wanted=True, weight=3),
              ShiftPreference(_day(5), None, wanted=False, weight=4),
              ShiftPreference(_day(9), "L", wanted=False, weight=2))
    agents = tuple(agent(f"a{k}", "e", "l", preferences=wishes if k < 2 else ())
                   for k in range(5))
    return problem(days=14, agents=agents, queues=("e", "l"),
                   templates=(template("E", 6, 8, queues=frozenset({"e"})),
                              template("L", 14, 8, queues=frozenset({"l"}))),
                   requirements=reqs,
                   contracts=(Contract("c", max_consecutive_days=5, min_consecutive_days=2,
                                       max_work_total=timedelta(hours=80)),))


def test_a_roster_separates_by_agent_only_without_shared_spreads_queue_choices_or_breaks(
        ) -> None:
    assert columns.separable(RosterContext(_center()))
    two = (agent("a", "q"), agent("b", "q"))
    assert not columns.separable(RosterContext(problem(agents=two, weights=FAIR)))
    own = (agent("a", "q", contract="c"), agent("b", "q", contract="d"))
    assert columns.separable(RosterContext(problem(
        agents=own, weights=FAIR, contracts=(Contract("c"), Contract("d")))))
    both = (agent("a", "x", "y"),)
    assert not columns.separable(RosterContext(problem(agents=both, queues=("x", "y"))))
    lunch = template("D", 8, 9, break_length=timedelta(hours=1),
                     break_earliest=timedelta(hours=3), break_latest=timedelta(hours=5))
    assert not columns.separable(RosterContext(problem(templates=(lunch,))))


def _start(ctx: RosterContext):  # type: ignore[no-untyped-def]
    hint = greedy_hint(ctx, Deadline.after(10))
    assert hint.complete
    return hint.shifts


def test_a_rosters_columns_and_rows_cost_exactly_what_the_plan_prices() -> None:
    ctx = RosterContext(_center())
    early, late = 0, 1  # template indices
    # a0 and a1 share three wishes: a0 misses the wanted early shift of day 2 (3)
    # and works the unwanted late shift of day 9 (2); a1 misses day 2's early
    # shift too (3) and works day 5, wanted off (4); a2 has no wishes
    shifts = {(0, d, late): "l" for d in (0, 1, 2, 3, 9)}
    shifts |= {(1, d, early): "e" for d in (4, 5, 6)} | {(2, 2, early): "e"}
    master = columns.Master(ctx)
    for a in range(len(ctx.problem.agents)):
        pricer = columns.Pricer(ctx, a)
        assert master.add(pricer.column((d, t) for (b, d, t) in shifts if b == a))
        assert not master.add(pricer.column((d, t) for (b, d, t) in shifts if b == a))
    light = construction_model(ctx)
    priced = penalties(light, from_shifts(light, shifts))
    assert priced["preferences"] == 3 + 2 + 3 + 4
    assert sum(c.cost for c in master.columns) == ctx.unit * priced["preferences"]
    # one column per agent: the LP can only take them, at the roster's own cost
    assert master.solve({}).value == pytest.approx(ctx.unit * sum(priced.values()))


def _optimum(p) -> float:  # type: ignore[no-untyped-def]
    m, _ = solve.build_model(p)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 60
    assert solver.solve(m.model) == cp_model.OPTIMAL
    return solver.objective_value


def test_the_generations_bound_never_exceeds_the_optimum_and_the_dive_keeps_every_rule(
        ) -> None:
    p = _center()
    ctx = RosterContext(p)
    start = _start(ctx)
    dived = columns.dive(ctx, [start], Deadline.after(20), workers=1)
    optimum = _optimum(p)
    assert dived.bound is not None and dived.bound <= optimum <= dived.root + 1e-6
    assert dived.rounds > 1 and dived.columns > len(p.agents)
    light = construction_model(ctx)
    agg = from_shifts(light, dived.shifts)
    roster = to_roster(light, agg, RosterStatus.FEASIBLE, 0.0, {})
    assert_roster_valid(p, roster)
    assert roster.objective >= dived.bound
    start_cost = sum(penalties(light, from_shifts(light, start)).values())
    assert roster.objective <= start_cost


def test_a_dive_out_of_time_still_gives_every_agent_a_roster() -> None:
    p = _center()
    ctx = RosterContext(p)
    dived = columns.dive(ctx, [_start(ctx)], Deadline.after(0.0), workers=1)
    assert dived.rounds == 0 and dived.bound is None
    assert dived.free == list(range(len(p.agents)))
    assert {a for a, _d, _t in dived.shifts} == set(range(len(p.agents)))


def test_a_separable_roster_goes_through_the_columns_and_stops_at_the_proven_bound(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With CP-SAT's first look held back, the dive and the LNS find the optimum; the
    generation's bound proves it, and the solve returns long before its limit."""
    held = solve._solve_held
    calls: list[list[int] | None] = []

    def no_proof(m, params, seconds, current, free=None):  # type: ignore[no-untyped-def]
        calls.append(free)
        if free is None:
            return solve._Solved(cp_model.UNKNOWN)
        return held(m, params, seconds, current, free)

    monkeypatch.setattr(solve, "_solve_held", no_proof)
    p = _center()
    roster = solve.solve_roster(p, RosterParams(time_limit=30, workers=1, seed=0))
    assert_roster_valid(p, roster)
    assert calls[0] is None  # the proof step ran first
    assert roster.info["engine"].startswith("columns")
    assert roster.info["columns"]["columns"] > len(p.agents)
    assert roster.objective == _optimum(p)
    assert roster.status == RosterStatus.OPTIMAL and roster.elapsed < 15
    assert roster.info["best_bound"] == roster.objective


def test_a_roster_above_the_bound_is_not_called_optimal(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """CP-SAT proves the held sub-problem of step 3 optimal; that proves nothing of the
    whole problem while the roster is above the bound."""
    held, dive = solve._solve_held, columns.dive

    def no_proof(m, params, seconds, current, free=None):  # type: ignore[no-untyped-def]
        return solve._Solved(cp_model.UNKNOWN) if free is None else held(
            m, params, seconds, current, free)

    def low_bound(*args, **kw):  # type: ignore[no-untyped-def]
        dived = dive(*args, **kw)
        dived.bound = -1.0  # a valid bound no roster reaches
        return dived

    monkeypatch.setattr(solve, "_solve_held", no_proof)
    monkeypatch.setattr(columns, "dive", low_bound)
    p = _center()
    roster = solve.solve_roster(p, RosterParams(time_limit=4, workers=1, seed=0))
    assert_roster_valid(p, roster)
    assert roster.info["engine"].startswith("columns")
    assert roster.status == RosterStatus.TIME_LIMIT and roster.info["best_bound"] == -1.0


def test_a_model_that_is_not_separable_keeps_cp_sat_s_path() -> None:
    two = (agent("a", "q"), agent("b", "q"))
    p = problem(agents=two, weights=FAIR, requirements=tuple(need(d, 9) for d in range(7)))
    roster = solve.solve_roster(p, RosterParams(time_limit=10, workers=1, seed=0))
    assert_roster_valid(p, roster)
    assert roster.info["engine"].startswith("cp-sat") and "columns" not in roster.info

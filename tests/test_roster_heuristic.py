"""roster/heuristic.py: the agent-by-agent first roster, which proves an agent's
contract infeasible on its own."""

from __future__ import annotations

import threading
from datetime import timedelta

from fieldops.domain.roster import Contract, RosterParams, RosterProblem, RosterStatus
from fieldops.solver.roster import solve_roster
from fieldops.solver.roster.context import RosterContext
from fieldops.solver.roster.deadline import Deadline
from fieldops.solver.roster.heuristic import greedy_hint
from fieldops.solver.roster.plan import from_shifts, to_roster
from fieldops.solver.roster.solve import build_model
from fieldops.validators.roster import assert_roster_valid, validate_roster
from roster_fixtures import agent, need, problem, template


def test_infeasible_contract_is_reported_with_the_agent() -> None:
    p = problem(days=1, contracts=(Contract("c", min_work_total=timedelta(hours=40)),))
    r = solve_roster(p, RosterParams(time_limit=5, workers=1))
    assert r.status == RosterStatus.INFEASIBLE
    assert r.assignments == ()
    assert r.info["infeasible_agents"] == ["a"]
    codes = {v.code for v in validate_roster(p, r)}
    assert codes == {"min_work_total"}  # the validator agrees: no roster keeps it


def _busy() -> RosterProblem:
    templates = (template("E", 6, 8), template("L", 14, 8))
    agents = tuple(agent(f"a{k}", "x", "y") if k % 2 else agent(f"a{k}", "x") for k in range(4))
    reqs = tuple(need(d, h, q, 1 + (d + h) % 2) for d in range(7) for h in (7, 15)
                 for q in ("x", "y"))
    return problem(days=7, agents=agents, templates=templates, queues=("x", "y"),
                   requirements=reqs,
                   contracts=(Contract("c", max_consecutive_days=4, min_consecutive_days_off=2,
                                       min_rest=timedelta(hours=11)),))


def test_the_first_roster_keeps_every_hard_rule_and_covers_demand() -> None:
    p = _busy()
    ctx = RosterContext(p)
    hint = greedy_hint(ctx, Deadline.after(30.0))
    assert hint.complete and hint.infeasible == []
    m, _ = build_model(p, ctx)
    roster = to_roster(m, from_shifts(m, hint.shifts), RosterStatus.FEASIBLE, 0.0, {})
    assert_roster_valid(p, roster)  # the hard rules are all per agent: kept one by one
    empty = to_roster(m, None, RosterStatus.FEASIBLE, 0.0, {})
    assert roster.penalties["coverage_under"] < empty.penalties["coverage_under"]
    assert all(q in ("x", "y") for q in hint.shifts.values())


def test_a_stopped_deadline_leaves_the_first_roster_incomplete() -> None:
    stop = threading.Event()
    stop.set()
    hint = greedy_hint(RosterContext(_busy()), Deadline.after(30.0, stop))
    assert not hint.complete and hint.shifts == {}


def test_a_passed_share_still_ends_with_a_complete_first_roster() -> None:
    # the share is used up before the first agent (a loaded machine): every agent
    # still gets a short solve while the whole deadline lasts
    p = _busy()
    ctx = RosterContext(p)
    hint = greedy_hint(ctx, Deadline.after(30.0), Deadline.after(0.0))
    assert hint.complete and hint.infeasible == []
    m, _ = build_model(p, ctx)
    roster = to_roster(m, from_shifts(m, hint.shifts), RosterStatus.FEASIBLE, 0.0, {})
    assert_roster_valid(p, roster)
    assert {a for a, _d, _t in hint.shifts} == {0, 1, 2, 3}

"""Capacity-weighted coverage: an agent counts its proficiency's capacity on a queue
(1 → half, 2 → three quarters, 3-5 → one), in the model, the exact penalties, the
heuristic, the block rebalancing, the break split, the validator and the output,
as the predicted service level counts it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fieldops.domain.roster import (
    Agent,
    Contract,
    QueueSkill,
    RosterStatus,
    RosterWeights,
    roster_verdict,
)
from fieldops.schemas.roster import roster_to_json
from fieldops.solver.roster.constraints import coverage
from fieldops.solver.roster.context import RosterContext
from fieldops.solver.roster.deadline import Deadline
from fieldops.solver.roster.heuristic import greedy_hint
from fieldops.solver.roster.plan import from_shifts, penalties, rebalance_blocks, to_roster
from fieldops.solver.roster.solve import build_model
from fieldops.validators.roster import assert_roster_valid, validate_roster
from roster_fixtures import need, problem, solve, template

from roster_verifier import verify

WEIGHTS = RosterWeights(under=100, over=3, fairness_weekends=0, fairness_nights=0,
                        fairness_hours=0)
FREE = (Contract("c", min_work_total=timedelta(0)),)


def skilled(aid: str, *skills: tuple[str, int]) -> Agent:
    return Agent(aid, "c", tuple(QueueSkill(q, proficiency=p) for q, p in skills))


def learner(aid: str, queue: str = "q") -> Agent:
    return skilled(aid, (queue, 1))


def test_the_capacity_unit_is_a_head_unless_some_agent_counts_less() -> None:
    full = problem(agents=(skilled("a", ("q", 3)), skilled("b", ("q", 5))))
    halves = problem(agents=(learner("a"), skilled("b", ("q", 4))))
    quarters = problem(agents=(learner("a"), skilled("b", ("q", 2))))
    assert RosterContext(full).unit == 1  # the Curtois-Qu model stays the head count
    assert RosterContext(halves).unit == 2
    assert RosterContext(quarters).unit == 4
    assert [RosterContext(quarters).capacity(level) for level in (1, 2, 3, 5)] == [2, 3, 4, 4]


def test_one_learner_leaves_half_an_agent_short_and_two_cover_one() -> None:
    p = problem(days=1, agents=(learner("a"), learner("b")), requirements=(need(0, 9),),
                weights=WEIGHTS)
    one = verify(coverage.FAMILY, p, [("a", 0, "D")])
    assert one.penalty == {"coverage_under": 50, "coverage_over": 0}
    assert one.encoded == 50  # the CP-SAT terms, in agents
    assert one.violations == []  # the validator counts the learner half too
    two = verify(coverage.FAMILY, p, [("a", 0, "D"), ("b", 0, "D")])
    assert two.penalty == {"coverage_under": 0, "coverage_over": 0}
    assert two.encoded == 0
    assert two.violations == []


def test_level_two_counts_three_quarters_and_excess_is_priced_by_capacity() -> None:
    p = problem(days=1, agents=(skilled("a", ("q", 2)), skilled("b", ("q", 5))),
                requirements=(need(0, 9), need(0, 10, required=2)), weights=WEIGHTS)
    v = verify(coverage.FAMILY, p, [("a", 0, "D"), ("b", 0, "D")])
    # 09:00 needs 1, has 1.75 (0.75 over); 10:00 needs 2, has 1.75 (0.25 short)
    assert v.penalty == {"coverage_under": 25, "coverage_over": 2.25}
    assert v.encoded == 27.25
    assert v.violations == []


def test_the_solver_rosters_two_learners_for_one_required_agent() -> None:
    p = problem(days=1, agents=(learner("a"), learner("b")), requirements=(need(0, 9),),
                contracts=FREE)
    r = solve(p)  # validated independently
    assert len(r.assignments) == 2
    row = r.coverage.iloc[0]
    assert (row.required, row.staffed, row.short, row.over) == (1, 1, 0, 0)
    assert r.objective == 0


def test_the_heuristic_counts_a_learner_as_half_of_the_demand() -> None:
    p = problem(days=1, agents=(learner("a"), learner("b")), requirements=(need(0, 9),),
                contracts=FREE)
    hint = greedy_hint(RosterContext(p), Deadline.after(10.0))
    assert hint.complete
    assert sorted(a for a, _, _ in hint.shifts) == [0, 1]  # one learner leaves half short


def test_rebalancing_moves_a_head_only_where_its_capacity_pays() -> None:
    """a is an expert on x and a learner on y: moving it to y 12-16 gains half an
    agent at 150 and loses a whole one at 100, so it stays on x."""
    p = problem(days=1, agents=(skilled("a", ("x", 5), ("y", 1)),), queues=("x", "y"),
                requirements=(*(need(0, h, "x") for h in range(8, 16)),
                              *(need(0, h, "y", under_weight=150) for h in range(12, 16))))
    m, _ = build_model(p)
    ((a, d, t),) = list(m.x)
    home = from_shifts(m, {(a, d, t): "x"})
    assert penalties(m, home)["coverage_under"] == 4 * 150
    pooled = rebalance_blocks(m, home)
    assert penalties(m, pooled)["coverage_under"] == 4 * 150
    roster = to_roster(m, pooled, RosterStatus.FEASIBLE, 0.1, {})
    assert_roster_valid(p, roster)
    assert {act.queue for act in roster.assignments[0].activities} == {"x"}


def test_the_expert_works_where_a_short_agent_costs_more_during_the_breaks() -> None:
    """An expert and a learner on one queue, a break at 10:00 or 11:00 each, one
    agent needed at both, a short agent costing ten times more at 11:00: the
    expert's break belongs at 10:00 and the learner's at 11:00 (half an agent
    short at 10:00). Head counts cannot tell whose break is where; the model
    splits the breaks per capacity."""
    lunch = template("L", 8, 6, break_length=timedelta(hours=1),
                     break_earliest=timedelta(hours=2), break_latest=timedelta(hours=3))
    p = problem(days=1, agents=(skilled("e", ("q", 5)), learner("l")), templates=(lunch,),
                requirements=(need(0, 10, under_weight=10), need(0, 11, under_weight=100)),
                contracts=FREE)
    r = solve(p)
    breaks = {s.agent_id: s.break_start for s in r.assignments}
    assert breaks == {"e": datetime(2026, 3, 2, 10, tzinfo=UTC),
                      "l": datetime(2026, 3, 2, 11, tzinfo=UTC)}
    assert r.penalties["coverage_under"] == 10 * 0.5
    assert list(r.coverage["staffed"]) == [0.5, 1]


def test_the_validator_rejects_a_coverage_table_counting_heads() -> None:
    p = problem(days=1, agents=(learner("a"),), requirements=(need(0, 9),), weights=WEIGHTS)
    m, _ = build_model(p)
    roster = to_roster(m, from_shifts(m, {k: "q" for k in m.x}), RosterStatus.FEASIBLE,
                       0.1, {})
    assert validate_roster(p, roster) == []
    heads = roster.coverage.copy()
    heads["staffed"], heads["short"] = 1, 0  # one head, as if it were an expert
    fake = type(roster)(roster.status, roster.assignments, heads,
                        {**roster.penalties, "coverage_under": 0}, 0, 0.1)
    codes = {v.code for v in validate_roster(p, fake)}
    assert codes == {"coverage_mismatch", "penalty_mismatch", "objective_mismatch"}


def test_output_and_verdict_show_fractions_of_an_agent() -> None:
    p = problem(days=1, agents=(learner("a"),), requirements=(need(0, 9), need(0, 10)),
                weights=WEIGHTS)
    m, _ = build_model(p)
    roster = to_roster(m, from_shifts(m, {k: "q" for k in m.x}), RosterStatus.OPTIMAL,
                       0.1, {})
    data = roster_to_json(roster, p)
    assert data["totals"] == {"shifts": 1, "required": 2, "staffed": 1, "short": 1,
                              "over": 0}
    assert [row["staffed"] for row in data["coverage"]] == [0.5, 0.5]
    assert data["objective"] == 100
    assert roster_verdict(RosterStatus.OPTIMAL, 0.5) == (
        "optimal for the agents available, 0.5 agent-intervals short")
    assert "1/2 required agent-intervals staffed (1 short, 0 over)" in roster.summary()


def test_progress_and_solver_figures_are_reported_in_agents() -> None:
    """The model counts in capacity units (halves here); what it reports is in agents."""
    p = problem(days=1, agents=(learner("a"),), requirements=(need(0, 9),), weights=WEIGHTS,
                contracts=FREE)
    seen: list[float] = []
    r = solve(p, progress=lambda prog: seen.append(prog.objective))
    assert r.objective == 50 and r.status == RosterStatus.OPTIMAL
    assert seen and seen[-1] == 50 and min(seen) == 50
    assert r.info["cp_sat_objective"] == 50 and r.info["best_bound"] == 50

"""proficiency: weight × (5 − proficiency) per shift on the queue served."""

from __future__ import annotations

from fieldops.domain.roster import Agent, QueueSkill, RosterWeights
from fieldops.solver.roster.constraints import proficiency
from roster_fixtures import need, problem, solve

from roster_verifier import verify

WEIGHT = 3
PRICED = RosterWeights(proficiency=WEIGHT, fairness_weekends=0, fairness_nights=0,
                       fairness_hours=0)


def test_each_shift_costs_the_gap_to_expert_on_the_queue_served() -> None:
    learner = Agent("a", "c", (QueueSkill("x", proficiency=2), QueueSkill("y", proficiency=4)))
    expert = Agent("b", "c", (QueueSkill("x", proficiency=5),))
    p = problem(days=3, queues=("x", "y"), agents=(learner, expert),
                requirements=(need(0, 9, "x"), need(1, 9, "x")), weights=PRICED)
    shifts = [("a", 0, "D"), ("a", 1, "D"), ("b", 0, "D"), ("b", 2, "D")]
    v = verify(proficiency.FAMILY, p, shifts, queues={"a": "x"})
    # a serves x (proficiency 2) on two shifts, b is an expert
    assert v.penalty == {"proficiency": WEIGHT * (5 - 2) * 2 + WEIGHT * (5 - 5) * 2}
    assert v.violations == []
    # the model is free to put a on y (proficiency 4) instead
    assert v.encoded == WEIGHT * (5 - 4) * 2


def test_no_weight_no_penalty() -> None:
    p = problem(days=1, agents=(Agent("a", "c", (QueueSkill("q", proficiency=1),)),))
    v = verify(proficiency.FAMILY, p, [("a", 0, "D")])
    assert v.penalty == {"proficiency": 0}
    assert v.encoded == 0


def test_validator_prices_proficiency_per_shift_too() -> None:
    p = problem(days=1, agents=(Agent("a", "c", (QueueSkill("q", proficiency=2),)),),
                requirements=(need(0, 9), need(0, 10)), weights=PRICED)
    v = verify(proficiency.FAMILY, p, [("a", 0, "D")])
    assert v.penalty == {"proficiency": WEIGHT * (5 - 2)}
    assert v.violations == []


def test_proficiency_prefers_the_expert() -> None:
    from fieldops.domain.roster import Agent, QueueSkill

    expert = Agent("e", "c", (QueueSkill("q", 5),))
    learner = Agent("l", "c", (QueueSkill("q", 1),))
    weights = RosterWeights(fairness_weekends=0, fairness_nights=0, fairness_hours=0,
                            proficiency=2)
    p = problem(days=1, agents=(learner, expert), requirements=(need(0, 9),), weights=weights)
    r = solve(p)
    assert [s.agent_id for s in r.assignments] == ["e"]
    assert r.penalties["proficiency"] == 0
    forced = problem(days=1, agents=(learner,), requirements=(need(0, 9),), weights=weights)
    assert solve(forced).penalties["proficiency"] == 2 * 4

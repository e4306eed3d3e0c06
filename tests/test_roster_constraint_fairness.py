"""fairness: weight × (most − fewest) weekends, nights and whole paid hours per contract."""

from __future__ import annotations

from datetime import time, timedelta

from fieldops.domain.roster import Contract, RosterWeights, ShiftTemplate
from fieldops.solver.roster.constraints import fairness
from roster_fixtures import agent, need, problem, solve, template

from roster_verifier import verify

WEEKENDS, NIGHTS, HOURS = 5, 7, 2


def test_spreads_within_a_contract_priced_and_lone_contracts_free() -> None:
    templates = (template("D", 8, 8), template("N", 22, 8),
                 ShiftTemplate("H", time(9), timedelta(hours=6, minutes=30)))
    p = problem(days=7, templates=templates,
                contracts=(Contract("c"), Contract("solo")),
                agents=(agent("a"), agent("b"), agent("c"), agent("d", contract="solo")),
                weights=RosterWeights(fairness_weekends=WEEKENDS, fairness_nights=NIGHTS,
                                      fairness_hours=HOURS))
    # Monday start: days 5 and 6 are the weekend
    shifts = [("a", 0, "D"), ("a", 1, "D"), ("a", 5, "D"),  # 24 h, one weekend
              ("b", 0, "N"), ("b", 1, "N"),                 # 16 h, two nights
              ("c", 2, "H"),                                # 6 h 30
              ("d", 5, "N"), ("d", 6, "N")]                 # alone in its contract
    v = verify(fairness.FAMILY, p, shifts)
    minutes = [24 * 60, 16 * 60, 6 * 60 + 30]
    expected = {"fairness_weekends": WEEKENDS * (1 - 0),
                "fairness_nights": NIGHTS * (2 - 0),
                "fairness_hours": HOURS * ((max(minutes) - min(minutes)) // 60)}
    assert expected["fairness_hours"] == HOURS * 17  # 17 h 30 rounds down
    assert v.penalty == expected
    assert v.encoded == sum(expected.values())
    assert v.violations == []


def test_fairness_spreads_weekends_between_agents_of_a_contract() -> None:
    weekend_needs = (need(5, 9), need(12, 9))
    weights = RosterWeights(fairness_weekends=5, fairness_nights=0, fairness_hours=0)
    p = problem(days=14, agents=(agent("a"), agent("b")), requirements=weekend_needs,
                weights=weights)
    r = solve(p)
    assert r.penalties["fairness_weekends"] == 0
    assert {s.agent_id for s in r.assignments} == {"a", "b"}


def test_fairness_hours_and_nights() -> None:
    night = template("N", 22, 8)
    weights = RosterWeights(fairness_weekends=0, fairness_nights=10, fairness_hours=1)
    p = problem(days=2, templates=(night,), agents=(agent("a"), agent("b")),
                requirements=(need(0, 23), need(1, 23)), weights=weights)
    r = solve(p)
    assert r.penalties["fairness_nights"] == 0 and r.penalties["fairness_hours"] == 0
    assert sorted(s.agent_id for s in r.assignments) == ["a", "b"]

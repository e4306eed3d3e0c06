"""preferences: the preference weight × the agent's own weight per unmet wish."""

from __future__ import annotations

from datetime import timedelta

from fieldops.domain.roster import Contract, RosterWeights, ShiftPreference
from fieldops.solver.roster.constraints import preferences
from roster_fixtures import MONDAY, agent, need, problem, solve, template, worked_days

from roster_verifier import verify

SCALE = 2


def day(d: int):
    return MONDAY + timedelta(days=d)


def test_unmet_wishes_cost_their_weight_times_the_scale() -> None:
    wishes = (
        ShiftPreference(day(0), "D", wanted=True, weight=4),   # works D: met
        ShiftPreference(day(1), None, wanted=True, weight=2),  # off: unmet
        ShiftPreference(day(2), None, wanted=False, weight=3),  # works: unmet
        ShiftPreference(day(3), "N", wanted=False, weight=5),  # works D, not N: met
        ShiftPreference(day(4), "N", wanted=True, weight=6),   # works D, not N: unmet
    )
    p = problem(days=5, agents=(agent("a", preferences=wishes),),
                templates=(template("D", 8, 8), template("N", 22, 8)),
                weights=RosterWeights(preference=SCALE, fairness_weekends=0,
                                      fairness_nights=0, fairness_hours=0))
    v = verify(preferences.FAMILY, p, [("a", 0, "D"), ("a", 2, "D"), ("a", 3, "D"),
                                      ("a", 4, "D")])
    unmet = SCALE * (2 + 3 + 6)
    assert v.penalty == {"preferences": unmet}
    assert v.encoded == unmet
    assert v.violations == []


def test_preferences_wanted_and_unwanted() -> None:
    wants_tue = ShiftPreference(MONDAY + timedelta(days=1), "D", wanted=True, weight=3)
    avoids_wed = ShiftPreference(MONDAY + timedelta(days=2), None, wanted=False, weight=7)
    a = agent("a", preferences=(wants_tue, avoids_wed))
    p = problem(agents=(a,), requirements=(need(2, 9),),
                contracts=(Contract("c", max_shifts=1),))
    r = solve(p)
    # Wednesday's need (100) beats the wish not to work it (7); Tuesday's wish goes unmet
    assert worked_days(r) == [2]
    assert r.penalties["preferences"] == 3 + 7

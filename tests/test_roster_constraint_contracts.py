"""contracts (hard): weekly and total paid hours, shift, night and weekend counts.

A hard family has no penalty: the model with the family alone must reject
exactly the rosters the independent validator rejects.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from fieldops.domain.roster import Contract
from fieldops.solver.roster.constraints import contracts
from roster_fixtures import EVERY_DAY, MONDAY, need, problem, solve, template, worked_days

from roster_verifier import Shift, verify

DAY, NIGHT = template("D", 8, 8), template("N", 22, 8)


def days(*ds: int, tid: str = "D") -> list[Shift]:
    return [("a", d, tid) for d in ds]


@pytest.mark.parametrize(("contract", "broken", "kept", "code"), [
    # 3 × 8 h = 24 h against 16 h a week
    (Contract("c", max_work_per_week=timedelta(hours=16)), days(0, 1, 2), days(0, 1, 7, 8),
     "max_work_week"),
    # the first week is Monday–Sunday: 16 h in it, 8 h in the next
    (Contract("c", min_work_per_week=timedelta(hours=16)), days(0, 1, 7), days(0, 1, 7, 8),
     "min_work_week"),
    (Contract("c", max_work_total=timedelta(hours=16)), days(0, 3, 8), days(0, 8),
     "max_work_total"),
    (Contract("c", min_work_total=timedelta(hours=24)), days(0, 3), days(0, 3, 9),
     "min_work_total"),
    (Contract("c", max_shifts=2), days(0, 1, 2), days(0, 2), "max_shifts"),
    (Contract("c", max_shifts_per_template={"N": 1}), days(0, 2, tid="N"),
     days(0, tid="N") + days(2), "max_shifts_template"),
    (Contract("c", max_nights=1), days(0, 2, tid="N"), days(0, tid="N") + days(2),
     "max_nights"),
    # days 5 and 12 are Saturdays of two weekends; 5 and 6 one weekend
    (Contract("c", max_weekends=1), days(5, 12), days(5, 6), "max_weekends"),
])
def test_the_model_rejects_what_the_validator_rejects(
        contract: Contract, broken: list[Shift], kept: list[Shift], code: str) -> None:
    p = problem(days=14, templates=(DAY, NIGHT), contracts=(contract,))
    over = verify(contracts.FAMILY, p, broken)
    assert over.encoded is None
    assert code in over.violations
    within = verify(contracts.FAMILY, p, kept)
    assert within.encoded == 0
    assert within.penalty == {}
    assert within.violations == []


def test_a_cut_week_owes_its_pro_rata_minimum() -> None:
    # Wednesday to Sunday: 40 h × 5/7 = 28 h 34 min, more than three 8 h shifts
    p = problem(days=5, start=MONDAY + timedelta(days=2),
                contracts=(Contract("c", min_work_per_week=timedelta(hours=40)),))
    three = verify(contracts.FAMILY, p, days(0, 1, 2))
    assert three.encoded is None
    assert "min_work_week" in three.violations
    four = verify(contracts.FAMILY, p, days(0, 1, 2, 3))
    assert (four.encoded, four.violations) == (0, [])


def test_hours_weekly_maximum() -> None:
    p = problem(contracts=(Contract("c", max_work_per_week=timedelta(hours=24)),),
                requirements=EVERY_DAY)
    r = solve(p)
    assert len(r.assignments) == 3  # 3 × 8 h; every shift fills a need
    assert r.penalties["coverage_under"] == 4 * 100


def test_hours_total_minimum_forces_work_without_demand() -> None:
    p = problem(contracts=(Contract("c", min_work_total=timedelta(hours=16)),))
    r = solve(p)
    assert len(r.assignments) == 2


def test_hours_partial_week_minimum_is_pro_rata() -> None:
    friday = MONDAY + timedelta(days=4)
    # Fri–Sun is 3/7 of a week: 40 h × 3/7 = 17 h 8 min needs three 8 h shifts
    p = problem(days=3, start=friday,
                contracts=(Contract("c", min_work_per_week=timedelta(hours=40)),))
    assert len(solve(p).assignments) == 3


def test_counts_max_shifts_per_template_nights_and_weekends() -> None:
    night = template("N", 22, 8)
    p = problem(
        days=14, templates=(template("D"), night),
        contracts=(Contract("c", max_shifts=6, max_shifts_per_template={"D": 2},
                            max_nights=3, max_weekends=1),),
        requirements=tuple(need(d, 9) for d in range(14))
        + tuple(need(d, 23) for d in range(14)))
    r = solve(p)
    kinds = [s.template_id for s in r.assignments]
    assert kinds.count("D") <= 2 and kinds.count("N") <= 3
    weekend_weeks = {d // 7 for d in worked_days(r) if d % 7 >= 5}
    assert len(weekend_weeks) <= 1
    assert len(r.assignments) == 5  # D ×2 + N ×3: the caps, not max_shifts, bind

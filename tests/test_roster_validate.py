"""The independent roster validator: one case per violation code, on hand-made rosters."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from fieldops.domain.roster import (
    Activity,
    Contract,
    Roster,
    RosterAssignment,
    RosterProblem,
    RosterStatus,
    ShiftTemplate,
    Unavailability,
)
from fieldops.validators.roster import (
    RosterViolation,
    assert_roster_valid,
    validate_roster,
)
from roster_fixtures import MONDAY, agent, need, problem, solve, template

BRK = template("B", 8, 8, break_length=timedelta(hours=1), break_earliest=timedelta(hours=2),
               break_latest=timedelta(hours=5))
TEMPLATES = (template("D", 8, 8), template("E", 6, 8), template("N", 22, 8),
             template("L", 15, 8, forbidden_successors=frozenset({"E"})),
             template("W", 8, 8, days=frozenset(range(5))), BRK,
             template("X", 22, 10))  # a long night: ends at 08:00


def shift(p: RosterProblem, aid: str, day: int, tid: str, queue: str | None = "q",
          brk: int | None = None) -> RosterAssignment:
    """A correct-looking assignment (break ``brk`` hours after the start)."""
    tpl: ShiftTemplate = p.template_by_id[tid]
    d = p.start + timedelta(days=day)
    start = datetime.combine(d, tpl.start, tzinfo=UTC)
    end = start + tpl.length
    if tpl.break_length:
        b0 = start + timedelta(hours=brk if brk is not None else 3)
        b1 = b0 + tpl.break_length
        acts = (Activity(start, b0, "work", queue), Activity(b0, b1, "break"),
                Activity(b1, end, "work", queue))
        return RosterAssignment(aid, d, tid, start, end, b0, b1, acts)
    return RosterAssignment(aid, d, tid, start, end, activities=(Activity(start, end, "work",
                                                                          queue),))


def roster(shifts: list[RosterAssignment]) -> Roster:
    empty = pd.DataFrame(columns=["interval_start", "queue", "required", "staffed", "short",
                                  "over"])
    return Roster(RosterStatus.FEASIBLE, tuple(shifts), empty, {}, 0, 0.0)


def base(**contract: Any) -> RosterProblem:
    away = Unavailability(datetime(2026, 3, 4, 12, tzinfo=UTC),
                          datetime(2026, 3, 4, 13, tzinfo=UTC))
    a = agent("a", "q", days_off=frozenset({MONDAY + timedelta(days=5)}), unavailable=(away,))
    b = agent("b", "q", templates=frozenset({"D"}))
    return problem(days=14, agents=(a, b), templates=TEMPLATES,
                   contracts=(Contract("c", **contract),))


Case = tuple[str, dict[str, Any], Callable[[RosterProblem], list[RosterAssignment]]]

CASES: list[Case] = [
    ("unknown_agent", {}, lambda p: [dataclasses.replace(shift(p, "a", 0, "D"),
                                                         agent_id="zz")]),
    ("unknown_template", {}, lambda p: [dataclasses.replace(shift(p, "a", 0, "D"),
                                                            template_id="ZZ")]),
    ("outside_horizon", {}, lambda p: [shift(p, "a", 20, "D")]),
    ("shift_times", {}, lambda p: [dataclasses.replace(
        shift(p, "a", 0, "D"), start=datetime(2026, 3, 2, 9, tzinfo=UTC))]),
    ("template_day", {}, lambda p: [shift(p, "a", 6, "W")]),
    ("agent_template", {}, lambda p: [shift(p, "b", 0, "E")]),
    ("day_off", {}, lambda p: [shift(p, "a", 5, "D")]),
    ("unavailable", {}, lambda p: [shift(p, "a", 2, "D")]),
    ("break", {}, lambda p: [shift(p, "a", 0, "B", brk=6)]),
    ("break", {}, lambda p: [dataclasses.replace(
        shift(p, "a", 0, "B"), break_start=None, break_end=None,
        activities=(Activity(datetime(2026, 3, 2, 8, tzinfo=UTC),
                             datetime(2026, 3, 2, 16, tzinfo=UTC), "work", "q"),))]),
    ("activities", {}, lambda p: [dataclasses.replace(shift(p, "a", 0, "D"), activities=())]),
    ("queue", {}, lambda p: [shift(p, "a", 0, "D", queue="elsewhere")]),
    ("one_shift_per_day", {}, lambda p: [shift(p, "a", 0, "E"), shift(p, "a", 0, "N")]),
    ("overlap", {}, lambda p: [shift(p, "a", 0, "X"), shift(p, "a", 1, "E")]),
    ("min_rest", {"min_rest": timedelta(hours=11)},
     lambda p: [shift(p, "a", 0, "L"), shift(p, "a", 1, "D")]),
    ("forbidden_successor", {}, lambda p: [shift(p, "a", 0, "L"), shift(p, "a", 1, "E")]),
    ("max_work_week", {"max_work_per_week": timedelta(hours=8)},
     lambda p: [shift(p, "b", 0, "D"), shift(p, "b", 1, "D")]),
    ("min_work_week", {"min_work_per_week": timedelta(hours=8)},
     lambda p: [shift(p, "b", 0, "D")]),
    ("max_work_total", {"max_work_total": timedelta(hours=8)},
     lambda p: [shift(p, "b", 0, "D"), shift(p, "b", 1, "D")]),
    ("min_work_total", {"min_work_total": timedelta(hours=8)}, lambda p: []),
    ("max_shifts", {"max_shifts": 1}, lambda p: [shift(p, "b", 0, "D"), shift(p, "b", 1, "D")]),
    ("max_shifts_template", {"max_shifts_per_template": {"D": 1}},
     lambda p: [shift(p, "b", 0, "D"), shift(p, "b", 1, "D")]),
    ("max_nights", {"max_nights": 0}, lambda p: [shift(p, "a", 0, "N")]),
    ("max_weekends", {"max_weekends": 1},
     lambda p: [shift(p, "b", 5, "D"), shift(p, "b", 13, "D")]),
    ("max_consecutive_days", {"max_consecutive_days": 2},
     lambda p: [shift(p, "b", d, "D") for d in range(3)]),
    ("min_consecutive_days", {"min_consecutive_days": 2}, lambda p: [shift(p, "b", 3, "D")]),
    ("min_consecutive_days_off", {"min_consecutive_days_off": 2},
     lambda p: [shift(p, "b", 0, "D"), shift(p, "b", 2, "D")]),
]


@pytest.mark.parametrize(("code", "contract", "make"), CASES,
                         ids=[f"{c[0]}-{k}" for k, c in enumerate(CASES)])
def test_each_violation_code(code: str, contract: dict[str, Any],
                             make: Callable[[RosterProblem], list[RosterAssignment]]) -> None:
    p = base(**contract)
    violations = validate_roster(p, roster(make(p)))
    hard = {v.code for v in violations} - {"coverage_mismatch", "penalty_mismatch",
                                          "objective_mismatch"}
    assert hard == {code}, violations


def test_every_code_is_exercised_and_documented() -> None:
    import fieldops.validators.roster as module

    codes = {c[0] for c in CASES} | {"coverage_mismatch", "penalty_mismatch",
                                     "objective_mismatch"}
    doc = module.__doc__ or ""
    for code in codes:
        assert f"\n{code} " in doc


def _solved() -> tuple[RosterProblem, Roster]:
    p = problem(days=3, agents=(agent("a"), agent("b")), templates=(BRK,),
                requirements=tuple(need(d, h, required=1) for d in range(3) for h in (9, 12)))
    return p, solve(p)


def test_a_solver_roster_is_clean_and_claims_are_checked() -> None:
    p, r = _solved()
    assert validate_roster(p, r) == []
    bad_cov = r.coverage.copy()
    bad_cov.loc[0, "staffed"] += 1
    codes = {v.code for v in validate_roster(p, dataclasses.replace(r, coverage=bad_cov))}
    assert codes == {"coverage_mismatch"}
    lying = dataclasses.replace(r, penalties={**r.penalties, "coverage_under": 1})
    assert {v.code for v in validate_roster(p, lying)} == {"penalty_mismatch"}
    assert {v.code for v in validate_roster(p, dataclasses.replace(
        r, objective=r.objective + 1))} == {"objective_mismatch"}


def test_validator_catches_a_deliberately_broken_roster() -> None:
    p, r = _solved()
    first = r.assignments[0]
    moved = dataclasses.replace(first, break_start=first.start, break_end=first.start
                                + timedelta(hours=1))
    broken = dataclasses.replace(r, assignments=(moved, *r.assignments[1:]))
    with pytest.raises(AssertionError, match="break"):
        assert_roster_valid(p, broken)
    twice = dataclasses.replace(r, assignments=(*r.assignments, r.assignments[0]))
    codes = {v.code for v in validate_roster(p, twice)}
    assert {"one_shift_per_day", "overlap"} <= codes


def test_violation_carries_agent_and_day() -> None:
    p = base()
    (v,) = [x for x in validate_roster(p, roster([shift(p, "a", 5, "D")]))
            if x.code == "day_off"]
    assert isinstance(v, RosterViolation)
    assert (v.agent_id, v.day) == ("a", MONDAY + timedelta(days=5))

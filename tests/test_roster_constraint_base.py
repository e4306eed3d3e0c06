"""roster/constraints/base.py: what a constraint family is (hard or soft, its keys)."""

from __future__ import annotations

from fieldops.solver.roster.constraints import FAMILIES, HARD, SOFT
from fieldops.solver.roster.constraints.base import Family, no_penalty


def _add(m: object) -> None:
    return None


def test_a_family_without_explanations_is_hard() -> None:
    hard = Family("rest", _add, no_penalty, {})
    assert hard.hard and hard.keys == ()
    soft = Family("coverage", _add, no_penalty, {"coverage_under": "one head short",
                                                 "coverage_over": "one head too many"})
    assert not soft.hard and soft.keys == ("coverage_under", "coverage_over")


def test_a_hard_family_charges_nothing() -> None:
    assert no_penalty(None, None) == {}  # type: ignore[arg-type]
    assert all(f.penalty is no_penalty for f in HARD)


def test_the_registry_splits_hard_from_soft() -> None:
    assert HARD and SOFT
    assert [f for f in FAMILIES if f.hard] == HARD and [f for f in FAMILIES if not f.hard] == SOFT

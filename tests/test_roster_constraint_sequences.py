"""sequences (hard): runs of working days and of days off.

The model with the family alone must reject exactly the rosters the
independent validator rejects.
"""

from __future__ import annotations

import pytest

from fieldops.domain.roster import Contract, RosterWeights
from fieldops.solver.roster.constraints import sequences
from roster_fixtures import EVERY_DAY, need, problem, solve, worked_days

from roster_verifier import Shift, verify


def days(*ds: int) -> list[Shift]:
    return [("a", d, "D") for d in ds]


@pytest.mark.parametrize(("contract", "broken", "kept", "code"), [
    (Contract("c", max_consecutive_days=2), days(1, 2, 3), days(1, 2, 4, 5),
     "max_consecutive_days"),
    # an inner run of one day; runs touching the horizon's ends are free
    (Contract("c", min_consecutive_days=2), days(2, 4, 5), days(0, 3, 4, 6),
     "min_consecutive_days"),
    (Contract("c", min_consecutive_days_off=2), days(1, 3), days(0, 1, 4, 5),
     "min_consecutive_days_off"),
])
def test_the_model_rejects_what_the_validator_rejects(
        contract: Contract, broken: list[Shift], kept: list[Shift], code: str) -> None:
    p = problem(days=7, contracts=(contract,))
    bad = verify(sequences.FAMILY, p, broken)
    assert bad.encoded is None
    assert code in bad.violations
    good = verify(sequences.FAMILY, p, kept)
    assert (good.encoded, good.penalty, good.violations) == (0, {}, [])


def test_sequences_max_consecutive_days() -> None:
    p = problem(contracts=(Contract("c", max_consecutive_days=2),), requirements=EVERY_DAY)
    days = worked_days(solve(p))
    assert len(days) == 5  # e.g. 0 1 _ 3 4 _ 6
    assert not any(d + 1 in days and d + 2 in days for d in days)


def test_sequences_min_consecutive_days_inner_run() -> None:
    # demand only on Wednesday; a lone inner working day is forbidden, so the
    # agent works a run of at least 3 days around it
    p = problem(contracts=(Contract("c", min_consecutive_days=3),),
                requirements=(need(2, 9),), weights=RosterWeights(
                    over=0, fairness_weekends=0, fairness_nights=0, fairness_hours=0))
    days = worked_days(solve(p))
    assert 2 in days
    runs = _runs(days, 7)
    assert all(length >= 3 for start, length in runs if start > 0 and start + length < 7)


def test_sequences_runs_touching_the_horizon_are_free() -> None:
    zero = tuple(need(d, 9, required=0) for d in range(1, 7))  # working them costs "over"
    p = problem(contracts=(Contract("c", min_consecutive_days=3),),
                requirements=(need(0, 9), *zero))
    assert worked_days(solve(p)) == [0]  # a run on the first day may continue before it


def test_sequences_min_consecutive_days_off() -> None:
    # demand Mon, Wed, Fri, one day at a time; a single inner day off is forbidden
    p = problem(contracts=(Contract("c", min_consecutive_days_off=2, max_consecutive_days=1),),
                requirements=(need(0, 9), need(2, 9), need(4, 9)))
    r = solve(p)
    off = _runs([d for d in range(7) if d not in worked_days(r)], 7)
    assert all(length >= 2 for start, length in off if start > 0 and start + length < 7)
    assert r.penalties["coverage_under"] > 0  # cannot serve all three


def _runs(days: list[int], horizon: int) -> list[tuple[int, int]]:
    out, k = [], 0
    present = set(days)
    while k < horizon:
        if k in present:
            j = k
            while j in present:
                j += 1
            out.append((k, j - k))
            k = j
        else:
            k += 1
    return out

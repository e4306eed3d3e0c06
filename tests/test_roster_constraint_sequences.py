"""sequences (hard): runs of working days and of days off.

The model with the family alone must reject exactly the rosters the
independent validator rejects.
"""

from __future__ import annotations

import pytest

from fieldops.domain.roster import Contract
from fieldops.solver.roster.constraints import sequences
from roster_fixtures import problem

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

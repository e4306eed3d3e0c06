"""rest (hard): no overlap, minimum rest, forbidden successors.

The model with the family alone must reject exactly the rosters the
independent validator rejects.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from fieldops.domain.roster import Contract
from fieldops.solver.roster.constraints import rest
from roster_fixtures import need, problem, solve, template

from roster_verifier import Shift, verify

EARLY, LATE = template("E", 6, 8), template("L", 16, 8)  # L ends at midnight


def test_minimum_rest_between_a_late_and_the_next_early() -> None:
    # L on day 0 ends 24:00, E on day 1 starts 06:00: 6 h of rest
    p = problem(days=3, templates=(EARLY, LATE),
                contracts=(Contract("c", min_rest=timedelta(hours=11)),))
    short = verify(rest.FAMILY, p, [("a", 0, "L"), ("a", 1, "E")])
    assert short.encoded is None
    assert "min_rest" in short.violations
    ok = verify(rest.FAMILY, p, [("a", 0, "E"), ("a", 1, "L"), ("a", 2, "L")])
    assert (ok.encoded, ok.penalty, ok.violations) == (0, {}, [])


def test_no_overlap_even_without_a_minimum_rest() -> None:
    night = template("N", 20, 14)  # 20:00 to 10:00 the next day
    p = problem(days=2, templates=(EARLY, night))
    overlap = verify(rest.FAMILY, p, [("a", 0, "N"), ("a", 1, "E")])
    assert overlap.encoded is None
    assert "overlap" in overlap.violations


@pytest.mark.parametrize(("shifts", "ok"), [
    ([("a", 0, "L"), ("a", 1, "E")], False),
    ([("a", 0, "L"), ("a", 2, "E")], True),
])
def test_forbidden_successor(shifts: list[Shift], ok: bool) -> None:
    late = template("L", 16, 8, forbidden_successors=frozenset({"E"}))
    p = problem(days=3, templates=(EARLY, late))
    v = verify(rest.FAMILY, p, shifts)
    assert (v.encoded == 0) is ok
    assert ("forbidden_successor" in v.violations) is not ok


def test_rest_minimum_between_late_and_early() -> None:
    late, early = template("L", 15, 8), template("E", 6, 8)
    wants = (need(0, 16), need(1, 7))
    free = problem(days=2, templates=(late, early), requirements=wants)
    assert solve(free).penalties["coverage_under"] == 0
    rested = problem(days=2, templates=(late, early), requirements=wants,
                     contracts=(Contract("c", min_rest=timedelta(hours=11)),))
    assert solve(rested).penalties["coverage_under"] == 100


def test_rest_no_overlap_even_without_min_rest() -> None:
    night, early = template("N", 22, 10), template("E", 6, 8)  # night ends 08:00
    p = problem(days=2, templates=(night, early), requirements=(need(0, 23), need(1, 7)))
    r = solve(p)
    assert len(r.assignments) == 1


def test_rest_forbidden_successor() -> None:
    late = template("L", 14, 8, forbidden_successors=frozenset({"E"}))
    early = template("E", 6, 8)
    p = problem(days=2, templates=(late, early), requirements=(need(0, 15), need(1, 7)))
    assert len(solve(p).assignments) == 1

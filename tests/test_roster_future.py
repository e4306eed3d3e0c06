"""roster/future.py: the bound of what the days after a block can still give an
agent, from the state the block leaves (issue 20)."""

from __future__ import annotations

import itertools

from fieldops.domain.roster import Contract
from fieldops.solver.roster.context import RosterContext
from fieldops.solver.roster.future import NONE, most_after
from roster_fixtures import problem, template


def _contract(**kw: object) -> Contract:
    rules: dict[str, object] = dict(
        max_consecutive_days=5, min_consecutive_days=2, min_consecutive_days_off=2,
        max_weekends=2, min_work_total=None, max_work_total=None,
        max_shifts_per_template={})
    rules.update(kw)
    return Contract("c", **rules)  # type: ignore[arg-type]


def _brute(n: int, d: int, rules: Contract, weekends: set[int]) -> dict[tuple[int, int, int], int]:
    """Per (trailing run worked, trailing run off, weekends worked) at day ``d``: the
    most days worked from ``d`` on over every valid pattern of ``n`` days."""
    k, on_min, off_min = (rules.max_consecutive_days, rules.min_consecutive_days,
                          rules.min_consecutive_days_off)
    assert k and on_min and off_min and rules.max_weekends is not None
    best: dict[tuple[int, int, int], int] = {}
    for bits in itertools.product((0, 1), repeat=n):
        runs = [(v, len(list(g))) for v, g in itertools.groupby(bits)]
        inner = runs[1:-1]
        if any(v and size > k for v, size in runs) or any(
                size < (on_min if v else off_min) for v, size in inner):
            continue
        worked = {w // 7 for w in weekends if bits[w]}
        if len(worked) > rules.max_weekends:
            continue
        r = next((j for j in range(d) if not bits[d - 1 - j]), d)
        o = next((j for j in range(d) if bits[d - 1 - j]), d)
        key = (min(r, max(k, on_min)), min(o, off_min), len({w // 7 for w in weekends
                                                            if w < d and bits[w]}))
        best[key] = max(best.get(key, 0), sum(bits[d:]))
    return best


def test_the_bound_of_the_days_after_is_exact_for_the_day_rules() -> None:
    rules = _contract(max_consecutive_days=3, max_weekends=1, min_work_total=None,
                      max_work_total=None, max_shifts_per_template={})
    n, d = 14, 7
    p = problem(days=n, templates=(template("D", 8, 1),), contracts=(rules,))
    table = most_after(RosterContext(p), 0, [d])[d]
    weekends = {w for w in range(n) if w % 7 >= 5}
    brute = _brute(n, d, rules, weekends)
    assert {w for _r, _o, w in brute} == {0, 1}
    for (r, o, w), most in brute.items():
        assert table[r, o, w] == 60 * most  # one hour a day
    assert table[0, 0, 0] == NONE  # a day that neither follows work nor rest

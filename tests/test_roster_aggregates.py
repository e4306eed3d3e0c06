"""roster/aggregates.py: the counts a concrete roster is priced from."""

from __future__ import annotations

from fieldops.solver.roster.aggregates import Aggregates
from fieldops.solver.roster.plan import from_shifts
from fieldops.solver.roster.solve import build_model
from roster_fixtures import agent, need, problem, template


def test_counts_of_one_agent_on_one_shift() -> None:
    # a works 08:00-12:00 on day 1 serving q; rows exist at 09:00 and 13:00 only.
    p = problem(days=2, agents=(agent("a"), agent("b")), templates=(template("D", 8, 4),),
                requirements=(need(1, 9), need(1, 13)))
    m, _ = build_model(p)
    a, t = 0, 0
    agg = from_shifts(m, {(a, 1, t): "q"})
    assert isinstance(agg, Aggregates)
    [(who, slot, group)] = agg.chosen
    assert ((who, slot.d, slot.t) == (a, 1, t) and ("q", 0) in group) or group
    assert sum(agg.assigned.values()) == 1
    assert agg.assigned[(1, t, group, "q")] == 1
    rows = {i: n for (i, q), n in agg.staffed.items() if q == "q"}
    nine = m.ctx.row_interval[0]
    assert rows == {nine: 1}  # 13:00 is after the shift; other hours have no row


def test_an_empty_roster_counts_nothing() -> None:
    p = problem(days=1, requirements=(need(0, 9),))
    m, _ = build_model(p)
    agg = from_shifts(m, {})
    assert agg.chosen == [] and not any(agg.assigned.values())
    assert not any(agg.staffed.values())
    assert all(not any(c) for c in agg.break_counts.values())

"""roster/extract.py: named assignments and activities from the model's counts."""

from __future__ import annotations

from fieldops.validators.roster import assert_roster_valid
from roster_fixtures import agent, need, problem, solve


def test_multi_skilled_agents_are_assigned_where_needed() -> None:
    # a serves x or y, b only x; needing one on each, a must take y
    p = problem(days=1, agents=(agent("a", "x", "y"), agent("b", "x")), queues=("x", "y"),
                requirements=(need(0, 9, "x"), need(0, 9, "y")))
    r = solve(p)
    assert r.penalties["coverage_under"] == 0
    at_nine = need(0, 9).start
    served = {s.agent_id: {a.queue for a in s.activities
                           if a.kind == "work" and a.start <= at_nine < a.end}
              for s in r.assignments}
    assert served == {"a": {"y"}, "b": {"x"}}


def test_a_multi_skilled_agent_changes_queue_where_demand_moves() -> None:
    """One agent, one 8-hour shift without a break, x needed 08-12 and y 12-16: the
    queue changes at noon, so nothing is short (one queue per shift left 4 short)."""
    p = problem(days=1, agents=(agent("a", "x", "y"),), queues=("x", "y"),
                requirements=tuple(need(0, h, "x" if h < 12 else "y") for h in range(8, 16)))
    r = solve(p)
    assert_roster_valid(p, r)
    assert r.short == 0 and r.penalties["coverage_under"] == 0
    (shift,) = r.assignments
    stretches = [(a.start.hour, a.end.hour, a.queue) for a in shift.activities]
    assert stretches == [(8, 12, "x"), (12, 16, "y")]

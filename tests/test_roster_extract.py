"""roster/extract.py: named assignments and activities from the model's counts."""

from __future__ import annotations

from roster_fixtures import agent, need, problem, solve


def test_multi_skilled_agents_are_assigned_where_needed() -> None:
    # a serves x or y, b only x; needing one on each, a must take y
    p = problem(days=1, agents=(agent("a", "x", "y"), agent("b", "x")), queues=("x", "y"),
                requirements=(need(0, 9, "x"), need(0, 9, "y")))
    r = solve(p)
    assert r.penalties["coverage_under"] == 0
    served = {s.agent_id: {a.queue for a in s.activities if a.kind == "work"}
              for s in r.assignments}
    assert served == {"a": {"y"}, "b": {"x"}}

"""solver/live/diff.py: per technician, jobs added, removed and re-timed."""

from __future__ import annotations

from datetime import timedelta

from fieldops.solver.dispatch.solve import evaluate_routes
from fieldops.solver.live import plan_diff

from line_world import t
from live_fixtures import Day


def test_diff_names_added_removed_retimed_and_who_must_be_told() -> None:
    d = Day()
    # A2 moves to B; A3 starts earlier on A (09:30 -> 08:50); B keeps B1 and B2.
    other = evaluate_routes(d.problem, {"S-A": ["A1", "A3"], "S-B": ["B1", "A2", "B2"]})
    diff = plan_diff(d.published, other, tolerance=timedelta(minutes=10))
    a, b = diff.for_technician("A"), diff.for_technician("B")
    assert a is not None and b is not None
    assert a.removed == ("A2",) and a.added == ()
    assert [(r.request_id, r.old, r.new) for r in a.retimed] == [("A3", t(90), t(60))]
    assert [rid for rid, _ in b.added] == ["A2"]
    assert diff.notify == ("A", "B")
    assert diff.reassigned == 1
    assert "A: -A2, A3 09:30→09:00" in diff.summary()


def test_retiming_within_the_tolerance_is_not_a_change() -> None:
    d = Day()
    assert plan_diff(d.published, d.published).empty
    other = evaluate_routes(d.problem, {"S-A": ["A1", "A3"], "S-B": ["B1", "B2"]})
    # A3 30 min earlier, exactly the tolerance: only A2's removal is news.
    diff = plan_diff(d.published, other, tolerance=timedelta(minutes=30))
    a = diff.for_technician("A")
    assert a is not None and a.retimed == () and a.removed == ("A2",)
    assert plan_diff(d.published, other, tolerance=timedelta(minutes=5)).retimed == 1


def test_ignored_requests_are_left_out() -> None:
    d = Day()
    other = evaluate_routes(d.problem, {"S-A": ["A2", "A3"], "S-B": ["B1", "B2"]})
    # A2 now first, 30 min earlier than published.
    assert plan_diff(d.published, other, ignore={"A1"},
                     tolerance=timedelta(minutes=10)).notify == ("A",)
    assert plan_diff(d.published, other, ignore={"A1", "A2"},
                     tolerance=timedelta(hours=2)).empty

"""solver/live/move.py: a dispatcher's move of one job onto a technician."""

from __future__ import annotations

import dataclasses

from fieldops.domain import Skill
from fieldops.solver.live import current_plan, move_job, replan_problem
from fieldops.validators.dispatch import assert_valid
from fieldops.validators.live import assert_live_valid

from line_world import t
from live_fixtures import Day, starts


def _live(d: Day, minute: float):  # type: ignore[no-untyped-def]
    day = d.live(minute)
    built = replan_problem(day)
    plan = current_plan(built)
    return day, built.problem, plan


def test_move_pins_the_job_on_the_technician_and_keeps_other_routes() -> None:
    d = Day()
    day, problem, plan = _live(d, 0)
    result = move_job(problem, plan, "A3", "B")
    assert result.ok and result.plan is not None and result.diff is not None
    assert_valid(result.problem, result.plan)
    assert_live_valid(day, result.plan)
    after = starts(result.plan)
    assert after["A3"][0] == "B"
    assert result.problem.request_by_id["A3"].pinned_technician == "B"
    # Nobody but A (who lost it) and B (who got it) is told; other jobs keep their tech.
    assert set(result.diff.notify) == {"A", "B"}
    assert {k: v[0] for k, v in after.items()} == {
        "A1": "A", "A2": "A", "A3": "B", "B1": "B", "B2": "B"}
    # B's own jobs are never pulled earlier than they were.
    before = starts(plan)
    for rid in ("B1", "B2"):
        assert after[rid][1] >= before[rid][1]


def test_move_at_a_start_outside_the_window_says_so_in_plain_words() -> None:
    d = Day()
    _, problem, plan = _live(d, 0)
    result = move_job(problem, plan, "A2", "B", start=t(450))  # windows close at minute 400
    assert not result.ok and result.plan is None
    assert [v.code for v in result.violations] == ["after_window"]
    assert result.violations[0].message == "would start after the window closes"


def test_move_to_a_technician_without_the_skill_names_it() -> None:
    d = Day()
    _, problem, plan = _live(d, 0)
    needs = dataclasses.replace(problem.request_by_id["A1"],
                                required_skills=(Skill("hvac", 2),))
    problem = dataclasses.replace(problem, requests=tuple(
        needs if r.id == "A1" else r for r in problem.requests))
    result = move_job(problem, plan, "A1", "B")
    assert not result.ok
    assert result.violations[0].message == "B lacks skill hvac level 2"


def test_move_with_no_room_on_the_route_is_refused() -> None:
    d = Day()
    _, problem, plan = _live(d, 0)
    # B1 starts 08:10; pinning A1 to start on B at 08:10 too cannot fit.
    result = move_job(problem, plan, "A1", "B", start=starts(plan)["B1"][1])  # type: ignore[arg-type]
    assert not result.ok
    assert result.violations[0].code == "no_room"

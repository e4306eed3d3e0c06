"""solver/live/replan.py: the current plan and re-planning the rest of a live day."""

from __future__ import annotations

from fieldops.domain.live import (
    Delay,
    JobStatus,
    StatusReport,
    Unavailability,
)
from fieldops.solver.dispatch import SolveParams
from fieldops.solver.live import current_plan, replan, replan_problem
from fieldops.validators.dispatch import assert_valid
from fieldops.validators.live import assert_live_valid

from line_world import t
from live_fixtures import Day, starts

OVERRUN = [StatusReport("A1", JobStatus.ON_SITE, t(10)), StatusReport("A1", JobStatus.DONE, t(40)),
           StatusReport("A2", JobStatus.ON_SITE, t(50)), Delay("A2", t(100), t(70)),
           StatusReport("B1", JobStatus.ON_SITE, t(10)), StatusReport("B1", JobStatus.DONE, t(40))]


def test_current_plan_keeps_everyone_at_their_expected_start() -> None:
    d = Day()
    day = d.live(75, OVERRUN)
    built = replan_problem(day)
    plan = current_plan(built)
    assert_valid(built.problem, plan)
    assert_live_valid(day, plan)
    assert starts(plan) == {"A3": ("A", t(110)), "B2": ("B", t(95))}


def test_replan_with_nothing_changed_changes_nothing() -> None:
    d = Day()
    day = d.live(0)
    result = replan(day, solve_params=SolveParams(time_limit=1))
    assert_valid(result.problem, result.plan)
    assert_live_valid(day, result.plan)
    assert result.diff.empty
    assert result.plan.penalties["disruption"] == 0.0


def test_replan_after_an_illness_moves_only_the_released_job() -> None:
    d = Day()
    # Only B2 (whose technician is ill) changes hands; A's frozen and baselined
    # jobs stay where they were published.
    day = d.live(60, [StatusReport("B1", JobStatus.DONE, t(40)),
                      Unavailability("B", t(60), None, "ill", t(55))])
    result = replan(day, solve_params=SolveParams(time_limit=1))
    assert_valid(result.problem, result.plan)
    assert_live_valid(day, result.plan)
    moved = {rid for tech in result.diff.technicians for rid in tech.removed}
    assert moved == {"B2"}

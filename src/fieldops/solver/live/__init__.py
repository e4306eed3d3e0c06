"""The live day: re-planning with freeze and minimal disruption, emergency
insertion, ETAs and the diff against the published plan (docs/live-day.md).

Pure functions over :mod:`fieldops.domain.live`; the disruption cost itself is a
constraint family of the dispatch model (``solver/dispatch/constraints/disruption.py``).
"""

from fieldops.solver.live.diff import PlanDiff, Retimed, TechnicianDiff, plan_diff
from fieldops.solver.live.eta import Expected, RouteState, etas, expected_ends, live_routes
from fieldops.solver.live.insert import Insertion, InsertMode, InsertParams, insert_job
from fieldops.solver.live.move import Move, MoveViolation, move_job
from fieldops.solver.live.problem import Replan, replan_problem
from fieldops.solver.live.replan import ReplanResult, current_plan, replan

__all__ = [
    "Expected",
    "InsertMode",
    "InsertParams",
    "Insertion",
    "Move",
    "MoveViolation",
    "PlanDiff",
    "Replan",
    "ReplanResult",
    "Retimed",
    "RouteState",
    "TechnicianDiff",
    "current_plan",
    "etas",
    "expected_ends",
    "insert_job",
    "live_routes",
    "move_job",
    "plan_diff",
    "replan",
    "replan_problem",
]

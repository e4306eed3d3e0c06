"""Re-plan the rest of a live day: the plan as it stands, a solve, and the diff.

:func:`current_plan` is the published plan carried over to the re-planning
problem: every technician's remaining published jobs in order at their expected
starts (:mod:`.eta`), timed by the route evaluator (jobs that no longer fit, and
released or new jobs, are listed unassigned). It is the live plan emergency
insertion starts from, and the plan a re-plan must beat.

:func:`replan` solves the re-planning problem with the disruption family active
(the baselines are on its requests) and keeps the cheaper of that plan and the
current one, so a re-plan never costs more than standing still.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from fieldops.domain.live import LiveDay, LiveParams
from fieldops.domain.plan import DispatchPlan, Unassigned, UnassignedReason
from fieldops.domain.problem import DispatchProblem
from fieldops.solver.dispatch.params import SolveParams
from fieldops.solver.dispatch.solve import evaluate_routes, solve_dispatch
from fieldops.solver.live.diff import DEFAULT_TOLERANCE, PlanDiff, plan_diff
from fieldops.solver.live.problem import Replan, replan_problem

NO_LONGER_FITS = "does not fit the current plan (released, new or pushed out)"
# Reasons the pinned evaluation may give that the real problem would contradict.
_FROM_PINS = {UnassignedReason.PIN_INFEASIBLE, UnassignedReason.OUTSIDE_ALL_SHIFTS,
              UnassignedReason.UNREACHABLE_IN_TIME,
              UnassignedReason.REQUIRED_TECHNICIAN_UNAVAILABLE}


def current_plan(replan: Replan) -> DispatchPlan:
    """The published plan carried over to ``replan.problem`` (see the module)."""
    problem = replan.problem
    expected = replan.expected
    routes: dict[str, list[str]] = {}
    pinned = []
    held_on: dict[str, str] = {}
    for route in replan.day.published.routes:
        if route.shift_id not in problem.shift_by_id:
            continue
        ids = [rid for rid in route.request_ids
               if rid in problem.request_by_id and rid not in replan.released]
        routes[route.shift_id] = ids
        for rid in ids:
            held_on[rid] = route.technician_id
    for req in problem.requests:
        if req.id in held_on and req.id in expected:
            req = dataclasses.replace(req, pinned_technician=held_on[req.id],
                                      pinned_start=expected[req.id].start)
        pinned.append(req)
    held = dataclasses.replace(problem, requests=tuple(pinned))
    plan = evaluate_routes(held, routes)
    unassigned = tuple(
        Unassigned(u.request_id, u.priority, UnassignedReason.NOT_ENOUGH_CAPACITY,
                   NO_LONGER_FITS)
        if u.reason in _FROM_PINS and u.request_id in held_on else u
        for u in plan.unassigned)
    return dataclasses.replace(plan, unassigned=unassigned)


@dataclass(frozen=True)
class ReplanResult:
    """The re-plan of a live day: its problem, plan, and diff against the published
    plan (work done or under way left out); ``kept_current``: the solve found
    nothing cheaper than the current plan."""

    replan: Replan
    plan: DispatchPlan
    diff: PlanDiff
    kept_current: bool

    @property
    def problem(self) -> DispatchProblem:
        return self.replan.problem


def replan(day: LiveDay, params: LiveParams | None = None,
           solve_params: SolveParams | None = None) -> ReplanResult:
    """Re-plan the rest of ``day`` (see the module docstring)."""
    built = replan_problem(day, params)
    current = current_plan(built)
    solved = solve_dispatch(built.problem, solve_params or SolveParams(time_limit=5))
    keep = current.objective <= solved.objective
    best = current if keep else solved
    tolerance = built.problem.weights.retime_tolerance or DEFAULT_TOLERANCE
    return ReplanResult(built, best, plan_diff(day.published, best, tolerance,
                                               ignore=day.history()), keep)

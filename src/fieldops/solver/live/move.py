"""A dispatcher's move: pin one job on a technician (optionally at a start), re-time
the rest of that technician's route, and say in plain words when it cannot be done.

:func:`move_job` works on a live plan (a plan of the re-planning problem, as
:func:`~fieldops.solver.live.current_plan` or an insertion gives it). The job
leaves its route; on the technician's shifts every position is timed exactly by
the route evaluator (:func:`~fieldops.solver.dispatch.solve.evaluate_routes`) on
a sub-problem of the routes concerned, in which the other jobs keep their
technician and may start no earlier than they do now (a move never pulls work
forward past what customers were told). The cheapest position that keeps every
job of those routes wins; nothing else in the plan changes. When no position
works, :attr:`Move.violations` says why (a skill lacking, the window closing
before the asked start, no room on the route).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from datetime import datetime

from fieldops.domain.plan import DispatchPlan, Route, Unassigned
from fieldops.domain.problem import DispatchProblem
from fieldops.domain.requests import ServiceRequest
from fieldops.domain.resources import Shift
from fieldops.domain.timewindow import TimeWindow
from fieldops.solver.dispatch.extract import _plan_kpis
from fieldops.solver.dispatch.solve import evaluate_routes
from fieldops.solver.live.diff import DEFAULT_TOLERANCE, PlanDiff, plan_diff


@dataclass(frozen=True, slots=True)
class MoveViolation:
    """Why a move cannot be made: a code and the sentence a dispatcher reads."""

    code: str
    message: str


@dataclass(frozen=True)
class Move:
    """The plan with the job moved (``plan`` is ``None`` when it cannot be), its
    diff against the input plan, the shift that took it, and why not otherwise."""

    problem: DispatchProblem
    plan: DispatchPlan | None
    diff: PlanDiff | None
    shift_id: str | None
    violations: tuple[MoveViolation, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        return self.plan is not None


def _held(req: ServiceRequest, tech: str, start: datetime) -> ServiceRequest:
    """``req`` kept on ``tech``, starting no earlier than ``start``."""
    if req.pinned_start is not None:
        return dataclasses.replace(req, pinned_technician=tech)
    windows = tuple(TimeWindow(max(w.start, start), w.end) for w in req.windows
                    if w.end >= start) if req.windows else ()
    return dataclasses.replace(req, pinned_technician=tech, windows=windows)


def _pinned(req: ServiceRequest, tech: str, start: datetime | None) -> ServiceRequest:
    return dataclasses.replace(req, pinned_technician=tech, pinned_start=start,
                               required_technicians=(), preferred_technicians=())


def _routes_of(plan: DispatchPlan, shift_ids: set[str]) -> dict[str, list[str]]:
    return {r.shift_id: list(r.request_ids) for r in plan.routes if r.shift_id in shift_ids}


def _sub_problem(problem: DispatchProblem, plan: DispatchPlan, shifts: list[Shift],
                 moved: ServiceRequest) -> DispatchProblem:
    held = [moved]
    for route in plan.routes:
        if route.shift_id not in {s.id for s in shifts}:
            continue
        for step in route.jobs:
            assert step.request_id is not None
            if step.request_id != moved.id:
                held.append(_held(problem.request_by_id[step.request_id],
                                  route.technician_id, step.start))
    return dataclasses.replace(problem, shifts=tuple(shifts), requests=tuple(held))


def _reasons(problem: DispatchProblem, req: ServiceRequest, tech_id: str,
             start: datetime | None) -> list[MoveViolation]:
    """Plain-word reasons a move onto ``tech_id`` is impossible whatever the order."""
    out: list[MoveViolation] = []
    tech = problem.technician_by_id.get(tech_id)
    if tech is None:
        return [MoveViolation("unknown_technician", f"{tech_id} does not work today")]
    for skill in req.required_skills:
        if tech.skill_level(skill.name) < skill.level:
            out.append(MoveViolation("missing_skill",
                                     f"{tech_id} lacks skill {skill.name} level {skill.level}"))
    if tech_id in req.excluded_technicians:
        out.append(MoveViolation("excluded", f"{req.id} excludes {tech_id}"))
    if req.required_technicians and tech_id not in req.required_technicians:
        out.append(MoveViolation("not_required", f"{req.id} requires one of "
                                 f"{', '.join(req.required_technicians)}"))
    shifts = [s for s in problem.shifts if s.technician_id == tech_id]
    if not shifts:
        out.append(MoveViolation("no_shift", f"{tech_id} has no working time left today"))
    if start is not None:
        if req.windows and all(start > w.end for w in req.windows):
            out.append(MoveViolation("after_window", "would start after the window closes"))
        elif req.windows and not any(w.contains(start) for w in req.windows):
            out.append(MoveViolation("outside_window", "would start outside its windows"))
        if shifts and not any(s.start <= start <= s.latest_end for s in shifts):
            out.append(MoveViolation("outside_shift", f"{tech_id} does not work at "
                                     f"{start.astimezone(problem.tz):%H:%M}"))
    return out


def _without(plan: DispatchPlan, request_id: str) -> dict[str, list[str]]:
    return {r.shift_id: [rid for rid in r.request_ids if rid != request_id]
            for r in plan.routes}


def _best(sub: DispatchProblem, base: dict[str, list[str]], targets: list[Shift],
          moved: str) -> tuple[DispatchPlan, str] | None:
    """The cheapest evaluated plan of ``sub`` with ``moved`` on one of ``targets`` and
    no job of the routes dropped."""
    wanted = {rid for ids in base.values() for rid in ids} | {moved}
    best: tuple[DispatchPlan, str] | None = None
    for shift in targets:
        route = base.get(shift.id, [])
        for k in range(len(route) + 1):
            trial = {**base, shift.id: [*route[:k], moved, *route[k:]]}
            plan = evaluate_routes(sub, trial)
            placed = {rid for r in plan.routes for rid in r.request_ids}
            if placed >= wanted and (best is None or plan.objective < best[0].objective):
                best = (plan, shift.id)
    return best


def _splice(problem: DispatchProblem, plan: DispatchPlan, evaluated: DispatchPlan,
            shift_ids: set[str], before: DispatchPlan, moved: str) -> DispatchPlan:
    """``plan`` with the routes of ``shift_ids`` taken from ``evaluated``; the
    objective and penalties moved by what the change cost on the sub-problem."""
    routes: list[Route] = [r for r in plan.routes if r.shift_id not in shift_ids]
    routes += [r for r in evaluated.routes if r.shift_id in shift_ids and r.steps]
    order = {r.shift_id: i for i, r in enumerate(plan.routes)}
    routes.sort(key=lambda r: order.get(r.shift_id, len(order)))
    unassigned: tuple[Unassigned, ...] = tuple(u for u in plan.unassigned
                                               if u.request_id != moved)
    penalties = dict(plan.penalties)
    for key, value in evaluated.penalties.items():
        penalties[key] = penalties.get(key, 0.0) + value - before.penalties.get(key, 0.0)
    return dataclasses.replace(
        plan, routes=tuple(routes), unassigned=unassigned, penalties=penalties,
        kpis=_plan_kpis(problem, routes, list(unassigned)),
        objective=plan.objective + evaluated.objective - before.objective)


def move_job(problem: DispatchProblem, plan: DispatchPlan, request_id: str,
             technician_id: str, start: datetime | None = None) -> Move:
    """Move ``request_id`` onto ``technician_id`` (at ``start`` when given) in
    ``plan``, a plan of ``problem``; see the module docstring."""
    began = time.perf_counter()
    req = problem.request_by_id[request_id]
    reasons = _reasons(problem, req, technician_id, start)
    if reasons:
        return Move(problem, None, None, None, tuple(reasons), time.perf_counter() - began)
    targets = [s for s in problem.shifts if s.technician_id == technician_id]
    origin = next((r.shift_id for r in plan.routes if request_id in r.request_ids), None)
    concerned = {s.id for s in targets} | ({origin} if origin else set())
    shifts = [s for s in problem.shifts if s.id in concerned]
    moved = _pinned(req, technician_id, start)
    sub = _sub_problem(problem, plan, shifts, moved)
    base = {sid: ids for sid, ids in _without(plan, request_id).items() if sid in concerned}
    before = evaluate_routes(_sub_problem(problem, plan, shifts, req),
                             _routes_of(plan, concerned))
    found = _best(sub, base, targets, request_id)
    if found is None:
        why = MoveViolation("no_room", f"no position on {technician_id}'s route keeps every "
                            "job in its window" + (" at that start" if start else ""))
        return Move(problem, None, None, None, (why,), time.perf_counter() - began)
    evaluated, shift_id = found
    pinned = dataclasses.replace(problem, requests=tuple(
        moved if r.id == request_id else r for r in problem.requests))
    new_plan = _splice(pinned, plan, evaluated, concerned, before, request_id)
    return Move(pinned, new_plan, plan_diff(plan, new_plan, DEFAULT_TOLERANCE), shift_id, (),
                time.perf_counter() - began)


__all__ = ["Move", "MoveViolation", "move_job"]

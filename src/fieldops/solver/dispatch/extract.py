"""Turn the solver's assignment into a self-explaining DispatchPlan.

Times come from the solver's start-of-service values; arrivals, waits and the
break's position are fixed by :func:`.schedule.time_route`, and every cost is the
constraint modules' own (:func:`.schedule.price_route`), in real units, so the plan
reads the same way the independent validator recomputes it. The plan's
``penalties`` keep their JSON keys; :data:`.constraints.PLAN_KEYS` names the module
behind each.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from fieldops.domain.plan import (
    DispatchPlan,
    PlanKPIs,
    PlanStatus,
    Route,
    RouteKPIs,
    Step,
    StepKind,
    Unassigned,
)
from fieldops.domain.problem import DispatchProblem
from fieldops.domain.requests import Priority, ServiceRequest
from fieldops.solver.dispatch.constraints import (
    MODULE_KEYS,
    PLAN_KEYS,
    disruption,
    priority,
    sla,
)
from fieldops.solver.dispatch.schedule import price_route, time_route
from fieldops.solver.dispatch.timed import (
    ZERO,
    Legs,
    Penalty,
    RawRoute,
    TimedRoute,
    TimedStop,
)

__all__ = ["ZERO", "Legs", "RawRoute", "build_plan"]


def _break_of(timed: TimedRoute) -> tuple[datetime, datetime] | None:
    """The route's lunch break as ``(start, end)``, or ``None``."""
    lunch = timed.shift.lunch
    if lunch is None or timed.break_start is None:
        return None
    return timed.break_start, timed.break_start + lunch.duration


def _wait(stop: TimedStop, lunch: tuple[datetime, datetime] | None) -> timedelta:
    """Idle time before ``stop``'s service: ``start - arrival`` less the part of it
    spent on the lunch break (lunch taken on site while waiting for a window is a
    break, not waiting; the break has its own step and ``break_time``)."""
    if lunch is None:
        return stop.wait
    overlap = min(stop.start, lunch[1]) - max(stop.arrival, lunch[0])
    return stop.wait - max(ZERO, overlap)


def _steps(problem: DispatchProblem, timed: TimedRoute) -> list[Step]:
    """The route's steps: start, one per job, end, and the break where it goes."""
    tz = problem.tz
    shift = timed.shift
    lunch = _break_of(timed)
    steps = [Step(kind=StepKind.START, start=timed.departure.astimezone(tz),
                  end=timed.departure.astimezone(tz), arrival=timed.departure.astimezone(tz),
                  location=problem.shift_start_location(shift))]
    for stop in timed.stops:
        req = stop.request
        deadline = problem.sla_deadline(req)
        lateness = max(ZERO, stop.start - deadline) if deadline is not None else ZERO
        steps.append(Step(
            kind=StepKind.JOB, request_id=req.id, location=req.location,
            arrival=stop.arrival.astimezone(tz), wait=_wait(stop, lunch),
            start=stop.start.astimezone(tz), end=stop.end.astimezone(tz),
            travel_time=stop.travel, travel_distance=stop.distance,
            sla_deadline=deadline.astimezone(tz) if deadline is not None else None,
            sla_lateness=lateness,
        ))
    steps.append(Step(kind=StepKind.END, start=timed.end.astimezone(tz),
                      end=timed.end.astimezone(tz), arrival=timed.end.astimezone(tz),
                      location=problem.shift_end_location(shift),
                      travel_time=timed.last_travel, travel_distance=timed.last_distance))
    if shift.lunch is not None and timed.break_start is not None:
        at = timed.break_start
        steps.insert(timed.break_position, Step(
            kind=StepKind.BREAK, start=at.astimezone(tz),
            end=(at + shift.lunch.duration).astimezone(tz), arrival=at.astimezone(tz)))
    return steps


def _route(problem: DispatchProblem, timed: TimedRoute, priced: list[Penalty]) -> Route:
    """The plan's route: its steps and KPIs, its cost the sum of ``priced``."""
    shift = timed.shift
    service = ZERO
    wait = ZERO
    sla_met = sla_breached = 0
    lunch_at = _break_of(timed)
    for stop in timed.stops:
        service += stop.request.duration
        wait += _wait(stop, lunch_at)
        deadline = problem.sla_deadline(stop.request)
        if deadline is not None:
            if stop.start > deadline:
                sla_breached += 1
            else:
                sla_met += 1
    lunch = shift.lunch.duration if shift.lunch is not None else ZERO
    available = (shift.end - shift.start) - lunch
    cost = 0.0
    for penalty in priced:
        cost += penalty.cost
    return Route(
        shift_id=shift.id, technician_id=timed.technician.id,
        steps=tuple(_steps(problem, timed)),
        kpis=RouteKPIs(
            jobs=len(timed.stops), service_time=service, travel_time=timed.travel_time,
            travel_distance=timed.travel_distance, wait_time=wait, break_time=lunch,
            overtime=timed.overtime, span=timed.span,
            utilisation=service / available if available > ZERO else 0.0,
            sla_met=sla_met, sla_breached=sla_breached, cost=cost,
        ),
    )


def _plan_kpis(problem: DispatchProblem, routes: list[Route], unassigned: list[Unassigned]
               ) -> PlanKPIs:
    assigned_by: dict[Priority, int] = {p: 0 for p in Priority}
    unassigned_by: dict[Priority, int] = {p: 0 for p in Priority}
    for route in routes:
        for step in route.jobs:
            assert step.request_id is not None
            assigned_by[problem.request_by_id[step.request_id].priority] += 1
    for u in unassigned:
        unassigned_by[u.priority] += 1
    total_available = sum(
        ((s.end - s.start) - (s.lunch.duration if s.lunch else ZERO) for s in problem.shifts),
        ZERO,
    )
    service = sum((r.kpis.service_time for r in routes), ZERO)
    return PlanKPIs(
        jobs_total=len(problem.requests),
        jobs_assigned=sum(r.kpis.jobs for r in routes),
        assigned_by_priority=assigned_by,
        unassigned_by_priority=unassigned_by,
        travel_time=sum((r.kpis.travel_time for r in routes), ZERO),
        travel_distance=sum(r.kpis.travel_distance for r in routes),
        service_time=service,
        wait_time=sum((r.kpis.wait_time for r in routes), ZERO),
        overtime=sum((r.kpis.overtime for r in routes), ZERO),
        utilisation=service / total_available if total_available > ZERO else 0.0,
        routes_used=len(routes),
        sla_met=sum(r.kpis.sla_met for r in routes),
        sla_breached=sum(r.kpis.sla_breached for r in routes),
    )


def build_plan(
    problem: DispatchProblem,
    raw_routes: list[RawRoute],
    leg: Callable[[tuple[str, object], tuple[str, object]], Legs],
    unassigned: list[Unassigned],
    status: PlanStatus,
    solve_time: timedelta,
    travel_bound: float,
    solver_info: dict[str, object],
) -> DispatchPlan:
    """Assemble the plan; ``leg(a, b)`` returns the :class:`Legs` between two node
    keys (see :func:`.schedule.time_route`)."""
    penalties = dict.fromkeys(PLAN_KEYS, 0.0)
    routes: list[Route] = []
    late: list[ServiceRequest] = []
    for raw in raw_routes:
        timed = time_route(problem, raw, leg)
        late += [stop.request for stop in timed.stops
                 if (due := problem.sla_deadline(stop.request)) is not None
                 and stop.start > due]
        priced = price_route(problem, timed)
        for penalty in priced:
            penalties[MODULE_KEYS[penalty.constraint]] += penalty.cost
        routes.append(_route(problem, timed, priced))
    penalties[MODULE_KEYS[priority.NAME]] += priority.penalty(
        problem, unassigned, travel_bound).cost
    penalties[MODULE_KEYS[sla.NAME]] += sla.breach_penalty(
        problem, late, unassigned, travel_bound).cost
    penalties[MODULE_KEYS[disruption.NAME]] += disruption.dropped_penalty(
        problem, unassigned, travel_bound).cost
    return DispatchPlan(
        problem_name=problem.name,
        timezone=problem.timezone,
        routes=tuple(routes),
        unassigned=tuple(sorted(unassigned, key=lambda u: (u.priority.rank, u.request_id))),
        kpis=_plan_kpis(problem, routes, unassigned),
        penalties={k: round(v, 3) for k, v in penalties.items()},
        objective=round(sum(penalties.values()), 3),
        status=status,
        solve_time=solve_time,
        solver=solver_info,
    )

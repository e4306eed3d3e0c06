"""Turn the solver's assignment into a self-explaining DispatchPlan.

Times come from the solver's start-of-service values; arrivals, waits, the break's
position and every total are then derived in real units, so the plan reads the
same way the independent validator recomputes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
from fieldops.domain.requests import Priority
from fieldops.domain.resources import Shift

ZERO = timedelta(0)


@dataclass
class RawRoute:
    """A route as the solver sees it: job indices into ``problem.requests`` in order,
    the start of service of each (aware), the departure, and the break start."""

    shift: Shift
    jobs: list[int]
    starts: list[datetime]
    departure: datetime
    break_start: datetime | None


@dataclass
class Legs:
    """Exact travel (seconds, metres) and the solver's rounded-up seconds per leg."""

    seconds: float
    metres: float
    seconds_up: int


def _place_break(
    e: datetime, legs: Legs, s_next: datetime, b: datetime, shift: Shift
) -> tuple[datetime, datetime]:
    """Choose where in the gap ``[e, s_next]`` the break goes; return (break start, arrival).

    Preference: on site after arriving; else at the previous stop before leaving;
    else where the solver put it (a stop on the way).
    """
    assert shift.lunch is not None
    duration = shift.lunch.duration
    earliest, latest = shift.lunch.earliest_start, shift.lunch.latest_start
    drive = timedelta(seconds=legs.seconds_up)
    on_site = max(e + drive, earliest)
    if on_site <= latest and on_site + duration <= s_next:
        return on_site, e + drive
    before = max(e, earliest)
    if before <= latest and before + duration + drive <= s_next:
        return before, before + duration + drive
    return b, e + drive + duration


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
    """Assemble the plan; ``leg(kind_a, id_a, kind_b, id_b)`` returns :class:`Legs`."""
    tz = problem.tz
    w = problem.weights
    routes: list[Route] = []
    penalties = {"travel": 0.0, "unassigned": 0.0, "sla": 0.0, "overtime": 0.0,
                 "preference": 0.0, "labour": 0.0}
    for raw in raw_routes:
        shift = raw.shift
        tech = problem.technician_by_id[shift.technician_id]
        requests = [problem.requests[j] for j in raw.jobs]
        start_loc = problem.shift_start_location(shift)
        end_loc = problem.shift_end_location(shift)
        steps: list[Step] = []
        break_step: Step | None = None
        break_pos = 0  # number of non-break steps before the break
        departure = raw.departure
        # Legs: depot -> job0 -> ... -> depot. Node keys: ("s", shift) / ("j", idx) / ("e", shift)
        keys = [("s", shift.id)] + [("j", j) for j in raw.jobs] + [("e", shift.id)]
        legs = [leg(keys[k], keys[k + 1]) for k in range(len(keys) - 1)]
        service_starts = [*raw.starts]
        b = raw.break_start
        # Work out arrivals leg by leg; the break goes in the gap that holds the
        # solver's break start (or outside the route).
        e = departure
        arrivals: list[datetime] = []
        end_time = departure
        for k, legs_k in enumerate(legs):
            is_end = k == len(legs) - 1
            drive = timedelta(seconds=legs_k.seconds_up)
            s_next = service_starts[k] if not is_end else None
            if b is not None and break_step is None and shift.lunch is not None and b >= e and (
                s_next is None or b + shift.lunch.duration <= s_next
            ):
                after_return = False
                if is_end:
                    # After the last job: a stop on the way home, or off the clock at home.
                    arrival = e + drive
                    b_placed = b
                    if b < arrival:
                        arrival = e + drive + shift.lunch.duration
                    else:
                        after_return = True
                else:
                    assert s_next is not None
                    b_placed, arrival = _place_break(e, legs_k, s_next, b, shift)
                break_step = Step(
                    kind=StepKind.BREAK,
                    start=b_placed.astimezone(tz),
                    end=(b_placed + shift.lunch.duration).astimezone(tz),
                    arrival=b_placed.astimezone(tz),
                )
                break_pos = k + 2 if after_return else k + 1
            else:
                arrival = e + drive
            if is_end:
                end_time = arrival
            else:
                arrivals.append(arrival)
                e = service_starts[k] + requests[k].duration
        steps.append(Step(kind=StepKind.START, start=departure.astimezone(tz),
                          end=departure.astimezone(tz), arrival=departure.astimezone(tz),
                          location=start_loc))
        travel_total = ZERO
        distance_total = 0.0
        service_total = ZERO
        wait_total = ZERO
        sla_met = sla_breached = 0
        sla_cost = 0.0
        preference_misses = 0
        for k, req in enumerate(requests):
            start = service_starts[k]
            deadline = problem.sla_deadline(req)
            lateness = max(ZERO, start - deadline) if deadline is not None else ZERO
            if deadline is not None:
                if lateness > ZERO:
                    sla_breached += 1
                    tier = problem.tier_by_name[req.contract_tier or ""]
                    sla_cost += (lateness.total_seconds() / 3600 * w.sla_lateness_per_hour
                                 * tier.lateness_weight)
                else:
                    sla_met += 1
            if req.preferred_technicians and tech.id not in req.preferred_technicians:
                preference_misses += 1
            travel = timedelta(seconds=legs[k].seconds)
            wait = start - arrivals[k]
            steps.append(Step(
                kind=StepKind.JOB, request_id=req.id, location=req.location,
                arrival=arrivals[k].astimezone(tz), wait=wait, start=start.astimezone(tz),
                end=(start + req.duration).astimezone(tz), travel_time=travel,
                travel_distance=legs[k].metres,
                sla_deadline=deadline.astimezone(tz) if deadline is not None else None,
                sla_lateness=lateness,
            ))
            travel_total += travel
            distance_total += legs[k].metres
            service_total += req.duration
            wait_total += wait
        last_travel = timedelta(seconds=legs[-1].seconds)
        steps.append(Step(kind=StepKind.END, start=end_time.astimezone(tz),
                          end=end_time.astimezone(tz), arrival=end_time.astimezone(tz),
                          location=end_loc, travel_time=last_travel,
                          travel_distance=legs[-1].metres))
        travel_total += last_travel
        distance_total += legs[-1].metres
        if shift.lunch is not None and break_step is None:
            # The solver put the break outside the route's span: before departure or
            # after return, whichever its window allows.
            lunch = shift.lunch
            if lunch.earliest_start + lunch.duration <= departure:
                at = min(lunch.latest_start, departure - lunch.duration)
                break_pos = 0
            else:
                at = max(lunch.earliest_start, end_time)
                break_pos = len(steps)
            break_step = Step(kind=StepKind.BREAK, start=at.astimezone(tz),
                              end=(at + lunch.duration).astimezone(tz), arrival=at.astimezone(tz))
        if break_step is not None:
            steps.insert(break_pos, break_step)
        overtime = max(ZERO, end_time - shift.end)
        span = end_time - departure
        available = (shift.end - shift.start) - (shift.lunch.duration if shift.lunch else ZERO)
        travel_cost = (w.travel_time * travel_total.total_seconds()
                       + w.travel_distance * distance_total / 1000)
        overtime_cost = overtime.total_seconds() / 3600 * w.overtime_per_hour
        labour_cost = w.labour * tech.cost_per_hour * span.total_seconds() / 3600
        preference_cost = preference_misses * w.non_preferred
        penalties["travel"] += travel_cost
        penalties["sla"] += sla_cost
        penalties["overtime"] += overtime_cost
        penalties["labour"] += labour_cost
        penalties["preference"] += preference_cost
        routes.append(Route(
            shift_id=shift.id, technician_id=tech.id, steps=tuple(steps),
            kpis=RouteKPIs(
                jobs=len(requests), service_time=service_total, travel_time=travel_total,
                travel_distance=distance_total, wait_time=wait_total,
                break_time=shift.lunch.duration if break_step is not None and shift.lunch
                else ZERO,
                overtime=overtime, span=span,
                utilisation=service_total / available if available > ZERO else 0.0,
                sla_met=sla_met, sla_breached=sla_breached,
                cost=travel_cost + sla_cost + overtime_cost + labour_cost + preference_cost,
            ),
        ))
    for u in unassigned:
        penalties["unassigned"] += w.unassigned[u.priority] * travel_bound
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
    kpis = PlanKPIs(
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
    return DispatchPlan(
        problem_name=problem.name,
        timezone=problem.timezone,
        routes=tuple(routes),
        unassigned=tuple(sorted(unassigned, key=lambda u: (u.priority.rank, u.request_id))),
        kpis=kpis,
        penalties={k: round(v, 3) for k, v in penalties.items()},
        objective=round(sum(penalties.values()), 3),
        status=status,
        solve_time=solve_time,
        solver=solver_info,
    )

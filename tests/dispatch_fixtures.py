"""Hand-built dispatch problems and plans for calendar and report tests.

The plan builder lays out steps the way the solver documents them (arrival, wait
until the window opens, service, travel of the leg leading to a step) and sums the
KPIs from those steps, so tests do not depend on the solver.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fieldops.domain import (
    ContractTier,
    DispatchPlan,
    DispatchProblem,
    Location,
    LunchBreak,
    PlanKPIs,
    PlanStatus,
    Priority,
    Route,
    RouteKPIs,
    ServiceRequest,
    Shift,
    Skill,
    Step,
    StepKind,
    Technician,
    TimeWindow,
    Unassigned,
    UnassignedReason,
)

TZ = ZoneInfo("Europe/Berlin")
DAY = datetime(2026, 11, 24, tzinfo=TZ)  # a Tuesday


def at(hour: int, minute: int = 0) -> datetime:
    return DAY.replace(hour=hour, minute=minute)


def small_problem() -> DispatchProblem:
    """Two technicians, one shift each, six jobs (one gets left out by the plans)."""
    techs = (
        Technician("T1", "Ada Lovelace", Location(52.520, 13.405, "Depot Mitte, Berlin"),
                   skills=(Skill("hvac", 2), Skill("gas", 1))),
        Technician("T2", "Grace Hopper", Location(52.480, 13.350, "Depot Schöneberg"),
                   skills=(Skill("electrical", 3),)),
    )
    shifts = (
        Shift("S1", "T1", at(8), at(17),
              lunch=LunchBreak(timedelta(minutes=30), at(12), at(13))),
        Shift("S2", "T2", at(8), at(16), max_overtime=timedelta(hours=1)),
    )
    created = at(7)
    requests = (
        ServiceRequest(
            "R1", Location(52.530, 13.420, "Hauptstraße 1, 10115 Berlin; Hinterhaus"),
            timedelta(minutes=60), customer_id="C1", customer_name="Müller, Schmidt & Co",
            customer_phone="+49 30 1234567", job_type="boiler repair",
            description="Boiler loses pressure;\ncheck valve, replace seal",
            required_skills=(Skill("hvac", 2),), priority=Priority.HIGH,
            contract_tier="gold", created_at=created,
            windows=(TimeWindow(at(8), at(12)),),
        ),
        ServiceRequest(
            "R2", Location(52.540, 13.390, "Invalidenstraße 5, Berlin"),
            timedelta(minutes=45), customer_name="Bäckerei Krume", job_type="maintenance",
            priority=Priority.NORMAL, contract_tier="gold", created_at=created,
        ),
        ServiceRequest(
            "R3", Location(52.500, 13.430, "Oranienstraße 20, Berlin"),
            timedelta(minutes=30), customer_name="Kiosk <Eck>", job_type="inspection",
            priority=Priority.LOW,
        ),
        ServiceRequest(
            "R4", Location(52.470, 13.330, "Rheinstraße 9, Berlin"),
            timedelta(minutes=90), customer_name="Praxis Dr. Roth", job_type="rewiring",
            required_skills=(Skill("electrical", 2),), priority=Priority.CRITICAL,
            contract_tier="gold", created_at=at(6),
        ),
        ServiceRequest(
            "R5", Location(52.460, 13.360, "Bundesallee 77, Berlin"),
            timedelta(minutes=40), customer_name="Hotel Linde", job_type="fuse box",
            required_skills=(Skill("electrical", 1),),
            windows=(TimeWindow(at(13), at(15)),),
        ),
        ServiceRequest(
            "R6", Location(52.600, 13.500, "Far away 1, Bernau"),
            timedelta(minutes=120), customer_name="Farm Nord", job_type="gas check",
            required_skills=(Skill("gas", 3),), priority=Priority.HIGH,
        ),
    )
    return DispatchProblem(
        horizon=TimeWindow(at(0), at(23, 59)),
        timezone="Europe/Berlin",
        technicians=techs,
        shifts=shifts,
        requests=requests,
        contract_tiers=(ContractTier("gold", response_time=timedelta(hours=4)),),
        name="small",
    )


# An item of a route: ("job", request_id, travel minutes, travel km),
# ("break", minutes) or ("end", travel minutes, travel km).
Item = tuple[object, ...]


def build_route(
    problem: DispatchProblem, shift_id: str, depart: datetime, items: Sequence[Item]
) -> Route:
    shift = problem.shift_by_id[shift_id]
    home = problem.shift_start_location(shift)
    steps = [Step(StepKind.START, depart, depart, depart, location=home)]
    clock = depart
    service = travel = wait = brk = timedelta(0)
    dist = 0.0
    met = breached = jobs = 0
    for item in items:
        if item[0] == "job":
            rid, minutes, km = str(item[1]), float(item[2]), float(item[3])  # type: ignore[arg-type]
            req = problem.request_by_id[rid]
            leg = timedelta(minutes=minutes)
            arrival = clock + leg
            start = max(arrival, req.windows[0].start) if req.windows else arrival
            end = start + req.duration
            deadline = problem.sla_deadline(req)
            late = max(timedelta(0), start - deadline) if deadline else timedelta(0)
            if deadline is not None:
                met += late == timedelta(0)
                breached += late > timedelta(0)
            steps.append(Step(StepKind.JOB, start, end, arrival, location=req.location,
                              request_id=rid, wait=start - arrival, travel_time=leg,
                              travel_distance=km * 1000, sla_deadline=deadline,
                              sla_lateness=late))
            service += req.duration
            travel += leg
            wait += start - arrival
            dist += km * 1000
            jobs += 1
            clock = end
        elif item[0] == "break":
            length = timedelta(minutes=float(item[1]))  # type: ignore[arg-type]
            steps.append(Step(StepKind.BREAK, clock, clock + length, clock))
            brk += length
            clock += length
        else:
            leg = timedelta(minutes=float(item[1]))  # type: ignore[arg-type]
            clock += leg
            steps.append(Step(StepKind.END, clock, clock, clock,
                              location=problem.shift_end_location(shift), travel_time=leg,
                              travel_distance=float(item[2]) * 1000))  # type: ignore[arg-type]
            travel += leg
            dist += float(item[2]) * 1000  # type: ignore[arg-type]
    span = clock - depart
    overtime = max(timedelta(0), clock - shift.end)
    return Route(
        shift_id, shift.technician_id, tuple(steps),
        RouteKPIs(jobs=jobs, service_time=service, travel_time=travel, travel_distance=dist,
                  wait_time=wait, break_time=brk, overtime=overtime, span=span,
                  utilisation=service / (shift.end - shift.start), sla_met=met,
                  sla_breached=breached, cost=travel.total_seconds()),
    )


def build_plan(
    problem: DispatchProblem,
    routes: Mapping[str, tuple[datetime, Sequence[Item]]],
    unassigned: Sequence[tuple[str, UnassignedReason, str]],
) -> DispatchPlan:
    built = tuple(build_route(problem, sid, dep, items) for sid, (dep, items) in routes.items())
    left = tuple(
        Unassigned(rid, problem.request_by_id[rid].priority, reason, detail)
        for rid, reason, detail in unassigned
    )
    assigned = [s.request_id for r in built for s in r.jobs]
    by_prio = {p: 0 for p in Priority}
    for rid in assigned:
        by_prio[problem.request_by_id[str(rid)].priority] += 1
    un_prio = {p: 0 for p in Priority}
    for u in left:
        un_prio[u.priority] += 1
    total = sum((r.kpis.service_time for r in built), timedelta(0))
    shift_time = sum((s.end - s.start for s in problem.shifts), timedelta(0))
    kpis = PlanKPIs(
        jobs_total=len(assigned) + len(left),
        jobs_assigned=len(assigned),
        assigned_by_priority=by_prio,
        unassigned_by_priority=un_prio,
        travel_time=sum((r.kpis.travel_time for r in built), timedelta(0)),
        travel_distance=sum(r.kpis.travel_distance for r in built),
        service_time=total,
        wait_time=sum((r.kpis.wait_time for r in built), timedelta(0)),
        overtime=sum((r.kpis.overtime for r in built), timedelta(0)),
        utilisation=total / shift_time,
        routes_used=sum(1 for r in built if r.kpis.jobs),
        sla_met=sum(r.kpis.sla_met for r in built),
        sla_breached=sum(r.kpis.sla_breached for r in built),
    )
    travel_cost = kpis.travel_time.total_seconds()
    return DispatchPlan(
        problem_name=problem.name, timezone=problem.timezone, routes=built, unassigned=left,
        kpis=kpis, penalties={"travel": travel_cost, "unassigned": 500.0}, objective=travel_cost
        + 500.0, status=PlanStatus.FEASIBLE, solve_time=timedelta(seconds=1.5),
    )


def small_plan(problem: DispatchProblem | None = None) -> DispatchPlan:
    """First publish: R3 done by T1 in the afternoon, R6 unassigned.

    R1 (gold, deadline 11:00) starts 08:20 → met; R2 (gold, deadline 11:00) starts
    10:35 → met but at risk (25 min margin); R4 (gold, deadline 10:00) starts 10:52 →
    breached by 52 minutes. R5 arrives 12:32 and waits 28 min for its 13:00 window.
    """
    problem = problem or small_problem()
    return build_plan(
        problem,
        {
            "S1": (at(8), [("job", "R1", 20, 8.5), ("job", "R2", 75, 4.0),
                           ("job", "R3", 25, 9.0), ("break", 30), ("end", 20, 7.5)]),
            "S2": (at(8, 30), [("job", "R4", 142, 60.0), ("job", "R5", 10, 3.2),
                               ("end", 12, 4.1)]),
        },
        [("R6", UnassignedReason.NO_QUALIFIED_TECHNICIAN, "needs gas level 3")],
    )


def replanned_plan(problem: DispatchProblem | None = None) -> DispatchPlan:
    """Second publish: R2 moves 30 minutes later, R3 leaves the plan, R1 unchanged."""
    problem = problem or small_problem()
    return build_plan(
        problem,
        {
            "S1": (at(8), [("job", "R1", 20, 8.5), ("job", "R2", 105, 4.0), ("break", 30),
                           ("end", 20, 7.5)]),
            "S2": (at(8, 30), [("job", "R4", 142, 60.0), ("job", "R5", 10, 3.2),
                               ("end", 12, 4.1)]),
        },
        [("R6", UnassignedReason.NO_QUALIFIED_TECHNICIAN, "needs gas level 3"),
         ("R3", UnassignedReason.NOT_ENOUGH_CAPACITY, "emergency took the slot")],
    )

"""What the dispatch report shows, computed once from a plan (and its problem).

The charts and the HTML template only format these values; keeping the numbers
here makes them testable without parsing pictures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from matplotlib import colormaps
from matplotlib.colors import to_hex

from fieldops.domain.location import Location
from fieldops.domain.plan import DispatchPlan, Route, StepKind, UnassignedReason
from fieldops.domain.problem import DispatchProblem
from fieldops.domain.requests import ServiceRequest

#: A job whose service starts this close to (or past) its SLA deadline is "at risk".
SLA_AT_RISK = timedelta(minutes=30)

REASON_LABELS: dict[UnassignedReason, str] = {
    UnassignedReason.NO_QUALIFIED_TECHNICIAN: "no technician has the required skills",
    UnassignedReason.EXCLUDED_EVERYWHERE: "every qualified technician is excluded",
    UnassignedReason.REQUIRED_TECHNICIAN_UNAVAILABLE: "the required technician has no shift",
    UnassignedReason.OUTSIDE_ALL_SHIFTS: "its windows lie outside every shift",
    UnassignedReason.EXCEEDS_CAPACITY: "its load exceeds every van's capacity",
    UnassignedReason.PIN_INFEASIBLE: "its pin cannot be honoured",
    UnassignedReason.NOT_ENOUGH_CAPACITY: "not enough working time left for it",
}


def hours_minutes(value: timedelta) -> str:
    """``h:mm`` rounded to the minute; negative values get a leading minus."""
    minutes = round(value.total_seconds() / 60)
    sign = "-" if minutes < 0 else ""
    minutes = abs(minutes)
    return f"{sign}{minutes // 60}:{minutes % 60:02d}"


def _compact(value: float) -> str:
    """Large objective values as ``2,959.8 M`` so they fit a KPI tile."""
    if abs(value) < 1e7:
        return f"{value:,.0f}"
    return f"{value / 1e6:,.1f} M"


@dataclass(frozen=True, slots=True)
class Segment:
    """One bar of the timeline: ``kind`` is travel, wait, work or break."""

    kind: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class StopView:
    sequence: int
    number: int | None  # 1-based job number on the route (None for start/break/end)
    kind: StepKind
    request_id: str | None
    arrival: datetime
    wait: timedelta
    start: datetime
    end: datetime
    travel_time: timedelta
    travel_distance: float
    location: Location | None
    customer: str | None = None
    job_type: str | None = None
    priority: str | None = None
    windows: str = ""
    sla_deadline: datetime | None = None
    sla_status: str | None = None  # met / at_risk / breached


@dataclass(frozen=True, slots=True)
class RouteView:
    route: Route
    label: str
    technician_name: str | None
    color: str
    stops: tuple[StopView, ...]
    segments: tuple[Segment, ...]
    shift_start: datetime | None = None
    shift_end: datetime | None = None
    latest_end: datetime | None = None
    home: Location | None = None
    departs: datetime | None = None
    returns: datetime | None = None


@dataclass(frozen=True, slots=True)
class SlaRow:
    request_id: str
    technician_id: str | None
    start: datetime | None
    deadline: datetime
    margin: timedelta | None  # deadline - start; negative when breached
    status: str  # at_risk / breached / unassigned


@dataclass(frozen=True, slots=True)
class UnassignedView:
    request_id: str
    priority: str
    reason: str
    reason_label: str
    detail: str
    customer: str | None = None
    job_type: str | None = None
    windows: str = ""
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class Kpi:
    key: str
    label: str
    value: str


@dataclass
class ReportModel:
    plan: DispatchPlan
    problem: DispatchProblem | None
    tz: ZoneInfo
    title: str
    kpis: list[Kpi]
    routes: list[RouteView]
    sla: list[SlaRow]
    unassigned: list[UnassignedView]
    start: datetime | None = None
    end: datetime | None = None
    notes: list[str] = field(default_factory=list)


def technician_colors(ids: list[str]) -> dict[str, str]:
    """A colour per technician, in the given order: tab10, then tab20b, then Dark2
    (38 colours before they repeat; tab20's light/dark pairs would put two near-equal
    colours side by side)."""
    palette: list[str] = []
    for name in ("tab10", "tab20b", "Dark2"):
        palette += [to_hex(c) for c in colormaps[name].colors]  # type: ignore[attr-defined]
    return {tid: palette[i % len(palette)] for i, tid in enumerate(ids)}


def _windows(request: ServiceRequest | None, tz: ZoneInfo) -> str:
    if request is None:
        return ""
    return ", ".join(
        f"{w.start.astimezone(tz):%H:%M}–{w.end.astimezone(tz):%H:%M}" for w in request.windows
    )


def _sla_status(start: datetime, deadline: datetime | None, lateness: timedelta) -> str | None:
    if deadline is None:
        return None
    if lateness > timedelta(0) or start > deadline:
        return "breached"
    if deadline - start <= SLA_AT_RISK:
        return "at_risk"
    return "met"


def _segments(route: Route) -> list[Segment]:
    out: list[Segment] = []
    for step in route.steps:
        if step.travel_time > timedelta(0):
            out.append(Segment("travel", step.arrival - step.travel_time, step.arrival))
        if step.kind is StepKind.JOB:
            if step.wait > timedelta(0):
                out.append(Segment("wait", step.arrival, step.start))
            out.append(Segment("work", step.start, step.end))
        elif step.kind is StepKind.BREAK:
            out.append(Segment("break", step.start, step.end))
    return out


def build_model(
    plan: DispatchPlan, problem: DispatchProblem | None = None, *, title: str | None = None
) -> ReportModel:
    """Everything the report shows; ``problem`` adds names, shifts, customers."""
    tz = ZoneInfo(plan.timezone)
    requests = problem.request_by_id if problem else {}
    tech_order = [t.id for t in problem.technicians] if problem else []
    tech_order += sorted({r.technician_id for r in plan.routes} - set(tech_order))
    colors = technician_colors(tech_order)

    routes: list[RouteView] = []
    sla: list[SlaRow] = []
    instants: list[datetime] = []
    for route in sorted(plan.routes, key=lambda r: (tech_order.index(r.technician_id),
                                                     r.steps[0].start.timestamp()
                                                     if r.steps else 0.0, r.shift_id)):
        tech = problem.technician_by_id.get(route.technician_id) if problem else None
        shift = problem.shift_by_id.get(route.shift_id) if problem else None
        stops: list[StopView] = []
        number = 0
        for seq, step in enumerate(route.steps):
            req = requests.get(step.request_id) if step.request_id else None
            status = None
            if step.kind is StepKind.JOB:
                number += 1
                status = _sla_status(step.start, step.sla_deadline, step.sla_lateness)
                if status in ("at_risk", "breached") and step.sla_deadline is not None:
                    sla.append(SlaRow(step.request_id or "", route.technician_id, step.start,
                                      step.sla_deadline, step.sla_deadline - step.start,
                                      status))
            stops.append(
                StopView(
                    sequence=seq,
                    number=number if step.kind is StepKind.JOB else None,
                    kind=step.kind,
                    request_id=step.request_id,
                    arrival=step.arrival,
                    wait=step.wait,
                    start=step.start,
                    end=step.end,
                    travel_time=step.travel_time,
                    travel_distance=step.travel_distance,
                    location=step.location or (req.location if req else None),
                    customer=(req.customer_name or req.customer_id) if req else None,
                    job_type=req.job_type if req else None,
                    priority=req.priority.value if req else None,
                    windows=_windows(req, tz),
                    sla_deadline=step.sla_deadline,
                    sla_status=status,
                )
            )
        # Stops are listed by time: a break may come after the return to base in the
        # plan's step order.
        stops.sort(key=lambda s: (s.start, s.sequence))
        segments = _segments(route)
        instants += [s.start for s in segments] + [s.end for s in segments]
        instants += [s.start for s in route.steps] + [s.end for s in route.steps]
        if shift is not None:
            instants += [shift.start, shift.latest_end]
        label = route.technician_id
        if tech is not None and tech.name:
            label = f"{tech.name} ({route.technician_id})"
        if problem is not None and sum(
            1 for r in plan.routes if r.technician_id == route.technician_id
        ) > 1:
            label += f" · {route.shift_id}"
        home = None
        if shift is not None and problem is not None:
            home = problem.shift_start_location(shift)
        elif route.steps and route.steps[0].kind is StepKind.START:
            home = route.steps[0].location
        routes.append(
            RouteView(
                route=route,
                label=label,
                technician_name=tech.name if tech else None,
                color=colors[route.technician_id],
                stops=tuple(stops),
                segments=tuple(segments),
                shift_start=shift.start if shift else None,
                shift_end=shift.end if shift else None,
                latest_end=shift.latest_end if shift else None,
                home=home,
                departs=next((s.start for s in route.steps if s.kind is StepKind.START),
                             route.steps[0].start if route.steps else None),
                returns=next((s.arrival for s in route.steps if s.kind is StepKind.END),
                             max((s.end for s in route.steps), default=None)),
            )
        )

    unassigned: list[UnassignedView] = []
    for u in plan.unassigned:
        req = requests.get(u.request_id)
        unassigned.append(
            UnassignedView(
                request_id=u.request_id,
                priority=u.priority.value,
                reason=u.reason.value,
                reason_label=REASON_LABELS.get(u.reason, u.reason.value),
                detail=u.detail,
                customer=(req.customer_name or req.customer_id) if req else None,
                job_type=req.job_type if req else None,
                windows=_windows(req, tz),
                location=req.location if req else None,
            )
        )
        deadline = problem.sla_deadline(req) if problem is not None and req else None
        if deadline is not None:
            sla.append(SlaRow(u.request_id, None, None, deadline, None, "unassigned"))
    order = {"breached": 0, "unassigned": 1, "at_risk": 2}
    sla.sort(key=lambda r: (order[r.status], r.deadline, r.request_id))

    k = plan.kpis
    kpis = [
        Kpi("status", "Status", plan.status.value),
        Kpi("jobs_assigned", "Jobs assigned", str(k.jobs_assigned)),
        Kpi("jobs_total", "Jobs in total", str(k.jobs_total)),
        Kpi("jobs_unassigned", "Jobs unassigned", str(len(plan.unassigned))),
        Kpi("routes_used", "Routes used", str(k.routes_used)),
        Kpi("travel_time", "Travel time (h:mm)", hours_minutes(k.travel_time)),
        Kpi("travel_distance_km", "Travel distance (km)", f"{k.travel_distance / 1000:.1f}"),
        Kpi("service_time", "Work time (h:mm)", hours_minutes(k.service_time)),
        Kpi("wait_time", "Waiting (h:mm)", hours_minutes(k.wait_time)),
        Kpi("overtime", "Overtime (h:mm)", hours_minutes(k.overtime)),
        Kpi("utilisation", "Utilisation", f"{k.utilisation:.0%}"),
        Kpi("sla_met", "SLA met", str(k.sla_met)),
        Kpi("sla_breached", "SLA breached", str(k.sla_breached)),
        Kpi("sla_at_risk", "SLA at risk", str(sum(1 for r in sla if r.status == "at_risk"))),
        Kpi("objective", "Objective", _compact(plan.objective)),
        Kpi("solve_time", "Solve time (s)", f"{plan.solve_time.total_seconds():.1f}"),
    ]
    notes = []
    if problem is None:
        notes.append(
            "Rendered from the plan alone: technician names, shift hours, customers and "
            "appointment windows are not shown (pass the problem to include them)."
        )
    name = plan.problem_name or (problem.name if problem else None)
    return ReportModel(
        plan=plan,
        problem=problem,
        tz=tz,
        title=title or f"Dispatch report{f' — {name}' if name else ''}",
        kpis=kpis,
        routes=routes,
        sla=sla,
        unassigned=unassigned,
        start=min(instants) if instants else None,
        end=max(instants) if instants else None,
        notes=notes,
    )

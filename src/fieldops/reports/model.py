"""What the dispatch report shows, computed once from a plan (and its problem).

The charts and the HTML template only format these values; keeping the numbers
here makes them testable without parsing pictures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from matplotlib import colormaps
from matplotlib.colors import to_hex

from fieldops.domain.location import Location
from fieldops.domain.plan import DispatchPlan, PlanStatus, Route, Step, StepKind, UnassignedReason
from fieldops.domain.problem import DispatchProblem
from fieldops.domain.requests import Priority, ServiceRequest

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


#: Why an SLA was missed: nobody could have been there in time, or the plan chose so.
CAUSE_BEFORE_SHIFTS = "deadline before any shift"
CAUSE_CHOSEN = "late by choice"

#: Plan statuses as a dispatcher reads them (the solver's own word is shown beside).
STATUS_LABELS: dict[PlanStatus, str] = {
    PlanStatus.OPTIMAL: "proven best plan",
    PlanStatus.FEASIBLE: "valid plan",
    PlanStatus.TIME_LIMIT: "best plan found in the time allowed",
    PlanStatus.NO_SOLUTION: "no plan found",
    PlanStatus.CANCELLED: "stopped early: best plan so far",
}

#: Route colours: one qualitative palette whose ten colours are told apart easily;
#: past ten routes the colours repeat with the next line style and marker.
PALETTE = "tab10"
LINE_STYLES: tuple[str, ...] = ("-", "--", ":", "-.")
MARKERS: tuple[str, ...] = ("o", "s", "^", "D")
#: The markers as text, for the swatches of the HTML tables.
MARKER_GLYPHS: dict[str, str] = {"o": "●", "s": "■", "^": "▲", "D": "◆"}


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
class RouteStyle:
    """How one route is drawn: colour, line style and marker (see :data:`PALETTE`)."""

    color: str
    linestyle: str = "-"
    marker: str = "o"

    @property
    def glyph(self) -> str:
        return MARKER_GLYPHS[self.marker]


@dataclass(frozen=True, slots=True)
class Segment:
    """One bar of the timeline: ``kind`` is travel, wait, work, break or overtime."""

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
    customer_phone: str | None = None
    description: str | None = None
    skills: str = ""  # "gas ≥2, electrical ≥1"


@dataclass(frozen=True, slots=True)
class RouteView:
    route: Route
    label: str
    technician_name: str | None
    style: RouteStyle
    stops: tuple[StopView, ...]
    segments: tuple[Segment, ...]
    shift_start: datetime | None = None
    shift_end: datetime | None = None
    latest_end: datetime | None = None
    home: Location | None = None
    departs: datetime | None = None
    returns: datetime | None = None

    @property
    def color(self) -> str:
        return self.style.color

    @property
    def overtime(self) -> timedelta:
        return self.route.kpis.overtime


@dataclass(frozen=True, slots=True)
class SlaRow:
    request_id: str
    technician_id: str | None
    start: datetime | None
    deadline: datetime
    margin: timedelta | None  # deadline - start; negative when breached
    status: str  # at_risk / breached / unassigned
    cause: str | None = None  # CAUSE_BEFORE_SHIFTS (breached, unassigned) or CAUSE_CHOSEN


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
    note: str = ""  # a short line under the value (e.g. what a count is made of)


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
    solver: list[Kpi] = field(default_factory=list)  # shown last: the solver's terms
    start: datetime | None = None
    end: datetime | None = None
    notes: list[str] = field(default_factory=list)


def technician_styles(ids: Sequence[str]) -> dict[str, RouteStyle]:
    """A style per technician, in the given order: the ten colours of :data:`PALETTE`
    with a solid line and round markers, then the same colours dashed with squares,
    and so on, so 40 technicians get 40 different looks. (Adding more colours from
    other palettes only brings in near-equal ones.)"""
    colors = [to_hex(c) for c in colormaps[PALETTE].colors]  # type: ignore[attr-defined]
    styles = {}
    for i, tid in enumerate(ids):
        turn = (i // len(colors)) % len(LINE_STYLES)
        styles[tid] = RouteStyle(colors[i % len(colors)], LINE_STYLES[turn], MARKERS[turn])
    return styles


def technician_colors(ids: Sequence[str]) -> dict[str, str]:
    """The colour of each technician's style (:func:`technician_styles`)."""
    return {tid: style.color for tid, style in technician_styles(ids).items()}


def _skills(request: ServiceRequest | None) -> str:
    if request is None:
        return ""
    return ", ".join(f"{s.name} ≥{s.level}" for s in request.required_skills)


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


def _breaks(route: Route) -> list[tuple[datetime, datetime]]:
    return [(s.start, s.end) for s in route.steps if s.kind is StepKind.BREAK]


def _idle(step: Step, breaks: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """The parts of ``[arrival, start)`` not covered by a break: real waiting.

    A technician who arrives at 12:01 and takes lunch there until 12:31 before
    starting is on a break, not waiting (the plan's ``wait`` leaves it out too).
    """
    free = [(step.arrival, step.start)] if step.start > step.arrival else []
    for b0, b1 in breaks:
        rest = []
        for a, b in free:
            if b1 <= a or b0 >= b:
                rest.append((a, b))
                continue
            if a < b0:
                rest.append((a, b0))
            if b1 < b:
                rest.append((b1, b))
        free = rest
    return free


def waiting(route: Route) -> dict[int, timedelta]:
    """Real waiting before each job of ``route`` (by step index), breaks left out."""
    breaks = _breaks(route)
    return {i: sum((b - a for a, b in _idle(step, breaks)), timedelta(0))
            for i, step in enumerate(route.steps) if step.kind is StepKind.JOB}


def _segments(route: Route, shift_end: datetime | None) -> list[Segment]:
    out: list[Segment] = []
    breaks = _breaks(route)
    for step in route.steps:
        if step.travel_time > timedelta(0):
            out.append(Segment("travel", step.arrival - step.travel_time, step.arrival))
        if step.kind is StepKind.JOB:
            out += [Segment("wait", a, b) for a, b in _idle(step, breaks)]
            out.append(Segment("work", step.start, step.end))
        elif step.kind is StepKind.BREAK:
            out.append(Segment("break", step.start, step.end))
    if shift_end is not None and route.kpis.overtime > timedelta(0):
        last = max((s.end for s in out), default=shift_end)
        if last > shift_end:
            out.append(Segment("overtime", shift_end, last))
    return out


def _stop(step: Step, seq: int, number: int | None, req: ServiceRequest | None,
          wait: timedelta, status: str | None, tz: ZoneInfo) -> StopView:
    return StopView(
        sequence=seq,
        number=number,
        kind=step.kind,
        request_id=step.request_id,
        arrival=step.arrival,
        wait=wait,
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
        customer_phone=req.customer_phone if req else None,
        description=req.description if req else None,
        skills=_skills(req),
    )


def _route_label(plan: DispatchPlan, problem: DispatchProblem | None, route: Route) -> str:
    tech = problem.technician_by_id.get(route.technician_id) if problem else None
    label = route.technician_id
    if tech is not None and tech.name:
        label = f"{tech.name} ({route.technician_id})"
    if problem is not None and sum(
        1 for r in plan.routes if r.technician_id == route.technician_id
    ) > 1:
        label += f" · {route.shift_id}"
    return label


def _route_view(plan: DispatchPlan, problem: DispatchProblem | None, route: Route,
                style: RouteStyle, tz: ZoneInfo, sla: list[SlaRow]) -> RouteView:
    """One route's view; its SLA rows at risk or breached are appended to ``sla``."""
    requests = problem.request_by_id if problem else {}
    tech = problem.technician_by_id.get(route.technician_id) if problem else None
    shift = problem.shift_by_id.get(route.shift_id) if problem else None
    waits = waiting(route)
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
                                  step.sla_deadline, step.sla_deadline - step.start, status))
        stops.append(_stop(step, seq, number if step.kind is StepKind.JOB else None, req,
                           waits.get(seq, timedelta(0)), status, tz))
    # Stops are listed by time: a break may come after the return to base in the
    # plan's step order.
    stops.sort(key=lambda s: (s.start, s.sequence))
    home = None
    if shift is not None and problem is not None:
        home = problem.shift_start_location(shift)
    elif route.steps and route.steps[0].kind is StepKind.START:
        home = route.steps[0].location
    return RouteView(
        route=route,
        label=_route_label(plan, problem, route),
        technician_name=tech.name if tech else None,
        style=style,
        stops=tuple(stops),
        segments=tuple(_segments(route, shift.end if shift else None)),
        shift_start=shift.start if shift else None,
        shift_end=shift.end if shift else None,
        latest_end=shift.latest_end if shift else None,
        home=home,
        departs=next((s.start for s in route.steps if s.kind is StepKind.START),
                     route.steps[0].start if route.steps else None),
        returns=next((s.arrival for s in route.steps if s.kind is StepKind.END),
                     max((s.end for s in route.steps), default=None)),
    )


def _unassigned(plan: DispatchPlan, problem: DispatchProblem | None, tz: ZoneInfo,
                sla: list[SlaRow]) -> list[UnassignedView]:
    """The unassigned jobs' views; those with an SLA deadline are appended to ``sla``."""
    requests = problem.request_by_id if problem else {}
    out: list[UnassignedView] = []
    for u in plan.unassigned:
        req = requests.get(u.request_id)
        out.append(UnassignedView(
            request_id=u.request_id,
            priority=u.priority.value,
            reason=u.reason.value,
            reason_label=REASON_LABELS.get(u.reason, u.reason.value),
            detail=u.detail,
            customer=(req.customer_name or req.customer_id) if req else None,
            job_type=req.job_type if req else None,
            windows=_windows(req, tz),
            location=req.location if req else None,
        ))
        deadline = problem.sla_deadline(req) if problem is not None and req else None
        if deadline is not None:
            sla.append(SlaRow(u.request_id, None, None, deadline, None, "unassigned"))
    return out


def classify_sla(sla: list[SlaRow], problem: DispatchProblem | None) -> list[SlaRow]:
    """Each breached or unassigned row with its cause: a deadline before the first
    shift of the day starts could not be met by anyone; any other breach is the plan's
    choice (another order or technician could have met it, at some other cost). An
    unassigned job's own reason is in the unassigned table."""
    if problem is None or not problem.shifts:
        return sla
    first = min(s.start for s in problem.shifts)
    out = []
    for row in sla:
        cause = None
        if row.status in ("breached", "unassigned") and row.deadline <= first:
            cause = CAUSE_BEFORE_SHIFTS
        elif row.status == "breached":
            cause = CAUSE_CHOSEN  # an unassigned job's reason is in its own table
        out.append(SlaRow(row.request_id, row.technician_id, row.start, row.deadline,
                          row.margin, row.status, cause))
    return out


def _kpis(plan: DispatchPlan, routes: list[RouteView], sla: list[SlaRow]) -> list[Kpi]:
    """The key figures a dispatcher reads first: jobs, SLA, overtime, travel."""
    k = plan.kpis
    out_by = k.unassigned_by_priority
    by_priority = " · ".join(f"{p.value} {out_by.get(p, 0)}" for p in Priority)
    breached = [r for r in sla if r.status == "breached"]
    before = sum(1 for r in breached if r.cause == CAUSE_BEFORE_SHIFTS)
    chosen = sum(1 for r in breached if r.cause == CAUSE_CHOSEN)
    wait = sum((s.wait for rv in routes for s in rv.stops), timedelta(0))
    in_overtime = sum(1 for rv in routes if rv.overtime > timedelta(0))
    return [
        Kpi("jobs_assigned", "Jobs planned", str(k.jobs_assigned)),
        Kpi("jobs_total", "Jobs in total", str(k.jobs_total)),
        Kpi("jobs_unassigned", "Jobs not planned", str(len(plan.unassigned)), by_priority),
        Kpi("sla_breached", "SLA breached", str(k.sla_breached)),
        Kpi("sla_breached_before_shift", f"SLA: {CAUSE_BEFORE_SHIFTS}", str(before)),
        Kpi("sla_late_by_choice", f"SLA: {CAUSE_CHOSEN}", str(chosen)),
        Kpi("sla_at_risk", "SLA at risk", str(sum(1 for r in sla if r.status == "at_risk"))),
        Kpi("sla_met", "SLA met", str(k.sla_met)),
        Kpi("overtime", "Overtime (h:mm)", hours_minutes(k.overtime),
            f"on {in_overtime} of {len(routes)} routes"),
        Kpi("routes_overtime", "Routes in overtime", str(in_overtime)),
        Kpi("travel_time", "Travel time (h:mm)", hours_minutes(k.travel_time)),
        Kpi("travel_distance_km", "Travel distance (km)", f"{k.travel_distance / 1000:.1f}"),
        Kpi("service_time", "Work time (h:mm)", hours_minutes(k.service_time)),
        Kpi("wait_time", "Waiting (h:mm)", hours_minutes(wait), "breaks not counted"),
        Kpi("utilisation", "Utilisation", f"{k.utilisation:.0%}"),
        Kpi("routes_used", "Routes used", str(k.routes_used)),
    ]


def _solver_kpis(plan: DispatchPlan) -> list[Kpi]:
    """The solver's terms, shown last."""
    engine = plan.solver.get("engine")
    out = [
        Kpi("status", "Plan status", plan.status.value, STATUS_LABELS.get(plan.status, "")),
        Kpi("objective", "Objective (cost units)", _compact(plan.objective)),
        Kpi("solve_time", "Solve time (s)", f"{plan.solve_time.total_seconds():.1f}"),
    ]
    if engine:
        out.append(Kpi("engine", "Engine", str(engine)))
    return out


def build_model(
    plan: DispatchPlan, problem: DispatchProblem | None = None, *, title: str | None = None
) -> ReportModel:
    """Everything the report shows; ``problem`` adds names, shifts, customers."""
    tz = ZoneInfo(plan.timezone)
    tech_order = [t.id for t in problem.technicians] if problem else []
    tech_order += sorted({r.technician_id for r in plan.routes} - set(tech_order))
    styles = technician_styles(tech_order)

    sla: list[SlaRow] = []
    ordered = sorted(plan.routes, key=lambda r: (tech_order.index(r.technician_id),
                                                  r.steps[0].start.timestamp()
                                                  if r.steps else 0.0, r.shift_id))
    routes = [_route_view(plan, problem, route, styles[route.technician_id], tz, sla)
              for route in ordered]
    instants: list[datetime] = []
    for rv in routes:
        instants += [s.start for s in rv.segments] + [s.end for s in rv.segments]
        instants += [s.start for s in rv.route.steps] + [s.end for s in rv.route.steps]
        if rv.shift_start is not None and rv.latest_end is not None:
            instants += [rv.shift_start, rv.latest_end]
    unassigned = _unassigned(plan, problem, tz, sla)
    order = {"breached": 0, "unassigned": 1, "at_risk": 2}
    sla = classify_sla(sorted(sla, key=lambda r: (order[r.status], r.deadline, r.request_id)),
                       problem)
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
        kpis=_kpis(plan, routes, sla),
        routes=routes,
        sla=sla,
        unassigned=unassigned,
        solver=_solver_kpis(plan),
        start=min(instants) if instants else None,
        end=max(instants) if instants else None,
        notes=notes,
    )

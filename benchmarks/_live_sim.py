"""The simulated live day behind ``benchmarks/live_day.py``: a seeded event stream,
technicians executing the published plan, and re-publishing a plan of the rest of
the day as a plan of the whole day.

The stream (:func:`event_stream`) depends only on the morning plan and the seed,
so every policy of one run faces the same day: the same technicians out at the
same times, the same cancellations and emergencies, the same jobs running over
and the same service-time noise per job.

Execution (:class:`Execution`) is the physics: each technician works through the
jobs of their *currently published* route in order, driving as planned (the
planned gap before a job: travel, and the break when the plan put one there),
never starting before the planned start, never during an unavailable period nor
after the shift's hard end. A job's actual duration is its planned one times a
per-job factor, plus its overrun when it is one of the jobs that run over; the
technician reports ``en_route`` when leaving for it (so as to arrive as planned,
not earlier), ``on_site`` at the actual start, ``done`` at the actual end and,
for an overrun, the new expected end half-way through the planned duration.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from fieldops.domain import Location, Priority, ServiceRequest
from fieldops.domain.live import (
    Cancellation,
    Delay,
    JobStatus,
    LiveDay,
    LiveEvent,
    NewRequest,
    StatusReport,
    Unavailability,
)
from fieldops.domain.plan import DispatchPlan, Route, Step, StepKind
from fieldops.domain.problem import DispatchProblem
from fieldops.solver.live import Replan

GOLD = "gold"
NEAR_DEGREES = 0.01  # an emergency lies within about 1 km of a job of the day
EMERGENCY_MINUTES = (30, 45, 60)
DELAY_REPORT_SHARE = 0.5  # an overrun is reported half-way through the planned duration
NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class StreamParams:
    """The seeded day of events (shares of the day's job volume)."""

    cancel_share: float = 0.05
    overrun_share: float = 0.15
    overrun_min: timedelta = timedelta(minutes=15)
    overrun_max: timedelta = timedelta(minutes=60)
    emergency_share: float = 0.03
    sla: timedelta = timedelta(hours=4)
    technicians_out: int = 2
    out_from: time = time(9, 30)  # outages start mid-morning, between these two
    out_until: time = time(11, 0)
    out_back_after: timedelta = timedelta(hours=2)  # the second one comes back
    emergencies_from: time = time(8, 30)
    emergencies_until: time = time(15, 0)
    cancel_notice: timedelta = timedelta(minutes=60)  # before the published start
    duration_spread: float = 0.15  # actual service = planned × U(1 ± spread)


@dataclass
class Stream:
    """The day's disruptions, by time; ``factor`` and ``overrun`` per request."""

    disruptions: list[tuple[datetime, LiveEvent]]
    factor: dict[str, float]
    overrun: dict[str, timedelta]

    def between(self, after: datetime, until: datetime) -> list[LiveEvent]:
        return [e for at, e in self.disruptions if after < at <= until]


def _local(problem: DispatchProblem, day: datetime, at: time) -> datetime:
    return day.astimezone(problem.tz).replace(hour=at.hour, minute=at.minute, second=0,
                                              microsecond=0)


def _uniform_time(rng: random.Random, a: datetime, b: datetime) -> datetime:
    seconds = max(0.0, (b - a).total_seconds())
    return (a + timedelta(seconds=round(rng.uniform(0, seconds)))).replace(microsecond=0)


def _emergency(rng: random.Random, problem: DispatchProblem, k: int, at: datetime
               ) -> ServiceRequest:
    near = rng.choice(problem.requests)
    loc = Location(lat=near.location.lat + rng.uniform(-NEAR_DEGREES, NEAR_DEGREES),
                   lon=near.location.lon + rng.uniform(-NEAR_DEGREES, NEAR_DEGREES))
    return ServiceRequest(
        id=f"E-{k:03d}", location=loc,
        duration=timedelta(minutes=rng.choice(EMERGENCY_MINUTES)),
        required_skills=near.required_skills, priority=Priority.CRITICAL,
        contract_tier=GOLD, created_at=at)


def event_stream(problem: DispatchProblem, morning: DispatchPlan, params: StreamParams,
                 seed: int) -> Stream:
    """The seeded disruptions of the day (see the module docstring)."""
    rng = random.Random(seed)
    day0 = morning.routes[0].steps[0].start
    first = min(s.start for s in problem.shifts)
    out: list[tuple[datetime, LiveEvent]] = []
    busy = sorted((r for r in morning.routes if r.jobs), key=lambda r: r.shift_id)
    for k, route in enumerate(rng.sample(busy, min(params.technicians_out, len(busy)))):
        start = _uniform_time(rng, _local(problem, day0, params.out_from),
                              _local(problem, day0, params.out_until))
        end = None if k == 0 else start + params.out_back_after
        reason = "ill" if end is None else "vehicle broken"
        out.append((start, Unavailability(route.technician_id, start, end, reason, start)))
    planned = {s.request_id: s.start for r in morning.routes for s in r.jobs}
    ids = sorted(problem.request_by_id)
    last_call = _local(problem, day0, params.emergencies_until)
    for rid in rng.sample(ids, round(params.cancel_share * len(ids))):
        latest = planned.get(rid, last_call) - params.cancel_notice
        at = _uniform_time(rng, first, max(first, latest))
        out.append((at, Cancellation(rid, at)))
    for k in range(round(params.emergency_share * len(ids))):
        at = _uniform_time(rng, _local(problem, day0, params.emergencies_from), last_call)
        out.append((at, NewRequest(_emergency(rng, problem, k, at), at)))
    overrun = {rid: timedelta(minutes=round(rng.uniform(
        params.overrun_min.total_seconds(), params.overrun_max.total_seconds()) / 60))
               for rid in rng.sample(ids, round(params.overrun_share * len(ids)))}
    factor = {rid: rng.uniform(1 - params.duration_spread, 1 + params.duration_spread)
              for rid in ids}
    factor.update({e.request.id: 1.0 for _, e in out if isinstance(e, NewRequest)})
    out.sort(key=lambda x: x[0])
    return Stream(out, factor, overrun)


# ---------------------------------------------------------------- execution
@dataclass
class Execution:
    """The truth of one policy's day: the published plan (of the whole day, see
    :func:`republish`), the reports so far and the actual times of started jobs."""

    problem: DispatchProblem
    published: DispatchPlan
    stream: Stream
    reports: list[LiveEvent] = field(default_factory=list)
    actual: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)
    technician: dict[str, str] = field(default_factory=dict)
    travel: timedelta = timedelta(0)
    pending: list[NewRequest] = field(default_factory=list)  # arrived, not yet published
    last_publish: datetime = NEVER

    def day(self, as_of: datetime, extra: tuple[LiveEvent, ...] = ()) -> LiveDay:
        return LiveDay(self.problem, self.published, as_of,
                       (*self.reports, *self.pending, *extra))

    def cancelled(self, until: datetime) -> set[str]:
        return {e.request_id for e in self.reports
                if isinstance(e, Cancellation) and e.at <= until}

    def advance(self, until: datetime) -> None:
        """Technicians work their published routes until ``until``."""
        gone = self.cancelled(until)
        for route in self.published.routes:
            self._walk(route, until, gone)

    def _walk(self, route: Route, until: datetime, gone: set[str]) -> None:
        shift = self.problem.shift_by_id[route.shift_id]
        out = [e for e in self.reports if isinstance(e, Unavailability)
               and e.technician_id == route.technician_id]
        ready = planned_ready = route.start_step.end
        for step in route.jobs:
            rid = step.request_id
            assert rid is not None
            if rid in self.actual:
                ready = self.actual[rid][1]
            elif rid not in gone:
                gap = step.arrival - planned_ready
                start = _after_outages(max(step.start, ready + gap),
                                       self.problem.request_by_id[rid].duration, out)
                if start is None or start > shift.latest_end:
                    return
                leave = max(ready, start - gap)  # to arrive as planned, not earlier
                if leave > until:
                    return
                self._start(route, step, leave, start)
                ready = self.actual[rid][1]
            planned_ready = step.end

    def _start(self, route: Route, step: Step, leave: datetime, start: datetime) -> None:
        rid = step.request_id
        assert rid is not None
        planned = self.problem.request_by_id[rid].duration
        late = self.stream.overrun.get(rid, timedelta(0))
        end = start + planned * self.stream.factor.get(rid, 1.0) + late
        end = end.replace(microsecond=0)
        self.actual[rid] = (start, end)
        self.technician[rid] = route.technician_id
        self.travel += step.travel_time
        self.reports += [StatusReport(rid, JobStatus.EN_ROUTE, leave),
                         StatusReport(rid, JobStatus.ON_SITE, start),
                         StatusReport(rid, JobStatus.DONE, end)]
        if late:
            self.reports.append(Delay(rid, end, start + planned * DELAY_REPORT_SHARE))


def _after_outages(start: datetime, duration: timedelta, out: list[Unavailability]
                   ) -> datetime | None:
    """The first start at or after ``start`` clear of every outage (``None``: never)."""
    moved = True
    while moved:
        moved = False
        for gone in out:
            if gone.covers(start, start + duration):
                if gone.end is None:
                    return None
                start, moved = gone.end, True
    return start


# ---------------------------------------------------------------- re-publishing
def _history_step(step: Step, times: tuple[datetime, datetime]) -> Step:
    start, end = times
    return dataclasses.replace(step, start=start, end=end, arrival=min(step.arrival, start))


def republish(ex: Execution, built: Replan, plan: DispatchPlan) -> None:
    """Publish ``plan`` (a plan of ``built.problem``): each original shift's route
    becomes its work done or under way (at actual and expected times), then the
    jobs ``plan`` gives its pieces; requests that arrived join the problem."""
    day = built.day
    history = day.history()
    routes: list[Route] = []
    for shift in ex.problem.shifts:
        old = ex.published.route_for(shift.id)
        mine = sorted((r for r in plan.routes
                       if r.shift_id == shift.id or r.shift_id.startswith(f"{shift.id}@")),
                      key=lambda r: r.start_step.start)
        done = []
        if old is not None:
            expected = built.states[shift.id].expected
            for s in old.jobs:
                rid = s.request_id
                if rid in history:
                    assert rid is not None
                    times = ex.actual.get(rid) if rid in day.done() else None
                    times = times or (expected[rid].start, expected[rid].end)
                    done.append(_history_step(s, times))
        middle = [s for r in mine for s in r.steps if s.kind is not StepKind.START
                  and s.kind is not StepKind.END]
        if not done and not middle:
            continue
        head = old if done and old is not None else (mine[0] if mine else old)
        tail = mine[-1] if mine else old
        assert head is not None and tail is not None
        routes.append(Route(shift.id, shift.technician_id,
                            (head.start_step, *done, *middle, tail.end_step),
                            (mine[0] if mine else head).kpis))
    ex.problem = dataclasses.replace(
        ex.problem, requests=(*ex.problem.requests, *(e.request for e in ex.pending)))
    ex.pending = []
    ex.published = dataclasses.replace(plan, routes=tuple(routes))
    ex.last_publish = day.as_of


def summary_of(ex: Execution, emergencies: list[ServiceRequest], sla: timedelta
               ) -> dict[str, Any]:
    """Jobs completed by priority, SLA met, travel and overtime of the day."""
    completed: dict[str, int] = {p.value: 0 for p in Priority}
    for rid in ex.actual:
        completed[ex.problem.request_by_id[rid].priority.value] += 1
    met = sum(1 for e in emergencies if e.id in ex.actual and e.created_at is not None
              and ex.actual[e.id][0] <= e.created_at + sla)
    overtime, travel = timedelta(0), ex.travel
    for route in ex.published.routes:
        shift = ex.problem.shift_by_id[route.shift_id]
        ends = [ex.actual[s.request_id][1] for s in route.jobs if s.request_id in ex.actual]
        if ends:
            home = max(ends) + route.end_step.travel_time
            overtime += max(timedelta(0), home - shift.end)
            travel += route.end_step.travel_time
    return {"completed": completed, "completed_total": len(ex.actual),
            "emergencies": len(emergencies), "sla_met": met,
            "travel_hours": round(travel.total_seconds() / 3600, 1),
            "overtime_hours": round(overtime.total_seconds() / 3600, 1)}

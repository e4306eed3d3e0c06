"""Expected times of the live day without a solve: ETAs and where technicians are free.

Each published route is walked in order. Done jobs end at their actual end; a job
under way (on site) ends at its reported expected end (a :class:`~fieldops.domain.live.Delay`)
or its actual start plus its duration, never before ``as_of``; a job en route
starts once the technician gets there from the moment they left. Every later job
of the route keeps its planned gap before it (the travel, and the break when the
plan had one there) after the previous job's expected end, and never starts
before its planned start: a delay pushes the following stops, an early finish does
not pull them. A technician who has not reported leaving is still at the last
place at ``as_of``. The ETA is the expected start of service; it is never before
the job's planned start, so never before its window opens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from fieldops.domain.live import JobStatus, LiveDay
from fieldops.domain.location import Location
from fieldops.domain.plan import Route
from fieldops.domain.resources import Shift


@dataclass(frozen=True, slots=True)
class Expected:
    """A job's expected start and end of service."""

    start: datetime
    end: datetime


@dataclass
class RouteState:
    """One shift of the live day: when and where its technician is next free, and
    the expected times of its jobs not done (under way ones included)."""

    shift: Shift
    free_at: datetime
    free_place: Location
    under_way: list[str] = field(default_factory=list)
    expected: dict[str, Expected] = field(default_factory=dict)


def _walk(day: LiveDay, route: Route, shift: Shift, state: RouteState) -> None:
    as_of = day.as_of
    requests = day.requests()
    # The departure is the START step, not the first step (a lunch taken before
    # leaving comes first), and the jobs are the JOB steps, not the steps between
    # the first and the last (a lunch taken after return comes last).
    ready = planned_ready = route.start_step.end
    idle = True  # the technician waits at the last place until told otherwise
    for step in route.jobs:
        rid = step.request_id
        assert rid is not None
        req = requests[rid]
        status = day.status(rid)
        gap = step.arrival - planned_ready
        if status is JobStatus.DONE:
            ready = day.actual_end(rid) or step.end
            state.free_at, state.free_place = max(as_of, ready), req.location
            idle = True
        elif status in (JobStatus.ON_SITE, JobStatus.EN_ROUTE):
            if status is JobStatus.ON_SITE:
                start = day.actual_start(rid) or step.start
            else:
                left = day.reported_at(rid, JobStatus.EN_ROUTE) or as_of
                start = max(step.start, left + gap, as_of)
            end = max(day.delay(rid) or start + req.duration, as_of)
            state.expected[rid] = Expected(start, end)
            state.under_way.append(rid)
            ready, idle = end, False
            state.free_at, state.free_place = end, req.location
        elif rid not in day.cancelled():
            base = max(ready, as_of) if idle else ready
            start = max(step.start, base + gap)
            state.expected[rid] = Expected(start, start + req.duration)
            ready, idle = start + req.duration, False
        planned_ready = step.end


def live_routes(day: LiveDay) -> dict[str, RouteState]:
    """Every shift of the day's problem, by shift id, walked as described above."""
    out: dict[str, RouteState] = {}
    for shift in day.problem.shifts:
        state = RouteState(shift, max(day.as_of, shift.start),
                           day.problem.shift_start_location(shift))
        route = day.route_of(shift.id)
        if route is not None and route.jobs:
            _walk(day, route, shift, state)
        out[shift.id] = state
    return out


def etas(day: LiveDay) -> dict[str, datetime]:
    """The expected start of service of every published job not done or cancelled
    (jobs under way: their actual or expected start)."""
    return {rid: e.start for state in live_routes(day).values()
            for rid, e in state.expected.items()}


def expected_ends(day: LiveDay) -> dict[str, datetime]:
    """The expected end of service of the same jobs."""
    return {rid: e.end for state in live_routes(day).values()
            for rid, e in state.expected.items()}



"""The live day: a published plan, what has happened since, and ``as_of``.

A published plan is a promise. Through the day technicians report statuses with
actual times (en route, on site, done), become unavailable (ill, vehicle broken)
and come back, report that a job will run long; customers call with new requests
or cancel. :class:`LiveDay` holds the published plan (and the problem it answers)
with those events, and answers the plain questions about them (what is the
status of this job, when did it start, when will it end). The rules built on
it — what is frozen, where each technician starts again — are in
:mod:`fieldops.solver.live` (the re-planning problem) and, recomputed
independently, in :mod:`fieldops.validators.live`.

Only events that happened at or before ``as_of`` count; an unavailability counts
from when it is reported whatever period it names.
"""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from fieldops.domain._checks import require_aware, require_duration, require_enum, require_id
from fieldops.domain.errors import FieldError
from fieldops.domain.plan import DispatchPlan, Route, Step
from fieldops.domain.problem import DispatchProblem
from fieldops.domain.requests import ServiceRequest

DEFAULT_FREEZE_HORIZON = timedelta(minutes=60)


class JobStatus(enum.StrEnum):
    """Where a published job stands; ``dispatched`` until a technician reports."""

    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class StatusReport:
    """A technician reports a job's status at ``at`` (``on_site``: the actual start,
    ``done``: the actual end)."""

    request_id: str
    status: JobStatus
    at: datetime

    def __post_init__(self) -> None:
        require_id("request_id", self.request_id)
        object.__setattr__(self, "status", require_enum("status", self.status, JobStatus))
        require_aware("at", self.at)


@dataclass(frozen=True, slots=True)
class Unavailability:
    """A technician cannot work from ``start`` until ``end`` (``None``: the rest of
    the day), e.g. ill or vehicle broken; reported at ``reported_at``."""

    technician_id: str
    start: datetime
    end: datetime | None = None
    reason: str = "unavailable"
    reported_at: datetime | None = None

    def __post_init__(self) -> None:
        require_id("technician_id", self.technician_id)
        require_aware("start", self.start)
        if self.end is not None:
            require_aware("end", self.end)
            if self.end <= self.start:
                raise FieldError("end", "must be after start")
        if self.reported_at is not None:
            require_aware("reported_at", self.reported_at)

    def covers(self, start: datetime, end: datetime) -> bool:
        """Whether ``[start, end)`` overlaps the unavailable period."""
        return end > self.start and (self.end is None or start < self.end)


@dataclass(frozen=True, slots=True)
class Delay:
    """A job under way will end at ``expected_end`` (reported at ``reported_at``)."""

    request_id: str
    expected_end: datetime
    reported_at: datetime

    def __post_init__(self) -> None:
        require_id("request_id", self.request_id)
        require_aware("expected_end", self.expected_end)
        require_aware("reported_at", self.reported_at)


@dataclass(frozen=True, slots=True)
class NewRequest:
    """A request that arrived during the day."""

    request: ServiceRequest
    at: datetime

    def __post_init__(self) -> None:
        require_aware("at", self.at)


@dataclass(frozen=True, slots=True)
class Cancellation:
    """A customer cancelled a request."""

    request_id: str
    at: datetime

    def __post_init__(self) -> None:
        require_id("request_id", self.request_id)
        require_aware("at", self.at)


LiveEvent = StatusReport | Unavailability | Delay | NewRequest | Cancellation


def event_time(event: LiveEvent) -> datetime:
    """When ``event`` became known."""
    if isinstance(event, Unavailability):
        return event.reported_at or event.start
    if isinstance(event, Delay):
        return event.reported_at
    return event.at


@dataclass(frozen=True, slots=True)
class LiveParams:
    """How a live day is re-planned.

    ``freeze_horizon``: a dispatched job whose expected start is before ``as_of +
    freeze_horizon`` keeps its technician and start (default 60 min).
    ``promised_windows``: a published job keeps only the appointment window its
    published start lies in (the one promised to the customer); ``False`` keeps
    all of its windows.
    """

    freeze_horizon: timedelta = DEFAULT_FREEZE_HORIZON
    promised_windows: bool = True

    def __post_init__(self) -> None:
        require_duration("freeze_horizon", self.freeze_horizon)


@dataclass(frozen=True, slots=True)
class PlannedJob:
    """One job of the published plan: its technician, shift and step."""

    request_id: str
    technician_id: str
    shift_id: str
    step: Step
    position: int  # index among the route's jobs


@dataclass(frozen=True)
class LiveDay:
    """The published plan of ``problem`` and the events since, as of ``as_of``.

    Events name requests of the problem or of an earlier :class:`NewRequest`, and
    technicians of the problem; anything else is a :class:`FieldError` naming the
    event (``events[3].request_id``).
    """

    problem: DispatchProblem
    published: DispatchPlan
    as_of: datetime
    events: tuple[LiveEvent, ...] = ()
    _index: dict[str, PlannedJob] = field(default_factory=dict, init=False, repr=False,
                                          compare=False)

    def __post_init__(self) -> None:
        require_aware("as_of", self.as_of)
        object.__setattr__(self, "events", tuple(self.events))
        known = set(self.problem.request_by_id)
        techs = set(self.problem.technician_by_id)
        for i, event in enumerate(self.events):
            where = f"events[{i}]"
            if isinstance(event, NewRequest):
                if event.request.id in known:
                    raise FieldError(f"{where}.request.id",
                                     f"request {event.request.id!r} already exists")
                known.add(event.request.id)
            elif isinstance(event, Unavailability):
                if event.technician_id not in techs:
                    raise FieldError(f"{where}.technician_id",
                                     f"unknown technician {event.technician_id!r}")
            elif isinstance(event, StatusReport | Delay | Cancellation):
                if event.request_id not in known:
                    raise FieldError(f"{where}.request_id",
                                     f"unknown request {event.request_id!r}")
            else:
                raise FieldError(where, "is not a live event")
        for route in self.published.routes:
            for k, step in enumerate(route.jobs):
                assert step.request_id is not None
                self._index[step.request_id] = PlannedJob(
                    step.request_id, route.technician_id, route.shift_id, step, k)

    # ---------------------------------------------------------------- events
    def known_events(self) -> list[LiveEvent]:
        """The events known at ``as_of``, in the order given."""
        return list(self._known)

    # The day is immutable: the filtered events and the sets the ETA walk and the
    # re-planning problem ask for once per job are computed once.
    @cached_property
    def _known(self) -> tuple[LiveEvent, ...]:
        return tuple(e for e in self.events if event_time(e) <= self.as_of)

    @cached_property
    def _cancelled(self) -> frozenset[str]:
        return frozenset(e.request_id for e in self._known if isinstance(e, Cancellation))

    @cached_property
    def _away(self) -> dict[str, list[Unavailability]]:
        out: dict[str, list[Unavailability]] = {}
        for e in self._known:
            if isinstance(e, Unavailability):
                out.setdefault(e.technician_id, []).append(e)
        return out

    def with_events(self, *events: LiveEvent, as_of: datetime | None = None) -> LiveDay:
        """This day with ``events`` appended (and ``as_of`` moved)."""
        return LiveDay(self.problem, self.published, as_of or self.as_of,
                       self.events + tuple(events))

    def planned(self, request_id: str) -> PlannedJob | None:
        """Where the published plan put the request, or ``None``."""
        return self._index.get(request_id)

    def route_of(self, shift_id: str) -> Route | None:
        return self.published.route_for(shift_id)

    @cached_property
    def _reports(self) -> dict[str, tuple[JobStatus, dict[JobStatus, datetime], datetime | None]]:
        """Per request: latest status, when each status was last reported, delay."""
        out: dict[str, tuple[JobStatus, dict[JobStatus, datetime], datetime | None]] = {}
        for e in self.known_events():
            if isinstance(e, StatusReport):
                _, times, delay = out.get(e.request_id, (JobStatus.DISPATCHED, {}, None))
                times[e.status] = e.at
                out[e.request_id] = (e.status, times, delay)
            elif isinstance(e, Delay):
                status, times, _ = out.get(e.request_id, (JobStatus.DISPATCHED, {}, None))
                out[e.request_id] = (status, times, e.expected_end)
        self._finish_left_behind(out)
        return out

    def _finish_left_behind(
            self, out: dict[str, tuple[JobStatus, dict[JobStatus, datetime], datetime | None]]
    ) -> None:
        """A technician works on one job at a time: a job still under way when they
        report on a later one is done from that later report on."""
        for route in self.published.routes:
            under = sorted((min(out[rid][1].values()), rid) for rid in route.request_ids
                           if rid in out and out[rid][0] in (JobStatus.EN_ROUTE,
                                                              JobStatus.ON_SITE))
            for (_, rid), (later, _) in itertools.pairwise(under):
                _, times, delay = out[rid]
                out[rid] = (JobStatus.DONE, {**times, JobStatus.DONE: later}, delay)

    def status(self, request_id: str) -> JobStatus:
        """The latest reported status of a request (``dispatched`` when none)."""
        found = self._reports.get(request_id)
        return found[0] if found is not None else JobStatus.DISPATCHED

    def reported_at(self, request_id: str, status: JobStatus) -> datetime | None:
        """When ``status`` was last reported for the request."""
        found = self._reports.get(request_id)
        return found[1].get(status) if found is not None else None

    def actual_start(self, request_id: str) -> datetime | None:
        return self.reported_at(request_id, JobStatus.ON_SITE)

    def actual_end(self, request_id: str) -> datetime | None:
        return self.reported_at(request_id, JobStatus.DONE)

    def delay(self, request_id: str) -> datetime | None:
        """The latest reported expected end of the request, or ``None``."""
        found = self._reports.get(request_id)
        return found[2] if found is not None else None

    def cancelled(self) -> set[str]:
        return set(self._cancelled)

    def new_requests(self) -> list[ServiceRequest]:
        return [e.request for e in self._known if isinstance(e, NewRequest)]

    def unavailabilities(self, technician_id: str) -> list[Unavailability]:
        return list(self._away.get(technician_id, ()))

    def requests(self) -> dict[str, ServiceRequest]:
        """Every request of the day (the problem's and the new ones), by id."""
        out = dict(self.problem.request_by_id)
        for req in self.new_requests():
            out[req.id] = req
        return out

    def done(self) -> set[str]:
        return {rid for rid, (status, _, _) in self._reports.items() if status is JobStatus.DONE}

    def under_way(self) -> set[str]:
        """Requests en route or on site: frozen on their technician."""
        return {rid for rid, (status, _, _) in self._reports.items()
                if status in (JobStatus.EN_ROUTE, JobStatus.ON_SITE)}

    def history(self) -> set[str]:
        """Requests no re-plan may touch: done or under way."""
        return self.done() | self.under_way()

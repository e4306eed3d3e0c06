"""Calendar events from a dispatch plan, and merging successive publishes.

Everything here is pure: a plan (and its problem) in, :class:`FeedEvent` values
out. The store layer keeps the merged list per technician between publishes and
hands it to :func:`fieldops.calendar.render.render_feed`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fieldops.domain.errors import FieldError
from fieldops.domain.plan import DispatchPlan, Route, Step, StepKind
from fieldops.domain.problem import DispatchProblem
from fieldops.domain.requests import ServiceRequest
from fieldops.domain.timewindow import TimeWindow

UID_DOMAIN = "fieldops"


class EventStatus(enum.StrEnum):
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"


class EventKind(enum.StrEnum):
    JOB = "job"
    BREAK = "break"
    TRAVEL = "travel"
    SHIFT = "shift"


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One VEVENT of a feed, independent of any calendar library.

    ``start``/``end`` are aware instants; ``geo`` is ``(lat, lon)`` in degrees;
    ``sequence`` is the RFC 5545 revision counter, raised by :func:`merge_publish`
    whenever the times or the place change; ``last_modified`` is when the content
    last changed (it becomes DTSTAMP and LAST-MODIFIED, so an unchanged feed renders
    to the same bytes and keeps its HTTP ETag).
    """

    uid: str
    start: datetime
    end: datetime
    summary: str
    kind: EventKind = EventKind.JOB
    status: EventStatus = EventStatus.CONFIRMED
    sequence: int = 0
    location: str | None = None
    geo: tuple[float, float] | None = None
    description: str = ""
    url: str | None = None
    last_modified: datetime | None = None

    def __post_init__(self) -> None:
        if not self.uid:
            raise FieldError("uid", "must not be empty")
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, datetime) or value.tzinfo is None:
                raise FieldError(name, "must be an aware datetime (with a UTC offset)")
        if self.end < self.start:
            raise FieldError("end", "must not be before start")
        if self.sequence < 0:
            raise FieldError("sequence", "must be >= 0")


def job_uid(request_id: str) -> str:
    """The UID of a job's event: one per service request, whoever does it and when."""
    return f"request-{request_id}@{UID_DOMAIN}"


def _minutes(value: timedelta) -> str:
    return f"{round(value.total_seconds() / 60)} min"


def _local(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _job_summary(request_id: str, request: ServiceRequest | None) -> str:
    if request is None:
        return f"Job {request_id}"
    parts = [f"[{request.priority.value.upper()}]", request.job_type or "Job"]
    customer = request.customer_name or request.customer_id
    if customer:
        parts.append(f"– {customer}")
    return " ".join(parts)


LAST_VISITS_SHOWN = 3


@dataclass(frozen=True, slots=True)
class Visit:
    """A completed visit to a customer, for the job description's history line."""

    request_id: str
    done_at: datetime
    job_type: str | None = None
    technician_id: str | None = None


LAST_CONTACTS_SHOWN = 3
#: A contact's summary is cut to this many characters on the calendar event.
CONTACT_SUMMARY_CHARS = 120


@dataclass(frozen=True, slots=True)
class Contact:
    """A logged contact with a customer (call, e-mail, ...), for the job description."""

    at: datetime
    channel: str
    summary: str


def _contact_line(c: Contact, tz: ZoneInfo) -> str:
    text = " ".join(c.summary.split())
    if len(text) > CONTACT_SUMMARY_CHARS:
        text = text[: CONTACT_SUMMARY_CHARS - 1] + "…"
    return f"{c.at.astimezone(tz):%Y-%m-%d} {c.channel}: {text}"


def _job_description(
    step: Step,
    request: ServiceRequest | None,
    problem: DispatchProblem | None,
    tz: ZoneInfo,
    visits: Sequence[Visit] = (),
    contacts: Sequence[Contact] = (),
) -> str:
    lines: list[str] = []
    if request is not None and request.description:
        lines.append(request.description)
        lines.append("")
    lines.append(f"Job: {step.request_id}")
    if request is not None:
        lines.append(f"Priority: {request.priority.value}")
        if request.job_type:
            lines.append(f"Type: {request.job_type}")
        lines.append(f"Duration: {_minutes(request.duration)}")
        if request.required_skills:
            skills = ", ".join(f"{s.name} (level {s.level})" for s in request.required_skills)
            lines.append(f"Required skills: {skills}")
        if request.windows:
            windows = ", ".join(
                f"{_local(w.start, tz)}–{w.end.astimezone(tz):%H:%M}" for w in request.windows
            )
            lines.append(f"Appointment window: {windows}")
        if request.contract_tier:
            lines.append(f"Contract: {request.contract_tier}")
    if step.sla_deadline is not None:
        lines.append(f"SLA deadline: {_local(step.sla_deadline, tz)}")
    if request is not None and (request.customer_name or request.customer_phone):
        contact = ", ".join(x for x in (request.customer_name, request.customer_phone) if x)
        lines.append(f"Customer: {contact}")
    earlier = [v for v in visits if v.request_id != step.request_id][:LAST_VISITS_SHOWN]
    if earlier:
        lines.append("Last visits: " + "; ".join(
            f"{v.done_at.astimezone(tz):%Y-%m-%d}"
            + (f" {v.job_type}" if v.job_type else "")
            + (f" by {v.technician_id}" if v.technician_id else "")
            for v in earlier))
    if contacts:
        lines.append("Last contacts: " + "; ".join(
            _contact_line(c, tz) for c in contacts[:LAST_CONTACTS_SHOWN]))
    lines.append(
        f"Planned arrival: {step.arrival.astimezone(tz):%H:%M} "
        f"(drive {_minutes(step.travel_time)}, {step.travel_distance / 1000:.1f} km)"
    )
    if problem is None:
        lines.append("(details unavailable: plan published without its problem)")
    return "\n".join(lines)


def _route_events(
    route: Route,
    problem: DispatchProblem | None,
    tz: ZoneInfo,
    job_url: Callable[[str], str] | None,
    include_travel: bool,
    now: datetime,
    last_visits: Mapping[str, Sequence[Visit]] | None = None,
    last_contacts: Mapping[str, Sequence[Contact]] | None = None,
) -> list[FeedEvent]:
    events: list[FeedEvent] = []
    breaks = 0
    for step in route.steps:
        if step.kind is StepKind.JOB and step.request_id is not None:
            request = problem.request_by_id.get(step.request_id) if problem else None
            place = request.location if request is not None else step.location
            events.append(
                FeedEvent(
                    uid=job_uid(step.request_id),
                    start=step.start,
                    end=step.end,
                    summary=_job_summary(step.request_id, request),
                    kind=EventKind.JOB,
                    location=place.address if place is not None else None,
                    geo=(place.lat, place.lon) if place is not None else None,
                    description=_job_description(
                        step, request, problem, tz,
                        (last_visits or {}).get(request.customer_id or "", ())
                        if request is not None else (),
                        (last_contacts or {}).get(request.customer_id or "", ())
                        if request is not None else (),
                    ),
                    url=job_url(step.request_id) if job_url is not None else None,
                    last_modified=now,
                )
            )
        elif step.kind is StepKind.BREAK:
            breaks += 1
            events.append(
                FeedEvent(
                    uid=f"break-{route.shift_id}-{breaks}@{UID_DOMAIN}",
                    start=step.start,
                    end=step.end,
                    summary="Break",
                    kind=EventKind.BREAK,
                    description=f"Break of {_minutes(step.end - step.start)}",
                    last_modified=now,
                )
            )
        if (
            include_travel
            and step.kind in (StepKind.JOB, StepKind.END)
            and step.travel_time > timedelta(0)
        ):
            target = step.request_id if step.kind is StepKind.JOB else "end"
            where = f"job {step.request_id}" if step.kind is StepKind.JOB else "base"
            events.append(
                FeedEvent(
                    uid=f"travel-{route.shift_id}-{target}@{UID_DOMAIN}",
                    start=step.arrival - step.travel_time,
                    end=step.arrival,
                    summary=f"Travel to {where}",
                    kind=EventKind.TRAVEL,
                    description=f"Drive {_minutes(step.travel_time)}, "
                    f"{step.travel_distance / 1000:.1f} km",
                    last_modified=now,
                )
            )
    return events


def events_for_technician(
    problem: DispatchProblem | None,
    plan: DispatchPlan,
    technician_id: str,
    *,
    job_url: Callable[[str], str] | None = None,
    include_travel: bool = False,
    now: datetime | None = None,
    last_visits: Mapping[str, Sequence[Visit]] | None = None,
    last_contacts: Mapping[str, Sequence[Contact]] | None = None,
) -> list[FeedEvent]:
    """The events of one technician in ``plan``: jobs, breaks and optionally travel.

    Parameters
    ----------
    problem
        The problem the plan solves; gives customer, address, skills and contract
        details. Without it the events carry only what the plan knows.
    technician_id
        Must be a technician of ``problem`` (when given). A technician with no route
        gets an empty list.
    job_url
        Maps a request id to the URL of the job (e.g. the dispatcher's job page).
    include_travel
        Add a busy block for each drive (``arrival - travel_time`` to ``arrival``).
    now
        Stamp for ``last_modified`` (default: the current time).
    last_visits
        The customer's earlier completed visits, newest first, by customer id; the
        job's description lists the last three.
    last_contacts
        The customer's logged contacts (calls, e-mails, ...), newest first, by
        customer id; the job's description lists the last three, so the technician
        arrives knowing the story.

    Returns
    -------
    list[FeedEvent]
        Sorted by start; sequences are 0, use :func:`merge_publish` against the
        previously published list to number revisions.
    """
    if problem is not None and technician_id not in problem.technician_by_id:
        raise FieldError("technician_id", f"unknown technician {technician_id!r}")
    tz = ZoneInfo(plan.timezone)
    stamp = now if now is not None else datetime.now(UTC)
    events: list[FeedEvent] = []
    for route in plan.routes:
        if route.technician_id == technician_id:
            events.extend(_route_events(route, problem, tz, job_url, include_travel, stamp,
                                        last_visits, last_contacts))
    return sorted(events, key=lambda e: (e.start, e.uid))


def _moved(a: FeedEvent, b: FeedEvent) -> bool:
    return (a.start, a.end, a.location, a.geo) != (b.start, b.end, b.location, b.geo)


def _content_changed(a: FeedEvent, b: FeedEvent) -> bool:
    return (a.summary, a.description, a.url, a.kind) != (b.summary, b.description, b.url, b.kind)


def merge_publish(
    previous: Sequence[FeedEvent],
    current: Sequence[FeedEvent],
    now: datetime,
    *,
    horizon: TimeWindow | None = None,
) -> list[FeedEvent]:
    """Merge a new publish into the previously published events of one feed.

    - An event whose times or place changed keeps its UID and gets ``sequence + 1``.
    - Text-only changes (summary, description, URL) keep the sequence but refresh
      ``last_modified``; an unchanged event is returned exactly as it was published.
    - A job that left the plan stays, for its old times, as ``CANCELLED`` with
      ``sequence + 1``; breaks and travel blocks that left are dropped (they were
      never promised to anybody).
    - A cancelled job that comes back is confirmed again with ``sequence + 1``.

    Parameters
    ----------
    previous
        The list this function returned last time (empty on the first publish).
    current
        :func:`events_for_technician` of the new plan.
    now
        The publish time, used as ``last_modified`` of everything that changed.
    horizon
        The period the new plan covers. Previous events outside it belong to other
        plans (another day) and are kept untouched; without it every previous event
        not in ``current`` counts as taken off the plan.
    """
    if now.tzinfo is None:
        raise FieldError("now", "must be an aware datetime")
    seen: set[str] = set()
    for i, event in enumerate(current):
        if event.uid in seen:
            raise FieldError(f"current[{i}].uid", f"duplicate uid {event.uid!r}")
        seen.add(event.uid)
    old = {e.uid: e for e in previous}
    merged: list[FeedEvent] = []
    for event in current:
        before = old.get(event.uid)
        if before is None:
            merged.append(replace(event, sequence=0, status=EventStatus.CONFIRMED,
                                  last_modified=now))
        elif before.status is EventStatus.CANCELLED or _moved(before, event):
            merged.append(replace(event, sequence=before.sequence + 1,
                                  status=EventStatus.CONFIRMED, last_modified=now))
        elif _content_changed(before, event):
            merged.append(replace(event, sequence=before.sequence,
                                  status=EventStatus.CONFIRMED, last_modified=now))
        else:
            merged.append(before)
    for uid, before in old.items():
        if uid in seen:
            continue
        in_scope = horizon is None or (before.start < horizon.end and before.end > horizon.start)
        if not in_scope or before.status is EventStatus.CANCELLED:
            merged.append(before)
        elif before.kind is EventKind.JOB:
            merged.append(replace(before, status=EventStatus.CANCELLED,
                                  sequence=before.sequence + 1, last_modified=now))
    return sorted(merged, key=lambda e: (e.start, e.uid))

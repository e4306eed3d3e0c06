"""The live day as a resource: its state in the store, its view, its events.

A local date that has a published plan has a :class:`~fieldops.store.models.LiveDayRow`:
the day's whole problem, the plan in force (the morning plan with every published
live proposal merged in, done and under-way work kept as history) and a version.
:func:`live_day` builds the library's :class:`~fieldops.domain.live.LiveDay` from it,
the reported events (``day_events``) and the requests' status history;
:func:`day_view` renders it as ``GET /days/{date}`` answers it (docs/api.md). The
proposals (insertion, move, re-plan) are in :mod:`fieldops.services.live_ops`.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from fieldops.domain import DispatchPlan, DispatchProblem, ServiceRequest
from fieldops.domain.errors import FieldError
from fieldops.domain.live import (
    DEFAULT_FREEZE_HORIZON,
    Cancellation,
    Delay,
    JobStatus,
    LiveDay,
    LiveEvent,
    LiveParams,
    StatusReport,
    Unavailability,
)
from fieldops.domain.plan import Route, Step, StepKind
from fieldops.schemas import (
    plan_from_json,
    plan_to_json,
    problem_from_json,
    problem_to_json,
    request_from_json,
)
from fieldops.schemas.live import event_from_json, event_to_json
from fieldops.schemas.scalars import format_instant_utc
from fieldops.services import day_version
from fieldops.services.errors import Conflict, NotFound
from fieldops.services.requests import change_status
from fieldops.solver.live import RouteState, etas, live_routes
from fieldops.store.models import (
    DayEventRow,
    LiveDayRow,
    PlanRow,
    RequestRow,
    StatusEvent,
    utcnow,
)

#: Request statuses that are live-day status reports.
REPORTED = {s.value for s in JobStatus} - {JobStatus.DISPATCHED.value}
#: Statuses of requests a technician has not started yet (they can be released).
NOT_STARTED = ("scheduled", "dispatched")
#: Event types a caller may report (statuses go through ``/requests/{id}/status``).
REPORTABLE = ("unavailable", "delay", "cancelled")
RELEASED = "released"
#: Seconds a re-plan solves when the caller does not say.
DEFAULT_REPLAN_SECONDS = 5.0
#: The key of a re-plan's live parameters inside its stored solve ``params``.
LIVE_PARAMS = "live"


#: How far from its day an instant of the live day may lie: a typo (year 9999) is a
#: 422 naming the field, never an overflow deep in the ETA walk.
MAX_DAY_DISTANCE = timedelta(days=366)


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def instant_near(raw: Any, field: str, around: date | datetime) -> datetime | None:
    """``raw`` (ISO 8601, or ``None``) as an instant within a year of ``around``."""
    if raw is None:
        return None
    from fieldops.schemas import parse_instant

    value = parse_instant(raw, field)
    ref = around if isinstance(around, datetime) else _noon(around)
    if abs(value - ref) > MAX_DAY_DISTANCE:
        raise FieldError(field, "must lie within a year of the day")
    return value


def utc(value: datetime | None) -> str | None:
    return format_instant_utc(value) if value is not None else None


def local_days(start: datetime, end: datetime, timezone: str) -> list[date]:
    """The local dates (in ``timezone``) a horizon touches, its end excluded."""
    tz = ZoneInfo(timezone)
    first = start.astimezone(tz).date()
    last = (end - timedelta(microseconds=1)).astimezone(tz).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def day_row(s: Session, day: date, *, lock: bool = False) -> LiveDayRow:
    """The live state of ``day``; :class:`NotFound` (``no-published-plan``) without one."""
    # The day's problem and plan (about 1 MB of JSON each at 1 000 jobs) are read
    # only when used: most calls find them decoded already (:func:`_decoded`).
    q = select(LiveDayRow).where(LiveDayRow.day == day).options(
        defer(LiveDayRow.problem), defer(LiveDayRow.plan))
    if lock:
        q = q.with_for_update()
    row = s.scalars(q.execution_options(populate_existing=True)).first()
    if row is None:
        raise NotFound(f"nothing was published for {day.isoformat()}",
                       kind="no-published-plan", field="date")
    return row


def parse_day(value: str) -> date:
    """``YYYY-MM-DD`` of the URL; :class:`FieldError` naming ``date`` else."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FieldError("date", f"{value!r} is not a date like 2026-12-07") from None


# ---------------------------------------------------------------- building the LiveDay
def _status_events(s: Session, request_ids: Iterable[str], day: date | None = None
                   ) -> list[LiveEvent]:
    """Status reports and cancellations from the requests' status history."""
    rows = s.scalars(select(StatusEvent).where(
        StatusEvent.request_id.in_(list(request_ids)),
        StatusEvent.status.in_([*REPORTED, "cancelled"]))
        .order_by(StatusEvent.at, StatusEvent.id))
    out: list[LiveEvent] = []
    for e in rows:
        if day is not None and abs(e.at - _noon(day)) > MAX_DAY_DISTANCE:
            continue  # a status of another time, not this day's (and never an overflow)
        if e.status == "cancelled":
            out.append(Cancellation(e.request_id, e.at))
        else:
            out.append(StatusReport(e.request_id, JobStatus(e.status), e.at))
    return out


def stored_events(s: Session, day: date) -> list[DayEventRow]:
    return list(s.scalars(select(DayEventRow).where(DayEventRow.day == day)
                          .order_by(DayEventRow.reported_at, DayEventRow.id)))


def _event_of(row: DayEventRow) -> LiveEvent:
    """The library event of a stored one (its ``reason`` note is the API's own)."""
    extra = () if row.type == "unavailable" else ("reason",)
    return event_from_json({k: v for k, v in row.body.items() if k not in extra})


def _known(problem: DispatchProblem, events: Sequence[LiveEvent]) -> list[LiveEvent]:
    """The events about this day's requests and technicians (others are not its own)."""
    reqs, techs = problem.request_by_id, problem.technician_by_id
    out: list[LiveEvent] = []
    for e in events:
        if isinstance(e, Unavailability):
            if e.technician_id in techs:
                out.append(e)
        elif isinstance(e, StatusReport | Delay | Cancellation) and e.request_id in reqs:
            out.append(e)
    return out


#: Decoded (problem, plan in force) of the latest day states this process read.
_DECODED: OrderedDict[tuple[Any, ...], tuple[DispatchProblem, DispatchPlan]] = OrderedDict()
_DECODED_LOCK = threading.Lock()
DECODED_STATES = 8


def _decoded(row: LiveDayRow) -> tuple[DispatchProblem, DispatchPlan]:
    """The day's problem and plan, decoded once per state: the board polls, tracking
    and proposals would otherwise decode ~1 MB of JSON per call at 1 000 jobs. Every
    change of the state moves the version (or the plan published), so the key names
    one state; the objects are immutable."""
    key = (row.day, row.version, row.plan_id, row.published_at)
    with _DECODED_LOCK:
        found = _DECODED.get(key)
        if found is not None:
            _DECODED.move_to_end(key)
            return found
    found = (problem_from_json(row.problem), plan_from_json(row.plan))
    _remember(key, found)
    return found


def _remember(key: tuple[Any, ...], objects: tuple[DispatchProblem, DispatchPlan]) -> None:
    with _DECODED_LOCK:
        _DECODED[key] = objects
        while len(_DECODED) > DECODED_STATES:
            _DECODED.popitem(last=False)


def live_day(s: Session, row: LiveDayRow, as_of: datetime) -> LiveDay:
    """The library's view of the day at ``as_of``: problem, plan in force, events."""
    problem, plan = _decoded(row)
    reported = [_event_of(e) for e in stored_events(s, row.day)]
    events = _status_events(s, problem.request_by_id, row.day) + reported
    cancelled = {e.request_id for e in events if isinstance(e, Cancellation)}
    # A cancellation reported as an event is also a status change: count it once.
    events = [e for e in events if not isinstance(e, Cancellation)] + [
        Cancellation(rid, min(e.at for e in events
                              if isinstance(e, Cancellation) and e.request_id == rid))
        for rid in sorted(cancelled)]
    return LiveDay(problem, plan, as_of, tuple(_known(problem, events)))


# ---------------------------------------------------------------- publishing
def _history_step(day: LiveDay, step: Step, ends: dict[str, datetime]) -> Step:
    """A job kept as history, timed as it went (or is expected to end)."""
    assert step.request_id is not None
    start = day.actual_start(step.request_id) or step.start
    end = day.actual_end(step.request_id) or ends.get(step.request_id) or step.end
    return dataclasses.replace(step, start=start, end=max(end, start))


def _pieces(plan: DispatchPlan, shift_id: str) -> list[Route]:
    """The routes of a re-planning plan on the pieces of one original shift."""
    return sorted((r for r in plan.routes
                   if r.shift_id == shift_id or r.shift_id.startswith(f"{shift_id}@")),
                  key=lambda r: r.start_step.start)


def _merged_route(day: LiveDay, shift_id: str, technician_id: str, proposal: DispatchPlan,
                  planned: set[str], ends: dict[str, datetime]) -> Route | None:
    old = day.published.route_for(shift_id)
    kept = [_history_step(day, st, ends) for st in (old.jobs if old else ())
            if st.request_id not in planned]
    pieces = _pieces(proposal, shift_id)
    work = [st for r in pieces for st in r.steps
            if st.kind in (StepKind.JOB, StepKind.BREAK)]
    if not kept and not work:
        return None
    if kept and pieces:
        work = _after_history(kept[-1], pieces[0], work)
    first = old or pieces[0]
    last = pieces[-1] if pieces else first
    # START and END by kind: a lunch before leaving or after return is a first or
    # last step of its piece, and is already among ``work``.
    return Route(shift_id, technician_id, (first.start_step, *kept, *work, last.end_step),
                 first.kpis)


def _after_history(last: Step, piece: Route, work: list[Step]) -> list[Step]:
    """The ETA walk (:mod:`fieldops.solver.live.eta`) keeps each job's planned gap
    after the previous job's end; the first new job's gap is its travel from where
    the technician is free, so its arrival is counted from the history's end, not
    from the re-planned route's start."""
    k = next((i for i, st in enumerate(work) if st.kind is StepKind.JOB), None)
    if k is None:
        return work
    travel = max(work[k].arrival - piece.start_step.end, timedelta(0))
    arrival = min(last.end + travel, work[k].arrival)
    return [*work[:k], dataclasses.replace(work[k], arrival=arrival), *work[k + 1:]]


def merge_proposal(day: LiveDay, planned: set[str], added: Sequence[ServiceRequest],
                   plan: DispatchPlan) -> tuple[DispatchProblem, DispatchPlan]:
    """The day's whole problem and plan once a live proposal is published: history
    kept, the rest the proposal's. ``planned``: the requests of the proposal's
    (re-planning) problem; ``added``: those of them new to the day."""
    from fieldops.solver.live import expected_ends

    ends = expected_ends(day)
    routes = []
    for shift in day.problem.shifts:
        route = _merged_route(day, shift.id, shift.technician_id, plan, planned, ends)
        if route is not None:
            routes.append(route)
    whole = dataclasses.replace(day.problem, requests=day.problem.requests + tuple(added))
    return whole, dataclasses.replace(day.published, routes=tuple(routes),
                                      unassigned=plan.unassigned)


#: Proposals made by this process, decoded: publishing one soon after needs no decode.
_PROPOSALS: OrderedDict[str, DispatchPlan] = OrderedDict()


def remember_proposal(plan_id: str, plan: DispatchPlan) -> None:
    with _DECODED_LOCK:
        _PROPOSALS[plan_id] = plan
        while len(_PROPOSALS) > DECODED_STATES:
            _PROPOSALS.popitem(last=False)


def _proposal_plan(plan: PlanRow) -> DispatchPlan:
    with _DECODED_LOCK:
        found = _PROPOSALS.get(plan.id)
    return found if found is not None else plan_from_json(plan.result)


def _merged_state(s: Session, row: LiveDayRow, plan: PlanRow, now: datetime
                  ) -> tuple[dict[str, Any], dict[str, Any], DispatchProblem, DispatchPlan]:
    """The day's state once ``plan`` (a proposal, or a partial plan) is merged in, as
    JSON and as objects. Only the requests new to the day are decoded and encoded."""
    current = live_day(s, row, plan.as_of or now)
    requests = plan.problem.get("requests", [])
    known = current.problem.request_by_id
    fresh = [r for r in requests if r.get("id") not in known]
    added = [request_from_json(r, "") for r in fresh]
    whole, merged = merge_proposal(current, {str(r.get("id")) for r in requests}, added,
                                   _proposal_plan(plan))
    problem_json = {**row.problem, "requests": [*row.problem.get("requests", []), *fresh]}
    return problem_json, plan_to_json(merged), whole, merged


def record_publish(s: Session, plan: PlanRow, now: datetime) -> list[date]:
    """Make ``plan`` (published now) the plan in force of its days; their versions go up.

    A plan solved from the store replaces the day's state; a live proposal is merged
    into it (:func:`merge_proposal`). The new state's objects are kept for the next
    reader of this process. Returns the days.
    """
    days = [plan.day] if plan.day is not None else local_days(
        plan.horizon_start, plan.horizon_end, plan.timezone)
    for day in days:
        row = s.get(LiveDayRow, day)
        objects: tuple[DispatchProblem, DispatchPlan] | None = None
        if row is None or (plan.kind is None and _covers(plan, row)):
            problem_json, plan_json_ = plan.problem, plan.result or {}
        else:
            problem_json, plan_json_, whole, merged = _merged_state(s, row, plan, now)
            objects = (whole, merged)
        if row is None:
            row = LiveDayRow(day=day, version=0, timezone=plan.timezone, problem=problem_json,
                             plan=plan_json_)
            s.add(row)
        row.problem, row.plan = problem_json, plan_json_
        row.plan_id, row.published_at = plan.id, now
        s.flush()
        if objects is not None:
            # The bump below is this transaction's (publishes of a day are serialised).
            _remember((day, row.version + 1, plan.id, now), objects)
    day_version.bump(s, days)
    return days


def _covers(plan: PlanRow, row: LiveDayRow) -> bool:
    """Whether a plan from the store re-plans every job of the plan in force."""
    mine = {r.get("id") for r in plan.problem.get("requests", [])}
    return all(st.get("request_id") in mine for r in row.plan.get("routes", [])
               for st in r.get("steps", []) if st.get("request_id"))


def remove_from_plans(s: Session, request_ids: Iterable[str]) -> None:
    """Take released requests out of the plan in force of every live day holding them."""
    gone = set(request_ids)
    if not gone:
        return
    for row in s.scalars(select(LiveDayRow)):
        plan = plan_from_json(row.plan)
        if not any(rid in gone for r in plan.routes for rid in r.request_ids):
            continue
        routes = tuple(dataclasses.replace(r, steps=tuple(
            st for st in r.steps if st.request_id not in gone)) for r in plan.routes)
        row.plan = plan_to_json(dataclasses.replace(plan, routes=routes))


# ---------------------------------------------------------------- events
def _event_json(row: DayEventRow) -> dict[str, Any]:
    body = {k: v for k, v in row.body.items() if k != "reported_at"}
    for key in ("start", "end", "expected_end", "at"):
        if isinstance(body.get(key), str):
            body[key] = format_instant_utc(datetime.fromisoformat(body[key]))
    return {"id": row.id, **body, "reported_at": utc(row.reported_at), "actor": row.actor}


def list_events(s: Session, day: date) -> list[dict[str, Any]]:
    """``GET /days/{date}/events``: every reported event, oldest first."""
    day_row(s, day)
    return [_event_json(e) for e in stored_events(s, day)]


_EVENT_INSTANTS = ("start", "end", "expected_end", "at", "reported_at")


def _decode(body: dict[str, Any], now: datetime, day: date) -> LiveEvent:
    """The event of a ``POST /days/{date}/events`` body; errors name its fields."""
    kind = body.get("type")
    if kind not in REPORTABLE:
        raise FieldError("type", f"must be one of {list(REPORTABLE)}")
    given = {key: instant_near(body.get(key), key, day) for key in _EVENT_INSTANTS}
    reported = given["reported_at"] or now
    if kind == "cancelled":
        data = {"type": kind, "request_id": body.get("request_id"),
                "at": (given["at"] or reported).isoformat()}
    else:
        data = {**body, "reported_at": reported.isoformat()}
        if kind == "delay":
            data.pop("reason", None)
    return event_from_json(data)


@dataclasses.dataclass
class Reported:
    """What reporting an event did: the stored row, the jobs released, the version."""

    event: dict[str, Any]
    released: list[str]
    version: str


def _check_refs(live: LiveDay, day: date, event: LiveEvent) -> None:
    if isinstance(event, Unavailability):
        if event.technician_id not in live.problem.technician_by_id:
            raise FieldError("technician_id", f"technician {event.technician_id!r} has no "
                             f"work on {day.isoformat()}")
        return
    assert isinstance(event, Delay | Cancellation)
    if event.request_id not in live.requests():
        raise FieldError("request_id", f"request {event.request_id!r} is not planned that day")


def _released(day: LiveDay, gone: Unavailability) -> list[str]:
    """The technician's jobs not started that overlap the unavailable period."""
    out: list[str] = []
    for state in live_routes(day).values():
        if state.shift.technician_id != gone.technician_id:
            continue
        out += [rid for rid, e in state.expected.items()
                if rid not in state.under_way and gone.covers(e.start, e.end)]
    return out


def report_event(s: Session, day: date, body: dict[str, Any], *, actor: str,
                 now: datetime | None = None) -> Reported:
    """Store one event of ``day`` (``POST /days/{date}/events``).

    ``unavailable`` releases the technician's jobs not started in that span (back
    to ``new``, out of the plan in force: the next re-plan or insertion places
    them); ``cancelled`` cancels the request too. Unknown technicians or requests
    are a :class:`FieldError` naming the body's field.
    """
    now = now or utcnow()
    row = day_row(s, day, lock=True)
    event = _decode(body, now, day)
    reported = instant_near(body.get("reported_at"), "reported_at", day) or now
    state = live_day(s, row, reported)
    _check_refs(state, day, event)
    released: list[str] = []
    if isinstance(event, Unavailability):
        released = _released(state.with_events(event), event)
        _release(s, released, actor, reported,
                 f"released: {event.technician_id} unavailable ({event.reason})")
    elif isinstance(event, Cancellation):
        req = s.get(RequestRow, event.request_id)
        if req is not None and req.status != "cancelled":
            change_status(s, req, "cancelled", actor=actor, at=event.at,
                          note=body.get("reason") or "cancelled by the customer")
    stored = DayEventRow(day=day, type=body["type"],
                         technician_id=getattr(event, "technician_id", None),
                         request_id=getattr(event, "request_id", None),
                         body={**event_to_json(event),
                               **({"reason": body["reason"]} if body.get("reason") else {})},
                         reported_at=reported, actor=actor)
    s.add(stored)
    s.flush()
    day_version.bump(s, [day])
    s.refresh(row)
    return Reported(_event_json(stored), released, str(row.version))


def _release(s: Session, request_ids: Sequence[str], actor: str, at: datetime,
             note: str) -> None:
    rows = s.scalars(select(RequestRow).where(RequestRow.id.in_(list(request_ids))))
    for req in rows:
        if req.status in NOT_STARTED:
            change_status(s, req, "new", actor=actor, at=at, note=note)
    remove_from_plans(s, request_ids)


def release_shifts(s: Session, shift_ids: Sequence[str], actor: str, why: str) -> list[str]:
    """Release the jobs not started of shifts about to be deleted (a deleted
    technician or shift): back to ``new``, out of the plans in force."""
    rows = list(s.scalars(select(RequestRow).where(
        RequestRow.assigned_shift_id.in_(list(shift_ids)),
        RequestRow.status.in_(NOT_STARTED))))
    ids = [r.id for r in rows]
    _release(s, ids, actor, utcnow(), f"released: {why}")
    return ids


# ---------------------------------------------------------------- the view
def _late(day: LiveDay, req: ServiceRequest, start: datetime) -> bool:
    if req.windows and not any(w.start <= start <= w.end for w in req.windows):
        return True
    deadline = day.problem.sla_deadline(req)
    return deadline is not None and start > deadline


def _stop(day: LiveDay, step: Step, state: RouteState, statuses: dict[str, str],
          freeze: timedelta, requests: dict[str, ServiceRequest]) -> dict[str, Any]:
    rid = step.request_id
    assert rid is not None
    req = requests[rid]
    expected = state.expected.get(rid)
    start = expected.start if expected else (day.actual_start(rid) or step.start)
    end = expected.end if expected else (day.actual_end(rid) or step.end)
    status = "cancelled" if rid in day.cancelled() else statuses.get(rid, day.status(rid).value)
    return {
        "request_id": rid, "status": status,
        "planned_start": utc(step.start), "planned_end": utc(step.end),
        "eta": utc(start), "expected_end": utc(end),
        "windows": [{"start": utc(w.start), "end": utc(w.end)} for w in req.windows],
        "frozen": rid in state.under_way or step.start < day.as_of + freeze,
        "priority": req.priority.value,
        "late": expected is not None and _late(day, req, start),
        "lat": req.location.lat, "lon": req.location.lon, "customer_id": req.customer_id,
    }


def _technician(day: LiveDay, state: RouteState, statuses: dict[str, str],
                freeze: timedelta, requests: dict[str, ServiceRequest]) -> dict[str, Any]:
    shift = state.shift
    tech = day.problem.technician_by_id[shift.technician_id]
    gone = day.unavailabilities(tech.id)
    route = day.published.route_for(shift.id)
    return {
        "technician_id": tech.id, "name": tech.name, "shift_id": shift.id,
        "shift_start": utc(shift.start), "shift_end": utc(shift.end),
        "available": not any(u.covers(day.as_of, day.as_of + timedelta(seconds=1))
                             for u in gone),
        "unavailable": [{"start": utc(u.start), "end": utc(u.end), "reason": u.reason}
                        for u in gone],
        "free_at": utc(state.free_at),
        "free_location": {"lat": state.free_place.lat, "lon": state.free_place.lon},
        "stops": [_stop(day, st, state, statuses, freeze, requests)
                  for st in (route.jobs if route else ())],
        "breaks": [{"start": utc(st.start), "end": utc(st.end)}
                   for st in (route.steps if route else ()) if st.kind is StepKind.BREAK],
    }


def _unassigned(s: Session, day: LiveDay, statuses: dict[str, str]) -> list[dict[str, Any]]:
    placed = {rid for r in day.published.routes for rid in r.request_ids}
    reasons = {u.request_id: {"code": u.reason.value, "message": u.detail or u.reason.value}
               for u in day.published.unassigned}
    notes = dict(s.execute(select(StatusEvent.request_id, StatusEvent.note).where(
        StatusEvent.request_id.in_(list(day.requests())),
        StatusEvent.note.like(f"{RELEASED}:%")).order_by(StatusEvent.at)).tuples().all())
    out = []
    for rid, req in day.requests().items():
        if rid in placed or statuses.get(rid, "new") not in ("new",) or rid in day.cancelled():
            continue
        reason = {"code": RELEASED, "message": notes[rid]} if rid in notes else \
            reasons.get(rid, {"code": "not_planned", "message": "not in the plan in force"})
        out.append({"request_id": rid, "reasons": [reason], "priority": req.priority.value,
                    "lat": req.location.lat, "lon": req.location.lon})
    return out


def day_view(s: Session, day: date, now: datetime | None = None,
             freeze_horizon: timedelta = DEFAULT_FREEZE_HORIZON) -> dict[str, Any]:
    """``GET /days/{date}`` (docs/api.md, "The live day"): the day at ``now``."""
    as_of = now or utcnow()
    row = day_row(s, day)
    live = live_day(s, row, as_of)
    statuses = dict(s.execute(select(RequestRow.id, RequestRow.status).where(
        RequestRow.id.in_(list(live.requests())))).tuples().all())
    states = live_routes(live)
    requests = live.requests()
    return {
        "date": day.isoformat(), "version": str(row.version), "as_of": utc(as_of),
        "published_plan_id": row.plan_id,
        "technicians": [_technician(live, st, statuses, freeze_horizon, requests)
                        for st in states.values()],
        "unassigned": _unassigned(s, live, statuses),
        "events": [_event_json(e) for e in stored_events(s, day)],
    }


def version(s: Session, day: date) -> str:
    """The current version of ``day`` (the ETag), without building the view."""
    return str(day_row(s, day).version)


# ---------------------------------------------------------------- proposals
def diff_json(day: LiveDay, plan: DispatchPlan) -> dict[str, Any]:
    """The proposal's diff against the plan in force (docs/api.md): per technician
    jobs added, removed and re-timed beyond the tolerance, who must be told, and
    whether any job already planned moved at all."""
    from fieldops.solver.live import plan_diff
    from fieldops.solver.live.diff import DEFAULT_TOLERANCE

    tolerance = day.problem.weights.retime_tolerance or DEFAULT_TOLERANCE
    diff = plan_diff(day.published, plan, tolerance, ignore=day.history())
    exact = plan_diff(day.published, plan, timedelta(0), ignore=day.history())
    published = {rid for r in day.published.routes for rid in r.request_ids}
    moved_nobody = all(not t.removed and not t.retimed and
                       all(rid not in published for rid, _ in t.added)
                       for t in exact.technicians)
    return {
        "technicians": [{
            "technician_id": t.technician_id,
            "added": [rid for rid, _ in t.added],
            "removed": list(t.removed),
            "retimed": [{"request_id": r.request_id, "old_start": utc(r.old),
                         "new_start": utc(r.new)} for r in t.retimed],
        } for t in diff.technicians],
        "notify": list(diff.notify),
        "moved_nobody": moved_nobody,
    }


def finish_replan(s: Session, row: PlanRow, solved: DispatchPlan,
                  live_args: dict[str, Any]) -> DispatchPlan:
    """A finished re-plan: the cheaper of the solve and the plan as it stands (the
    day as of the re-plan's ``as_of``), with its diff and cost written on ``row``."""
    from fieldops.solver.live import current_plan, replan_problem

    assert row.day is not None and row.as_of is not None
    state = live_day(s, day_row(s, row.day), row.as_of)
    freeze = timedelta(minutes=float(live_args.get("freeze_minutes", 0)))
    fresh = replan_problem(state, LiveParams(freeze_horizon=freeze))
    # When the day moved on while solving there is no current plan of this very
    # problem to compare with (publishing it will be refused as stale anyway).
    current = solved if problem_to_json(fresh.problem) != row.problem else current_plan(fresh)
    best = solved if solved.objective < current.objective else current
    row.diff = diff_json(state, best)
    row.cost = {
        "added_travel_s": (best.kpis.travel_time - current.kpis.travel_time).total_seconds(),
        "disruption": best.penalties.get("disruption", 0.0)
        - current.penalties.get("disruption", 0.0),
        "objective_delta": best.objective - current.objective,
    }
    return best


def original_shift(shift_ids: Iterable[str], shift_id: str) -> str:
    """The day's shift a piece of a cut shift (``S1@1030``) belongs to."""
    for sid in sorted(shift_ids, key=len, reverse=True):
        if shift_id == sid or shift_id.startswith(f"{sid}@"):
            return sid
    return shift_id


def shift_mapper(s: Session, day: date) -> Callable[[str], str]:
    """Route shift id → the day's shift it runs on (for a proposal's assignments)."""
    ids = [sh["id"] for sh in day_row(s, day).problem.get("shifts", [])]
    return lambda sid: original_shift(ids, sid)


# ---------------------------------------------------------------- publish guards
def _changes_since(s: Session, row: LiveDayRow, plan: PlanRow) -> str:
    """What moved the day on since ``plan`` was made, in a few words."""
    if row.published_at is not None and row.published_at > plan.created_at:
        return f"plan {row.plan_id} was published at {utc(row.published_at)}"
    events = [e for e in stored_events(s, row.day) if e.reported_at > plan.created_at]
    if events:
        last = events[-1]
        return f"{len(events)} event(s) were reported, the last: {last.type} of " \
               f"{last.request_id or last.technician_id}"
    return "an event or a status change of one of its requests was reported"


def _violations(found: Sequence[Any]) -> list[dict[str, Any]]:
    return [{"code": v.code, "message": v.message, "request_id": v.request_id,
             "shift_id": v.shift_id} for v in found]


def check_proposal(s: Session, plan: PlanRow) -> None:
    """The publish guards of a live proposal (the day's rows are locked already).

    :class:`Conflict` ``stale-base`` when the day's version moved since the
    proposal was made; ``live-rule-broken`` (with ``violations``) when the plan
    breaks a live-day rule (:func:`fieldops.validators.live.validate_live`:
    double booking, work before ``as_of``, frozen work moved, ...).
    """
    from fieldops.domain.live import NewRequest
    from fieldops.validators.live import validate_live

    assert plan.day is not None and plan.as_of is not None
    row = day_row(s, plan.day, lock=True)
    if row.version != plan.base_version:
        raise Conflict(
            f"{plan.day.isoformat()} changed since this {plan.kind} was made (version "
            f"{plan.base_version} → {row.version}: {_changes_since(s, row, plan)}); "
            "make a new one from the day as it is", kind="stale-base", field="base_version",
            base_version=str(plan.base_version), version=str(row.version))
    state = live_day(s, row, plan.as_of)
    known = state.requests()
    added = [NewRequest(r, plan.as_of) for r in problem_from_json(plan.problem).requests
             if r.id not in known]
    found = validate_live(state.with_events(*added), plan_from_json(plan.result))
    if found:
        raise Conflict(f"the {plan.kind} breaks {len(found)} live-day rule(s): "
                       f"{found[0].message}", kind="live-rule-broken",
                       violations=_violations(found))


def _busy(s: Session, row: LiveDayRow, leave_out: set[str]
          ) -> dict[str, list[tuple[datetime, datetime, str]]]:
    """Per technician, the work in force that a plan of ``leave_out`` keeps."""
    steps = [(r["technician_id"], st) for r in row.plan.get("routes", [])
             for st in r.get("steps", []) if st.get("request_id")
             and st["request_id"] not in leave_out]
    open_ = set(s.scalars(select(RequestRow.id).where(
        RequestRow.id.in_([st["request_id"] for _, st in steps]),
        RequestRow.status.not_in(("new", "cancelled")))))
    out: dict[str, list[tuple[datetime, datetime, str]]] = {}
    for tech, st in steps:
        if st["request_id"] in open_:
            out.setdefault(tech, []).append((datetime.fromisoformat(st["start"]),
                                             datetime.fromisoformat(st["end"]),
                                             st["request_id"]))
    return out


def check_plain_publish(s: Session, plan: PlanRow) -> None:
    """A plan solved from the store (``POST /plans``) may not double-book a
    technician against published work it did not re-plan (e.g. a plan of one
    emergency): :class:`Conflict` ``live-rule-broken``."""
    mine = {r.get("id") for r in plan.problem.get("requests", [])}
    found: list[dict[str, Any]] = []
    result = None  # decoded only when a day of the plan holds published work
    for day in local_days(plan.horizon_start, plan.horizon_end, plan.timezone):
        row = s.get(LiveDayRow, day)
        if row is None:
            continue
        result = result or plan_from_json(plan.result)
        busy = _busy(s, row, {str(m) for m in mine})
        for route in result.routes:
            for step in route.jobs:
                for start, end, other in busy.get(route.technician_id, []):
                    if step.start < end and start < step.end:
                        found.append({
                            "code": "double_booked", "request_id": step.request_id,
                            "shift_id": route.shift_id,
                            "message": f"{step.request_id} {step.start:%H:%M}–{step.end:%H:%M}"
                                       f" overlaps {other} of {route.technician_id} "
                                       "already published"})
    if found:
        raise Conflict(f"the plan double-books published work: {found[0]['message']}",
                       kind="live-rule-broken", violations=found)


# ---------------------------------------------------------------- tracking
def _not_before_window(row: RequestRow, eta: datetime) -> datetime:
    """The expected start of service is never before the window it falls in opens."""
    for w in sorted(row.windows, key=lambda w: w.start):
        if eta <= w.end:
            return max(eta, w.start)
    return eta


def tracking_eta(s: Session, row: RequestRow, as_of: datetime | None = None
                 ) -> datetime | None:
    """The live ETA of a planned request: its expected start of service as of
    ``as_of`` (statuses and delays of its day applied, no solve), else its planned
    start; never before its appointment window opens. ``None`` when unplanned."""
    if row.planned_start is None:
        return None
    as_of = as_of or utcnow()
    eta = row.planned_start
    for day in sorted(day_version.days_of_instants(s, [row.planned_start])):
        state = live_day(s, day_row(s, day), as_of)
        found = etas(state).get(row.id)
        if found is not None:
            eta = found
            break
    return _not_before_window(row, eta)

"""Appointment slots: offers, holds, booking, reschedule and cancel (issue 18).

The days are the published plans (a date without one: its technicians' shifts
with no work yet). Offers are computed outside any lock (read only); every write
— a hold, a booking, a reschedule, a cancel — first locks the publication rows of
the days it touches (:func:`~fieldops.services.publishing.lock_days`, the lock
every publish takes), then reads the day again and re-checks the slot. Two
customers racing for the last capacity therefore run one after the other: the
second finds the first's booking in the plan and gets :class:`Conflict`
``slot-taken`` with fresh offers.

A booking stores the promised window (``bookings``), sets the request's windows to
it (every later re-plan keeps the promise), inserts the job into that day's plan
(:func:`fieldops.solver.slots.book_slot`), stores that plan and publishes it
(:func:`fieldops.services.plans.publish_plan`: statuses, feeds). A live hold
(``slot_holds``, until ``expires_at``) counts as booked for every other request.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from fieldops.domain import DispatchPlan, DispatchProblem, ServiceRequest, TimeWindow
from fieldops.domain.errors import FieldError
from fieldops.schemas import (
    format_duration,
    plan_from_json,
    plan_to_json,
    problem_from_json,
    problem_to_json,
)
from fieldops.schemas.scalars import format_instant_utc
from fieldops.services import day_version
from fieldops.services.crud import get
from fieldops.services.errors import Conflict, NotFound
from fieldops.services.live import remove_from_plans
from fieldops.services.live_ops import LiveContext
from fieldops.services.plans import OPEN_STATUSES, insert_assignments, publish_plan
from fieldops.services.publishing import ALL_DAYS, horizon_days, lock_days
from fieldops.services.requests import change_status
from fieldops.solver.slots import (
    DEFAULT_GRID,
    SlotOffer,
    SlotParams,
    book_slot,
    check_grid,
    day_slots,
    local_day,
    offer_slots,
    open_slots,
    remove_job,
    slot_id,
)
from fieldops.store.convert import request_from_row
from fieldops.store.models import (
    BookingRow,
    LiveDayRow,
    PlanRow,
    RequestRow,
    RequestWindow,
    ShiftRow,
    SlotHold,
    utcnow,
)
from fieldops.validators.dispatch import validate_plan
from fieldops.validators.promises import validate_promises

#: Working days offered when the caller names none (the issue's "next 5").
DEFAULT_DAYS = 5
MAX_DAYS = 31
#: Dates scanned for working days (a date with at least one shift).
SCAN_DAYS = 62
#: No slot starts sooner than this after ``as_of``.
DEFAULT_LEAD = timedelta(hours=1)
DEFAULT_HOLD_MINUTES = 10
MAX_HOLD_MINUTES = 60
MAX_BULK = 200
#: Decoded published days kept per process (a published plan never changes).
CACHE_SIZE = 16
BOOKED, CANCELLED = "booked", "cancelled"


@dataclass(frozen=True)
class SlotSettings:
    """The business's slot settings: the grid and its time zone (``None``: the zone
    of the latest published plan, else UTC), and the lead time before a slot."""

    grid: timedelta = DEFAULT_GRID
    timezone: str | None = None
    lead: timedelta = DEFAULT_LEAD


@dataclass
class Day:
    """One day as offers see it: the problem and plan to insert into."""

    date: date
    problem: DispatchProblem
    plan: DispatchPlan
    plan_id: str | None  # the plan published last for the day (None: nothing yet)
    # Requests pinned for the computation (work about to start), as they really are.
    thawed: dict[str, ServiceRequest] = dataclasses.field(default_factory=dict)
    # Other requests' live holds, booked into this copy only (never published).
    held: tuple[str, ...] = ()
    # Today: the live day (statuses, events, positions) the day is the rest of; a
    # booking into it publishes as a live insertion (docs/live-day.md).
    live: LiveContext | None = None
    # No work of the day has started (not the live day, before its first shift): its
    # planned jobs may start earlier inside their windows for an offer or a booking.
    future: bool = False

    def params(self, params: SlotParams) -> SlotParams:
        """``params`` with this day's rule (offers and bookings alike)."""
        return dataclasses.replace(params, future=self.future)


# ---------------------------------------------------------------- reading days
_cache: OrderedDict[str, tuple[DispatchProblem, DispatchPlan]] = OrderedDict()
_cache_lock = threading.Lock()


def _remember(plan_id: str, found: tuple[DispatchProblem, DispatchPlan]) -> None:
    with _cache_lock:
        _cache[plan_id] = found
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)


def _decoded(key: str, problem_json: dict[str, Any], plan_json: dict[str, Any]
             ) -> tuple[DispatchProblem, DispatchPlan]:
    """A day's problem and plan, decoded once per process and ``key``."""
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    found = _consistent(problem_from_json(problem_json), plan_from_json(plan_json))
    _remember(key, found)
    return found


def _consistent(problem: DispatchProblem, plan: DispatchPlan
                ) -> tuple[DispatchProblem, DispatchPlan]:
    """The problem without the requests its plan neither routes nor lists unassigned
    (jobs released or cancelled out of the plan in force keep their place in the
    day's problem; a booking need not carry them)."""
    held = {rid for r in plan.routes for rid in r.request_ids}
    held |= {u.request_id for u in plan.unassigned}
    if len(held) == len(problem.requests):
        return problem, plan
    return dataclasses.replace(problem, requests=tuple(
        r for r in problem.requests if r.id in held)), plan


def _key(day: date, version: int, plan_id: str | None, published_at: datetime | None) -> str:
    """The cache key of one state of a day: its version alone repeats across
    databases (and across a day deleted and published again), the plan in force and
    its publishing instant with it do not."""
    at = published_at.isoformat() if published_at is not None else ""
    return f"{day.isoformat()}@{version}/{plan_id}/{at}"


def business_tz(s: Session, settings: SlotSettings) -> ZoneInfo:
    """The configured zone, else that of the latest published plan, else UTC."""
    name = settings.timezone or s.scalar(
        select(PlanRow.timezone).where(PlanRow.published_at.is_not(None))
        .order_by(PlanRow.published_at.desc()).limit(1)) or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise FieldError("timezone", f"unknown time zone {name!r}") from None


def load_day(s: Session, day: date, tz: ZoneInfo) -> Day | None:
    """The day's plan in force (``live_days``: the last publish with every live
    change merged in), else its shifts with no work; ``None`` when nobody works."""
    from fieldops.services.plans import build_day_problem
    from fieldops.solver.dispatch.solve import evaluate_routes

    # The version first: the day's JSON (megabytes at 1 000 jobs) is read only when
    # this process has not decoded that version yet.
    head = s.execute(select(LiveDayRow.version, LiveDayRow.plan_id, LiveDayRow.published_at)
                     .where(LiveDayRow.day == day)).first()
    if head is not None:
        version, plan_id, published_at = head
        key = _key(day, version, plan_id, published_at)
        with _cache_lock:
            found = _cache.get(key)
        if found is None:
            problem_json, plan_json = s.execute(select(LiveDayRow.problem, LiveDayRow.plan)
                                                .where(LiveDayRow.day == day)).one()
            found = _decoded(key, problem_json, plan_json)
        return Day(day, found[0], found[1], plan_id)
    window = local_day(day, tz)
    problem = build_day_problem(s, window, tz.key, request_ids=[], name=f"slots {day}")
    if not problem.shifts:
        return None
    return Day(day, problem, evaluate_routes(problem, {}), None)


def working_days(s: Session, first: date, count: int, tz: ZoneInfo) -> list[date]:
    """The first ``count`` dates from ``first`` on with at least one shift."""
    start = local_day(first, tz).start
    rows = s.scalars(select(ShiftRow.start).where(
        ShiftRow.end > start, ShiftRow.start < start + timedelta(days=SCAN_DAYS))
        .order_by(ShiftRow.start))
    out: list[date] = []
    for at in rows:
        d = max(at.astimezone(tz).date(), first)
        if d not in out:
            out.append(d)
        if len(out) == count:
            break
    return out


def _live_holds(s: Session, day: date, now: datetime, other_than: str) -> list[SlotHold]:
    return list(s.scalars(select(SlotHold).where(
        SlotHold.day == day, SlotHold.expires_at > now, SlotHold.request_id != other_than)
        .order_by(SlotHold.created_at, SlotHold.id)))


def _without(day: Day, request_id: str) -> Day:
    """``day`` with the request taken out (its own booking does not compete)."""
    if request_id not in day.problem.request_by_id:
        return day
    problem, plan = remove_job(day.problem, day.plan, request_id)
    return dataclasses.replace(day, problem=problem, plan=plan)


def _with_holds(s: Session, day: Day, now: datetime, request_id: str,
                grid_params: SlotParams) -> Day:
    """``day`` with every other live hold booked into it (in memory)."""
    problem, plan = day.problem, day.plan
    held = []
    for h in _live_holds(s, day.date, now, request_id):
        row = s.get(RequestRow, h.request_id)
        if row is None or h.request_id in problem.request_by_id:
            continue
        found = book_slot(problem, plan, request_from_row(row), TimeWindow(h.start, h.end),
                          grid_params)
        if found is not None:
            problem, plan = found.insertion.problem, found.insertion.plan
            held.append(h.request_id)
    return dataclasses.replace(day, problem=problem, plan=plan, held=tuple(held))


def publishable(day: Day, problem: DispatchProblem, plan: DispatchPlan
                ) -> tuple[DispatchProblem, DispatchPlan]:
    """A plan built on the competing ``day`` as it may be published: the other
    customers' holds taken out again (nobody moves: they only kept their room while
    this booking was placed), frozen requests as they are."""
    for rid in day.held:
        problem, plan = remove_job(problem, plan, rid)
    return thaw(day, problem), plan


def _freeze(day: Day, before: datetime) -> Day:
    """``day`` with every job planned to start before ``before`` pinned to its
    technician and start: work under way or about to start is never pushed (nor
    done work rewritten). :func:`thaw` gives the requests back as they are."""
    starts = {st.request_id: (r.technician_id, st.start) for r in day.plan.routes
              for st in r.jobs if st.start < before}
    if not starts:
        return day
    thawed: dict[str, ServiceRequest] = {}
    reqs = []
    for r in day.problem.requests:
        if r.id in starts and r.pinned_start is None:
            thawed[r.id] = r
            tech, at = starts[r.id]
            r = dataclasses.replace(r, pinned_start=at, pinned_technician=tech)
        reqs.append(r)
    return dataclasses.replace(day, problem=dataclasses.replace(day.problem,
                                                                requests=tuple(reqs)),
                               thawed=thawed)


def thaw(day: Day, problem: DispatchProblem) -> DispatchProblem:
    """``problem`` (built on the frozen ``day``) with the frozen requests as they are."""
    if not day.thawed:
        return problem
    return dataclasses.replace(problem, requests=tuple(
        day.thawed.get(r.id, r) for r in problem.requests))


#: Today's live rest per (day, version, plan in force, published at, minute): the
#: offers of one minute share it (a change of the day moves its version).
_LIVE: OrderedDict[tuple[Any, ...], Day] = OrderedDict()
LIVE_KEPT = 4


def live_rest(s: Session, day: date, now: datetime, *, cached: bool = False) -> Day | None:
    """Today as the live day has it at ``now`` (to the minute), or ``None`` without
    a live state.

    The rest of the day (:func:`fieldops.solver.live.replan_problem`): done and
    under-way work out, each shift starting where and when its technician is next
    free (expected ends, delays), cut by ``unavailable`` periods, published work
    inside the freeze horizon pinned, released and cancelled jobs out; the plan is
    the published one carried over (:func:`fieldops.solver.live.current_plan`).
    ``cached``: an offer may reuse the rest built this minute for the same day
    version (only the version is read; the day's JSON is a megabyte at 1 000 jobs);
    a booking builds it from the locked rows.
    """
    from fieldops.services import live_ops

    head = s.execute(select(LiveDayRow.version, LiveDayRow.plan_id, LiveDayRow.published_at)
                     .where(LiveDayRow.day == day)).first()
    if head is None:
        return None
    # To the minute: the live context (a re-planning problem and the carried-over
    # plan, the slow part at 1 000 jobs) is kept per day version and instant, so the
    # offers and the booking of one minute share it; every slot starts an hour (the
    # lead) later anyway, and any change of the day moves its version.
    at = now.replace(second=0, microsecond=0)
    key = (day, *head, at)
    if cached:
        with _cache_lock:
            found = _LIVE.get(key)
        if found is not None:
            return found
    ctx = live_ops.context(s, day, at)
    # Jobs the carried-over plan lists unassigned (released, or pushed out by a
    # delay) stay so, as in the dispatcher's insertion: a booking never places them.
    found = Day(day, ctx.built.problem, ctx.plan, ctx.row.plan_id, live=ctx)
    if cached:
        with _cache_lock:
            _LIVE[key] = found
            while len(_LIVE) > LIVE_KEPT:
                _LIVE.popitem(last=False)
    return found


def not_started(day: Day, now: datetime) -> bool:
    """Whether ``day``'s work has not started at ``now``: no live state, and ``now``
    before its first shift. A customer was promised a window, not a minute: then an
    offer or a booking may start planned jobs earlier inside their windows; once the
    day has started (a technician may be on the way), never."""
    first = min((sh.start for sh in day.problem.shifts), default=None)
    return day.live is None and (first is None or now < first)


def competing_day(s: Session, day: date, tz: ZoneInfo, request_id: str, now: datetime,
                  params: SlotParams, lead: timedelta = DEFAULT_LEAD, *,
                  cached: bool = False) -> Day | None:
    """The day as the request competes for it: the plan in force (today: the rest of
    the live day, :func:`live_rest`; ``cached`` for offers), minus the request
    itself, its work starting within ``lead`` frozen, plus every other live hold."""
    found = live_rest(s, day, now, cached=cached) \
        if day == now.astimezone(tz).date() else None
    found = found or load_day(s, day, tz)
    if found is None:
        return None
    found = dataclasses.replace(found, future=not_started(found, now))
    frozen = _freeze(_without(found, request_id), now + lead)
    return _with_holds(s, frozen, now, request_id, frozen.params(params))


# ---------------------------------------------------------------- the request
def bookable_row(s: Session, request_id: str) -> RequestRow:
    """The request, which must be open (not under way, done or cancelled)."""
    row = get(s, RequestRow, request_id, "request")
    if row.status not in OPEN_STATUSES:
        raise Conflict(f"request {request_id!r} is {row.status}; only a request that is "
                       f"{', '.join(OPEN_STATUSES)} can be offered or booked",
                       field="status", kind="not-bookable")
    return row


def customer_request(s: Session, row: RequestRow) -> ServiceRequest:
    """The request as the customer asked for it: with its own windows, not those of
    a booking (a reschedule offers within them again)."""
    req = request_from_row(row)
    booking = s.get(BookingRow, row.id)
    if booking is not None and booking.status == BOOKED:
        windows = tuple(TimeWindow(datetime.fromisoformat(a), datetime.fromisoformat(b))
                        for a, b in booking.original_windows)
        req = dataclasses.replace(req, windows=windows)
    return req


# ---------------------------------------------------------------- offers
def offer_json(day: date, offer: SlotOffer, rank: int) -> dict[str, Any]:
    """An offer as the API shows it (no technician: the customer sees it)."""
    return {
        "slot_id": offer.id, "date": day.isoformat(), "start": _utc(offer.slot.start),
        "end": _utc(offer.slot.end), "earliest_arrival": _utc(offer.earliest_arrival),
        "latest_arrival": _utc(offer.latest_arrival), "rank": rank,
        "cost": {"added_travel_s": int(offer.added_travel.total_seconds()),
                 "disruption": offer.disruption, "added_cost": offer.added_cost},
    }


def _utc(value: datetime | None) -> str | None:
    """Instants as the API answers them (UTC, docs/api.md "Units")."""
    return format_instant_utc(value) if value is not None else None


@dataclass(frozen=True)
class OfferQuery:
    """What ``POST /requests/{id}/slot-offers`` asks: the period and the grid."""

    first: date | None = None
    days: int = DEFAULT_DAYS
    grid: timedelta | None = None
    limit: int | None = None
    as_of: datetime | None = None


def offers(s: Session, request_id: str, query: OfferQuery, settings: SlotSettings,
           *, row: RequestRow | None = None) -> dict[str, Any]:
    """Every bookable slot of the request over the query's working days, cheapest first.

    Answers ``{"request_id", "as_of", "grid", "offers": [...], "days": [...]}`` with
    instants as ``datetime`` (the API renders them).
    """
    row = row or bookable_row(s, request_id)
    if not 1 <= query.days <= MAX_DAYS:
        raise FieldError("days", f"must be between 1 and {MAX_DAYS}")
    grid = check_grid(query.grid or settings.grid)
    now = query.as_of or utcnow()
    tz = business_tz(s, settings)
    first = query.first or now.astimezone(tz).date()
    req = customer_request(s, row)
    params = SlotParams(grid=grid, not_before=now + settings.lead)
    found: list[tuple[date, SlotOffer]] = []
    days: list[dict[str, Any]] = []
    for d in working_days(s, first, query.days, tz):
        day = competing_day(s, d, tz, request_id, now, params, settings.lead, cached=True)
        if day is None:
            continue
        slots = open_slots(day_slots(d, tz, grid), day.problem.shifts, req, params.not_before)
        got = offer_slots(day.problem, day.plan, req, slots,
                          day.params(params)) if slots else []
        found += [(d, o) for o in got]
        days.append({"date": d.isoformat(), "offers": len(got),
                     "published_plan_id": day.plan_id})
    found.sort(key=lambda x: (x[1].added_cost, x[1].slot.start))
    if query.limit is not None:
        found = found[:query.limit]
    return {"request_id": request_id, "as_of": _utc(now), "grid": format_duration(grid),
            "offers": [offer_json(d, o, k) for k, (d, o) in enumerate(found, start=1)],
            "days": days}


def bulk_offers(s: Session, request_ids: Sequence[str], query: OfferQuery,
                settings: SlotSettings) -> list[dict[str, Any]]:
    """:func:`offers` of each request, independently (each against the same days);
    a request that cannot be offered gets ``{"request_id", "error": {code, message}}``."""
    if not request_ids or len(request_ids) > MAX_BULK:
        raise FieldError("request_ids", f"must name 1 to {MAX_BULK} requests")
    out: list[dict[str, Any]] = []
    for rid in request_ids:
        try:
            got = offers(s, rid, query, settings)
        except (NotFound, Conflict) as exc:
            out.append({"request_id": rid,
                        "error": {"code": exc.kind, "message": exc.detail}})
            continue
        out.append({"request_id": rid, "offers": got["offers"]})
    return out


def _fresh_offers(s: Session, row: RequestRow, first: date, settings: SlotSettings,
                  now: datetime) -> list[dict[str, Any]]:
    got = offers(s, row.id, OfferQuery(first=first, as_of=now), settings, row=row)
    return list(got["offers"])


# ---------------------------------------------------------------- holds
def hold_json(h: SlotHold) -> dict[str, Any]:
    return {"hold_id": h.id, "request_id": h.request_id, "date": h.day.isoformat(),
            "slot_id": slot_id(TimeWindow(h.start, h.end)), "start": _utc(h.start),
            "end": _utc(h.end), "expires_at": _utc(h.expires_at)}


def _lock(s: Session, days: Sequence[date], tz: ZoneInfo) -> None:
    """Lock every publication row the local ``days`` touch (and :data:`ALL_DAYS`)."""
    utc: list[date] = [ALL_DAYS]
    for d in days:
        w = local_day(d, tz)
        utc += horizon_days(w.start, w.end)
    lock_days(s, utc)


def _slot_day(s: Session, slot: TimeWindow, settings: SlotSettings) -> tuple[date, ZoneInfo]:
    tz = business_tz(s, settings)
    return slot.start.astimezone(tz).date(), tz


def _check_slot(s: Session, row: RequestRow, slot: TimeWindow, d: date, tz: ZoneInfo,
                settings: SlotSettings, now: datetime) -> tuple[Day, Any]:
    """With the day locked: the slot still fits (else ``slot-taken`` + fresh offers).

    Returns the competing day and the :class:`~fieldops.solver.slots.Booked` result.
    """
    params = SlotParams(grid=settings.grid)
    day = competing_day(s, d, tz, row.id, now, params, settings.lead)
    booked = None
    if day is not None and slot.start >= now:
        booked = book_slot(day.problem, day.plan, customer_request(s, row), slot,
                           day.params(params))
    if day is None or booked is None:
        raise Conflict(f"slot {slot_id(slot)} can no longer be booked for {row.id!r}; "
                       "see the fresh offers", field="slot_id", kind="slot-taken",
                       offers=_fresh_offers(s, row, d, settings, now))
    return day, booked


def hold(s: Session, request_id: str, slot: TimeWindow, minutes: int,
         settings: SlotSettings, now: datetime | None = None) -> SlotHold:
    """Hold ``slot`` for the request for ``minutes`` (its previous hold is released)."""
    if not 1 <= minutes <= MAX_HOLD_MINUTES:
        raise FieldError("minutes", f"must be between 1 and {MAX_HOLD_MINUTES}")
    now = now or utcnow()
    row = bookable_row(s, request_id)
    d, tz = _slot_day(s, slot, settings)
    _lock(s, [d], tz)
    _check_slot(s, row, slot, d, tz, settings, now)
    s.execute(delete(SlotHold).where((SlotHold.request_id == request_id)
                                     | (SlotHold.expires_at <= now)))
    h = SlotHold(id=str(uuid.uuid4()), request_id=request_id, day=d, start=slot.start,
                 end=slot.end, expires_at=now + timedelta(minutes=minutes), created_at=now)
    s.add(h)
    s.flush()
    return h


def live_hold(s: Session, hold_id: str, now: datetime | None = None) -> SlotHold:
    """The hold, unless it expired (then :class:`NotFound`, as if never made)."""
    h = s.get(SlotHold, hold_id)
    if h is None or h.expires_at <= (now or utcnow()):
        raise NotFound(f"hold {hold_id!r} not found (or expired)")
    return h


def release_hold(s: Session, hold_id: str) -> None:
    s.delete(live_hold(s, hold_id))


# ---------------------------------------------------------------- booking
@dataclass(frozen=True)
class Actor:
    """Who writes, for status events and publishes."""

    label: str
    key_id: int | None = None
    url_root: str | None = None


def booking_json(b: BookingRow, row: RequestRow | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "request_id": b.request_id, "status": b.status, "date": b.day.isoformat(),
        "slot_id": slot_id(TimeWindow(b.start, b.end)), "start": _utc(b.start),
        "end": _utc(b.end), "booked_at": _utc(b.booked_at), "plan_id": b.plan_id}
    if row is not None:
        out.update(technician_id=row.assigned_technician_id,
                   planned_start=_utc(row.planned_start), planned_end=_utc(row.planned_end))
    return out


def get_booking(s: Session, request_id: str) -> BookingRow:
    get(s, RequestRow, request_id, "request")
    b = s.get(BookingRow, request_id)
    if b is None:
        raise NotFound(f"request {request_id!r} has no booking", kind="no-booking")
    return b


def _store_and_publish(s: Session, day: Day, problem: DispatchProblem, plan: DispatchPlan,
                       name: str, who: Actor) -> str:
    """Store ``plan`` as a finished plan row and publish it (statuses, feeds).

    Today (``day.live``) it is a live insertion built on the day's version at its
    instant: publishing merges it into the plan in force (history kept) under the
    live-day rules (:func:`fieldops.services.live.check_proposal`)."""
    if day.live is not None:
        from fieldops.services import live_ops

        # Checked at publish against the day as of the instant it was built from.
        row = live_ops._store(s, day.live, "insertion", problem, plan, day.live.day.as_of,
                              who.key_id)
        row.name, row.params = name, {"booking": name, "base_plan_id": day.plan_id}
    else:
        row = _plan_row(problem, plan, day.plan_id, name, who)
        s.add(row)
        s.flush()
        insert_assignments(s, row.id, plan)
    s.flush()
    ids = [r.id for r in problem.requests]
    dispatched = bool(s.scalar(select(func.count()).select_from(RequestRow).where(
        RequestRow.id.in_(ids), RequestRow.status == "dispatched")))
    # Like a live proposal: only the booked technician's feed changes (and that of
    # anybody whose jobs the insertion re-timed); nobody else's status moves.
    publish_plan(s, row.id, dispatch=dispatched, actor=who.label, published_by=who.key_id,
                 url_root=who.url_root, live_change=True)
    if day.live is None:
        # The next offer of this day reads this plan: it need not decode it again (a
        # key of a transaction that rolls back is simply never asked for).
        for live in s.scalars(select(LiveDayRow).where(LiveDayRow.plan_id == row.id)):
            _remember(_key(live.day, live.version, live.plan_id, live.published_at),
                      (problem, plan))
    return row.id


def _plan_row(problem: DispatchProblem, plan: DispatchPlan, base: str | None, name: str,
              who: Actor) -> PlanRow:
    result = plan_to_json(plan)
    return PlanRow(
        id=str(uuid.uuid4()), name=name, status="done", timezone=problem.timezone,
        horizon_start=problem.horizon.start, horizon_end=problem.horizon.end,
        params={"booking": name, "base_plan_id": base},
        problem=problem_to_json(problem), result=result,
        result_text=json.dumps(result, separators=(",", ":")),
        best_objective=plan.objective, assigned=plan.kpis.jobs_assigned, solutions=1,
        elapsed=plan.solve_time.total_seconds(), created_by=who.key_id,
        finished_at=utcnow())


def _promises(s: Session, day: date, plan: DispatchPlan) -> dict[str, TimeWindow]:
    """The promised windows of the day's bookings the plan routes."""
    routed = {rid for r in plan.routes for rid in r.request_ids}
    return {b.request_id: TimeWindow(b.start, b.end) for b in s.scalars(
        select(BookingRow).where(BookingRow.day == day, BookingRow.status == BOOKED))
        if b.request_id in routed}


def _checked(s: Session, d: date, problem: DispatchProblem, plan: DispatchPlan,
             extra: dict[str, TimeWindow]) -> None:
    """The independent validators on the plan about to be published: feasible, and
    every promise of that day kept (a failure here is a bug, never the customer's)."""
    broken = validate_plan(problem, plan) + validate_promises(
        plan, {**_promises(s, d, plan), **extra})
    if broken:
        raise AssertionError("booking would publish an invalid plan: "
                             + "; ".join(str(v) for v in broken))


def _set_windows(row: RequestRow, windows: Sequence[TimeWindow]) -> None:
    row.windows = [RequestWindow(start=w.start, end=w.end) for w in windows]


def _old_day(s: Session, row: RequestRow, tz: ZoneInfo) -> date | None:
    """The day the request is booked or published on, if any."""
    old = s.get(BookingRow, row.id)
    at = old.start if old is not None and old.status == BOOKED else row.planned_start
    return at.astimezone(tz).date() if at is not None else None


def _release(s: Session, request_id: str, d: date) -> None:
    """Take the request out of day ``d``'s plan in force (locked by the caller): its
    step leaves its route, nobody else moves; the day's version goes up."""
    remove_from_plans(s, [request_id])
    day_version.bump(s, [d])


def book(s: Session, request_id: str, slot: TimeWindow | None, hold_id: str | None,
         settings: SlotSettings, who: Actor, *, replace: bool = False,
         now: datetime | None = None) -> BookingRow:
    """Book (``replace``: re-book) the slot, or the held one; see the module docstring."""
    now = now or utcnow()
    row = bookable_row(s, request_id)
    existing = s.get(BookingRow, request_id)
    if not replace and existing is not None and existing.status == BOOKED:
        raise Conflict(f"request {request_id!r} is already booked; PUT reschedules it",
                       field="request_id", kind="already-booked")
    if replace and (existing is None or existing.status != BOOKED):
        raise NotFound(f"request {request_id!r} has no booking", kind="no-booking")
    slot = _slot_of(s, row, slot, hold_id, settings, now)
    original = customer_request(s, row).windows
    d, tz = _slot_day(s, slot, settings)
    old = _old_day(s, row, tz)
    moving = old is not None and old != d
    # Both days at once: lock_days takes them in date order, so two reschedules
    # crossing between the same dates cannot deadlock.
    _lock(s, [d, old] if moving and old is not None else [d], tz)
    day, booked = _check_slot(s, row, slot, d, tz, settings, now)
    if moving and old is not None:
        _release(s, request_id, old)
    problem, plan = publishable(day, booked.insertion.problem, booked.insertion.plan)
    _checked(s, d, problem, plan, {request_id: slot})
    _set_windows(row, problem.request_by_id[request_id].windows)
    s.flush()
    plan_id = _store_and_publish(s, day, problem, plan, f"booking {request_id}", who)
    b = existing or BookingRow(request_id=request_id)
    b.status, b.day, b.start, b.end, b.plan_id = BOOKED, d, slot.start, slot.end, plan_id
    b.booked_at, b.actor = now, who.label
    if existing is None or existing.status != BOOKED:
        b.original_windows = [[w.start.isoformat(), w.end.isoformat()] for w in original]
    s.add(b)
    s.execute(delete(SlotHold).where(SlotHold.request_id == request_id))
    s.flush()
    return b


def _slot_of(s: Session, row: RequestRow, slot: TimeWindow | None, hold_id: str | None,
             settings: SlotSettings, now: datetime) -> TimeWindow:
    """The slot named, or the one of the request's live hold ``hold_id``."""
    if hold_id is None:
        assert slot is not None
        return slot
    h = s.get(SlotHold, hold_id)
    if h is None or h.request_id != row.id or h.expires_at <= now:
        first = now.astimezone(business_tz(s, settings)).date()
        raise Conflict(f"hold {hold_id!r} of request {row.id!r} expired or does not exist",
                       field="hold_id", kind="hold-expired",
                       offers=_fresh_offers(s, row, first, settings, now))
    return TimeWindow(h.start, h.end)


def cancel(s: Session, request_id: str, reason: str | None, settings: SlotSettings,
           who: Actor, now: datetime | None = None) -> BookingRow:
    """Cancel the booked visit: out of its day's plan (published), status ``cancelled``."""
    now = now or utcnow()
    b = get_booking(s, request_id)
    row = bookable_row(s, request_id)
    if b.status != BOOKED:
        raise Conflict(f"the booking of {request_id!r} is {b.status}", field="status",
                       kind="not-booked")
    tz = business_tz(s, settings)
    _lock(s, [b.day], tz)
    _release(s, request_id, b.day)
    change_status(s, row, CANCELLED, actor=who.label, at=now,
                  note=reason or "booking cancelled")
    b.status = CANCELLED
    s.execute(delete(SlotHold).where(SlotHold.request_id == request_id))
    s.flush()
    return b

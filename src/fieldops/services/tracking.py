"""The customer's tracking link: its token, the page's content, and the visit rating.

A tracking token is 32 random bytes kept only as its SHA-256 (like API keys and
feed tokens), issued by staff for one request and sent to the customer. It stops
working when revoked, when a newer link is issued for the same request, or
:data:`TOKEN_DAYS` days after the job (its end, or the end of its last window while
it is not planned yet; from the time it was done or cancelled once it was), so a
rescheduled job keeps its link. Every way a token can be wrong raises the same
:class:`NotFound`, so a guessed link tells nothing.
"""

from __future__ import annotations

import dataclasses
import secrets
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fieldops.domain.errors import FieldError
from fieldops.domain.live import LiveDay
from fieldops.domain.plan import DispatchPlan
from fieldops.domain.satisfaction import MAX_COMMENT, Rating, check_score
from fieldops.domain.timewindow import TimeWindow
from fieldops.services import day_version, live, slots
from fieldops.services.crud import get
from fieldops.services.errors import Conflict, NotFound
from fieldops.services.requests import ETA_STATUSES, change_status
from fieldops.solver.live import etas
from fieldops.store.keys import hash_secret
from fieldops.store.models import (
    BookingRow,
    LiveDayRow,
    PlanRow,
    RatingRow,
    RequestRow,
    StatusEvent,
    TechnicianRow,
    TrackingToken,
    utcnow,
)

#: Prefix of tracking tokens (API keys are ``fo_``, feed tokens ``fof_``/``foa_``).
TRACKING_PREFIX = "fot_"
#: A link works until this long after its job (see the module docstring).
TOKEN_DAYS = 7
#: What the customer is asked to prepare when the link was issued without a list.
DEFAULT_PREPARE: tuple[str, ...] = (
    "Clear access to the equipment and the place where the work is done.",
    "Have the model and serial number of the equipment at hand, if you know them.",
    "Make sure someone aged 18 or over is at home during the appointment window.",
)
MAX_PREPARE_ITEMS, MAX_PREPARE_CHARS = 10, 300
#: What the customer sees of a slot offer.
CUSTOMER_OFFER_KEYS = ("slot_id", "date", "start", "end", "earliest_arrival", "latest_arrival")
#: Slots the reschedule page offers at most (the cheapest first).
RESCHEDULE_OFFERS = 8
#: Statuses in which the customer may still move or cancel the appointment.
CHANGEABLE = ("new", "scheduled", "dispatched")
#: Plain words for each status, as the customer reads them.
STATUS_TEXT: dict[str, str] = {
    "new": "Received: we will propose an appointment soon.",
    "scheduled": "Booked: your appointment is confirmed.",
    "dispatched": "Planned: your technician has the job on today's route.",
    "en_route": "On the way: your technician is driving to you.",
    "on_site": "Arrived: your technician is working on it.",
    "done": "Done: the visit is complete.",
    "cancelled": "Cancelled: this appointment will not take place.",
}


@dataclass(frozen=True, slots=True)
class IssuedLink:
    """A new tracking token (the secret is shown only this once)."""

    id: int
    request_id: str
    token: str
    created_at: datetime
    expires_at: datetime
    revoked: int


def _check_prepare(prepare: Sequence[str] | None) -> list[str]:
    if prepare is None:
        return list(DEFAULT_PREPARE)
    if len(prepare) > MAX_PREPARE_ITEMS:
        raise FieldError("prepare", f"at most {MAX_PREPARE_ITEMS} items")
    out = []
    for i, item in enumerate(prepare):
        text = item.strip()
        if not text or len(text) > MAX_PREPARE_CHARS:
            raise FieldError(f"prepare[{i}]", f"must be 1 to {MAX_PREPARE_CHARS} characters")
        out.append(text)
    return out


def _job_end(row: RequestRow) -> datetime | None:
    """The instant the link's lifetime counts from (``None``: nothing planned yet)."""
    if row.status in ("done", "cancelled"):
        return row.status_changed_at
    ends = [t for t in (row.planned_end, *(w.end for w in row.windows)) if t is not None]
    return max(ends) if ends else None


def expires_at(row: RequestRow, token: TrackingToken) -> datetime:
    """When ``token`` of request ``row`` stops working (unless revoked earlier)."""
    end = _job_end(row)
    return (token.created_at if end is None else end) + timedelta(days=TOKEN_DAYS)


def revoke_links(s: Session, request_id: str) -> int:
    """Revoke every live tracking token of the request; returns how many there were."""
    get(s, RequestRow, request_id, "request")
    live = s.scalars(select(TrackingToken).where(TrackingToken.request_id == request_id,
                                                 TrackingToken.revoked_at.is_(None))).all()
    now = utcnow()
    for old in live:
        old.revoked_at = now
    s.flush()
    return len(live)


def issue_link(s: Session, request_id: str, prepare: Sequence[str] | None = None
               ) -> IssuedLink:
    """A new tracking token for the request; earlier ones stop working.

    ``prepare``: what the customer should get ready (default
    :data:`DEFAULT_PREPARE`).
    """
    items = _check_prepare(prepare)
    row = get(s, RequestRow, request_id, "request")
    revoked = revoke_links(s, request_id)
    secret = TRACKING_PREFIX + secrets.token_urlsafe(32)
    token = TrackingToken(request_id=request_id, token_hash=hash_secret(secret),
                          prepare=items, created_at=utcnow())
    s.add(token)
    s.flush()
    return IssuedLink(token.id, request_id, secret, token.created_at,
                      expires_at(row, token), revoked)


def link_not_found() -> NotFound:
    # One answer for unknown, revoked and expired links: nothing to learn from a guess.
    return NotFound("this tracking link does not exist or has expired", field="token",
                    kind="tracking-link-not-found")


def find_link(s: Session, secret: str, now: datetime) -> tuple[TrackingToken, RequestRow]:
    """The live token for ``secret`` and its request, else :func:`link_not_found`."""
    if not secret.startswith(TRACKING_PREFIX):
        raise link_not_found()
    token = s.scalar(select(TrackingToken).where(
        TrackingToken.token_hash == hash_secret(secret)))
    if token is None or token.revoked_at is not None:
        raise link_not_found()
    row = s.get(RequestRow, token.request_id)
    if row is None or now >= expires_at(row, token):
        raise link_not_found()
    return token, row


def not_changeable(status: str) -> Conflict:
    """The answer to a move or cancel of an appointment that is under way or over."""
    return Conflict(f"the appointment is {status} and can no longer be changed online",
                    field="status", kind="not-changeable")


# ---------------------------------------------------------------- the page
@dataclass(frozen=True, slots=True)
class TrackingView:
    """Everything the public page shows (nothing else of the request leaves the server)."""

    status: str
    status_text: str
    timezone: str
    window: tuple[datetime, datetime] | None
    eta: datetime | None
    technician: str | None
    prepare: tuple[str, ...]
    can_change: bool
    can_rate: bool
    rating: Rating | None


def _timezone(s: Session, row: RequestRow) -> str:
    """The business time zone: the request's plan's, else the latest published plan's."""
    if row.plan_id is not None:
        tz = s.scalar(select(PlanRow.timezone).where(PlanRow.id == row.plan_id))
        if tz:
            return tz
    latest = s.scalar(select(PlanRow.timezone).where(PlanRow.published_at.is_not(None))
                      .order_by(PlanRow.published_at.desc()).limit(1))
    return latest or "UTC"


def appointment_window(row: RequestRow) -> tuple[datetime, datetime] | None:
    """The window the job is (or will be) served in: the one holding its planned
    start, else its first window (``None`` when it has none)."""
    windows = [(w.start, w.end) for w in row.windows]
    if row.planned_start is not None:
        for start, end in windows:
            if start <= row.planned_start <= end:
                return start, end
    return windows[0] if windows else None


def expected_start(s: Session, row: RequestRow, now: datetime) -> datetime | None:
    """The live expected start of service while the job is ahead (statuses and delays
    of its day applied, no solve), never before its window opens (the planned
    arrival can be earlier: the technician then waits). The same instant as
    :func:`fieldops.services.live.tracking_eta` (the staff ``/tracking``), from
    :func:`live_eta`'s cache."""
    if row.status not in ETA_STATUSES or row.planned_start is None:
        return None
    return live_eta(s, row, now)


@dataclass(frozen=True)
class _DayState:
    """A live day's state without its instant: the published plan in force, the
    events (reported and status history), and the route of each request."""

    day: LiveDay
    routes: dict[str, DispatchPlan]  # request id -> the plan in force cut to its route


#: Day states per (day, version, plan in force, published at): every change of a
#: day (a publish, an event, a status of one of its requests) moves its version,
#: so a state is never stale; the views of a day between two changes share it.
_STATES: OrderedDict[tuple[Any, ...], _DayState] = OrderedDict()
_STATES_LOCK = threading.Lock()
STATES_KEPT = 8


def _day_state(s: Session, day: date) -> _DayState | None:
    """The cached state of ``day``: only the version is read when it is known (the
    day's JSON, a megabyte at 1 000 jobs, is not loaded again)."""
    head = s.execute(select(LiveDayRow.version, LiveDayRow.plan_id, LiveDayRow.published_at)
                     .where(LiveDayRow.day == day)).first()
    if head is None:
        return None
    key = (day, *head)
    with _STATES_LOCK:
        found = _STATES.get(key)
        if found is not None:
            _STATES.move_to_end(key)
            return found
    row = live.day_row(s, day)
    if (row.version, row.plan_id, row.published_at) != tuple(head):
        return None  # changed in between: this view computes without the cache
    state = live.live_day(s, row, row.published_at or utcnow())
    cut = [(r, dataclasses.replace(state.published, routes=(r,)))
           for r in state.published.routes]
    routes = {rid: one for r, one in cut for rid in r.request_ids}
    found = _DayState(state, routes)
    with _STATES_LOCK:
        _STATES[key] = found
        while len(_STATES) > STATES_KEPT:
            _STATES.popitem(last=False)
    return found


def live_eta(s: Session, row: RequestRow, as_of: datetime) -> datetime | None:
    """:func:`fieldops.services.live.tracking_eta` of a planned request, walking only
    its own route (the ETA walk of a route reads nothing of the others) on the
    cached state of its day at ``as_of``."""
    if row.planned_start is None:
        return None
    eta = row.planned_start
    for day in sorted(day_version.days_of_instants(s, [row.planned_start])):
        state = _day_state(s, day)
        if state is None:
            return live.tracking_eta(s, row, as_of)
        plan = state.routes.get(row.id)
        if plan is None:
            continue
        base = state.day
        found = etas(LiveDay(base.problem, plan, as_of, base.events)).get(row.id)
        if found is not None:
            eta = found
            break
    # The one rule of services.live (never before the window opens), not a copy.
    return live._not_before_window(row, eta)


def first_name(name: str | None) -> str | None:
    """The first word of a technician's name: all the customer is told."""
    parts = (name or "").split()
    return parts[0] if parts else None


def _rating_of(s: Session, request_id: str) -> Rating | None:
    r = s.scalar(select(RatingRow).where(RatingRow.request_id == request_id))
    return None if r is None else Rating(r.request_id, r.score, r.visit_at, r.technician_id,
                                         r.customer_id, r.comment)


def tracking_view(s: Session, token: TrackingToken, row: RequestRow,
                  now: datetime | None = None) -> TrackingView:
    """What the tracking page of ``row`` shows at ``now`` (default: now)."""
    tech = None
    if row.assigned_technician_id is not None and row.status not in ("new", "cancelled"):
        tech = first_name(s.scalar(select(TechnicianRow.name).where(
            TechnicianRow.id == row.assigned_technician_id)))
    rating = _rating_of(s, row.id)
    return TrackingView(
        status=row.status, status_text=STATUS_TEXT.get(row.status, row.status),
        timezone=_timezone(s, row), window=appointment_window(row),
        eta=expected_start(s, row, now or utcnow()),
        technician=tech, prepare=tuple(str(p) for p in token.prepare or ()),
        can_change=row.status in CHANGEABLE, can_rate=row.status == "done" and rating is None,
        rating=rating)


# ---------------------------------------------------------------- the rating
def _done_at(s: Session, row: RequestRow) -> datetime:
    at = s.scalar(select(StatusEvent.at).where(StatusEvent.request_id == row.id,
                                               StatusEvent.status == "done")
                  .order_by(StatusEvent.at.desc()).limit(1))
    return at or row.status_changed_at


def rate(s: Session, row: RequestRow, score: object, comment: str | None) -> Rating:
    """Store the customer's rating of the visit ``row`` (once).

    :class:`FieldError` for a score outside 1-5 or a comment too long;
    :class:`Conflict` ``not-done`` before the visit is done and ``already-rated``
    when a rating is stored already (two racing submissions: the unique constraint
    on the request keeps exactly one).
    """
    value = check_score(score)
    text = (comment or "").strip() or None
    if text is not None and len(text) > MAX_COMMENT:
        raise FieldError("comment", f"at most {MAX_COMMENT} characters")
    if row.status != "done":
        raise Conflict("the visit is not done yet; it can be rated once it is",
                       field="rating", kind="not-done")
    rating = Rating(row.id, value, _done_at(s, row), row.assigned_technician_id,
                    row.customer_id, text)
    try:
        with s.begin_nested():
            s.add(RatingRow(request_id=rating.request_id, technician_id=rating.technician_id,
                            customer_id=rating.customer_id, score=rating.score,
                            comment=rating.comment, visit_at=rating.visit_at))
    except IntegrityError:
        raise Conflict("this visit has been rated already", field="rating",
                       kind="already-rated") from None
    return rating


# ---------------------------------------------------------------- customer's changes
def _booked(s: Session, request_id: str) -> bool:
    b = s.get(BookingRow, request_id)
    return b is not None and b.status == slots.BOOKED


def _changeable(row: RequestRow) -> None:
    if row.status not in CHANGEABLE:
        raise not_changeable(row.status)


def customer_offers(s: Session, row: RequestRow, settings: slots.SlotSettings,
                    limit: int = RESCHEDULE_OFFERS) -> list[dict[str, Any]]:
    """The slots the appointment can move to, cheapest first, as the customer sees
    them: window and arrival range, no technician and no cost."""
    _changeable(row)
    got = slots.offers(s, row.id, slots.OfferQuery(limit=limit), settings, row=row)
    return customer_shape(got["offers"])


def customer_shape(offers: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Slot offers without what only staff see (the added cost)."""
    return [{k: o[k] for k in CUSTOMER_OFFER_KEYS} for o in offers]


def customer_reschedule(s: Session, row: RequestRow, slot: TimeWindow,
                        settings: slots.SlotSettings, who: slots.Actor) -> None:
    """Book ``slot`` for the request (moving its booking if it has one) through the
    slots' one booking path: re-checked under the day's lock, published. A slot
    taken meanwhile is :class:`Conflict` ``slot-taken`` with fresh offers."""
    _changeable(row)
    try:
        slots.book(s, row.id, slot, None, settings, who, replace=_booked(s, row.id))
    except Conflict as exc:
        if "offers" in exc.extra:
            exc.extra["offers"] = customer_shape(exc.extra["offers"])[:RESCHEDULE_OFFERS]
        raise


def customer_cancel(s: Session, row: RequestRow, settings: slots.SlotSettings,
                    who: slots.Actor) -> None:
    """Cancel the appointment: a booked one through the slots' cancel (out of its
    day's plan, re-published), any other by its status (off every calendar)."""
    _changeable(row)
    reason = "cancelled by the customer"
    if _booked(s, row.id):
        slots.cancel(s, row.id, reason, settings, who)
    else:
        change_status(s, row, "cancelled", actor=who.label, at=None, note=reason)

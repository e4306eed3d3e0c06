"""Calendar feed assembly: technicians' jobs and agents' shifts rebuilt from publish history.

The tokens themselves are stored by :mod:`fieldops.store.keys` (technicians) and
:mod:`fieldops.store.feeds` (agents); this module checks them and builds the feeds.

Nothing is cached between requests: the feed is replayed from ``plan_publishes``
every time, so it can never disagree with what was published. Only publishes of
plans whose horizon overlaps the feed window are read, and each plan's JSON is
decoded at most once per feed.

Agents' shift feeds (:func:`agent_feed`, at the end of this module) are replayed
from ``roster_publishes`` the same way.

Replay rules (one technician, publishes in ``published_at`` order):

1. A publish of a plan that contains the technician gives its jobs and breaks
   (:func:`~fieldops.calendar.events_for_technician`); one that does not gives none.
2. Publishing only touches the requests of the plan's own problem, so previous jobs
   whose request is *not* in that problem (done, under way, or left out of a
   partial re-plan) are carried over unchanged.
3. :func:`~fieldops.calendar.merge_publish` with the plan's horizon merges the two:
   jobs of the plan's requests that left this technician become ``CANCELLED``;
   jobs on other days are untouched.
4. Finally the requests' *current* status wins: a job whose request was cancelled,
   set back to ``new`` or deleted since is shown ``CANCELLED``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import and_, event, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, attributes

from fieldops.calendar import (
    Contact,
    EventKind,
    EventStatus,
    FeedEvent,
    Visit,
    default_window,
    events_for_technician,
    job_uid,
    merge_publish,
    render_feed,
    window_validity,
)
from fieldops.calendar.roster import AgentShift, events_for_agent, merge_roster_publish
from fieldops.domain.plan import DispatchPlan
from fieldops.domain.problem import DispatchProblem
from fieldops.domain.timewindow import TimeWindow
from fieldops.schemas import plan_from_json, problem_from_json
from fieldops.services.customers import last_contacts
from fieldops.services.errors import Forbidden, NotFound
from fieldops.store.feeds import (
    agent_known,
    create_agent_feed_token,
    find_agent_feed_token,
    revoke_agent_feed_tokens,
)
from fieldops.store.keys import create_feed_token, find_feed_token
from fieldops.store.models import (
    CustomerContact,
    FeedDocument,
    FeedToken,
    PlanAssignment,
    PlanPublish,
    PlanRow,
    RequestRow,
    RosterAgent,
    RosterPublish,
    RosterRow,
    RosterShift,
    StatusEvent,
    TechnicianRow,
    utcnow,
)

#: Request statuses that take a job off every technician's calendar.
OFF_PLAN_STATUSES = frozenset({"new", "cancelled"})

_UID_HEAD, _UID_TAIL = job_uid("\0").split("\0")


def request_id_of(uid: str) -> str | None:
    """The request id inside a job UID (the inverse of :func:`job_uid`), else ``None``."""
    if uid.startswith(_UID_HEAD) and uid.endswith(_UID_TAIL) and len(uid) > len(
        _UID_HEAD + _UID_TAIL
    ):
        return uid[len(_UID_HEAD) : len(uid) - len(_UID_TAIL)]
    return None


@dataclass(frozen=True, slots=True)
class TechnicianFeed:
    """A rendered feed and its HTTP validators.

    ``etag`` is the SHA-256 of ``body`` (hex, unquoted); ``last_modified`` is the
    latest relevant publish or event change (``None`` when nothing was published).
    """

    body: bytes
    etag: str
    last_modified: datetime | None
    events: tuple[FeedEvent, ...]
    publishes: int


def _relevant_publishes(
    s: Session, window: tuple[datetime, datetime]
) -> list[tuple[PlanPublish, PlanRow]]:
    lo, hi = window
    q = (
        select(PlanPublish)
        .join(PlanRow, PlanRow.id == PlanPublish.plan_id)
        .where(PlanRow.horizon_start < hi, PlanRow.horizon_end > lo)
        .order_by(PlanPublish.published_at, PlanPublish.id)
    )
    pubs = list(s.scalars(q))
    # Each plan (and its ~100 KB of JSON) is read once, however often it was published.
    plans = {p.id: p for p in s.scalars(
        select(PlanRow).where(PlanRow.id.in_({pub.plan_id for pub in pubs})))}
    # Only finished plans can be published, so every row here has a result.
    return [(pub, plans[pub.plan_id]) for pub in pubs
            if plans[pub.plan_id].result is not None]


def _technician_ids(problem_json: dict[str, Any]) -> set[str]:
    return {str(t.get("id")) for t in problem_json.get("technicians", []) if isinstance(t, dict)}


def _request_ids(problem_json: dict[str, Any]) -> set[str]:
    return {str(r.get("id")) for r in problem_json.get("requests", []) if isinstance(r, dict)}


def _decode_for(
    technician_id: str, problem_json: dict[str, Any], result_json: dict[str, Any]
) -> tuple[DispatchProblem, DispatchPlan]:
    """Decode only what one technician's events need: decoding every request and
    route of a large plan would dominate the feed's cost (~40 ms per 250-job plan)."""
    routes = [r for r in result_json.get("routes", [])
              if isinstance(r, dict) and r.get("technician_id") == technician_id]
    mine = {st.get("request_id") for r in routes for st in r.get("steps", [])
            if isinstance(st, dict)}
    problem = problem_from_json({
        **problem_json,
        "requests": [r for r in problem_json.get("requests", [])
                     if isinstance(r, dict) and r.get("id") in mine],
    })
    return problem, plan_from_json({**result_json, "routes": routes, "unassigned": []})


VISITS_PER_CUSTOMER = 3


def last_visits(s: Session, customer_ids: Iterable[str]) -> dict[str, list[Visit]]:
    """The latest completed visits of each customer, newest first."""
    wanted = sorted(set(customer_ids))
    if not wanted:
        return {}
    rows = s.execute(
        select(RequestRow.id, RequestRow.customer_id, RequestRow.job_type,
               RequestRow.assigned_technician_id, StatusEvent.at)
        .join(StatusEvent, and_(StatusEvent.request_id == RequestRow.id,
                                StatusEvent.status == "done"))
        .where(RequestRow.customer_id.in_(wanted), RequestRow.status == "done")
        .order_by(StatusEvent.at.desc())
    )
    out: dict[str, list[Visit]] = {}
    for request_id, customer_id, job_type, technician_id, done_at in rows:
        visits = out.setdefault(customer_id, [])
        # One more than shown: the job itself may be among them once it is done.
        if len(visits) <= VISITS_PER_CUSTOMER:
            visits.append(Visit(request_id, done_at, job_type, technician_id))
    return out


def replay(
    s: Session,
    technician_id: str,
    window: tuple[datetime, datetime],
    *,
    job_url: Callable[[str], str] | None = None,
) -> tuple[list[FeedEvent], list[tuple[PlanPublish, PlanRow]], str]:
    """The merged events of ``technician_id`` after every publish overlapping ``window``.

    Returns the events (rules 1–3 of the module docstring, before the status
    override), the publishes used, and the time zone of the latest plan that
    contains the technician (``"UTC"`` if none).
    """
    publishes = _relevant_publishes(s, window)
    events: list[FeedEvent] = []
    decoded: dict[str, list[FeedEvent]] = {}
    visits: dict[str, list[Visit]] = {}
    contacts: dict[str, list[Contact]] = {}
    fetched: set[str] = set()
    timezone = "UTC"
    for pub, plan in publishes:
        problem_json = plan.problem or {}
        in_plan = technician_id in _technician_ids(problem_json)
        if in_plan:
            timezone = plan.timezone
            if plan.id not in decoded:
                problem, result = _decode_for(technician_id, problem_json, plan.result or {})
                customers = {r.customer_id for r in problem.requests if r.customer_id}
                for customer in customers - visits.keys():
                    visits[customer] = []
                visits.update(last_visits(s, customers - fetched))
                contacts.update(last_contacts(s, customers - fetched))
                fetched |= customers
                decoded[plan.id] = events_for_technician(
                    problem, result, technician_id, job_url=job_url, now=pub.published_at,
                    last_visits=visits, last_contacts=contacts)
            # Re-stamp with this publish's time: merge_publish keeps unchanged events
            # as they were, so the stamp only matters for new and changed ones.
            current = [replace(e, last_modified=pub.published_at) for e in decoded[plan.id]]
        else:
            current = []
        untouched = _request_ids(problem_json)
        carried = [
            e for e in events
            if e.kind is EventKind.JOB and e.status is EventStatus.CONFIRMED
            and request_id_of(e.uid) not in untouched
        ]
        horizon = TimeWindow(plan.horizon_start, plan.horizon_end)
        events = merge_publish(events, current + carried, pub.published_at, horizon=horizon)
    return events, publishes, timezone


def apply_request_status(s: Session, events: Sequence[FeedEvent]) -> list[FeedEvent]:
    """Rule 4: jobs whose request is now cancelled, ``new`` or deleted become CANCELLED.

    The change is stamped with the request's ``status_changed_at`` (a deleted
    request keeps the event's last stamp), so the bytes stay stable between polls.
    """
    wanted = {rid for e in events if e.kind is EventKind.JOB and e.status is EventStatus.CONFIRMED
              for rid in [request_id_of(e.uid)] if rid is not None}
    if not wanted:
        return list(events)
    rows = {r.id: (r.status, r.status_changed_at) for r in s.execute(
        select(RequestRow.id, RequestRow.status, RequestRow.status_changed_at)
        .where(RequestRow.id.in_(wanted)))}
    out: list[FeedEvent] = []
    for e in events:
        rid = request_id_of(e.uid) if e.kind is EventKind.JOB else None
        if rid is None or e.status is EventStatus.CANCELLED:
            out.append(e)
            continue
        status, changed = rows.get(rid, (None, None))
        if status is not None and status not in OFF_PLAN_STATUSES:
            out.append(e)
            continue
        stamp = e.last_modified
        if changed is not None and (stamp is None or changed > stamp):
            stamp = changed
        out.append(replace(e, status=EventStatus.CANCELLED, sequence=e.sequence + 1,
                           last_modified=stamp))
    return out


def _latest(values: Iterable[datetime | None]) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def technician_feed(
    s: Session,
    technician_id: str,
    *,
    now: datetime,
    job_url: Callable[[str], str] | None = None,
    refresh: timedelta = timedelta(hours=1),
) -> TechnicianFeed | None:
    """The technician's feed for the default window around ``now`` (``None``: unknown).

    Parameters
    ----------
    s
        An open session (read only).
    technician_id
        Whose feed.
    now
        Aware instant; the window is 7 days before to 30 days after it.
    job_url
        Request id → URL of the job, written as each event's ``URL``.
    refresh
        Polling hint written as ``REFRESH-INTERVAL`` / ``X-PUBLISHED-TTL``.
    """
    built = _build_technician(s, technician_id, now=now, job_url=job_url, refresh=refresh)
    return built[0] if built is not None else None


def _build_technician(
    s: Session, technician_id: str, *, now: datetime,
    job_url: Callable[[str], str] | None, refresh: timedelta = timedelta(hours=1),
) -> tuple[TechnicianFeed, tuple[datetime, datetime]] | None:
    """The feed (replayed) and the instants around ``now`` it stays right for."""
    tech = s.get(TechnicianRow, technician_id)
    if tech is None:
        return None
    window = default_window(now)
    events, publishes, timezone = replay(s, technician_id, window, job_url=job_url)
    events = apply_request_status(s, events)
    body = render_feed(events, calendar_name=f"{tech.name} – jobs", timezone=timezone,
                       refresh=refresh, now=now, window=window)
    shown = [e for e in events if e.start < window[1] and e.end > window[0]]
    last = _latest([pub.published_at for pub, _ in publishes]
                   + [e.last_modified for e in shown])
    nxt = s.scalar(select(func.min(PlanRow.horizon_start)).where(
        PlanRow.published_at.is_not(None), PlanRow.horizon_start >= window[1]))
    horizons = [(plan.horizon_start, plan.horizon_end) for _, plan in publishes]
    valid = window_validity(now, events, horizons, upcoming=nxt, empty=not shown)
    feed = TechnicianFeed(body=body, etag=hashlib.sha256(body).hexdigest(), last_modified=last,
                          events=tuple(shown), publishes=len(publishes))
    return feed, valid


# ---------------------------------------------------------------- agents' roster feeds
# An agent's feed is replayed from ``roster_publishes`` like a technician's from
# ``plan_publishes``, with one difference: a roster only speaks for the agents of its
# own problem (rosters are usually made per team), so publishing a roster that does
# not name an agent leaves that agent's calendar untouched.


def _roster_publishes(
    s: Session, window: tuple[datetime, datetime]
) -> list[tuple[RosterPublish, RosterRow]]:
    lo, hi = window
    # A night shift of a roster's last day runs past its horizon: reach a day further back.
    q = (
        select(RosterPublish, RosterRow)
        .join(RosterRow, RosterRow.id == RosterPublish.roster_id)
        .where(RosterRow.horizon_start < hi, RosterRow.horizon_end > lo - timedelta(days=1))
        .order_by(RosterPublish.published_at, RosterPublish.id)
    )
    return [(pub, roster) for pub, roster in s.execute(q).tuples() if roster.result is not None]


def _agent_shift(row: RosterShift) -> AgentShift:
    return AgentShift(agent_id=row.agent_id, day=row.day, template_id=row.template_id,
                      start=row.start, end=row.end, break_start=row.break_start,
                      break_end=row.break_end, template_name=row.template_name,
                      queues=tuple(str(q) for q in row.queues or ()))


def replay_agent(
    s: Session, agent_id: str, window: tuple[datetime, datetime]
) -> tuple[list[FeedEvent], list[tuple[RosterPublish, RosterRow]], str, str | None]:
    """The agent's merged events after every roster publish overlapping ``window``.

    Returns the events, the publishes that named the agent, the time zone of the
    latest of them (``"UTC"`` if none) and the agent's latest display name.
    """
    publishes = _roster_publishes(s, window)
    roster_ids = {roster.id for _, roster in publishes}
    names: dict[str, str | None] = {}
    if roster_ids:
        names = {rid: name for rid, name in s.execute(
            select(RosterAgent.roster_id, RosterAgent.name)
            .where(RosterAgent.agent_id == agent_id, RosterAgent.roster_id.in_(roster_ids)))}
    shifts: dict[str, list[AgentShift]] = {rid: [] for rid in names}
    if names:
        for row in s.scalars(select(RosterShift).where(
                RosterShift.agent_id == agent_id, RosterShift.roster_id.in_(list(names)))
                .order_by(RosterShift.start)):
            shifts[row.roster_id].append(_agent_shift(row))
    events: list[FeedEvent] = []
    used: list[tuple[RosterPublish, RosterRow]] = []
    decoded: dict[str, list[FeedEvent]] = {}
    timezone, name = "UTC", None
    for pub, roster in publishes:
        if roster.id not in names:
            continue  # this roster does not speak for the agent
        used.append((pub, roster))
        timezone, name = roster.timezone, names[roster.id] or name
        if roster.id not in decoded:
            decoded[roster.id] = events_for_agent(shifts[roster.id], timezone=roster.timezone,
                                                  now=pub.published_at)
        # Re-stamped with this publish: only new and changed events keep the stamp.
        current = [replace(e, last_modified=pub.published_at) for e in decoded[roster.id]]
        horizon = TimeWindow(roster.horizon_start, roster.horizon_end)
        events = merge_roster_publish(events, current, pub.published_at, horizon=horizon)
    return events, used, timezone, name


def agent_feed(
    s: Session,
    agent_id: str,
    *,
    now: datetime,
    refresh: timedelta = timedelta(hours=1),
) -> TechnicianFeed | None:
    """The agent's shift feed for the default window around ``now`` (``None``: no roster
    names the agent).

    Parameters
    ----------
    s
        An open session (read only).
    agent_id
        Whose feed (the id used in roster problems).
    now
        Aware instant; the window is 7 days before to 30 days after it.
    refresh
        Polling hint written as ``REFRESH-INTERVAL`` / ``X-PUBLISHED-TTL``.
    """
    built = _build_agent(s, agent_id, now=now, refresh=refresh)
    return built[0] if built is not None else None


def _build_agent(
    s: Session, agent_id: str, *, now: datetime, refresh: timedelta = timedelta(hours=1),
) -> tuple[TechnicianFeed, tuple[datetime, datetime]] | None:
    if not agent_known(s, agent_id):
        return None
    window = default_window(now)
    events, publishes, timezone, name = replay_agent(s, agent_id, window)
    body = render_feed(events, calendar_name=f"{name or agent_id} – shifts", timezone=timezone,
                       refresh=refresh, now=now, window=window)
    shown = [e for e in events if e.start < window[1] and e.end > window[0]]
    last = _latest([pub.published_at for pub, _ in publishes]
                   + [e.last_modified for e in shown])
    nxt = s.scalar(select(func.min(RosterRow.horizon_start)).where(
        RosterRow.published_at.is_not(None), RosterRow.horizon_start >= window[1]))
    # Rosters reach a day further back than their horizon (night shifts).
    horizons = [(roster.horizon_start, roster.horizon_end + timedelta(days=1))
                for _, roster in publishes]
    valid = window_validity(now, events, horizons, upcoming=nxt, empty=not shown)
    feed = TechnicianFeed(body=body, etag=hashlib.sha256(body).hexdigest(), last_modified=last,
                          events=tuple(shown), publishes=len(publishes))
    return feed, valid


# ---------------------------------------------------------------- tokens and lookups
@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new feed token: its row id, owner and the secret (shown only this once)."""

    id: int
    owner: str
    created_at: datetime
    token: str
    revoked: int


def _calendar_not_found() -> NotFound:
    # Every way a token can be wrong answers the same, so a guessed URL tells
    # nothing about which technicians or agents exist.
    return NotFound("calendar not found")


def rotate_technician_token(s: Session, technician_id: str, *,
                            own_technician: str | None = None) -> IssuedToken:
    """A new feed token for the technician; every earlier one is revoked.

    ``own_technician``: the caller is that technician's key, which may only rotate
    its own token (:class:`Forbidden` otherwise).
    """
    if own_technician is not None and own_technician != technician_id:
        raise Forbidden("a technician key may only rotate its own feed token")
    if s.get(TechnicianRow, technician_id) is None:
        raise NotFound(f"technician {technician_id!r} not found")
    live = s.scalars(select(FeedToken).where(FeedToken.technician_id == technician_id,
                                             FeedToken.revoked_at.is_(None))).all()
    now = utcnow()
    for old in live:
        old.revoked_at = now
    row, secret = create_feed_token(s, technician_id)
    return IssuedToken(row.id, technician_id, row.created_at, secret, len(live))


def rotate_agent_token(s: Session, agent_id: str) -> IssuedToken:
    """A new feed token for an agent named by a roster; every earlier one is revoked."""
    if not agent_known(s, agent_id):
        raise NotFound(f"agent {agent_id!r} not found in any roster")
    revoked = revoke_agent_feed_tokens(s, agent_id)
    row, secret = create_agent_feed_token(s, agent_id)
    return IssuedToken(row.id, agent_id, row.created_at, secret, revoked)


# ---------------------------------------------------------------- materialised feeds
# Publishing renders the feed of every technician and agent it touches into
# ``feed_documents`` (same transaction), and the feed endpoint serves that text. A
# document is rebuilt (and stored again) only when the sliding window has moved past
# its validity, when the API root of its job URLs differs, or after a change that
# invalidated it: a request's status (rule 4 and the "last visits" lines), a deleted
# request, a renamed, new or deleted technician. Every writer follows one rule: when
# it cannot be sure its document is current, it invalidates instead of writing.

TECHNICIAN, AGENT = "technician", "agent"


@dataclass(frozen=True, slots=True)
class FeedAnswer:
    """What the feed endpoint sends: ``body`` is ``None`` when the client's copy is
    current (answer 304 without reading or building the body)."""

    etag: str
    last_modified: datetime | None
    body: bytes | None


@dataclass(frozen=True, slots=True)
class _Stored:
    id: int
    etag: str
    last_modified: datetime | None
    valid_from: datetime
    valid_until: datetime
    url_root: str | None
    updated_at: datetime

    def serves(self, now: datetime, url_root: str | None) -> bool:
        return self.valid_from < now < self.valid_until and self.url_root == url_root


def _stored(s: Session, kind: str, owner: str) -> _Stored | None:
    row = s.execute(
        select(FeedDocument.id, FeedDocument.etag, FeedDocument.last_modified,
               FeedDocument.valid_from, FeedDocument.valid_until, FeedDocument.url_root,
               FeedDocument.updated_at)
        .where(FeedDocument.owner_kind == kind, FeedDocument.owner_id == owner)).first()
    return _Stored(*row) if row is not None else None


def _save(s: Session, kind: str, owner: str, feed: TechnicianFeed,
          valid: tuple[datetime, datetime], url_root: str | None, seen: _Stored | None) -> None:
    """Store a freshly built document unless someone changed the row since ``seen``
    was read (then that writer's version, or its invalidation, stands)."""
    values = {"body": feed.body.decode("utf-8"), "etag": feed.etag,
              "last_modified": feed.last_modified, "valid_from": valid[0],
              "valid_until": valid[1], "url_root": url_root, "updated_at": utcnow()}
    if seen is not None:
        s.execute(update(FeedDocument).where(
            FeedDocument.id == seen.id, FeedDocument.updated_at == seen.updated_at)
            .values(**values))
        return
    try:
        with s.begin_nested():
            s.execute(insert(FeedDocument).values(owner_kind=kind, owner_id=owner, **values))
    except IntegrityError:
        # Another transaction stored one meanwhile: it may predate what this one saw.
        invalidate(s, kind, [owner])


def invalidate(s: Session, kind: str, owners: Iterable[str]) -> None:
    """Mark the documents stale: the next GET rebuilds (and stores) them."""
    wanted = sorted(set(owners))
    if wanted:
        s.execute(update(FeedDocument).where(
            FeedDocument.owner_kind == kind, FeedDocument.owner_id.in_(wanted))
            .values(valid_until=FeedDocument.valid_from, updated_at=utcnow()))


def job_urls(job_url_root: str | None) -> Callable[[str], str] | None:
    """Request id → the URL of its job under the API root ``job_url_root``."""
    if job_url_root is None:
        return None
    return lambda request_id: f"{job_url_root}/api/v1/requests/{quote(request_id, safe='')}"


def materialise_technicians(s: Session, technician_ids: Iterable[str], *, now: datetime,
                            url_root: str | None) -> None:
    """Render and store the feeds of ``technician_ids`` as the session now sees them.

    ``url_root``: the API root for job URLs; ``None`` keeps each document's own root
    (a technician without a document is then left to be built on its first GET).
    """
    s.flush()
    s.info.pop(_PENDING, None)  # this render already sees every change made so far
    for tech_id in sorted(set(technician_ids)):
        seen = _stored(s, TECHNICIAN, tech_id)
        root = url_root if url_root is not None else (seen.url_root if seen else None)
        if root is None:
            invalidate(s, TECHNICIAN, [tech_id])
            continue
        built = _build_technician(s, tech_id, now=now, job_url=job_urls(root))
        if built is None:
            invalidate(s, TECHNICIAN, [tech_id])
            continue
        _save(s, TECHNICIAN, tech_id, built[0], built[1], root, seen)


def materialise_agents(s: Session, agent_ids: Iterable[str], *, now: datetime) -> None:
    """Render and store the shift feeds of ``agent_ids`` (see :func:`materialise_technicians`)."""
    s.flush()
    for agent_id in sorted(set(agent_ids)):
        seen = _stored(s, AGENT, agent_id)
        built = _build_agent(s, agent_id, now=now)
        if built is None:
            invalidate(s, AGENT, [agent_id])
            continue
        _save(s, AGENT, agent_id, built[0], built[1], None, seen)


def technicians_touched(s: Session, plan: PlanRow) -> set[str]:
    """Whose feed a publish of ``plan`` can change: the plan's technicians, and every
    technician with a stored feed (a publish cancels their jobs of the plan's days)."""
    mine = _technician_ids(plan.problem or {})
    stored = set(s.scalars(select(FeedDocument.owner_id).where(
        FeedDocument.owner_kind == TECHNICIAN)))
    return mine | stored


# Status changes made anywhere (API, CLI, services) invalidate the feeds they alter:
# collected after each flush, applied just before the transaction commits.
_PENDING = "fieldops.feeds.pending"


def _collect(session: Session, _context: Any) -> None:
    requests: set[str] = set()
    technicians: set[str] = set()
    customers: set[str] = set()
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, CustomerContact):
            customers.add(obj.customer_id)  # its jobs show "last contacts"
        elif isinstance(obj, RequestRow):
            if (obj in session.new or obj in session.deleted
                    or attributes.get_history(obj, "status").has_changes()):
                requests.add(obj.id)
        elif isinstance(obj, TechnicianRow) and (
                obj in session.new or obj in session.deleted
                or attributes.get_history(obj, "name").has_changes()):
            technicians.add(obj.id)
    if requests or technicians or customers:
        pending = session.info.setdefault(_PENDING, (set(), set(), set()))
        pending[0].update(requests)
        pending[1].update(technicians)
        pending[2].update(customers)


def _apply_pending(session: Session) -> None:
    session.flush()
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    requests, technicians, contacted = pending
    if requests or contacted:
        # Whoever may show the request, or another job of its customer ("last visits",
        # "last contacts").
        customers = select(RequestRow.customer_id).where(
            RequestRow.id.in_(requests), RequestRow.customer_id.is_not(None))
        related = select(RequestRow.id).where(RequestRow.customer_id.in_(customers)
                                              | RequestRow.customer_id.in_(contacted))
        technicians = technicians | set(session.scalars(
            select(PlanAssignment.technician_id).distinct().where(
                PlanAssignment.request_id.in_(requests)
                | PlanAssignment.request_id.in_(related))))
    invalidate(session, TECHNICIAN, technicians)


def _listen() -> None:
    if not event.contains(Session, "after_flush", _collect):
        event.listen(Session, "after_flush", _collect)
        event.listen(Session, "before_commit", _apply_pending)


_listen()


# ---------------------------------------------------------------- tokens and serving
def _answer(s: Session, kind: str, owner: str, now: datetime, url_root: str | None,
            current: Callable[[str], bool],
            build: Callable[[], tuple[TechnicianFeed, tuple[datetime, datetime]] | None]
            ) -> FeedAnswer:
    seen = _stored(s, kind, owner)
    if seen is not None and seen.serves(now, url_root):
        if current(seen.etag):
            return FeedAnswer(seen.etag, seen.last_modified, None)
        body = s.scalar(select(FeedDocument.body).where(FeedDocument.id == seen.id))
        if body is not None:
            return FeedAnswer(seen.etag, seen.last_modified, body.encode("utf-8"))
    built = build()
    if built is None:  # cannot happen: deleting a technician deletes its tokens
        raise _calendar_not_found()
    feed, valid = built
    _save(s, kind, owner, feed, valid, url_root, seen)
    return FeedAnswer(feed.etag, feed.last_modified, feed.body)


def _never(_etag: str) -> bool:
    return False


def technician_feed_for(s: Session, technician_id: str, token: str, *, now: datetime,
                        url_root: str, current: Callable[[str], bool] = _never) -> FeedAnswer:
    """The technician's feed if ``token`` is its live feed token, else :class:`NotFound`.

    Served from the document stored at publish time while it is valid for ``now``
    and ``url_root`` (the API root job URLs point to); ``current(etag)`` true: the
    client's copy is current, and no body is read.
    """
    found = find_feed_token(s, token) if token else None
    if found is None or found.technician_id != technician_id:
        raise _calendar_not_found()
    return _answer(s, TECHNICIAN, technician_id, now, url_root, current,
                   lambda: _build_technician(s, technician_id, now=now,
                                             job_url=job_urls(url_root)))


def agent_feed_for(s: Session, agent_id: str, token: str, *, now: datetime,
                   current: Callable[[str], bool] = _never) -> FeedAnswer:
    """The agent's feed if ``token`` is its live feed token, else :class:`NotFound`."""
    found = find_agent_feed_token(s, token) if token else None
    if found is None or found.agent_id != agent_id:
        raise _calendar_not_found()
    return _answer(s, AGENT, agent_id, now, None, current,
                   lambda: _build_agent(s, agent_id, now=now))

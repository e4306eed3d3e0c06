"""A technician's calendar feed, rebuilt from the history of plan publishes.

Nothing is cached between requests: the feed is replayed from ``plan_publishes``
every time, so it can never disagree with what was published. Only publishes of
plans whose horizon overlaps the feed window are read, and each plan's JSON is
decoded at most once per feed.

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

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from fieldops.calendar import (
    EventKind,
    EventStatus,
    FeedEvent,
    Visit,
    default_window,
    events_for_technician,
    job_uid,
    merge_publish,
    render_feed,
)
from fieldops.domain.codec import plan_from_json, problem_from_json
from fieldops.domain.plan import DispatchPlan
from fieldops.domain.problem import DispatchProblem
from fieldops.domain.timewindow import TimeWindow
from fieldops.store.models import (
    PlanPublish,
    PlanRow,
    RequestRow,
    StatusEvent,
    TechnicianRow,
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
        select(PlanPublish, PlanRow)
        .join(PlanRow, PlanRow.id == PlanPublish.plan_id)
        .where(PlanRow.horizon_start < hi, PlanRow.horizon_end > lo)
        .order_by(PlanPublish.published_at, PlanPublish.id)
    )
    # Only finished plans can be published, so every row here has a result.
    return [(pub, plan) for pub, plan in s.execute(q).tuples() if plan.result is not None]


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
                fetched |= customers
                decoded[plan.id] = events_for_technician(
                    problem, result, technician_id, job_url=job_url, now=pub.published_at,
                    last_visits=visits)
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
    return TechnicianFeed(body=body, etag=hashlib.sha256(body).hexdigest(), last_modified=last,
                          events=tuple(shown), publishes=len(publishes))

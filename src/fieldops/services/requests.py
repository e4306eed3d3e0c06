"""Service requests: checking references, creating, importing, editing and the status
machine a request follows from ``new`` to ``done``."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BindParameter,
    ColumnElement,
    Connection,
    Integer,
    Text,
    and_,
    bindparam,
    cast,
    func,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fieldops.domain import ServiceRequest
from fieldops.domain.errors import FieldError
from fieldops.schemas import request_from_json
from fieldops.services import day_version
from fieldops.services.crud import get
from fieldops.services.errors import Conflict, Forbidden
from fieldops.services.preferences import inherit_preferred
from fieldops.services.request_csv import row_error, too_many
from fieldops.store.convert import (
    ensure_customer,
    ensure_customers,
    ensure_skills,
    insert_requests,
    request_to_row,
)
from fieldops.store.models import (
    ContractTierRow,
    RequestRow,
    RequestSkill,
    RequestWindow,
    StatusEvent,
    TechnicianRow,
    utcnow,
)

# Which status may follow which. Technicians may only move their own jobs along
# TECHNICIAN_MOVES; dispatchers and admins may make any allowed transition.
TRANSITIONS: dict[str, set[str]] = {
    "new": {"scheduled", "dispatched", "cancelled"},
    "scheduled": {"new", "dispatched", "en_route", "cancelled"},
    "dispatched": {"new", "scheduled", "en_route", "cancelled"},
    "en_route": {"dispatched", "on_site", "cancelled"},
    "on_site": {"done"},
    "done": set(),
    "cancelled": {"new"},
}
TECHNICIAN_MOVES = {"en_route", "on_site", "done"}
#: Statuses in which a request's planned arrival is its ETA.
ETA_STATUSES = {"scheduled", "dispatched", "en_route"}
#: Statuses in which a request may still be edited.
EDITABLE = ("new", "scheduled", "dispatched")
#: Statuses in which a request may be deleted (cancel it otherwise).
DELETABLE = ("new", "cancelled")
#: Statuses that take a request off its plan.
OFF_PLAN = ("new", "cancelled")


class Refs:
    """Known technicians and tiers, loaded once per batch."""

    def __init__(self, s: Session) -> None:
        self.techs = set(s.scalars(select(TechnicianRow.id)))
        self.tiers = set(s.scalars(select(ContractTierRow.name)))

    def check(self, r: ServiceRequest) -> None:
        """:class:`FieldError` when ``r`` names an unknown tier or technician."""
        if r.contract_tier is not None:
            if r.contract_tier not in self.tiers:
                raise FieldError("contract_tier", f"unknown contract tier {r.contract_tier!r}")
            if r.created_at is None:
                raise FieldError("created_at", "is required with a contract tier")
        for name in ("preferred_technicians", "required_technicians", "excluded_technicians"):
            for i, tech in enumerate(getattr(r, name)):
                if tech not in self.techs:
                    raise FieldError(f"{name}[{i}]", f"unknown technician {tech!r}")
        if r.pinned_technician is not None and r.pinned_technician not in self.techs:
            raise FieldError("pinned_technician", f"unknown technician {r.pinned_technician!r}")


def names_preferred(data: Any) -> bool:
    """Whether a request's JSON names its own preferred technicians (even none), so it
    does not inherit its customer's."""
    return isinstance(data, dict) and data.get("preferred_technicians") not in (None, "")


def _store_new(s: Session, reqs: Sequence[ServiceRequest], actor: str,
               explicit: Collection[str] = ()) -> None:
    """Insert ``reqs``; those not in ``explicit`` (ids of requests that named their own
    preferred technicians) inherit their customer's."""
    ensure_skills(s, {sk.name for r in reqs for sk in r.required_skills})
    ensure_customers(s, reqs)
    reqs = inherit_preferred(s, reqs, {r.id for r in reqs if r.preferred_technicians}
                             | set(explicit))
    try:
        insert_requests(s, reqs, status="new", now=utcnow(), actor=actor)
    except IntegrityError as exc:
        # Another transaction stored one of these ids between our check and our
        # insert (parallel imports): the same 409 the check gives, never a 500.
        raise _taken(exc, reqs) from None


_KEY_DETAIL = re.compile(r"Key \(id\)=\((?P<id>.*)\) already exists", re.DOTALL)


def _taken(exc: IntegrityError, reqs: Sequence[ServiceRequest]) -> Conflict:
    """The :class:`Conflict` for a request id a concurrent transaction took first."""
    detail = getattr(getattr(exc.orig, "diag", None), "message_detail", None) or ""
    match = _KEY_DETAIL.search(detail)
    if match is not None:
        taken = match.group("id")
        number = next((i for i, r in enumerate(reqs, start=1) if r.id == taken), None)
        return Conflict(f"request {taken!r} already exists (stored by a concurrent request)",
                        field="id", row=number if len(reqs) > 1 else None, id=taken)
    ids = ", ".join(repr(r.id) for r in reqs[:5]) + (", …" if len(reqs) > 5 else "")
    return Conflict(f"one of the requests {ids} already exists (stored by a concurrent "
                    "request)", field="id")


#: The table's columns, for plain Core statements (ORM-annotated columns make
#: SQLAlchemy's statement cache key several times dearer to compute).
_T = RequestRow.__table__.c


def request_filters(*, technician_id: str | None = None, status: str | None = None,
                    customer_id: str | None = None, start: datetime | None = None,
                    end: datetime | None = None) -> list[ColumnElement[bool]]:
    """The conditions of a request list; ``start``/``end`` filter on ``created_at``
    (else the time received)."""
    conds: list[ColumnElement[bool]] = []
    created = func.coalesce(_T.created_at, _T.received_at)
    if technician_id:
        conds.append(_T.assigned_technician_id == technician_id)
    if status:
        conds.append(_T.status == status)
    if customer_id:
        conds.append(_T.customer_id == customer_id)
    if start is not None:
        conds.append(created >= start)
    if end is not None:
        conds.append(created < end)
    return conds


# ---------------------------------------------------------------- the list
@dataclass(frozen=True)
class ListedPage:
    """One page of requests as plain column values, with the windows and skills of
    its rows: what ``GET /requests`` renders, loaded without ORM objects.

    ``rows`` hold :data:`LIST_COLUMNS` in order (JSON columns as their stored text,
    never decoded); ``windows`` and ``skills`` are
    keyed by request id (``(start, end)`` and ``(skill, level, position)`` tuples in
    the order the request lists them); ``total`` counts every request the filters
    match (not only those after ``after``); ``last`` is the sort key of the page's
    last row, for the next page's ``after``.
    """

    rows: list[tuple[Any, ...]]
    windows: dict[str, tuple[tuple[datetime, datetime], ...]]
    skills: dict[str, tuple[tuple[str, int, int], ...]]
    total: int
    last: tuple[datetime, str] | None


#: The columns of ``service_requests`` in table order (what :class:`ListedPage` rows hold).
LIST_COLUMNS = tuple(RequestRow.__table__.columns)
#: The same, JSON columns read as text: a page only needs them to tell row states
#: apart, and decoding then re-encoding them was a fifth of the list's cost.
_LIST_SELECT = tuple(cast(c, Text).label(c.key) if isinstance(c.type, JSON) else c
                     for c in LIST_COLUMNS)
_ID = next(i for i, c in enumerate(LIST_COLUMNS) if c.key == "id")
_RECEIVED = next(i for i, c in enumerate(LIST_COLUMNS) if c.key == "received_at")


_W = RequestWindow.__table__.c
_K = RequestSkill.__table__.c
_PAGE_IDS: BindParameter[Any] = bindparam("ids", expanding=True)  # one list, not per id
#: The windows and the skills of a page's requests in one statement (one round trip):
#: ``(request_id, start, end, None, None, None)`` or ``(request_id, None, None, skill,
#: level, position)``.
_PARTS_OF = union_all(
    select(_W.request_id, _W.start, _W.end, cast(null(), _K.skill.type).label("skill"),
           cast(null(), Integer).label("level"), cast(null(), Integer).label("position"))
    .where(_W.request_id.in_(_PAGE_IDS)),
    select(_K.request_id, cast(null(), _W.start.type), cast(null(), _W.end.type),
           _K.skill, _K.level, _K.position)
    .where(_K.request_id.in_(_PAGE_IDS)),
)


def _parts(conn: Connection, ids: list[str]) -> tuple[
        dict[str, tuple[tuple[datetime, datetime], ...]],
        dict[str, tuple[tuple[str, int, int], ...]]]:
    """The windows (by start) and skills (by position) of requests ``ids``."""
    windows: dict[str, list[tuple[datetime, datetime]]] = {i: [] for i in ids}
    skills: dict[str, list[tuple[int, str, int]]] = {i: [] for i in ids}
    if ids:
        for rid, start, end, skill, level, position in conn.execute(_PARTS_OF, {"ids": ids}):
            if skill is None:
                windows[rid].append((start, end))
            else:
                skills[rid].append((position, skill, level))
    return ({i: tuple(sorted(v)) for i, v in windows.items()},
            {i: tuple((k, lv, p) for p, k, lv in sorted(v)) for i, v in skills.items()})


def list_page(s: Session, filters: Sequence[ColumnElement[bool]], *, per_page: int,
              page: int = 1, after: tuple[datetime, str] | None = None) -> ListedPage:
    """One page of the requests matching ``filters`` (:func:`request_filters`) in
    the order received: by ``page`` number (offset), or the ``per_page`` requests
    that follow the sort key ``after`` (keyset: as cheap at the millionth row as at
    the first).

    Two statements whatever the page size (each a round trip to PostgreSQL): the
    page with its total (an uncorrelated subquery, counted once; a window function
    instead made SQLite sort every matching row with all its columns), then the
    windows and skills of its rows. A page past the end counts apart.
    """
    conn = s.connection()  # plain Core execution: no ORM result processing
    counted = select(func.count()).select_from(RequestRow.__table__).where(*filters)
    cols = (select(*_LIST_SELECT, counted.scalar_subquery().label("total"))
            .where(*filters).order_by(_T.received_at, _T.id))
    if after is not None:
        received, last_id = after
        cols = cols.where(or_(_T.received_at > received,
                              and_(_T.received_at == received, _T.id > last_id)))
    else:
        cols = cols.offset((page - 1) * per_page)
    found = conn.execute(cols.limit(per_page)).all()
    rows = [tuple(r)[:-1] for r in found]
    total = int(found[0][-1]) if found else conn.execute(counted).scalar_one()
    windows, skills = _parts(conn, [r[_ID] for r in rows])
    last = (rows[-1][_RECEIVED], rows[-1][_ID]) if rows else None
    return ListedPage(rows, windows, skills, total, last)


def create_request(s: Session, r: ServiceRequest, *, actor: str,
                   names_preferred: bool = False) -> RequestRow:
    """Store a new request (status ``new``); :class:`Conflict` when its id is taken.

    Without preferred technicians of its own (and ``names_preferred`` false: its
    JSON had no such key) it inherits its customer's.
    """
    if s.get(RequestRow, r.id) is not None:
        raise Conflict(f"request {r.id!r} already exists", field="id")
    Refs(s).check(r)
    _store_new(s, [r], actor, [r.id] if names_preferred else ())
    return get(s, RequestRow, r.id, "request")


def replace_request(s: Session, request_id: str, body: dict[str, Any]) -> RequestRow:
    """Replace a request's details (not its status) while it is not under way."""
    if body.get("id") != request_id:
        raise FieldError("id", f"must equal the id in the URL ({request_id!r})")
    r = request_from_json(body, "")
    row = get(s, RequestRow, request_id, "request")
    if row.status not in EDITABLE:
        raise Conflict(f"request is {row.status}; it can no longer be edited", field="status")
    Refs(s).check(r)
    ensure_skills(s, {sk.name for sk in r.required_skills})
    ensure_customer(s, r)
    row.windows.clear()
    row.skills.clear()
    s.flush()  # the old windows and skills go before the new ones are added
    request_to_row(r, row)
    s.flush()
    return row


def delete_request(s: Session, request_id: str) -> None:
    """Delete a request that is ``new`` or ``cancelled``."""
    row = get(s, RequestRow, request_id, "request")
    if row.status not in DELETABLE:
        raise Conflict(f"request is {row.status}; set its status to cancelled instead",
                       field="status")
    s.delete(row)


# ---------------------------------------------------------------- bulk import
def rows_from_json(data: Any, limit: int) -> list[tuple[int, Any]]:
    """``(row number, request JSON)`` of a JSON import body (an array, or
    ``{"requests": [...]}``)."""
    if isinstance(data, dict):
        if set(data) != {"requests"}:
            raise FieldError("requests", "send a JSON array or {\"requests\": [...]}")
        data = data["requests"]
    if not isinstance(data, list):
        raise FieldError("requests", "must be a JSON array of requests")
    if len(data) > limit:
        raise too_many(limit)
    return list(enumerate(data, start=1))


def _path(prefix: str, number: int) -> str:
    return f"{prefix}[{number - 1}]" if prefix else ""


def parse_batch(rows: Sequence[tuple[int, Any]], prefix: str) -> list[ServiceRequest]:
    """Decode every row (ids unique within the batch); errors name the row and, for
    JSON, the path ``requests[i]``."""
    parsed: list[ServiceRequest] = []
    seen: set[str] = set()
    for number, data in rows:
        path = _path(prefix, number)
        try:
            r = request_from_json(data, "")
            if r.id in seen:
                raise FieldError("id", f"duplicate id {r.id!r} in this batch")
        except FieldError as exc:
            raise row_error(number, exc.within(path) if path else exc) from None
        seen.add(r.id)
        parsed.append(r)
    if not parsed:
        raise FieldError("requests", "no rows to import")
    return parsed


def import_requests(s: Session, parsed: Sequence[ServiceRequest], prefix: str, *,
                    actor: str, explicit: Collection[str] = ()) -> list[str]:
    """Store a parsed batch in one transaction: one bad row rejects the whole batch.

    ``explicit``: ids of the requests whose rows named their own preferred
    technicians (the others inherit their customer's).
    """
    refs = Refs(s)
    existing = set(s.scalars(select(RequestRow.id).where(
        RequestRow.id.in_([r.id for r in parsed]))))
    for number, r in enumerate(parsed, start=1):
        path = _path(prefix, number)
        if r.id in existing:
            raise Conflict(f"row {number}: request {r.id!r} already exists",
                           field=f"{path}.id" if path else "id", row=number)
        try:
            refs.check(r)
        except FieldError as exc:
            raise row_error(number, exc.within(path) if path else exc) from None
    _store_new(s, parsed, actor, explicit)
    return [r.id for r in parsed]


# ---------------------------------------------------------------- status machine
def history(s: Session, request_id: str) -> list[StatusEvent]:
    """Every status change of the request, oldest first."""
    return list(s.scalars(select(StatusEvent).where(StatusEvent.request_id == request_id)
                          .order_by(StatusEvent.at, StatusEvent.id)))


def change_status(s: Session, row: RequestRow, new: str, *, actor: str, at: datetime | None,
                  note: str | None = None, by_technician: bool = False) -> None:
    """Move the request to ``new`` (at ``at``, default now) along :data:`TRANSITIONS`.

    A technician may only make :data:`TECHNICIAN_MOVES` (:class:`Forbidden`); any
    other move not allowed from the current status is a :class:`Conflict` listing
    the allowed ones. Going back to ``new`` or to ``cancelled`` clears the plan's
    assignment.
    """
    if by_technician and new not in TECHNICIAN_MOVES:
        raise Forbidden(f"a technician may only set {sorted(TECHNICIAN_MOVES)}", field="status")
    if new not in TRANSITIONS[row.status]:
        raise Conflict(f"cannot go from {row.status} to {new}", field="status",
                       kind="invalid-transition", allowed=sorted(TRANSITIONS[row.status]))
    at = at or utcnow()
    day_version.bump_for_requests(s, [row])  # before an OFF_PLAN move clears the slot
    s.add(StatusEvent(request_id=row.id, status=new, previous=row.status, at=at,
                      actor=actor, note=note))
    row.status, row.status_changed_at = new, at
    if new in OFF_PLAN:
        row.assigned_technician_id = row.assigned_shift_id = row.plan_id = None
        row.planned_arrival = row.planned_start = row.planned_end = None
    s.flush()

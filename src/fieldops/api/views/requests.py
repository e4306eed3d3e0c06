"""Service requests: CRUD, bulk import (JSON or CSV), status tracking and ETA."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Response, request
from flask_smorest import Blueprint
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldops.api.auth import READERS, WRITERS, Principal, principal, roles
from fieldops.api.common import get_or_404, instant, page, request_json
from fieldops.api.errors import Problem
from fieldops.api.ext import session, state
from fieldops.api.schemas import (
    ImportOutSchema,
    RequestListArgs,
    RequestOutSchema,
    RequestSchema,
    StatusEventSchema,
    StatusUpdateSchema,
    TrackingSchema,
    page_schema,
)
from fieldops.domain import ServiceRequest
from fieldops.domain.errors import FieldError
from fieldops.schemas import parse_instant, request_from_json
from fieldops.schemas.requests_csv import (
    CsvFormatError,
    CsvRowError,
    TooManyRows,
    request_rows_from_csv,
)
from fieldops.store.convert import (
    ensure_customer,
    ensure_skills,
    insert_requests,
    request_to_row,
)
from fieldops.store.models import (
    ContractTierRow,
    RequestRow,
    StatusEvent,
    TechnicianRow,
    utcnow,
)

blp = Blueprint("requests", __name__, url_prefix="/api/v1/requests",
                description="Service requests (jobs), bulk import and status tracking.")

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
ETA_STATUSES = {"scheduled", "dispatched", "en_route"}


# ---------------------------------------------------------------- validation
class _Refs:
    """Known technicians and tiers, loaded once per batch."""

    def __init__(self, s: Session) -> None:
        self.techs = set(s.scalars(select(TechnicianRow.id)))
        self.tiers = set(s.scalars(select(ContractTierRow.name)))

    def check(self, r: ServiceRequest) -> None:
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


def _store_new(s: Session, reqs: list[ServiceRequest], who: Principal) -> None:
    ensure_skills(s, {sk.name for r in reqs for sk in r.required_skills})
    for r in reqs:
        ensure_customer(s, r)
    insert_requests(s, reqs, status="new", now=utcnow(), actor=who.label)


def _visible(row: RequestRow, who: Principal) -> None:
    if who.role == "technician" and row.assigned_technician_id != who.technician_id:
        raise Problem(403, "a technician key may only see its own jobs", kind="forbidden")


# ---------------------------------------------------------------- CRUD
@blp.route("", methods=["GET"])
@roles(*READERS, "technician")
@blp.arguments(RequestListArgs, location="query")
@blp.response(200, page_schema(RequestOutSchema, "RequestPage"))
def list_requests(args: dict[str, Any]) -> dict[str, Any]:
    """List requests. ``from``/``to`` filter on ``created_at`` (else the time received).

    A technician key sees only the jobs assigned to it.
    """
    q = select(RequestRow).order_by(RequestRow.received_at, RequestRow.id)
    who = principal()
    created = func.coalesce(RequestRow.created_at, RequestRow.received_at)
    if who.role == "technician":
        q = q.where(RequestRow.assigned_technician_id == who.technician_id)
    elif args.get("technician_id"):
        q = q.where(RequestRow.assigned_technician_id == args["technician_id"])
    if args.get("status"):
        q = q.where(RequestRow.status == args["status"])
    if args.get("customer_id"):
        q = q.where(RequestRow.customer_id == args["customer_id"])
    if args.get("from_") is not None:
        q = q.where(created >= args["from_"])
    if args.get("to") is not None:
        q = q.where(created < args["to"])
    with session() as s:
        return page(s, q, args, request_json)


@blp.route("", methods=["POST"])
@roles(*WRITERS)
@blp.arguments(RequestSchema)
@blp.response(201, RequestOutSchema)
def create_request(body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Create one service request (status ``new``)."""
    r = request_from_json(body, "")
    with session() as s:
        if s.get(RequestRow, r.id) is not None:
            raise Problem(409, f"request {r.id!r} already exists", field="id", kind="conflict")
        _Refs(s).check(r)
        _store_new(s, [r], principal())
        out = request_json(get_or_404(s, RequestRow, r.id, "request"))
    return out, 201, {"Location": f"/api/v1/requests/{r.id}"}


@blp.route("/<string:request_id>", methods=["GET"])
@roles(*READERS, "technician")
@blp.response(200, RequestOutSchema)
def get_request(request_id: str) -> dict[str, Any]:
    """One request with its status and planned assignment."""
    with session() as s:
        row = get_or_404(s, RequestRow, request_id, "request")
        _visible(row, principal())
        return request_json(row)


@blp.route("/<string:request_id>", methods=["PUT"])
@roles(*WRITERS)
@blp.arguments(RequestSchema)
@blp.response(200, RequestOutSchema)
def replace_request(body: dict[str, Any], request_id: str) -> dict[str, Any]:
    """Replace a request's details (not its status) while it is not under way."""
    if body.get("id") != request_id:
        raise FieldError("id", f"must equal the id in the URL ({request_id!r})")
    r = request_from_json(body, "")
    with session() as s:
        row = get_or_404(s, RequestRow, request_id, "request")
        if row.status not in ("new", "scheduled", "dispatched"):
            raise Problem(409, f"request is {row.status}; it can no longer be edited",
                          field="status", kind="conflict")
        _Refs(s).check(r)
        ensure_skills(s, {sk.name for sk in r.required_skills})
        ensure_customer(s, r)
        row.windows.clear()
        row.skills.clear()
        s.flush()
        request_to_row(r, row)
        s.flush()
        return request_json(row)


@blp.route("/<string:request_id>", methods=["DELETE"])
@roles(*WRITERS)
@blp.response(204)
def delete_request(request_id: str) -> Response:
    """Delete a request that is ``new`` or ``cancelled`` (cancel it otherwise)."""
    with session() as s:
        row = get_or_404(s, RequestRow, request_id, "request")
        if row.status not in ("new", "cancelled"):
            raise Problem(409, f"request is {row.status}; set its status to cancelled instead",
                          field="status", kind="conflict")
        s.delete(row)
    return Response(status=204)


# ---------------------------------------------------------------- bulk import
def _rows_from_csv(raw: bytes, limit: int) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        yield from request_rows_from_csv(raw, limit)
    except CsvFormatError as exc:
        raise Problem(400, exc.message, field=exc.field, row=exc.row,
                      kind="malformed-csv") from None
    except TooManyRows as exc:
        raise _too_many(exc.limit) from None
    except CsvRowError as exc:
        raise _row_problem(exc.row, exc.error) from None


def _too_many(limit: int) -> Problem:
    return Problem(413, f"too many rows: at most {limit} per import; split the file",
                   field="requests", kind="too-many-rows")


def _row_problem(number: int, exc: FieldError) -> Problem:
    return Problem(422, f"row {number}: {exc}", field=exc.field, row=number,
                   kind="validation")


def _rows_from_json(limit: int) -> Iterator[tuple[int, Any]]:
    data = request.get_json(silent=True)
    if data is None:
        raise Problem(400, "body is not valid JSON", kind="malformed-json")
    if isinstance(data, dict):
        if set(data) != {"requests"}:
            raise FieldError("requests", "send a JSON array or {\"requests\": [...]}")
        data = data["requests"]
    if not isinstance(data, list):
        raise FieldError("requests", "must be a JSON array of requests")
    if len(data) > limit:
        raise _too_many(limit)
    yield from enumerate(data, start=1)


@blp.route("/import", methods=["POST"])
@roles(*WRITERS)
@blp.doc(requestBody={
    "required": True,
    "description": "A JSON array of requests (or {\"requests\": [...]}), or CSV with a "
                   "header row (columns in docs/api.md).",
    "content": {
        "application/json": {"schema": {"type": "array", "items": RequestSchema}},
        "text/csv": {"schema": {"type": "string"}},
    },
})
@blp.response(201, ImportOutSchema)
def import_requests() -> tuple[dict[str, Any], int]:
    """Import many requests in one transaction: one bad row rejects the whole batch."""
    limit = state().import_max_rows
    mimetype = request.mimetype
    # Rows are read (and counted) in full before any is parsed into a request, so an
    # oversized upload is refused without doing the expensive work first.
    if mimetype in ("text/csv", "application/csv"):
        rows = list(_rows_from_csv(request.get_data(), limit))
        prefix = ""
    elif mimetype == "application/json":
        rows = list(_rows_from_json(limit))
        prefix = "requests"
    else:
        raise Problem(415, "send application/json or text/csv", kind="unsupported-media-type")
    parsed: list[ServiceRequest] = []
    seen: set[str] = set()
    for number, data in rows:
        path = f"{prefix}[{number - 1}]" if prefix else ""
        try:
            r = request_from_json(data, "")
            if r.id in seen:
                raise FieldError("id", f"duplicate id {r.id!r} in this batch")
        except FieldError as exc:
            err = exc.within(path) if path else exc
            raise _row_problem(number, err) from None
        seen.add(r.id)
        parsed.append(r)
    if not parsed:
        raise FieldError("requests", "no rows to import")
    who = principal()
    with session() as s:
        refs = _Refs(s)
        existing = set(s.scalars(select(RequestRow.id).where(RequestRow.id.in_(seen))))
        for number, r in enumerate(parsed, start=1):
            path = f"{prefix}[{number - 1}]" if prefix else ""
            if r.id in existing:
                raise Problem(409, f"row {number}: request {r.id!r} already exists",
                              field=f"{path}.id" if path else "id", row=number,
                              kind="conflict")
            try:
                refs.check(r)
            except FieldError as exc:
                raise _row_problem(number, exc.within(path) if path else exc) from None
        _store_new(s, parsed, who)
    return {"created": len(parsed), "ids": [r.id for r in parsed]}, 201


# ---------------------------------------------------------------- status tracking
def _history(s: Session, request_id: str) -> list[dict[str, Any]]:
    events = s.scalars(select(StatusEvent).where(StatusEvent.request_id == request_id)
                       .order_by(StatusEvent.at, StatusEvent.id))
    return [{"status": e.status, "previous": e.previous, "at": instant(e.at), "actor": e.actor,
             "note": e.note, "plan_id": e.plan_id} for e in events]


def _tracking(s: Session, row: RequestRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "status": row.status,
        "eta": instant(row.planned_arrival) if row.status in ETA_STATUSES else None,
        "planned_start": instant(row.planned_start) if row.status in ETA_STATUSES else None,
        "technician_id": row.assigned_technician_id,
        "history": _history(s, row.id),
    }


@blp.route("/<string:request_id>/status", methods=["POST"])
@roles(*WRITERS, "technician")
@blp.arguments(StatusUpdateSchema)
@blp.response(200, TrackingSchema)
def update_status(body: dict[str, Any], request_id: str) -> dict[str, Any]:
    """Move a request to a new status (e.g. en_route → on_site → done)."""
    who = principal()
    new = body["status"]
    at = parse_instant(body["at"], "at") if body.get("at") else utcnow()
    with session() as s:
        row = get_or_404(s, RequestRow, request_id, "request")
        _visible(row, who)
        if who.role == "technician" and new not in TECHNICIAN_MOVES:
            raise Problem(403, f"a technician may only set {sorted(TECHNICIAN_MOVES)}",
                          field="status", kind="forbidden")
        if new not in TRANSITIONS[row.status]:
            raise Problem(409, f"cannot go from {row.status} to {new}", field="status",
                          kind="invalid-transition",
                          allowed=sorted(TRANSITIONS[row.status]))
        s.add(StatusEvent(request_id=row.id, status=new, previous=row.status, at=at,
                          actor=who.label, note=body.get("note")))
        row.status, row.status_changed_at = new, at
        if new in ("new", "cancelled"):
            row.assigned_technician_id = row.assigned_shift_id = row.plan_id = None
            row.planned_arrival = row.planned_start = row.planned_end = None
        s.flush()
        return _tracking(s, row)


@blp.route("/<string:request_id>/history", methods=["GET"])
@roles(*READERS, "technician")
@blp.response(200, StatusEventSchema(many=True))
def request_history(request_id: str) -> list[dict[str, Any]]:
    """Every status change of the request, oldest first."""
    with session() as s:
        row = get_or_404(s, RequestRow, request_id, "request")
        _visible(row, principal())
        return _history(s, request_id)


@blp.route("/<string:request_id>/tracking", methods=["GET"])
@roles(*READERS, "technician")
@blp.response(200, TrackingSchema)
def request_tracking(request_id: str) -> dict[str, Any]:
    """Status, ETA (planned arrival while scheduled/dispatched/en route) and history."""
    with session() as s:
        row = get_or_404(s, RequestRow, request_id, "request")
        _visible(row, principal())
        return _tracking(s, row)

"""Service requests: CRUD, bulk import (JSON or CSV), status tracking and ETA."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response, request
from flask_smorest import Blueprint
from sqlalchemy.orm import Session

from fieldops.api import request_list as listing
from fieldops.api.auth import READERS, WRITERS, Principal, principal, roles
from fieldops.api.common import instant, location, request_json
from fieldops.api.day_schemas import TrackingArgs
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
from fieldops.domain.errors import FieldError
from fieldops.schemas import parse_instant, request_from_json
from fieldops.services import live
from fieldops.services import requests as svc
from fieldops.services.crud import get
from fieldops.services.errors import BadInput, Forbidden, Unsupported
from fieldops.services.request_csv import rows_from_csv
from fieldops.store.models import RequestRow, StatusEvent, utcnow

blp = Blueprint("requests", __name__, url_prefix="/api/v1/requests",
                description="Service requests (jobs), bulk import and status tracking.")


def _visible(s: Session, request_id: str, who: Principal) -> RequestRow:
    """The request, if this key may see it (a technician only its own jobs)."""
    row = get(s, RequestRow, request_id, "request")
    if who.role == "technician" and row.assigned_technician_id != who.technician_id:
        raise Forbidden("a technician key may only see its own jobs")
    return row


def _event_json(e: StatusEvent) -> dict[str, Any]:
    return {"status": e.status, "previous": e.previous, "at": instant(e.at), "actor": e.actor,
            "note": e.note, "plan_id": e.plan_id}


def _tracking(s: Session, row: RequestRow, as_of: datetime | None = None) -> dict[str, Any]:
    eta = row.status in svc.ETA_STATUSES
    return {
        "id": row.id,
        "status": row.status,
        # The live expected start of service, never before the window opens (issue 17).
        "eta": instant(live.tracking_eta(s, row, as_of)) if eta else None,
        "planned_start": instant(row.planned_start) if eta else None,
        "technician_id": row.assigned_technician_id,
        "history": [_event_json(e) for e in svc.history(s, row.id)],
    }


# ---------------------------------------------------------------- CRUD
@blp.route("", methods=["GET"])
@roles(*READERS, "technician")
@blp.arguments(RequestListArgs, location="query")
@blp.response(200, page_schema(RequestOutSchema, "RequestPage", keyset=True))
def list_requests(args: dict[str, Any]) -> Response:
    """List requests. ``from``/``to`` filter on ``created_at`` (else the time received).

    A technician key sees only the jobs assigned to it.
    """
    who = principal()
    filters = svc.request_filters(
        technician_id=who.technician_id if who.role == "technician"
        else args.get("technician_id"),
        status=args.get("status"), customer_id=args.get("customer_id"),
        start=args.get("from_"), end=args.get("to"))
    after = listing.decode_cursor(args["after"]) if args.get("after") else None
    if after is not None and args["page"] != 1:
        raise FieldError("after", "give either after or page, not both")
    with session() as s:
        listed = svc.list_page(s, filters, per_page=args["per_page"], page=args["page"],
                               after=after)
        items = listing.listed_items(listed)
    # Items are JSON text already (cached per row state): the page is joined, not
    # dumped through the schema again (that doubled this endpoint's cost).
    body = listing.page_body(items, listed, args["page"], args["per_page"])
    etag = listing.etag_of(body)
    if request.if_none_match.contains(etag.strip('"')):
        return Response(status=304, headers={"ETag": etag})
    return Response(body, status=200, mimetype="application/json", headers={"ETag": etag})


@blp.route("", methods=["POST"])
@roles(*WRITERS)
@blp.arguments(RequestSchema)
@blp.response(201, RequestOutSchema)
def create_request(body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Create one service request (status ``new``)."""
    r = request_from_json(body, "")
    with session() as s:
        out = request_json(svc.create_request(s, r, actor=principal().label,
                                              names_preferred=svc.names_preferred(body)))
    return out, 201, location("requests", r.id)


@blp.route("/<string:request_id>", methods=["GET"])
@roles(*READERS, "technician")
@blp.response(200, RequestOutSchema)
def get_request(request_id: str) -> dict[str, Any]:
    """One request with its status and planned assignment."""
    with session() as s:
        return request_json(_visible(s, request_id, principal()))


@blp.route("/<string:request_id>", methods=["PUT"])
@roles(*WRITERS)
@blp.arguments(RequestSchema)
@blp.response(200, RequestOutSchema)
def replace_request(body: dict[str, Any], request_id: str) -> dict[str, Any]:
    """Replace a request's details (not its status) while it is not under way."""
    with session() as s:
        return request_json(svc.replace_request(s, request_id, body))


@blp.route("/<string:request_id>", methods=["DELETE"])
@roles(*WRITERS)
@blp.response(204)
def delete_request(request_id: str) -> Response:
    """Delete a request that is ``new`` or ``cancelled`` (cancel it otherwise)."""
    with session() as s:
        svc.delete_request(s, request_id)
    return Response(status=204)


# ---------------------------------------------------------------- bulk import
def _import_rows(limit: int) -> tuple[list[tuple[int, Any]], str]:
    """The body's rows and the path prefix their errors are named under."""
    mimetype = request.mimetype
    if mimetype in ("text/csv", "application/csv"):
        return list(rows_from_csv(request.get_data(), limit)), ""
    if mimetype == "application/json":
        data = request.get_json(silent=True)
        if data is None:
            raise BadInput("body is not valid JSON", kind="malformed-json")
        return svc.rows_from_json(data, limit), "requests"
    raise Unsupported("send application/json or text/csv")


@blp.route("/import", methods=["POST"])
@roles(*WRITERS)
@blp.doc(requestBody={
    "required": True,
    "description": "A JSON array of requests (or {\"requests\": [...]}), or CSV with a "
                   "header row (columns in docs/api.md).",
    "content": {
        "application/json": {"schema": {"type": "array", "items": RequestSchema}},
        "text/csv": {"schema": {"type": "string"}},
        "application/csv": {"schema": {"type": "string"}},
    },
})
@blp.response(201, ImportOutSchema)
def import_requests() -> tuple[dict[str, Any], int]:
    """Import many requests in one transaction: one bad row rejects the whole batch."""
    # Rows are read (and counted) in full before any is parsed into a request, so an
    # oversized upload is refused without doing the expensive work first.
    rows, prefix = _import_rows(state().import_max_rows)
    parsed = svc.parse_batch(rows, prefix)
    with session() as s:
        ids = svc.import_requests(s, parsed, prefix, actor=principal().label, explicit={
            r.id for r, (_, data) in zip(parsed, rows, strict=True)
            if svc.names_preferred(data)})
    return {"created": len(ids), "ids": ids}, 201


# ---------------------------------------------------------------- status tracking
@blp.route("/<string:request_id>/status", methods=["POST"])
@roles(*WRITERS, "technician")
@blp.arguments(StatusUpdateSchema)
@blp.response(200, TrackingSchema)
def update_status(body: dict[str, Any], request_id: str) -> dict[str, Any]:
    """Move a request to a new status (e.g. en_route → on_site → done)."""
    who = principal()
    at = parse_instant(body["at"], "at") if body.get("at") else None
    with session() as s:
        row = _visible(s, request_id, who)
        svc.change_status(s, row, body["status"], actor=who.label, at=at,
                          note=body.get("note"), by_technician=who.role == "technician")
        return _tracking(s, row)


@blp.route("/<string:request_id>/history", methods=["GET"])
@roles(*READERS, "technician")
@blp.response(200, StatusEventSchema(many=True))
def request_history(request_id: str) -> list[dict[str, Any]]:
    """Every status change of the request, oldest first."""
    with session() as s:
        _visible(s, request_id, principal())
        return [_event_json(e) for e in svc.history(s, request_id)]


@blp.route("/<string:request_id>/tracking", methods=["GET"])
@roles(*READERS, "technician")
@blp.arguments(TrackingArgs, location="query")
@blp.response(200, TrackingSchema)
def request_tracking(args: dict[str, Any], request_id: str) -> dict[str, Any]:
    """Status, ETA (the live expected start of service while scheduled/dispatched/en
    route, never before the window opens; ``as_of`` default now) and history."""
    as_of = live.instant_near(args.get("as_of"), "as_of", utcnow())
    with session() as s:
        return _tracking(s, _visible(s, request_id, principal()), as_of)

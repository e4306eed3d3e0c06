"""Shifts: working periods of technicians (CRUD over :mod:`fieldops.services.resources`)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint

from fieldops.api.auth import READERS, WRITERS, principal, roles
from fieldops.api.common import location, shift_json
from fieldops.api.ext import session
from fieldops.api.schemas import ShiftListArgs, ShiftSchema, page_schema
from fieldops.services import resources
from fieldops.services.crud import page
from fieldops.services.errors import Forbidden
from fieldops.services.resources import SHIFTS, shifts_query

blp = Blueprint("shifts", __name__, url_prefix="/api/v1/shifts",
                description="Working periods of technicians.")


@blp.route("", methods=["GET"])
@roles(*READERS, "technician")
@blp.arguments(ShiftListArgs, location="query")
@blp.response(200, page_schema(ShiftSchema, "ShiftPage"))
def list_shifts(args: dict[str, Any]) -> dict[str, Any]:
    """List shifts; ``from``/``to`` keep shifts overlapping that interval."""
    who = principal()
    tech = who.technician_id if who.role == "technician" else args.get("technician_id")
    with session() as s:
        return page(s, shifts_query(tech, args.get("from_"), args.get("to")), args, shift_json)


@blp.route("", methods=["POST"])
@roles(*WRITERS)
@blp.arguments(ShiftSchema)
@blp.response(201, ShiftSchema)
def create_shift(body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Create a shift."""
    with session() as s:
        out = shift_json(SHIFTS.create(s, body))
    return out, 201, location("shifts", out["id"])


@blp.route("/<string:shift_id>", methods=["GET"])
@roles(*READERS, "technician")
@blp.response(200, ShiftSchema)
def get_shift(shift_id: str) -> dict[str, Any]:
    """One shift."""
    with session() as s:
        row = SHIFTS.get(s, shift_id)
        who = principal()
        if who.role == "technician" and row.technician_id != who.technician_id:
            raise Forbidden("not your shift")
        return shift_json(row)


@blp.route("/<string:shift_id>", methods=["PUT"])
@roles(*WRITERS)
@blp.arguments(ShiftSchema)
@blp.response(200, ShiftSchema)
def replace_shift(body: dict[str, Any], shift_id: str) -> dict[str, Any]:
    """Replace a shift."""
    with session() as s:
        return shift_json(SHIFTS.replace(s, shift_id, body))


@blp.route("/<string:shift_id>", methods=["DELETE"])
@roles(*WRITERS)
@blp.response(204)
def delete_shift(shift_id: str) -> Response:
    """Delete a shift; its jobs not started are released (back to ``new``)."""
    with session() as s:
        resources.delete_shift(s, shift_id, actor=principal().label)
    return Response(status=204)

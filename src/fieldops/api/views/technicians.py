"""Technicians: their skills and home bases (CRUD over :mod:`fieldops.services.resources`)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint

from fieldops.api.auth import READERS, WRITERS, principal, roles
from fieldops.api.common import location, technician_json
from fieldops.api.ext import session
from fieldops.api.schemas import PageArgs, TechnicianSchema, page_schema
from fieldops.services import resources
from fieldops.services.crud import page
from fieldops.services.errors import Forbidden
from fieldops.services.resources import TECHNICIANS, technicians_query

blp = Blueprint("technicians", __name__, url_prefix="/api/v1/technicians",
                description="Field technicians, their skills and home bases.")


@blp.route("", methods=["GET"])
@roles(*READERS, "technician")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(TechnicianSchema, "TechnicianPage"))
def list_technicians(args: dict[str, Any]) -> dict[str, Any]:
    """List technicians (a technician key sees only itself)."""
    who = principal()
    query = technicians_query(who.technician_id if who.role == "technician" else None)
    with session() as s:
        return page(s, query, args, technician_json)


@blp.route("", methods=["POST"])
@roles(*WRITERS)
@blp.arguments(TechnicianSchema)
@blp.response(201, TechnicianSchema)
def create_technician(body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Create a technician."""
    with session() as s:
        out = technician_json(TECHNICIANS.create(s, body))
    return out, 201, location("technicians", out["id"])


@blp.route("/<string:tech_id>", methods=["GET"])
@roles(*READERS, "technician")
@blp.response(200, TechnicianSchema)
def get_technician(tech_id: str) -> dict[str, Any]:
    """One technician."""
    who = principal()
    if who.role == "technician" and who.technician_id != tech_id:
        raise Forbidden("a technician key may only read its own technician")
    with session() as s:
        return technician_json(TECHNICIANS.get(s, tech_id))


@blp.route("/<string:tech_id>", methods=["PUT"])
@roles(*WRITERS)
@blp.arguments(TechnicianSchema)
@blp.response(200, TechnicianSchema)
def replace_technician(body: dict[str, Any], tech_id: str) -> dict[str, Any]:
    """Replace a technician."""
    with session() as s:
        return technician_json(TECHNICIANS.replace(s, tech_id, body))


@blp.route("/<string:tech_id>", methods=["DELETE"])
@roles(*WRITERS)
@blp.response(204)
def delete_technician(tech_id: str) -> Response:
    """Delete a technician with its shifts; their jobs not started are released."""
    with session() as s:
        resources.delete_technician(s, tech_id, actor=principal().label)
    return Response(status=204)

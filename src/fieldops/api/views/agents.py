"""Agents: contact-center agents kept between rosters, and their HR CSV import.

CRUD over :mod:`fieldops.services.agents`. A roster request (``POST /rosters``) may
name stored agents by id instead of carrying them (docs/api.md, Agents).
"""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_smorest import Blueprint
from sqlalchemy.exc import IntegrityError

from fieldops.api.auth import roles
from fieldops.api.common import location
from fieldops.api.ext import session, state
from fieldops.api.schemas import (
    AgentImportOutSchema,
    AgentListArgs,
    AgentSchema,
    page_schema,
)
from fieldops.services import agents as svc
from fieldops.services.crud import page
from fieldops.services.errors import BadInput, Conflict, Unsupported

#: Roles that manage agents (those that submit rosters).
AGENT_ROLES = ("admin", "manager")

blp = Blueprint("agents", __name__, url_prefix="/api/v1/agents",
                description="Contact-center agents: skills per queue with proficiency, "
                            "contract, availability; imported from an HR CSV export.")


@blp.route("", methods=["GET"])
@roles(*AGENT_ROLES)
@blp.arguments(AgentListArgs, location="query")
@blp.response(200, page_schema(AgentSchema, "AgentPage"))
def list_agents(args: dict[str, Any]) -> dict[str, Any]:
    """List agents by id (``contract`` filters)."""
    with session() as s:
        return page(s, svc.agents_query(args.get("contract")), args, svc.agent_json)


@blp.route("", methods=["POST"])
@roles(*AGENT_ROLES)
@blp.arguments(AgentSchema)
@blp.response(201, AgentSchema)
def create_agent(body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Add an agent (409 when the id is taken)."""
    try:
        with session() as s:
            out = svc.agent_json(svc.AGENTS.create(s, body))
    except IntegrityError:  # the same id added by a request racing this one
        raise Conflict(f"agent {body['id']!r} already exists", field="id") from None
    return out, 201, location("agents", out["id"])


@blp.route("/<string:agent_id>", methods=["GET"])
@roles(*AGENT_ROLES)
@blp.response(200, AgentSchema)
def get_agent(agent_id: str) -> dict[str, Any]:
    """One agent."""
    with session() as s:
        return svc.agent_json(svc.AGENTS.get(s, agent_id))


@blp.route("/<string:agent_id>", methods=["PUT"])
@roles(*AGENT_ROLES)
@blp.arguments(AgentSchema)
@blp.response(200, AgentSchema)
def replace_agent(body: dict[str, Any], agent_id: str) -> dict[str, Any]:
    """Replace an agent (rosters already submitted keep the agent as it was)."""
    with session() as s:
        return svc.agent_json(svc.AGENTS.replace(s, agent_id, body))


@blp.route("/<string:agent_id>", methods=["DELETE"])
@roles(*AGENT_ROLES)
@blp.response(204)
def delete_agent(agent_id: str) -> Response:
    """Delete an agent (rosters already submitted keep it)."""
    with session() as s:
        svc.AGENTS.delete(s, agent_id)
    return Response(status=204)


def _upload(limit: int) -> tuple[list[tuple[int, Any]], str]:
    """The body's rows and the path prefix their errors are named under."""
    if request.mimetype in ("text/csv", "application/csv"):
        return list(svc.rows_from_upload(request.get_data(), limit)), ""
    if request.mimetype == "application/json":
        data = request.get_json(silent=True)
        if data is None:
            raise BadInput("body is not valid JSON", kind="malformed-json")
        return svc.rows_from_json(data, limit), "agents"
    raise Unsupported("send text/csv (an HR export) or application/json")


@blp.route("/import", methods=["POST"])
@roles(*AGENT_ROLES)
@blp.doc(requestBody={
    "required": True,
    "description": "CSV with a header row: id, name, email, contract, queues "
                   "(voice/en:5;chat/en:2), days_off (2026-12-08;...), unavailable "
                   "(start/end;...), templates (early;late); or a JSON array of agents.",
    "content": {
        "text/csv": {"schema": {"type": "string"}},
        "application/csv": {"schema": {"type": "string"}},
        "application/json": {"schema": {"type": "array", "items": AgentSchema}},
    },
})
@blp.response(200, AgentImportOutSchema)
def import_agents() -> dict[str, Any]:
    """Add or replace many agents in one transaction: one bad row rejects the batch."""
    rows, prefix = _upload(state().import_max_rows)
    agents = svc.parse_rows(rows, prefix)
    with session() as s:
        created, updated = svc.import_agents(s, agents)
    return {"created": created, "updated": updated, "ids": [a.id for a in agents]}

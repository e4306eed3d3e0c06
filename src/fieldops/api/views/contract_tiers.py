"""Contract tiers: customer contract levels and their SLA response times (CRUD)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint

from fieldops.api.auth import READERS, WRITERS, roles
from fieldops.api.common import location, tier_json
from fieldops.api.ext import session
from fieldops.api.schemas import PageArgs, TierSchema, page_schema
from fieldops.services.crud import page
from fieldops.services.resources import TIERS, tiers_query

blp = Blueprint("contract_tiers", __name__, url_prefix="/api/v1/contract-tiers",
                description="Customer contract levels and their SLA response times.")


@blp.route("", methods=["GET"])
@roles(*READERS)
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(TierSchema, "TierPage"))
def list_tiers(args: dict[str, Any]) -> dict[str, Any]:
    """List contract tiers."""
    with session() as s:
        return page(s, tiers_query(), args, tier_json)


@blp.route("", methods=["POST"])
@roles(*WRITERS)
@blp.arguments(TierSchema)
@blp.response(201, TierSchema)
def create_tier(body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Create a contract tier."""
    with session() as s:
        out = tier_json(TIERS.create(s, body))
    return out, 201, location("contract-tiers", out["name"])


@blp.route("/<string:name>", methods=["GET"])
@roles(*READERS)
@blp.response(200, TierSchema)
def get_tier(name: str) -> dict[str, Any]:
    """One contract tier."""
    with session() as s:
        return tier_json(TIERS.get(s, name))


@blp.route("/<string:name>", methods=["PUT"])
@roles(*WRITERS)
@blp.arguments(TierSchema)
@blp.response(200, TierSchema)
def replace_tier(body: dict[str, Any], name: str) -> dict[str, Any]:
    """Replace a contract tier."""
    with session() as s:
        return tier_json(TIERS.replace(s, name, body))


@blp.route("/<string:name>", methods=["DELETE"])
@roles(*WRITERS)
@blp.response(204)
def delete_tier(name: str) -> Response:
    """Delete a contract tier (409 while requests use it)."""
    with session() as s:
        TIERS.delete(s, name)
    return Response(status=204)

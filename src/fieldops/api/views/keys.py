"""API keys (admin only)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint

from fieldops.api.auth import roles
from fieldops.api.common import instant
from fieldops.api.ext import session
from fieldops.api.idempotency import shows_secret
from fieldops.api.schemas import KeyCreateSchema, KeyOutSchema, PageArgs, page_schema
from fieldops.services.crud import page
from fieldops.services.keys import keys_query, revoke_api_key
from fieldops.store.keys import create_api_key
from fieldops.store.models import ApiKey

blp = Blueprint("keys", __name__, url_prefix="/api/v1/keys",
                description="API keys; the secret is shown once, only its hash is stored.")


def key_json(row: ApiKey, secret: str | None = None) -> dict[str, Any]:
    out = {"id": row.id, "prefix": row.prefix, "role": row.role,
           "technician_id": row.technician_id, "name": row.name,
           "created_at": instant(row.created_at), "revoked_at": instant(row.revoked_at),
           "last_used_at": instant(row.last_used_at)}
    if secret is not None:
        out["key"] = secret
    return out


@blp.route("", methods=["GET"])
@roles("admin")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(KeyOutSchema, "KeyPage"))
def list_keys(args: dict[str, Any]) -> dict[str, Any]:
    """List keys (never their secrets)."""
    with session() as s:
        return page(s, keys_query(), args, key_json)


@blp.route("", methods=["POST"])
@roles("admin")
@blp.arguments(KeyCreateSchema)
@blp.response(201, KeyOutSchema)
@shows_secret("key")
def create_key(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Create a key; the response holds the secret, the only time it is shown."""
    with session() as s:
        row, secret = create_api_key(s, body["role"], body.get("technician_id"),
                                     body.get("name"))
        return key_json(row, secret), 201


@blp.route("/<int(max=2147483647):key_id>", methods=["DELETE"])
@roles("admin")
@blp.response(204)
def revoke_key(key_id: int) -> Response:
    """Revoke a key; it answers 401 from then on."""
    with session() as s:
        revoke_api_key(s, key_id)
    return Response(status=204)

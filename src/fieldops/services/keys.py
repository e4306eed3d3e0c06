"""API keys: listing and revoking (creating is :func:`fieldops.store.keys.create_api_key`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from fieldops.services.crud import get
from fieldops.store.models import ApiKey, utcnow


def keys_query() -> Select[Any]:
    return select(ApiKey).order_by(ApiKey.id)


def revoke_api_key(s: Session, key_id: int) -> ApiKey:
    """Revoke the key (it answers 401 from then on); revoking twice keeps the first time."""
    row = get(s, ApiKey, key_id, "API key")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row

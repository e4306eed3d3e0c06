"""API keys: listing and revoking (creating is :func:`fieldops.store.keys.create_api_key`).

The API (``/keys``) and the command line (``fieldops keys list|revoke``) share these.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from fieldops.services.crud import get
from fieldops.services.errors import Conflict, NotFound
from fieldops.store.keys import KEY_PREFIX, PREFIX_CHARS, hash_secret
from fieldops.store.models import ApiKey, utcnow

#: A prefix must say more than ``fo_`` to pick a key.
MIN_PREFIX_CHARS = len(KEY_PREFIX) + 3


def keys_query() -> Select[Any]:
    return select(ApiKey).order_by(ApiKey.id)


def list_api_keys(s: Session) -> list[ApiKey]:
    """Every key, revoked ones included, oldest first (rows hold no secret)."""
    return list(s.scalars(keys_query()))


def revoke_api_key(s: Session, key_id: int) -> ApiKey:
    """Revoke the key (it answers 401 from then on); revoking twice keeps the first time."""
    row = get(s, ApiKey, key_id, "API key")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


def find_key_by_ref(s: Session, ref: str) -> ApiKey:
    """The key named by its id (``12``), the start of its prefix (``fo_Ab3x``) or itself.

    A prefix matching several keys is a :class:`Conflict` listing their ids.
    """
    ref = ref.strip()
    if ref.isdigit():
        return get(s, ApiKey, int(ref), "API key")
    if not ref.startswith(KEY_PREFIX) or len(ref) < MIN_PREFIX_CHARS:
        raise NotFound(f"{ref!r} is neither a key id nor a key prefix "
                       f"({KEY_PREFIX}… at least {MIN_PREFIX_CHARS} characters)", field="key")
    if len(ref) > PREFIX_CHARS:  # longer than any prefix: the whole key
        rows = list(s.scalars(keys_query().where(ApiKey.key_hash == hash_secret(ref))))
    else:
        rows = list(s.scalars(keys_query().where(ApiKey.prefix.startswith(ref, autoescape=True))))
    if not rows:
        raise NotFound(f"no API key with prefix {ref!r}", field="key")
    if len(rows) > 1:
        raise Conflict(f"prefix {ref!r} matches keys {', '.join(str(r.id) for r in rows)}; "
                       "give the id", field="key")
    return rows[0]


def revoke_key_by_ref(s: Session, ref: str) -> ApiKey:
    """Revoke the key named by id or prefix (see :func:`find_key_by_ref`)."""
    return revoke_api_key(s, find_key_by_ref(s, ref).id)

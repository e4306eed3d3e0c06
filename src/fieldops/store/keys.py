"""API keys and calendar-feed tokens: random secrets kept only as SHA-256 hashes.

The secrets are 32 random bytes, so a fast hash is enough (no password-style
stretching needed): guessing one is as hard as guessing the key itself.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from fieldops.domain.errors import FieldError
from fieldops.store.models import ROLES, ApiKey, FeedToken, TechnicianRow, utcnow

KEY_PREFIX = "fo_"
FEED_PREFIX = "fof_"
#: The first characters of a key, kept in clear to tell keys apart in lists.
PREFIX_CHARS = 10
#: A key's ``last_used_at`` is written at most this often: "last used" to the minute
#: costs one small UPDATE a minute per busy key, not one per request.
LAST_USED_EVERY = timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_api_key(
    session: Session, role: str, technician_id: str | None = None, name: str | None = None
) -> tuple[ApiKey, str]:
    """Store a new key; returns the row and the plaintext key (shown once, never stored)."""
    if role not in ROLES:
        raise FieldError("role", f"must be one of {', '.join(ROLES)}")
    if role == "technician":
        if not technician_id:
            raise FieldError("technician_id", "is required for the technician role")
        if session.get(TechnicianRow, technician_id) is None:
            raise FieldError("technician_id", f"unknown technician {technician_id!r}")
    elif technician_id is not None:
        raise FieldError("technician_id", "only technician keys belong to a technician")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(key_hash=hash_secret(secret), prefix=secret[:PREFIX_CHARS], role=role,
                 technician_id=technician_id, name=name)
    session.add(row)
    session.flush()
    return row, secret


def find_api_key(session: Session, secret: str) -> ApiKey | None:
    """The live (not revoked) key for ``secret``, if any."""
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_secret(secret)))
    if row is None or row.revoked_at is not None:
        return None
    return row


def key_use_due(last_used_at: datetime | None, now: datetime | None = None) -> bool:
    """Whether a key last used at ``last_used_at`` should have its use recorded now
    (at most once every :data:`LAST_USED_EVERY`)."""
    return last_used_at is None or (now or utcnow()) - last_used_at >= LAST_USED_EVERY


def note_key_used(session: Session, key_id: int, now: datetime | None = None) -> bool:
    """Record that key ``key_id`` authenticated a request, unless its recorded use is
    less than :data:`LAST_USED_EVERY` old; returns whether a write was made.

    The UPDATE is conditional, so workers racing on one key write once between them
    (the others match no row) and never move ``last_used_at`` backwards.
    """
    now = now or utcnow()
    stale = now - LAST_USED_EVERY
    done = session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id,
               or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= stale))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False))
    return bool(getattr(done, "rowcount", 0))


def create_feed_token(session: Session, technician_id: str) -> tuple[FeedToken, str]:
    """A new calendar-feed token for a technician; returns the row and the plaintext."""
    if session.get(TechnicianRow, technician_id) is None:
        raise FieldError("technician_id", f"unknown technician {technician_id!r}")
    secret = FEED_PREFIX + secrets.token_urlsafe(32)
    row = FeedToken(technician_id=technician_id, token_hash=hash_secret(secret))
    session.add(row)
    session.flush()
    return row, secret


def find_feed_token(session: Session, secret: str) -> FeedToken | None:
    row = session.scalar(select(FeedToken).where(FeedToken.token_hash == hash_secret(secret)))
    if row is None or row.revoked_at is not None:
        return None
    return row


def revoke_feed_token(session: Session, token_id: int) -> bool:
    row = session.get(FeedToken, token_id)
    if row is None:
        return False
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return True

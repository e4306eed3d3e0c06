"""Agents' calendar-feed tokens (technicians' are in :mod:`fieldops.store.keys`).

The feeds themselves are assembled by :mod:`fieldops.services.feeds`.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldops.store.keys import hash_secret
from fieldops.store.models import AgentFeedToken, RosterAgent

#: Prefix of agents' feed tokens (technicians' are ``fof_``).
AGENT_FEED_PREFIX = "foa_"


def agent_known(s: Session, agent_id: str) -> bool:
    """Whether any roster names ``agent_id`` (only such agents get tokens and feeds)."""
    return s.scalar(select(RosterAgent.agent_id).where(RosterAgent.agent_id == agent_id)
                    .limit(1)) is not None


def create_agent_feed_token(s: Session, agent_id: str) -> tuple[AgentFeedToken, str]:
    """Issue a new feed token for the agent; returns the row and the plaintext token
    (shown once; only its SHA-256 is kept).

    The caller checks :func:`agent_known` first and, for a rotation, calls
    :func:`revoke_agent_feed_tokens` before.
    """
    secret = AGENT_FEED_PREFIX + secrets.token_urlsafe(32)
    row = AgentFeedToken(agent_id=agent_id, token_hash=hash_secret(secret))
    s.add(row)
    s.flush()
    return row, secret


def revoke_agent_feed_tokens(s: Session, agent_id: str) -> int:
    """Revoke every live token of the agent; returns how many there were."""
    live = s.scalars(select(AgentFeedToken).where(AgentFeedToken.agent_id == agent_id,
                                                  AgentFeedToken.revoked_at.is_(None))).all()
    now = datetime.now(UTC)
    for row in live:
        row.revoked_at = now
    return len(live)


def find_agent_feed_token(s: Session, secret: str) -> AgentFeedToken | None:
    """The live agent feed token for ``secret``, if any."""
    row = s.scalar(select(AgentFeedToken).where(AgentFeedToken.token_hash == hash_secret(secret)))
    if row is None or row.revoked_at is not None:
        return None
    return row

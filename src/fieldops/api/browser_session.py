"""Browser sessions for the board: an API key given once, kept as a signed cookie.

A dispatcher opens ``/board/login``, pastes a key, and gets a cookie
``fieldops_board=<key id>.<expiry>.<signature>``: ``HttpOnly`` (no script reads
it), ``SameSite=Strict`` (no other site's page or link sends it) and ``Secure``
behind HTTPS. The key itself never reaches the browser's storage.

The signature is an HMAC keyed with the stored hash of the API key (a secret the
server already keeps and never shows), so:

* sessions work across gunicorn workers and restarts without another secret to
  configure;
* revoking the key ends every session made from it at the next request.

CSRF: a request authenticated by the cookie must also carry the header
``X-CSRF-Token`` with the token the board page embeds (an HMAC of the cookie).
Another site can neither read that page nor send a custom header without a CORS
pre-flight this server never grants; SameSite=Strict is the second wall.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session

from fieldops.store.models import ApiKey

COOKIE = "fieldops_board"
CSRF_HEADER = "X-CSRF-Token"
#: A board session lasts one working day and a bit; then the key is asked again.
SESSION_SECONDS = 14 * 3600
_SESSION = b"board-session"
_CSRF = b"board-csrf"


@dataclass(frozen=True)
class BoardSession:
    """A verified cookie: the key row it was made from and the cookie's text."""

    key: ApiKey
    cookie: str

    @property
    def csrf_token(self) -> str:
        return _mac(self.key, _CSRF, self.cookie)


def _mac(key: ApiKey, purpose: bytes, message: str) -> str:
    secret = bytes.fromhex(key.key_hash)
    return hmac.new(secret, purpose + b"\0" + message.encode(), hashlib.sha256).hexdigest()


def issue(key: ApiKey, now: float | None = None) -> str:
    """A new cookie value for ``key`` (a live key row), valid :data:`SESSION_SECONDS`."""
    expires = int((time.time() if now is None else now) + SESSION_SECONDS)
    body = f"{key.id}.{expires}"
    return f"{body}.{_mac(key, _SESSION, body)}"


def verify(s: Session, cookie: str, now: float | None = None) -> BoardSession | None:
    """The session of a cookie value, or ``None`` when it is forged, expired, or its
    key unknown or revoked."""
    parts = cookie.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    key_id, expires, signature = int(parts[0]), int(parts[1]), parts[2]
    if expires < (time.time() if now is None else now):
        return None
    key = s.get(ApiKey, key_id)
    if key is None or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(_mac(key, _SESSION, f"{parts[0]}.{parts[1]}"), signature):
        return None
    return BoardSession(key, cookie)


def csrf_ok(session: BoardSession, token: str | None) -> bool:
    return token is not None and hmac.compare_digest(session.csrf_token, token)

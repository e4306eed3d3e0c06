"""Bearer API keys and role checks.

401: no key, a malformed header, or an unknown/revoked key. 403: a valid key whose
role (or technician) may not do this.

The board's pages call the same API with a browser session instead of a header
(:mod:`fieldops.api.browser_session`): without an ``Authorization`` header, a valid
session cookie plus its ``X-CSRF-Token`` header authenticates as the key the session
was made from; the cookie without the token is 403 ``csrf``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import g, request
from sqlalchemy.exc import SQLAlchemyError

from fieldops.api import browser_session
from fieldops.api.errors import Problem
from fieldops.api.ext import session
from fieldops.store.keys import find_api_key, key_use_due, note_key_used

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
ALL_ROLES = ("admin", "dispatcher", "manager", "technician")
READERS = ("admin", "dispatcher", "manager")
WRITERS = ("admin", "dispatcher")


@dataclass(frozen=True)
class Principal:
    key_id: int
    role: str
    technician_id: str | None

    @property
    def label(self) -> str:
        return f"key:{self.key_id}({self.role})"


def _unauthorized(detail: str) -> Problem:
    return Problem(401, detail, kind="unauthorized",
                   headers={"WWW-Authenticate": 'Bearer realm="fieldops"'})


def authenticate() -> Principal:
    """The caller's key, or 401."""
    cached = g.get("principal")
    if cached is not None:
        return cached
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header and browser_session.COOKIE in request.cookies:
        return _from_session(request.cookies[browser_session.COOKIE])
    if not header:
        raise _unauthorized("missing Authorization: Bearer <api key>")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("Authorization must be 'Bearer <api key>'")
    with session() as s:
        row = find_api_key(s, token.strip())
        if row is None:
            raise _unauthorized("unknown or revoked API key")
        principal = Principal(row.id, row.role, row.technician_id)
        due = key_use_due(row.last_used_at)
    if due:
        _note_use(principal.key_id)
    g.principal = principal
    return principal


def _from_session(cookie: str) -> Principal:
    """The principal of a board session cookie (CSRF token required), or 401/403."""
    with session() as s:
        found = browser_session.verify(s, cookie)
        if found is None:
            raise _unauthorized("the board session expired or its key was revoked; "
                                "sign in again at /board/login")
        if not browser_session.csrf_ok(found, request.headers.get(browser_session.CSRF_HEADER)):
            raise Problem(403, f"a request with the board's session cookie needs the "
                          f"{browser_session.CSRF_HEADER} header of its page",
                          field=browser_session.CSRF_HEADER, kind="csrf")
        who = Principal(found.key.id, found.key.role, found.key.technician_id)
    g.principal = who
    return who
def _note_use(key_id: int) -> None:
    """Record the key's use (``last_used_at``, once a minute) in a transaction of its
    own, best effort: bookkeeping that fails (SQLite busy, a lost connection) must
    not fail the request it was noted for."""
    try:
        with session() as s:
            note_key_used(s, key_id)
    except SQLAlchemyError as exc:
        log.warning("could not record the use of API key %s: %s", key_id, exc)


def roles(*allowed: str) -> Callable[[F], F]:
    """Allow only keys with one of ``allowed`` roles (401 without a key, 403 otherwise)."""

    def deco(fn: F) -> F:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            who = authenticate()
            if who.role not in allowed:
                raise Problem(403, f"role {who.role!r} may not do this "
                              f"(allowed: {', '.join(allowed)})", kind="forbidden")
            return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return deco


def principal() -> Principal:
    return authenticate()

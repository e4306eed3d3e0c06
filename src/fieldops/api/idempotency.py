"""``Idempotency-Key`` on POST: a retry with the same key replays the first answer.

The key is scoped to the API key that sent it. The same key with a different
request (method, path or body) is refused with 422; while the first request is
still running a retry gets 409. Only successful answers are kept, so a request that
failed can be corrected and sent again under the same key. Records older than
24 hours are purged.

Secrets are never kept: a view that answers with a secret (an API key, a feed
token, a URL holding one) is marked :func:`shows_secret`, and its record keeps the
answer with those fields set to ``null`` and a ``detail`` saying so. A retry then
gets the same status, ids and ``Location``, but not the secret a second time.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from flask import Flask, Response, g, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from fieldops.api.auth import authenticate
from fieldops.api.errors import Problem
from fieldops.api.ext import state
from fieldops.store.models import IdempotencyRecord, utcnow

HEADER = "Idempotency-Key"
TTL = timedelta(hours=24)
SECRET_NOT_KEPT = ("This request was already answered; the answer held a secret ({fields}), "
                   "which is shown only once and was not kept. Revoke it and create "
                   "another if it was lost.")

F = TypeVar("F", bound=Callable[..., Any])


def shows_secret(*fields: str) -> Callable[[F], F]:
    """Mark a view whose JSON answer holds secrets in ``fields`` (top-level keys).

    A replayed answer has them ``null`` and a ``detail``; the plaintext is never stored.
    """
    def mark(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            g.idempotency_secrets = fields
            return view(*args, **kwargs)
        wrapper.secret_fields = fields  # type: ignore[attr-defined]  # for the tests' audit
        return wrapper  # type: ignore[return-value]
    return mark


def _stored_body(resp: Response) -> str:
    """The body to keep for replay: the answer, with any declared secret blanked."""
    fields: tuple[str, ...] = g.pop("idempotency_secrets", ())
    if not fields:
        return resp.get_data(as_text=True)
    body = json.loads(resp.get_data())
    for name in fields:
        body[name] = None
    body["detail"] = SECRET_NOT_KEPT.format(fields=", ".join(fields))
    return json.dumps(body)


def _fingerprint() -> str:
    h = hashlib.sha256()
    h.update(request.method.encode())
    h.update(b"\0" + request.full_path.encode() + b"\0")
    h.update(request.get_data(cache=True))
    return h.hexdigest()


def _before() -> Response | None:
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None or request.url_rule is None:
        return None
    if not 1 <= len(key) <= 255:
        raise Problem(422, "Idempotency-Key must be 1 to 255 characters", field=HEADER)
    who = authenticate()
    fingerprint = _fingerprint()
    db = state().db
    with db.session() as s:
        s.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - TTL))
    try:
        with db.session() as s:
            s.add(IdempotencyRecord(api_key_id=who.key_id, key=key, fingerprint=fingerprint))
    except IntegrityError:
        with db.session() as s:
            rec = s.scalar(select(IdempotencyRecord).where(
                IdempotencyRecord.api_key_id == who.key_id, IdempotencyRecord.key == key))
            if rec is None:  # purged in between; treat as new next time
                raise Problem(409, "Idempotency-Key is being reused; retry", field=HEADER) from None
            if rec.fingerprint != fingerprint:
                raise Problem(422, "Idempotency-Key was already used for a different request",
                              field=HEADER, kind="idempotency-mismatch") from None
            if rec.status_code is None:
                raise Problem(409, "a request with this Idempotency-Key is still running",
                              field=HEADER, kind="idempotency-in-progress") from None
            resp = Response(rec.body or "", status=rec.status_code,
                            content_type=rec.content_type or "application/json")
            if rec.location:
                resp.headers["Location"] = rec.location
            resp.headers["Idempotent-Replayed"] = "true"
            return resp
    g.idempotency = (who.key_id, key)
    return None


def _after(resp: Response) -> Response:
    pending = g.pop("idempotency", None)
    if pending is None:
        return resp
    key_id, key = pending
    with state().db.session() as s:
        rec = s.scalar(select(IdempotencyRecord).where(
            IdempotencyRecord.api_key_id == key_id, IdempotencyRecord.key == key))
        if rec is None:
            return resp
        if resp.status_code >= 400:
            s.delete(rec)
        else:
            rec.status_code = resp.status_code
            rec.body = _stored_body(resp)
            rec.content_type = resp.content_type
            rec.location = resp.headers.get("Location")
    return resp


def init_idempotency(app: Flask) -> None:
    app.before_request(_before)
    app.after_request(_after)

"""RFC 9457 problem details for every failure, naming the offending field."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, json, request
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from fieldops.domain.errors import FieldError
from fieldops.services.errors import ServiceError

log = logging.getLogger(__name__)
PROBLEM_TYPE = "https://fieldops.dev/problems/"
#: Seconds a client is told to wait (``Retry-After``) while the database is away.
DB_RETRY_AFTER_SECONDS = 5


def database_unavailable(exc: Exception) -> bool:
    """Whether ``exc`` means the database cannot be reached right now (down,
    restarting, a dropped connection, a full pool, SQLite busy) rather than a bug:
    what the one 503 mapping of :func:`register_error_handlers` answers."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError
                      | sa_exc.DisconnectionError | sa_exc.TimeoutError)


class Problem(ServiceError):
    """Raise from a view (or the HTTP plumbing) to answer with any status and headers.

    Use cases raise the :mod:`fieldops.services.errors` classes instead; both are
    answered by the same handler.
    """

    def __init__(self, status: int, detail: str, *, field: str | None = None,
                 kind: str | None = None, headers: Mapping[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(detail, field=field, kind=kind, **extra)
        self.status, self.kind = status, kind
        self.headers = dict(headers or {})


def problem_response(status: int, detail: str, *, field: str | None = None,
                     kind: str | None = None, headers: Mapping[str, str] | None = None,
                     **extra: Any) -> Response:
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + kind if kind else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if field is not None:
        body["field"] = field
    body.update({k: v for k, v in extra.items() if v is not None})
    resp = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def _flatten(messages: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """webargs/marshmallow ``{"json": {"a": {"0": {"b": ["msg"]}}}}`` → ``a[0].b``."""
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            key = str(key)
            if key.isdigit():
                path = f"{prefix}[{key}]"
            elif key == "_schema":
                path = prefix
            else:
                path = f"{prefix}.{key}" if prefix else key
            yield from _flatten(value, path)
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            yield prefix, "; ".join(messages)
        else:
            for m in messages:
                yield from _flatten(m, prefix)
    else:
        yield prefix, str(messages)


def _validation_problem(messages: Mapping[str, Any]) -> Response:
    errors = []
    for location, msgs in messages.items():
        for path, message in _flatten(msgs):
            errors.append({"field": path or location, "in": location, "message": message})
    first = errors[0] if errors else {"field": None, "message": "invalid input"}
    return problem_response(
        422,
        f"{first['field']}: {first['message']}" if first["field"] else str(first["message"]),
        field=first["field"], kind="validation", errors=errors,
    )


def handle_http_exception(exc: HTTPException) -> Response:
    data = getattr(exc, "data", None) or {}
    status = exc.code or 500
    messages = data.get("messages")
    if status == 422 and messages:
        return _validation_problem(messages)
    headers = {}
    valid = getattr(exc, "valid_methods", None)
    if status == 405 and valid:
        headers["Allow"] = ", ".join(valid)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="fieldops"'
    detail = data.get("message") or exc.description or HTTPStatus(status).phrase
    # A body too large or unreadable (e.g. Werkzeug's own limit checks) names the body.
    field = "body" if status == 413 or (status == 400 and messages) else None
    return problem_response(status, str(detail), field=field, headers=headers)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def _problem(exc: ServiceError) -> Response:
        return problem_response(exc.status, exc.detail, field=exc.field, kind=exc.kind,
                                headers=getattr(exc, "headers", None), **exc.extra)

    @app.errorhandler(FieldError)
    def _field_error(exc: FieldError) -> Response:
        return problem_response(422, str(exc), field=exc.field, kind="validation",
                                errors=[{"field": exc.field, "message": exc.message}])

    app.register_error_handler(HTTPException, handle_http_exception)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        if isinstance(exc, HTTPException):
            return handle_http_exception(exc)
        if database_unavailable(exc):
            # The transaction was rolled back: nothing of the request was stored.
            log.warning("database unavailable on %s %s: %s", request.method, request.path,
                        exc)
            return problem_response(
                503, "the database is unavailable; nothing was stored, retry later",
                kind="database-unavailable",
                headers={"Retry-After": str(DB_RETRY_AFTER_SECONDS)})
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response(500, "internal server error; the incident was logged",
                                kind="internal")

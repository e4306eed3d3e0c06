"""Guards every request's input before a view sees it: body, media type, query, path.

The OpenAPI document is the contract, so the guards read it: for each operation,
the query parameters it declares and the media types its request body accepts.
New endpoints are covered without being listed here.

* **Body**: read in full, under ``MAX_CONTENT_LENGTH``, before anything parses it:
  with a ``Content-Length`` over the limit, or a streamed (chunked) body that
  grows past it, the answer is 413 and nothing is parsed or stored (Werkzeug's
  streaming limit alone stops reading at the limit and hands on the truncated
  body).
* **Media type**: a body whose type the operation does not accept is 415.
* **JSON**: unparseable JSON (syntax, not UTF-8, nested deeper than
  :data:`MAX_JSON_DEPTH`) is 400 naming ``body``; a string holding NUL or a lone
  surrogate (which no database column can store) is 422 naming its path.
* **Query**: a parameter the operation does not declare is 422 naming it.
* **Path**: an id that breaks the id rule cannot exist, so it is 404 naming the
  parameter (before it reaches a database that cannot even compare it).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, request

from fieldops.api.errors import Problem
from fieldops.domain._checks import id_problem

#: Deepest nesting of arrays and objects a JSON body may have (real bodies use < 10).
MAX_JSON_DEPTH = 64
#: Bytes read from a streamed body per call.
READ_CHUNK = 64 * 1024
JSON_TYPES = frozenset({"application/json"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
#: A ``\u`` escape that may decode to NUL or a lone surrogate (only escapes can).
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
_FLASK_ARG = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")


@dataclass(frozen=True)
class Operation:
    """What one documented operation accepts."""

    query: frozenset[str]
    media_types: frozenset[str]


def _operations(spec: dict[str, Any]) -> dict[tuple[str, str], Operation]:
    """``(OpenAPI path, METHOD)`` → the operation's query parameters and body types."""
    out = {}
    for path, item in spec.get("paths", {}).items():
        shared = [p for p in item.get("parameters", []) if p.get("in") == "query"]
        for method, op in item.items():
            if method == "parameters":
                continue
            params = shared + [p for p in op.get("parameters", []) if p.get("in") == "query"]
            body = op.get("requestBody", {}).get("content", {})
            out[path, method.upper()] = Operation(
                frozenset(p["name"] for p in params), frozenset(body))
    return out


def _openapi_path(rule: str) -> str:
    return _FLASK_ARG.sub(r"{\1}", rule)


def _problem_400(detail: str) -> Problem:
    return Problem(400, detail, field="body", kind="malformed-body")


# ---------------------------------------------------------------- body
def _too_large(limit: int) -> Problem:
    return Problem(413, f"the request body is larger than {limit} bytes; nothing was read "
                        "or stored (split an import into smaller ones)",
                   field="body", kind="body-too-large", limit=limit)


def read_body() -> bytes:
    """The whole request body, or a 413 :class:`Problem` when it passes the limit.

    A streamed body (no ``Content-Length``) is read from the server's input to its
    end; it then stands in for the input, so every later reader sees all of it.
    """
    limit = request.max_content_length
    length = request.content_length
    if length is not None:
        if limit is not None and length > limit:
            raise _too_large(limit)
        return request.get_data(cache=True)
    env = request.environ
    streamed = env.get("wsgi.input_terminated") or "chunked" in env.get(
        "HTTP_TRANSFER_ENCODING", "").lower()
    if not streamed:
        return b""
    buf = bytearray()
    source = env["wsgi.input"]
    while chunk := source.read(READ_CHUNK):
        buf += chunk
        if limit is not None and len(buf) > limit:
            raise _too_large(limit)
    data = bytes(buf)
    env["wsgi.input"] = io.BytesIO(data)
    env["CONTENT_LENGTH"] = str(len(data))
    request.__dict__.pop("stream", None)  # Werkzeug's cached view of the old input
    return request.get_data(cache=True)


# ---------------------------------------------------------------- JSON
def _too_deep(value: Any, limit: int) -> bool:
    level = [value]
    for _ in range(limit):
        nested: list[Any] = []
        for item in level:
            if item.__class__ is dict:
                nested.extend(v for v in item.values() if v.__class__ in (dict, list))
            elif item.__class__ is list:
                nested.extend(v for v in item if v.__class__ in (dict, list))
        if not nested:
            return False
        level = nested
    return True


def _unstorable(text: str) -> bool:
    """NUL or a lone surrogate: no database text column can hold them."""
    if "\x00" in text:
        return True
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every ``(path, string)`` of a parsed JSON value, object keys included."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            sub = f"{path}.{key}" if path else str(key)
            yield sub, key
            yield from _strings(item, sub)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}[{i}]")


def check_json(raw: bytes) -> Any:
    """Parse a JSON body; a :class:`Problem` naming ``body`` (or the bad string's path)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _problem_400(f"the body is not UTF-8 (byte {exc.start})") from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise _problem_400(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as exc:
        raise _problem_400(f"the body is not valid JSON: {exc}") from None
    if _too_deep(data, MAX_JSON_DEPTH):
        raise _problem_400(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    if _SUSPECT_ESCAPE.search(text):
        for path, value in _strings(data):
            if _unstorable(value):
                message = "must not contain NUL or unpaired surrogate characters"
                raise Problem(422, f"{path or 'body'}: {message}", field=path or "body",
                              kind="validation",
                              errors=[{"field": path or "body", "message": message}])
    return data


# ---------------------------------------------------------------- the guard
def _check_path() -> None:
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and (problem := id_problem(value)) is not None:
            raise Problem(404, f"{name}: no such id ({problem})", field=name,
                          kind="not-found")


def _check_query(op: Operation) -> None:
    unknown = [k for k in request.args if k not in op.query]
    if unknown:
        known = ", ".join(sorted(op.query)) or "none"
        message = f"is not a query parameter of this operation (known: {known})"
        raise Problem(422, f"{unknown[0]}: {message}", field=unknown[0], kind="validation",
                      errors=[{"field": k, "in": "query", "message": message}
                              for k in unknown])


def _check_body(op: Operation) -> None:
    raw = read_body()
    if not raw:
        return
    mimetype = request.mimetype
    if mimetype not in op.media_types:
        allowed = " or ".join(sorted(op.media_types))
        raise Problem(415, f"Content-Type {mimetype or '(none)'} is not accepted: send "
                           f"{allowed}", field="Content-Type", kind="unsupported-media-type")
    if mimetype in JSON_TYPES:
        check_json(raw)


def _guard() -> None:
    rule = request.url_rule
    if rule is None:
        return  # routing answers 404 / 405 itself
    method = "GET" if request.method == "HEAD" else request.method
    ops: dict[tuple[str, str], Operation] = current_app.extensions["fieldops-inputs"]
    op = ops.get((_openapi_path(rule.rule), method))
    if op is None:
        return  # not an API operation (the OpenAPI document, the docs page)
    _check_path()
    _check_query(op)
    if method in BODY_METHODS and op.media_types:
        _check_body(op)
    elif method in BODY_METHODS:
        read_body()  # an unexpected body is ignored, but never past the limit


def init_input_guards(app: Flask, spec: dict[str, Any]) -> None:
    """Check every request against ``spec`` (the app's OpenAPI document) first."""
    app.extensions["fieldops-inputs"] = _operations(spec)
    app.before_request(_guard)

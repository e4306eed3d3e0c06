"""``GET /requests``: pages of requests rendered from plain column values, each row's
JSON text cached by the row's whole state, keyset cursors and an ETag.

Issue 19: the list cost 8-15 ms of CPU per 50-row page, most of it building ORM
objects (a request, its windows, its skills) and marshmallow. A page is now two
plain SELECTs (:func:`fieldops.services.requests.list_page`); a row whose state was
rendered before is served from a per-process cache of its JSON text, keyed by every
value it is made of, so an entry can never be stale. A row not seen in that state
is rendered from those same values by the one renderer every other endpoint uses
(:func:`fieldops.api.common.request_json`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import JSON

from fieldops.api.common import request_json
from fieldops.api.schemas import RequestOutSchema
from fieldops.domain.errors import FieldError
from fieldops.schemas import parse_instant
from fieldops.services.requests import LIST_COLUMNS, ListedPage
from fieldops.store.models import RequestRow

#: Rows whose listed JSON text is kept per worker process (about 0.7-1.5 KB each).
LISTED_CACHE_SIZE = 10_000
_cache: OrderedDict[tuple[Any, ...], str] = OrderedDict()
_lock = threading.Lock()
#: Held while a page renders its misses: the threads of a worker asking for the same
#: cold rows at once (the first pages after a publish) render them once between
#: them instead of once each, which under the GIL cost each of them all the others'
#: work (issue 19: the p99 misses at the start of the benchmark's list phase).
_render_lock = threading.Lock()
_NAMES = tuple(c.key for c in LIST_COLUMNS)
_ID = _NAMES.index("id")
#: Columns a page reads as JSON text (decoded only to render a row not cached yet).
_JSON_NAMES = frozenset(c.key for c in LIST_COLUMNS if isinstance(c.type, JSON))


def state_key(values: Sequence[Any], windows: Sequence[tuple[Any, ...]],
              skills: Sequence[tuple[Any, ...]]) -> tuple[Any, ...]:
    """Everything a request's listed JSON is made of (columns in
    :data:`LIST_COLUMNS` order, JSON columns as stored text, windows, skills): equal
    states, equal JSON."""
    return tuple(values), tuple(windows), tuple(skills)


def _as_row(values: Sequence[Any], windows: Sequence[tuple[datetime, datetime]],
            skills: Sequence[tuple[str, int, int]]) -> RequestRow:
    """A stand-in for the ORM row, built from the page's plain values: what
    :func:`request_json` reads of a row (its columns, ``windows``, ``skills``) and
    nothing else, so a miss costs no second read and renders exactly the state its
    cache key names."""
    attrs = {name: json.loads(v) if name in _JSON_NAMES and v is not None else v
             for name, v in zip(_NAMES, values, strict=True)}
    attrs["windows"] = [SimpleNamespace(start=a, end=b) for a, b in windows]
    attrs["skills"] = [SimpleNamespace(skill=k, level=lv, position=p) for k, lv, p in skills]
    return cast(RequestRow, SimpleNamespace(**attrs))


def _render(key: tuple[Any, ...]) -> str:
    """The JSON text of the request whose state is ``key``, cached under it."""
    values, windows, skills = key
    text = json.dumps(RequestOutSchema().dump(request_json(_as_row(values, windows, skills))),
                      separators=(",", ":"))
    with _lock:
        _cache[key] = text
        while len(_cache) > LISTED_CACHE_SIZE:
            _cache.popitem(last=False)
    return text


def listed_items(listed: ListedPage) -> list[str]:
    """The JSON text of every row of the page, in order."""
    keys = [state_key(row, listed.windows[row[_ID]], listed.skills[row[_ID]])
            for row in listed.rows]
    with _lock:
        texts = [_cache.get(k) for k in keys]
        for k, text in zip(keys, texts, strict=True):
            if text is not None:
                _cache.move_to_end(k)
    if all(text is not None for text in texts):
        return cast(list[str], texts)
    with _render_lock:
        with _lock:  # rendered by another thread while this one waited?
            texts = [text if text is not None else _cache.get(k)
                     for k, text in zip(keys, texts, strict=True)]
        return [text if text is not None else _render(k)
                for k, text in zip(keys, texts, strict=True)]


# ---------------------------------------------------------------- keyset cursors
def encode_cursor(last: tuple[datetime, str] | None) -> str | None:
    """The opaque ``after`` value of the page following the row ``last``."""
    if last is None:
        return None
    raw = json.dumps([last[0].isoformat(), last[1]], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The sort key an ``after`` cursor names; :class:`FieldError` on ``after``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        received, last_id = json.loads(raw.decode("utf-8"))
        if not isinstance(received, str) or not isinstance(last_id, str):
            raise ValueError(cursor)
        return parse_instant(received, "after"), last_id
    except (ValueError, TypeError, binascii.Error, FieldError):
        raise FieldError("after", "is not a cursor this API returned (use next_after "
                         "of the previous page)") from None


def page_body(items: list[str], listed: ListedPage, page: int, per_page: int) -> str:
    """The page envelope around ``items`` (already JSON text)."""
    head = json.dumps({"page": page, "per_page": per_page, "total": listed.total,
                       "next_after": encode_cursor(listed.last)
                       if len(listed.rows) == per_page else None},
                      separators=(",", ":"))
    return f'{{"items":[{",".join(items)}],{head[1:]}\n'


def etag_of(body: str) -> str:
    """A strong ETag of a response body."""
    return '"' + hashlib.blake2b(body.encode("utf-8"), digest_size=16).hexdigest() + '"'

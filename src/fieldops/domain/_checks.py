"""Small validation helpers shared by the domain dataclasses."""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from fieldops.domain.errors import FieldError

T = TypeVar("T")


#: Longest id (or name used as a key) in characters: the store's key columns hold 200.
MAX_ID_LENGTH = 200
#: Ids that HTTP clients rewrite as path segments (RFC 3986 dot segments).
_DOT_SEGMENTS = frozenset({".", ".."})


def id_problem(value: object, *, segment: bool = True) -> str | None:
    """Why ``value`` cannot be an id, or ``None`` when it can.

    An id is a key that must be reachable everywhere it is used: as one URL path
    segment (``/technicians/{id}``), in a header (``Location``), a CSV cell, a
    calendar feed and every database. So it is a non-blank string of at most
    :data:`MAX_ID_LENGTH` printable characters: no control or other invisible
    characters (newline, NUL, ...), no lone surrogates, no ``/`` and not ``.`` or
    ``..``. Spaces and any printable Unicode letter are fine.

    ``segment=False`` is for keys that never appear in a URL (contact-center queue
    names such as ``voice/en``): they may hold ``/``; the rest of the rule holds.
    """
    if not isinstance(value, str) or not value.strip():
        return "must be a non-empty string"
    if len(value) > MAX_ID_LENGTH:
        return f"must be at most {MAX_ID_LENGTH} characters"
    if not value.isprintable():
        bad = next(c for c in value if not c.isprintable())
        return f"must not contain control or invisible characters (found U+{ord(bad):04X})"
    if not segment:
        return None
    if "/" in value:
        return "must not contain '/' (an id is one URL path segment)"
    if value in _DOT_SEGMENTS:
        return "must not be '.' or '..'"
    return None


def require_id(field: str, value: object, *, segment: bool = True) -> str:
    """``value`` if it is a valid id (see :func:`id_problem`), else :class:`FieldError`."""
    problem = id_problem(value, segment=segment)
    if problem is not None:
        raise FieldError(field, problem)
    return value  # type: ignore[return-value]  # id_problem checked it is a str


def require_aware(field: str, value: object) -> datetime:
    if not isinstance(value, datetime):
        raise FieldError(field, "must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise FieldError(field, "must carry a UTC offset (e.g. 2026-03-02T08:00:00+01:00)")
    return value


def require_duration(field: str, value: object, *, allow_zero: bool = True) -> timedelta:
    if not isinstance(value, timedelta):
        raise FieldError(field, "must be a duration (timedelta / ISO 8601 like PT45M)")
    if value < timedelta(0) or (not allow_zero and value == timedelta(0)):
        raise FieldError(field, "must be positive" if not allow_zero else "must not be negative")
    return value


def require_number(
    field: str, value: object, *, minimum: float | None = None, positive: bool = False
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FieldError(field, "must be a finite number")
    if positive and value <= 0:
        raise FieldError(field, "must be greater than 0")
    if minimum is not None and value < minimum:
        raise FieldError(field, f"must be at least {minimum:g}")
    return float(value)


def unique_ids(field: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i, item in enumerate(ids):
        if item in seen:
            raise FieldError(f"{field}[{i}].id", f"duplicate id {item!r}")
        seen.add(item)


E = TypeVar("E", bound=enum.Enum)


def require_enum(field: str, value: object, kind: type[E]) -> E:
    """``value`` as a member of ``kind`` (its value is accepted too, e.g. ``"high"``)."""
    try:
        return kind(value)
    except ValueError:
        raise FieldError(field, f"must be one of {', '.join(str(e.value) for e in kind)}") from None


def require_int(
    field: str, value: object, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """An integer (not a bool) in ``[minimum, maximum]``; either bound may be left open."""
    bounded = minimum is not None and maximum is not None
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldError(field, f"must be an integer from {minimum} to {maximum}" if bounded
                         else "must be an integer")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        if bounded:
            raise FieldError(field, f"must be an integer from {minimum} to {maximum}")
        if minimum is not None:
            raise FieldError(field, f"must be at least {minimum}")
        raise FieldError(field, f"must be at most {maximum}")
    return value


def require_bool(field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise FieldError(field, "must be true or false")
    return value


def require_date(field: str, value: object) -> date:
    """A calendar date (a ``datetime`` is refused: it would carry a time of day)."""
    if not isinstance(value, date) or isinstance(value, datetime):
        raise FieldError(field, "must be a date like 2026-12-24")
    return value


def require_type(field: str, value: object, kind: type[T], what: str) -> T:
    """``value`` must be a ``kind``; ``what`` says what was expected (``a location {lat, lon}``)."""
    if not isinstance(value, kind):
        raise FieldError(field, f"must be {what}")
    return value


def optional(check: Callable[..., object], field: str, value: object, **kwargs: Any) -> None:
    """Run ``check(field, value, **kwargs)`` unless ``value`` is ``None``."""
    if value is not None:
        check(field, value, **kwargs)

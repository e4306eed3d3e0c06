"""Small validation helpers shared by the domain dataclasses."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from fieldops.domain.errors import FieldError


def require_id(field: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FieldError(field, "must be a non-empty string")
    return value


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

"""The scalar formats every schema shares: instants, durations, local times, dates.

Instants are ISO 8601 with a UTC offset, durations ISO 8601 (``PT45M``), local
times ``17:00``, dates ``2026-12-07``. Files keep an instant's offset as computed
(:func:`format_instant`); the HTTP API answers every stored instant in UTC
(:func:`format_instant_utc`), so a resource reads the same after POST and GET. Each parser raises a
:class:`~fieldops.domain.errors.FieldError` naming ``field``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import isodate

from fieldops.domain.errors import FieldError

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Instants are accepted in [EARLIEST_INSTANT, LATEST_INSTANT): far wider than any
#: schedule, and far enough inside Python's datetime range that converting to UTC or
#: adding a duration of up to :data:`LONGEST_DURATION` cannot overflow (a 500).
EARLIEST_INSTANT = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_INSTANT = datetime(9000, 1, 1, tzinfo=UTC)
#: The longest duration accepted (either sign): 100 years.
LONGEST_DURATION = timedelta(days=36_525)


def parse_instant(value: object, field: str = "") -> datetime:
    if not isinstance(value, str):
        raise FieldError(field, "must be an ISO 8601 instant string with a UTC offset")
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise FieldError(field, f"{value!r} is not an ISO 8601 instant") from None
    if instant.tzinfo is None:
        raise FieldError(field, f"{value!r} has no UTC offset (add e.g. +01:00 or Z)")
    try:
        in_range = EARLIEST_INSTANT <= instant < LATEST_INSTANT
    except OverflowError:  # 0001-01-01T00:00+01:00 is before the first UTC datetime
        in_range = False
    if not in_range:
        raise FieldError(field, f"{value!r} is outside the years "
                         f"{EARLIEST_INSTANT.year}-{LATEST_INSTANT.year - 1}")
    return instant


def format_instant(value: datetime) -> str:
    return value.isoformat()


def format_instant_utc(value: datetime) -> str:
    """The instant in UTC (``2026-03-02T07:00:00+00:00``), whatever offset it carries."""
    return value.astimezone(UTC).isoformat()


def parse_duration(value: object, field: str = "") -> timedelta:
    if not isinstance(value, str):
        raise FieldError(field, "must be an ISO 8601 duration string like 'PT45M'")
    try:
        duration = isodate.parse_duration(value)
    except (isodate.ISO8601Error, ValueError):
        raise FieldError(field, f"{value!r} is not an ISO 8601 duration like 'PT45M'") from None
    except OverflowError:  # more days than a timedelta holds
        duration = LONGEST_DURATION * 2
    if not isinstance(duration, timedelta):
        raise FieldError(field, "years and months are not allowed in durations")
    if abs(duration) > LONGEST_DURATION:
        raise FieldError(field, f"{value!r} is longer than {LONGEST_DURATION.days} days")
    return duration


_MICROS_PER = {"H": 3_600_000_000, "M": 60_000_000}
_MICROS_PER_SECOND = 1_000_000


def format_duration(value: timedelta) -> str:
    """ISO 8601 in hours, minutes and seconds, as the docs write durations.

    ``PT0S``, ``PT45M``, ``PT1H30M``, ``PT26H`` (no days: a day is not always
    24 hours, and ``P0D`` reads oddly), ``PT1.5S``, ``-PT5M``.
    """
    micros = value // timedelta(microseconds=1)
    sign, rest = ("-" if micros < 0 else ""), abs(micros)
    out = ""
    for unit, size in _MICROS_PER.items():
        count, rest = divmod(rest, size)
        if count:
            out += f"{count}{unit}"
    if rest or not out:
        seconds, fraction = divmod(rest, _MICROS_PER_SECOND)
        out += f"{seconds}.{fraction:06d}".rstrip("0").rstrip(".") + "S"
    return f"{sign}PT{out}"


def parse_time_of_day(value: object, field: str = "") -> time:
    if not isinstance(value, str):
        raise FieldError(field, "must be a local time like '17:00'")
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise FieldError(field, f"{value!r} is not a time like '17:00'") from None


def format_time_of_day(value: time) -> str:
    """``08:00``, or ``08:00:30`` when the seconds matter."""
    return value.isoformat(timespec="seconds" if value.second else "minutes")


def parse_date(value: object, field: str = "") -> date:
    """A calendar date ``2026-12-07`` (no time part)."""
    if not isinstance(value, str):
        raise FieldError(field, "must be a date string like '2026-12-07'")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FieldError(field, f"{value!r} is not a date like '2026-12-07'") from None


def parse_weekday(value: object, field: str = "") -> int:
    """0 (Monday) to 6 (Sunday), or a weekday name (``mon`` … ``sun``, any case)."""
    if isinstance(value, str) and value.strip().lower()[:3] in WEEKDAY_NAMES:
        return WEEKDAY_NAMES.index(value.strip().lower()[:3])
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
        return value
    raise FieldError(field, "must be a weekday: 0 (Monday) to 6 (Sunday) or 'mon' … 'sun'")

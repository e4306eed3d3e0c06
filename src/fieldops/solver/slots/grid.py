"""The appointment-slot grid: a business's day cut into equal windows.

Slots are aligned to local midnight of the business time zone, so a 2 h grid
offers 08:00–10:00, 10:00–12:00, … on every day whatever the season (the wall
times are converted to instants, a day with a daylight-saving change has one
slot more or less). The grid length must divide a day into whole minutes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fieldops.domain.errors import FieldError
from fieldops.domain.requests import ServiceRequest
from fieldops.domain.resources import Shift
from fieldops.domain.timewindow import TimeWindow

DAY = timedelta(days=1)
#: The default slot length (the issue's "2 h by default").
DEFAULT_GRID = timedelta(hours=2)
#: The shortest and longest grid accepted.
MIN_GRID = timedelta(minutes=15)
MAX_GRID = timedelta(hours=12)


def check_grid(grid: timedelta, field: str = "grid") -> timedelta:
    """``grid`` if it is a whole number of minutes in [15 min, 12 h] dividing a day;
    :class:`~fieldops.domain.FieldError` naming ``field`` otherwise."""
    minutes, rest = divmod(grid.total_seconds(), 60)
    if rest or not MIN_GRID <= grid <= MAX_GRID or (DAY.total_seconds() / 60) % minutes:
        raise FieldError(field, "must be a whole number of minutes between PT15M and PT12H "
                                "that divides a day (e.g. PT1H, PT2H, PT4H)")
    return grid


def local_day(day: date, tz: ZoneInfo) -> TimeWindow:
    """The instants of ``day`` in ``tz``: local midnight to the next midnight."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + DAY, time(0), tzinfo=tz)
    return TimeWindow(start.astimezone(UTC), end.astimezone(UTC))


def day_slots(day: date, tz: ZoneInfo, grid: timedelta = DEFAULT_GRID) -> list[TimeWindow]:
    """Every slot of ``day`` (local wall-clock steps of ``grid`` from midnight)."""
    check_grid(grid)
    count = round(DAY / grid)
    midnight = datetime.combine(day, time(0))
    out = []
    for k in range(count):
        a = (midnight + k * grid).replace(tzinfo=tz).astimezone(UTC)
        b = (midnight + (k + 1) * grid).replace(tzinfo=tz).astimezone(UTC)
        if a < b:  # the hour skipped by a daylight-saving change holds no slot
            out.append(TimeWindow(a, b))
    return out


def slot_windows(request: ServiceRequest, slot: TimeWindow) -> tuple[TimeWindow, ...]:
    """The windows ``request`` gets when booked into ``slot``: the slot, cut by the
    request's own windows (empty when they do not overlap it)."""
    if not request.windows:
        return (slot,)
    out = []
    for w in request.windows:
        a, b = max(w.start, slot.start), min(w.end, slot.end)
        if a < b or (a == b and w.start == w.end):  # touching at an instant is no slot
            out.append(TimeWindow(a, b))
    return tuple(out)


def open_slots(slots: Sequence[TimeWindow], shifts: Sequence[Shift], request: ServiceRequest,
               not_before: datetime | None = None) -> list[TimeWindow]:
    """The slots some shift overlaps (more than an instant), that the request's
    windows meet, and that start at or after ``not_before``."""
    spans = [(s.start, s.latest_end) for s in shifts]
    return [slot for slot in slots
            if (not_before is None or slot.start >= not_before)
            and slot_windows(request, slot)
            and any(a < slot.end and slot.start < b for a, b in spans)]


def parse_slot_id(text: str, field: str = "slot_id") -> TimeWindow:
    """``"<start>/<end>"`` (ISO 8601 instants with an offset) as a window."""
    parts = text.split("/")
    try:
        if len(parts) != 2:
            raise ValueError(text)
        a, b = (datetime.fromisoformat(p.replace("Z", "+00:00")) for p in parts)
    except ValueError:
        raise FieldError(field, "must be '<start>/<end>', two ISO 8601 instants") from None
    if a.tzinfo is None or b.tzinfo is None or b <= a:
        raise FieldError(field, "needs two instants with a UTC offset, the end after the start")
    return TimeWindow(a.astimezone(UTC), b.astimezone(UTC))


def slot_id(slot: TimeWindow) -> str:
    """The stable id of ``slot``: ``"<start>/<end>"`` in UTC with ``Z``."""
    def z(x: datetime) -> str:
        return x.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{z(slot.start)}/{z(slot.end)}"

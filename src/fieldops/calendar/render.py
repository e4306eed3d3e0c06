"""RFC 5545 rendering of feed events (technicians' jobs, agents' shifts)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar, Event, Timezone, vDuration, vText

from fieldops.calendar.feed import EventKind, EventStatus, FeedEvent
from fieldops.domain.errors import FieldError

PRODID = "-//fieldops//fieldops calendar feed//EN"
DEFAULT_PAST = timedelta(days=7)
DEFAULT_FUTURE = timedelta(days=30)
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Z", "Etc/Zulu", "Zulu", "Universal", "Etc/Universal"})


class ShiftItem(NamedTuple):
    """One shift of an agent's calendar: ``(uid, start, end, summary)``."""

    uid: str
    start: datetime
    end: datetime
    summary: str


def default_window(now: datetime) -> tuple[datetime, datetime]:
    """The published range: 7 days back to 30 days ahead of ``now``."""
    return now - DEFAULT_PAST, now + DEFAULT_FUTURE


#: Bounds of :func:`window_validity` when nothing ever enters or leaves the window.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def window_validity(
    now: datetime,
    events: Iterable[FeedEvent],
    spans: Iterable[tuple[datetime, datetime]] = (),
    *,
    upcoming: datetime | None = None,
    empty: bool = False,
) -> tuple[datetime, datetime]:
    """The open interval of instants around ``now`` whose default window selects the
    same events (and ``spans``) as ``now``'s: a feed rendered at ``now`` stays right
    for any instant strictly inside it.

    An item ``[start, end)`` is in the window of ``t`` exactly when
    ``start - DEFAULT_FUTURE < t < end + DEFAULT_PAST``, so the answer is bounded by
    the nearest such limits before and after ``now``. ``upcoming`` is the start of the
    next span not yet in the window; ``empty``: nothing is shown, so the feed's
    ``VTIMEZONE`` follows today's year and the interval ends with the year.
    """
    limits: list[datetime] = []
    for start, end in [(e.start, e.end) for e in events] + list(spans):
        limits += [start - DEFAULT_FUTURE, end + DEFAULT_PAST]
    if upcoming is not None:
        limits.append(upcoming - DEFAULT_FUTURE)
    if empty:
        # A day of margin: date.today() is the server's local date, not UTC's.
        limits.append(datetime(now.year + 1, 1, 1, tzinfo=UTC) - timedelta(days=1))
    before = max((t for t in limits if t < now), default=EARLIEST)
    after = min((t for t in limits if t > now), default=LATEST)
    return max(before, EARLIEST), min(after, LATEST)


def _zone(timezone: str) -> ZoneInfo | None:
    """The zone to render in, ``None`` for UTC."""
    if timezone in _UTC_NAMES:
        return None
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise FieldError("timezone", f"unknown IANA time zone {timezone!r}") from None


def _vtimezone(timezone: str, events: Sequence[FeedEvent]) -> Timezone:
    # Transitions from a year before the first event to a year after the last keep
    # the VTIMEZONE small while covering every instant the feed contains.
    first = min(e.start for e in events).date() if events else date.today()
    last = max(e.end for e in events).date() if events else date.today()
    return Timezone.from_tzid(
        timezone,
        first_date=date(first.year - 1, 1, 1),
        last_date=date(last.year + 2, 1, 1),
    )


def _vevent(event: FeedEvent, zone: ZoneInfo | None, fallback_stamp: datetime) -> Event:
    def local(value: datetime) -> datetime:
        return value.astimezone(zone) if zone is not None else value.astimezone(UTC)

    stamp = (event.last_modified or fallback_stamp).astimezone(UTC)
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", stamp)
    vevent.add("last-modified", stamp)
    vevent.add("sequence", event.sequence)
    vevent.add("status", event.status.value)
    vevent.add("dtstart", local(event.start))
    vevent.add("dtend", local(event.end))
    vevent.add("summary", event.summary)
    if event.description:
        vevent.add("description", event.description)
    if event.location:
        vevent.add("location", event.location)
    if event.geo is not None:
        vevent.add("geo", event.geo)
    if event.url:
        vevent.add("url", event.url)
    vevent.add("categories", [event.kind.value])
    # Cancelled jobs must not block the technician's free/busy time.
    opaque = event.status is EventStatus.CONFIRMED
    vevent.add("transp", "OPAQUE" if opaque else "TRANSPARENT")
    return vevent


def render_feed(
    events: Iterable[FeedEvent],
    *,
    calendar_name: str,
    timezone: str,
    refresh: timedelta = timedelta(hours=1),
    now: datetime | None = None,
    window: tuple[datetime, datetime] | None = None,
) -> bytes:
    """Render events as one RFC 5545 ``VCALENDAR`` (UTF-8, CRLF, folded at 75 octets).

    Parameters
    ----------
    events
        Typically the merged list from :func:`~fieldops.calendar.feed.merge_publish`.
    calendar_name
        Shown by calendar apps (``X-WR-CALNAME`` and RFC 7986 ``NAME``).
    timezone
        IANA zone of DTSTART/DTEND; a ``VTIMEZONE`` is included. ``"UTC"`` gives
        UTC times and no ``VTIMEZONE``.
    refresh
        How often subscribers should poll (``REFRESH-INTERVAL`` and
        ``X-PUBLISHED-TTL``).
    now
        Default: the current time. Only used for the default window and as DTSTAMP
        of events without ``last_modified``.
    window
        ``(start, end)``: only events overlapping it are rendered. Default: 7 days
        before ``now`` to 30 days after.
    """
    if refresh <= timedelta(0):
        raise FieldError("refresh", "must be a positive duration")
    zone = _zone(timezone)
    now = now if now is not None else datetime.now(UTC)
    if now.tzinfo is None:
        raise FieldError("now", "must be an aware datetime")
    lo, hi = window if window is not None else default_window(now)
    chosen = sorted(
        (e for e in events if e.start < hi and e.end > lo), key=lambda e: (e.start, e.uid)
    )
    uids = [e.uid for e in chosen]
    if len(set(uids)) != len(uids):
        dup = next(u for u in uids if uids.count(u) > 1)
        raise FieldError("events", f"duplicate uid {dup!r}")

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    # Wrapped in vText: icalendar leaves plain str in these properties unescaped.
    cal.add("x-wr-calname", vText(calendar_name))
    cal.add("name", vText(calendar_name))
    cal.add("x-wr-timezone", timezone if zone is not None else "UTC")
    cal.add("refresh-interval", vDuration(refresh), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(refresh))
    if zone is not None:
        cal.add_component(_vtimezone(timezone, chosen))
    for event in chosen:
        cal.add_component(_vevent(event, zone, now))
    data: bytes = cal.to_ical()
    return data


def render_shift_calendar(
    shifts: Iterable[ShiftItem | tuple[str, datetime, datetime, str]],
    *,
    calendar_name: str,
    timezone: str,
    refresh: timedelta = timedelta(hours=1),
    now: datetime | None = None,
    window: tuple[datetime, datetime] | None = None,
    last_modified: datetime | None = None,
) -> bytes:
    """An agent's shifts as a feed: one busy event per ``(uid, start, end, summary)``.

    The caller owns the UIDs (keep them stable per shift so updates replace events).
    """
    events = []
    for i, item in enumerate(shifts):
        uid, start, end, summary = item
        try:
            events.append(
                FeedEvent(uid=uid, start=start, end=end, summary=summary, kind=EventKind.SHIFT,
                          last_modified=last_modified)
            )
        except FieldError as exc:
            raise exc.within(f"shifts[{i}]") from None
    return render_feed(events, calendar_name=calendar_name, timezone=timezone, refresh=refresh,
                       now=now, window=window)

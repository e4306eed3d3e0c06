"""Calendar events for an agent's roster shifts, and merging successive publishes.

Pure like :mod:`fieldops.calendar.feed`: shifts in, :class:`FeedEvent` values out,
rendered by :func:`fieldops.calendar.render.render_feed`. Each shift is one busy
event whose UID depends only on the agent and the day
(``roster-shift-<agent>-<day>@fieldops``), so a republish that moves the shift updates
the same event (``SEQUENCE`` + 1); its break is a second busy event
(``roster-break-<agent>-<day>@fieldops``; the distinct prefixes keep the two apart
whatever the agent ids). A republish that takes a shift
away leaves it, for its old times, ``CANCELLED``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from fieldops.calendar.feed import UID_DOMAIN, EventKind, EventStatus, FeedEvent, merge_publish
from fieldops.domain.errors import FieldError
from fieldops.domain.timewindow import TimeWindow


@dataclass(frozen=True, slots=True)
class AgentShift:
    """One published shift of an agent (what a :class:`RosterAssignment` puts on a calendar).

    ``queues`` are the queues worked during the shift, in order; ``template_name``
    is the template's display name (its id when empty).
    """

    agent_id: str
    day: date
    template_id: str
    start: datetime
    end: datetime
    break_start: datetime | None = None
    break_end: datetime | None = None
    template_name: str | None = None
    queues: tuple[str, ...] = ()


def shift_uid(agent_id: str, day: date) -> str:
    """The UID of an agent's shift on ``day``: stable whatever template or times."""
    return f"roster-shift-{agent_id}-{day.isoformat()}@{UID_DOMAIN}"


def break_uid(agent_id: str, day: date) -> str:
    """The UID of the break inside the agent's shift on ``day``."""
    return f"roster-break-{agent_id}-{day.isoformat()}@{UID_DOMAIN}"


def _hm(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%H:%M")


def events_for_agent(
    shifts: Iterable[AgentShift], *, timezone: str, now: datetime
) -> list[FeedEvent]:
    """The events of one agent's shifts: one per shift, plus one per break.

    Parameters
    ----------
    shifts
        The agent's shifts of one roster (at most one per day).
    timezone
        IANA zone the descriptions are written in (the roster's zone).
    now
        Stamp for ``last_modified`` (normally the publish time).

    Returns
    -------
    list[FeedEvent]
        Sorted by start, sequences 0: number revisions with :func:`merge_roster_publish`.
    """
    tz = ZoneInfo(timezone)
    events: list[FeedEvent] = []
    for i, sh in enumerate(shifts):
        label = sh.template_name or sh.template_id
        lines = [f"Shift: {label} ({sh.template_id})",
                 f"Day: {sh.day.isoformat()}",
                 f"Hours: {_hm(sh.start, tz)}–{_hm(sh.end, tz)}"]
        if sh.break_start is not None and sh.break_end is not None:
            lines.append(f"Break: {_hm(sh.break_start, tz)}–{_hm(sh.break_end, tz)}")
        if sh.queues:
            lines.append("Queues: " + ", ".join(sh.queues))
        try:
            events.append(FeedEvent(
                uid=shift_uid(sh.agent_id, sh.day), start=sh.start, end=sh.end,
                summary=f"Shift {label}", kind=EventKind.SHIFT,
                description="\n".join(lines), last_modified=now))
            if sh.break_start is not None and sh.break_end is not None:
                events.append(FeedEvent(
                    uid=break_uid(sh.agent_id, sh.day), start=sh.break_start,
                    end=sh.break_end, summary="Break", kind=EventKind.BREAK,
                    description=f"Break in shift {label}", last_modified=now))
        except FieldError as exc:
            raise exc.within(f"shifts[{i}]") from None
    uids = [e.uid for e in events]
    if len(set(uids)) != len(uids):
        raise FieldError("shifts", "more than one shift of the same agent on one day")
    return sorted(events, key=lambda e: (e.start, e.uid))


def merge_roster_publish(
    previous: Sequence[FeedEvent],
    current: Sequence[FeedEvent],
    now: datetime,
    *,
    horizon: TimeWindow | None = None,
) -> list[FeedEvent]:
    """Merge a roster publish into an agent's previously published events.

    The rules of :func:`~fieldops.calendar.feed.merge_publish` (moved: ``SEQUENCE``
    + 1; unchanged: kept byte for byte; outside ``horizon``: untouched; breaks that
    left: dropped), plus one for shifts: a shift inside ``horizon`` that the new
    roster no longer has stays, for its old times, ``CANCELLED`` with ``SEQUENCE`` + 1,
    so subscribed apps take it off the agent's day.
    """
    merged = merge_publish(previous, current, now, horizon=horizon)
    kept = {e.uid for e in merged}
    for before in previous:
        if before.uid in kept or before.kind is not EventKind.SHIFT:
            continue
        in_scope = horizon is None or (before.start < horizon.end and before.end > horizon.start)
        if in_scope and before.status is EventStatus.CONFIRMED:
            merged.append(replace(before, status=EventStatus.CANCELLED,
                                  sequence=before.sequence + 1, last_modified=now))
    return sorted(merged, key=lambda e: (e.start, e.uid))

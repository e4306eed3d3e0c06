"""fieldops.calendar.roster: agents' shift events and merging roster publishes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from fieldops.calendar import EventKind, EventStatus, render_feed
from fieldops.calendar.roster import (
    AgentShift,
    break_uid,
    events_for_agent,
    merge_roster_publish,
    shift_uid,
)
from fieldops.domain.errors import FieldError
from fieldops.domain.timewindow import TimeWindow

TZ = ZoneInfo("Europe/Berlin")
DAY = date(2026, 12, 7)
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _shift(day: date, hour: int, agent: str = "ana", brk: bool = True) -> AgentShift:
    start = datetime(day.year, day.month, day.day, hour, tzinfo=TZ)
    return AgentShift(agent_id=agent, day=day, template_id="early", template_name="Early",
                      start=start, end=start + timedelta(hours=8),
                      break_start=start + timedelta(hours=4) if brk else None,
                      break_end=start + timedelta(hours=4, minutes=30) if brk else None,
                      queues=("voice",))


def _horizon(first: date, days: int) -> TimeWindow:
    start = datetime(first.year, first.month, first.day, tzinfo=TZ)
    return TimeWindow(start, start + timedelta(days=days))


def test_events_for_agent_gives_a_shift_and_a_break_per_day() -> None:
    events = events_for_agent([_shift(DAY, 8), _shift(DAY + timedelta(days=1), 12, brk=False)],
                              timezone="Europe/Berlin", now=T0)
    assert [(e.uid, e.kind) for e in events] == [
        (shift_uid("ana", DAY), EventKind.SHIFT), (break_uid("ana", DAY), EventKind.BREAK),
        (shift_uid("ana", DAY + timedelta(days=1)), EventKind.SHIFT)]
    assert events[0].summary == "Shift Early"
    assert "Break: 12:00–12:30" in events[0].description and "Queues: voice" in (
        events[0].description)
    body = render_feed(events, calendar_name="Ana", timezone="Europe/Berlin", now=T0,
                       window=(T0, T0 + timedelta(days=30)))
    parsed = icalendar.Calendar.from_ical(body)
    assert len(parsed.walk("VEVENT")) == 3 and parsed.walk("VTIMEZONE")


def test_uids_of_shifts_and_breaks_never_collide() -> None:
    # An agent called "break-x" must not get the UID of agent "x"'s break.
    assert shift_uid("break-x", DAY) != break_uid("x", DAY)
    with pytest.raises(FieldError) as err:
        events_for_agent([_shift(DAY, 8), _shift(DAY, 12)], timezone="UTC", now=T0)
    assert err.value.field == "shifts"


def test_merge_moves_cancels_and_keeps() -> None:
    d1, d2 = DAY, DAY + timedelta(days=1)
    first = merge_roster_publish([], events_for_agent([_shift(d1, 8), _shift(d2, 8)],
                                                      timezone="UTC", now=T0), T0,
                                 horizon=_horizon(d1, 2))
    t1 = T0 + timedelta(hours=1)
    # Republish: day 1 moved to 12:00, day 2 gone.
    second = merge_roster_publish(first, events_for_agent([_shift(d1, 12)], timezone="UTC",
                                                          now=t1), t1, horizon=_horizon(d1, 2))
    by_uid = {e.uid: e for e in second}
    moved, gone = by_uid[shift_uid("ana", d1)], by_uid[shift_uid("ana", d2)]
    assert (moved.status, moved.sequence) == (EventStatus.CONFIRMED, 1)
    assert moved.start == _shift(d1, 12).start
    assert (gone.status, gone.sequence, gone.last_modified) == (EventStatus.CANCELLED, 1, t1)
    assert (gone.start, gone.end) == (_shift(d2, 8).start, _shift(d2, 8).end)  # old times
    assert break_uid("ana", d2) not in by_uid  # the break left with its shift
    assert by_uid[break_uid("ana", d1)].sequence == 1  # moved with the shift

    # The same roster again: nothing changes, not even the stamps.
    t2 = t1 + timedelta(hours=1)
    third = merge_roster_publish(second, [replace(e, last_modified=t2) for e in
                                          events_for_agent([_shift(d1, 12)], timezone="UTC",
                                                           now=t2)],
                                 t2, horizon=_horizon(d1, 2))
    assert third == second  # cancelled stays cancelled once (no second bump)

    # The shift comes back: confirmed again, one more revision.
    t3 = t2 + timedelta(hours=1)
    fourth = merge_roster_publish(third, events_for_agent([_shift(d1, 12), _shift(d2, 8)],
                                                          timezone="UTC", now=t3), t3,
                                  horizon=_horizon(d1, 2))
    back = {e.uid: e for e in fourth}[shift_uid("ana", d2)]
    assert (back.status, back.sequence) == (EventStatus.CONFIRMED, 2)


def test_merge_leaves_days_outside_the_horizon_alone() -> None:
    d1, d2 = DAY, DAY + timedelta(days=7)
    first = merge_roster_publish([], events_for_agent([_shift(d1, 8)], timezone="UTC", now=T0),
                                 T0, horizon=_horizon(d1, 1))
    t1 = T0 + timedelta(hours=1)
    later = merge_roster_publish(first, events_for_agent([_shift(d2, 8)], timezone="UTC",
                                                         now=t1), t1, horizon=_horizon(d2, 1))
    by_uid = {e.uid: e for e in later}
    assert by_uid[shift_uid("ana", d1)] == first[0]  # next week's roster: untouched
    assert by_uid[shift_uid("ana", d2)].status is EventStatus.CONFIRMED

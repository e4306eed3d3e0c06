"""iCalendar (RFC 5545) feeds: technicians' jobs and agents' shifts.

Usage::

    events = events_for_technician(problem, plan, "T1", job_url=lambda r: f"https://x/jobs/{r}")
    published = merge_publish(previous, events, now, horizon=problem.horizon)
    body = render_feed(published, calendar_name="T1 jobs", timezone=plan.timezone, now=now)
"""

from fieldops.calendar.feed import (
    Contact,
    EventKind,
    EventStatus,
    FeedEvent,
    Visit,
    events_for_technician,
    job_uid,
    merge_publish,
)
from fieldops.calendar.render import (
    DEFAULT_FUTURE,
    DEFAULT_PAST,
    ShiftItem,
    default_window,
    render_feed,
    render_shift_calendar,
    window_validity,
)

__all__ = [
    "DEFAULT_FUTURE",
    "DEFAULT_PAST",
    "Contact",
    "EventKind",
    "EventStatus",
    "FeedEvent",
    "ShiftItem",
    "Visit",
    "default_window",
    "events_for_technician",
    "job_uid",
    "merge_publish",
    "render_feed",
    "render_shift_calendar",
    "window_validity",
]

"""The version of a live day: one counter per local date, bumped by every change.

``live_days.version`` is the ``ETag`` of ``GET /days/{date}`` and the base a live
proposal is checked against when published (:mod:`fieldops.services.live`). It goes
up with a publish, a reported event and a status change of one of the day's
requests. The bump is one ``UPDATE … SET version = version + 1``, atomic on SQLite
and PostgreSQL alike, so concurrent changes never lose a step.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fieldops.store.models import LiveDayRow, RequestRow

#: A local date lies within a day of its UTC date in every time zone.
_ZONE_SPREAD = timedelta(days=1)


def bump(s: Session, days: Iterable[date]) -> None:
    """Move the version of each of ``days`` that has a live state one step on."""
    wanted = sorted(set(days))
    if wanted:
        s.execute(update(LiveDayRow).where(LiveDayRow.day.in_(wanted))
                  .values(version=LiveDayRow.version + 1)
                  .execution_options(synchronize_session=False))


def days_of_instants(s: Session, instants: Iterable[datetime]) -> set[date]:
    """The live days (local dates in their own time zone) the instants fall on."""
    points = [t for t in instants if t is not None]
    if not points:
        return set()
    lo = min(points).date() - _ZONE_SPREAD
    hi = max(points).date() + _ZONE_SPREAD
    rows = s.execute(select(LiveDayRow.day, LiveDayRow.timezone)
                     .where(LiveDayRow.day >= lo, LiveDayRow.day <= hi)).all()
    return {day for day, tz in rows
            if any(t.astimezone(ZoneInfo(tz)).date() == day for t in points)}


def bump_for_requests(s: Session, rows: Iterable[RequestRow]) -> None:
    """A status change of these requests changes the days they are planned on."""
    starts = [r.planned_start for r in rows if r.planned_start is not None]
    bump(s, days_of_instants(s, starts))

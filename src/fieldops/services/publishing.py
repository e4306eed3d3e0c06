"""The lock every publish takes: one row per UTC date in ``publication_days``.

Publishing is guarded in the database, not in the process (gunicorn runs several):
a publish locks the rows of the dates its plan covers, plus :data:`ALL_DAYS`, which
every publish of a plan or a roster locks, so feed documents are written by one
transaction at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from fieldops.store.models import PublicationDay

#: The row every publish (plans and rosters) locks first: feed documents are then
#: written by one transaction at a time, whichever days they cover.
ALL_DAYS = date(1, 1, 1)


def horizon_days(start: datetime, end: datetime) -> list[date]:
    """The UTC dates a horizon touches (its end excluded)."""
    first, last = start.astimezone(UTC).date(), (end.astimezone(UTC)
                                                   - timedelta(microseconds=1)).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def lock_days(s: Session, days: Sequence[date]) -> list[PublicationDay]:
    """Lock the publication rows of ``days`` (created when missing), in date order.

    PostgreSQL: ``SELECT … FOR UPDATE``, so a concurrent publish of the same days
    waits here and then reads what the first one committed. SQLite: the insert makes
    this transaction the one writer until it commits (reads before it ran without a
    snapshot, so nothing read later is stale).
    """
    wanted = sorted(set(days))
    dialect = s.get_bind().dialect.name
    ins = pg_insert if dialect == "postgresql" else sqlite_insert
    s.execute(ins(PublicationDay).values([{"day": d, "version": 0} for d in wanted])
              .on_conflict_do_nothing(index_elements=["day"]))
    return list(s.scalars(
        select(PublicationDay).where(PublicationDay.day.in_(wanted))
        .order_by(PublicationDay.day).with_for_update()
        .execution_options(populate_existing=True)))

"""Roster publishing rules, called directly on SQLite (no Flask)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from fieldops.services.errors import Conflict, NotFound
from fieldops.services.rosters import publish_roster
from fieldops.store.db import Database
from fieldops.store.models import RosterAgent, RosterRow, RosterShift, utcnow


@pytest.fixture
def s(tmp_path: Path) -> Iterator[Session]:
    db = Database(f"sqlite:///{tmp_path / 'rosters.sqlite3'}")
    db.upgrade()
    with db.session() as session:
        yield session
    db.dispose()


def roster(s: Session, rid: str = "x", **values: Any) -> RosterRow:
    now = utcnow()
    fields: dict[str, Any] = {
        "id": rid, "status": "done", "timezone": "UTC", "start_day": date(2026, 3, 2),
        "days": 1, "horizon_start": now, "horizon_end": now + timedelta(days=1),
        "problem": {}, "result": {"assignments": []}, "solver_status": "optimal",
        "validation": {"valid": True, "violations": []}, "solutions": 1, **values}
    row = RosterRow(**fields)
    s.add(row)
    s.flush()
    return row


@pytest.mark.parametrize(("values", "field"), [
    ({"status": "solving", "result": None}, "status"),
    ({"status": "failed"}, "status"),
    ({"solver_status": "infeasible"}, "solver_status"),
    ({"status": "cancelled", "solver_status": "cancelled", "solutions": 0}, "solver_status"),
    ({"validation": {"valid": False, "violations": ["a", "b", "c", "d"]}}, "validation"),
])
def test_a_roster_that_cannot_be_published_is_a_conflict(s: Session, values: dict[str, Any],
                                                         field: str) -> None:
    roster(s, **values)
    with pytest.raises(Conflict) as err:
        publish_roster(s, "x", published_by=None)
    assert err.value.field == field
    if field == "validation":
        assert err.value.detail.endswith("a; b; c")  # the first three violations
    with pytest.raises(NotFound):
        publish_roster(s, "ghost", published_by=None)


def test_publish_counts_agents_and_shifts_and_keeps_publishes_in_order(s: Session) -> None:
    row = roster(s)
    s.add(RosterAgent(roster_id="x", agent_id="a1", name=None))
    start = row.horizon_start
    s.add(RosterShift(roster_id="x", agent_id="a1", day=row.start_day, template_id="early",
                      start=start, end=start + timedelta(hours=8), queues=[]))
    first = publish_roster(s, "x", published_by=None)
    again = publish_roster(s, "x", published_by=None)
    assert (first.agents, first.shifts) == (1, 1)
    assert again.published_at > first.published_at
    assert row.published_at == again.published_at

"""The local backend hands plans and rosters to the one runner by kind, and fails the
right row when a job dies outside the runner's own error handling."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from fieldops.store.db import Database
from fieldops.store.models import PlanRow, RosterRow, utcnow
from fieldops.worker import LocalBackend, runner

WAIT = 10.0


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'pool.sqlite3'}")
    database.upgrade()
    yield database
    database.dispose()


def queue(db: Database, model: Any, job_id: str) -> None:
    now = utcnow()
    values: dict[str, Any] = {"id": job_id, "status": "queued", "timezone": "UTC",
                              "horizon_start": now, "horizon_end": now + timedelta(days=1),
                              "params": {}, "problem": {}}
    if model is RosterRow:
        values.update(start_day=date(2026, 3, 2), days=1)
    with db.session() as s:
        s.add(model(**values))


def test_each_kind_reaches_the_runner_and_a_crash_fails_its_own_row(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    queue(db, PlanRow, "p1")
    queue(db, RosterRow, "r1")
    ran: list[tuple[str, str]] = []
    done = threading.Event()

    def crash(database: Database, kind: str, job_id: str, **kw: Any) -> str | None:
        ran.append((kind, job_id))
        if len(ran) == 2:
            done.set()
        raise MemoryError("solver blew up")

    monkeypatch.setattr(runner, "run", crash)
    backend = LocalBackend(db, mode="thread", max_workers=1)
    try:
        backend.submit("p1")
        backend.submit_roster("r1")
        assert done.wait(WAIT)
    finally:
        backend.shutdown(wait=True)
    assert sorted(ran) == [("plan", "p1"), ("roster", "r1")]
    with db.session() as s:
        for model, job_id in ((PlanRow, "p1"), (RosterRow, "r1")):
            row = s.get(model, job_id)
            assert row is not None
            assert (row.status, row.error) == ("failed", "MemoryError: solver blew up")


def test_the_runner_refuses_an_unknown_kind(db: Database) -> None:
    with pytest.raises(KeyError):
        runner.run(db, "invoice", "x")

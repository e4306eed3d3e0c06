"""The one solve-job runner (claim, heartbeat, finish, fail, reap, cancel), called
directly on SQLite (the reaper races on PostgreSQL too) with stand-in solves, for plan
and roster rows alike."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from api.conftest import BACKENDS, create_pg_schema, drop_pg_schema
from fieldops.services import jobs
from fieldops.services.errors import Conflict, Unavailable
from fieldops.services.plans import PLAN_JOB
from fieldops.services.rosters import ROSTER_JOB
from fieldops.store.db import Database
from fieldops.store.models import PlanRow, RosterRow, utcnow

WAIT = 10.0  # seconds a stand-in solve waits for the heartbeat at most
BEAT = 0.02  # heartbeat interval of these tests


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture(params=BACKENDS)
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """The jobs database on SQLite, and on PostgreSQL (a schema of its own) when
    ``FIELDOPS_TEST_DATABASE_URL`` is set: where the locking differs."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
        schema = None
    else:
        schema, url = create_pg_schema("fo_jobs")
        database = Database(url)
    database.upgrade()
    yield database
    database.dispose()
    if schema is not None:
        drop_pg_schema(schema)


def new_row(db: Database, model: Any, job_id: str = "j1", status: str = "queued",
            **values: Any) -> None:
    now = utcnow()
    common: dict[str, Any] = {"id": job_id, "status": status, "timezone": "UTC",
                              "horizon_start": now, "horizon_end": now + timedelta(days=1),
                              "params": {"time_limit": 1}, "problem": {"name": job_id}}
    if model is RosterRow:
        common.update(start_day=date(2026, 3, 2), days=1)
    with db.session() as s:
        s.add(model(**common, **values))


def row_of(db: Database, model: Any, job_id: str = "j1") -> Any:
    with db.session() as s:
        return s.get(model, job_id)


MODELS = pytest.mark.parametrize("model", [PlanRow, RosterRow], ids=["plan", "roster"])

SolveBody = Callable[[Callable[[Any], None], threading.Event], None]


def kind(model: Any, body: SolveBody | None = None, store_error: bool = False
         ) -> jobs.JobKind:
    """A job kind whose solve runs ``body`` and stores ``{"seen": params}``."""

    def solve(problem: dict[str, Any], params: dict[str, Any],
              progress: Callable[[Any], None], stop: threading.Event) -> jobs.Store:
        if body is not None:
            body(progress, stop)

        def store(s: Session, row: Any, status: str, solutions: int) -> None:
            if store_error:
                raise ValueError("cannot store")
            row.status, row.solutions = status, solutions
            row.result = {"problem": problem, "params": params}

        return store

    return jobs.JobKind("test", model, solve,
                        lambda p, n: {"best_objective": p["objective"], "solutions": n})


# ---------------------------------------------------------------- claim
@MODELS
def test_a_queued_job_is_claimed_once(db: Database, model: Any) -> None:
    new_row(db, model)
    assert jobs.claim(db, model, "j1") == ({"name": "j1"}, {"time_limit": 1})
    row = row_of(db, model)
    assert row.status == "solving" and row.worker and row.started_at == row.heartbeat_at
    assert jobs.claim(db, model, "j1") is None  # a redelivered message
    assert row_of(db, model).status == "solving"
    assert jobs.claim(db, model, "ghost") is None


@MODELS
def test_a_job_cancelled_while_queued_is_not_solved(db: Database, model: Any) -> None:
    new_row(db, model, cancel_requested=True)
    assert jobs.run_job(db, kind(model), "j1") is None
    row = row_of(db, model)
    assert row.status == "cancelled" and row.finished_at is not None and row.result is None


# ---------------------------------------------------------------- run
@MODELS
def test_run_stores_the_result_and_progress(db: Database, model: Any) -> None:
    new_row(db, model)
    seen: list[Any] = []

    def body(progress: Callable[[Any], None], stop: threading.Event) -> None:
        progress({"objective": 9.0})
        progress({"objective": 7.0})
        deadline = utcnow() + timedelta(seconds=WAIT)
        while utcnow() < deadline:  # until a heartbeat has saved the latest progress
            row = row_of(db, model)
            if row.best_objective == 7.0:
                seen.append(row.solutions)
                return
            stop.wait(BEAT)

    assert jobs.run_job(db, kind(model, body), "j1", heartbeat=BEAT) == "done"
    assert seen == [2]
    row = row_of(db, model)
    assert row.status == "done" and row.solutions == 2 and row.finished_at is not None
    assert row.result == {"problem": {"name": "j1"}, "params": {"time_limit": 1}}


@MODELS
def test_cancel_while_solving_reaches_the_solver_and_keeps_the_result(
        db: Database, model: Any) -> None:
    new_row(db, model)
    stopped: list[bool] = []

    def body(progress: Callable[[Any], None], stop: threading.Event) -> None:
        with db.session() as s:
            jobs.cancel(s.get(model, "j1"), "job")
        stopped.append(stop.wait(WAIT))

    assert jobs.run_job(db, kind(model, body), "j1", heartbeat=BEAT) == "cancelled"
    assert stopped == [True]
    row = row_of(db, model)
    assert row.status == "cancelled" and row.result is not None


@MODELS
@pytest.mark.parametrize("where", ["solve", "store"])
def test_an_error_fails_the_job_and_stops_the_heartbeat(db: Database, model: Any,
                                                        where: str) -> None:
    new_row(db, model)
    threads: list[threading.Thread] = []

    def body(progress: Callable[[Any], None], stop: threading.Event) -> None:
        threads.extend(t for t in threading.enumerate() if t.name == "heartbeat-j1")
        if where == "solve":
            raise RuntimeError("boom")

    job = kind(model, body, store_error=where == "store")
    assert jobs.run_job(db, job, "j1", heartbeat=BEAT) == "failed"
    row = row_of(db, model)
    assert row.status == "failed" and row.result is None and row.finished_at is not None
    assert row.error == ("RuntimeError: boom" if where == "solve" else "ValueError: cannot store")
    assert len(threads) == 1 and not threads[0].is_alive()


@MODELS
def test_a_job_reaped_during_its_solve_keeps_the_reapers_verdict(db: Database,
                                                                 model: Any) -> None:
    new_row(db, model)

    def body(progress: Callable[[Any], None], stop: threading.Event) -> None:
        jobs.fail(db, model, "j1", "worker lost")

    jobs.run_job(db, kind(model, body), "j1", heartbeat=WAIT)
    row = row_of(db, model)
    assert (row.status, row.error, row.result) == ("failed", "worker lost", None)


def _before_update_of(db: Database, model: Any, marker: str, action: Callable[[], None],
                      outcome: list[BaseException | None]) -> Callable[[], None]:
    """Run ``action`` once, from another thread (another connection), just before
    the first UPDATE of ``model``'s table whose SQL contains ``marker``, appending
    its exception (or None) to ``outcome``; returns the function removing the hook."""
    done = threading.Event()

    def run() -> None:
        try:
            action()
            outcome.append(None)
        except BaseException as exc:  # handed to the test's thread
            outcome.append(exc)

    def hook(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if (not done.is_set() and statement.lstrip().upper().startswith("UPDATE")
                and model.__tablename__ in statement and marker in statement):
            done.set()
            other = threading.Thread(target=run)
            other.start()
            other.join(WAIT)

    event.listen(db.engine, "before_cursor_execute", hook)
    return lambda: event.remove(db.engine, "before_cursor_execute", hook)


@MODELS
def test_a_job_finishing_as_the_reaper_looks_stays_done(any_db: Database, model: Any) -> None:
    db = any_db
    # The reaper read the job as solving with a stale heartbeat; the solve ends
    # before its UPDATE: compare-and-set on the status leaves the result alone.
    new_row(db, model, status="solving", heartbeat_at=utcnow() - timedelta(hours=1))

    def finished() -> None:
        assert jobs.finish(db, model, "j1", lambda s, row: setattr(row, "status", "done"))

    outcome: list[BaseException | None] = []
    unhook = _before_update_of(db, model, "heartbeat_at <", finished, outcome)
    try:
        assert jobs.reap_stale(db, model, lease=60) == 0
    finally:
        unhook()
    assert outcome == [None]
    row = row_of(db, model)
    assert (row.status, row.error) == ("done", None) and row.finished_at is not None


@MODELS
def test_a_job_reaped_as_it_finishes_keeps_the_reapers_verdict(any_db: Database,
                                                               model: Any) -> None:
    db = any_db
    # The reaper writes first: the finishing solve must not turn the failed job done.
    new_row(db, model, status="solving", heartbeat_at=utcnow() - timedelta(hours=1))

    def reaped() -> None:
        assert jobs.reap_stale(db, model, lease=60) == 1

    outcome: list[BaseException | None] = []
    unhook = _before_update_of(db, model, "finished_at", reaped, outcome)
    try:
        assert not jobs.finish(db, model, "j1",
                               lambda s, row: setattr(row, "status", "done"))
    finally:
        unhook()
    assert outcome == [None]
    row = row_of(db, model)
    assert row.status == "failed" and "no heartbeat" in row.error


# ---------------------------------------------------------------- heartbeat
@MODELS
def test_a_beat_refreshes_the_lease_saves_progress_and_passes_on_cancel(
        db: Database, model: Any) -> None:
    new_row(db, model)
    jobs.claim(db, model, "j1")
    with db.session() as s:
        s.get(model, "j1").heartbeat_at = utcnow() - timedelta(hours=1)
    stop = threading.Event()
    beat = jobs.Heartbeat(db, model, "j1", stop, interval=WAIT)
    beat.report(best_objective=3.5)
    beat.beat()
    row = row_of(db, model)
    assert row.best_objective == 3.5
    assert row.heartbeat_at > utcnow() - timedelta(minutes=1)
    assert not stop.is_set()
    with db.session() as s:
        s.get(model, "j1").cancel_requested = True
    beat.beat()
    assert stop.is_set()


# ---------------------------------------------------------------- reap, fail, submit
@MODELS
def test_only_solving_jobs_without_a_recent_heartbeat_are_reaped(db: Database,
                                                                model: Any) -> None:
    old = utcnow() - timedelta(seconds=120)
    new_row(db, model, "stale", status="solving", heartbeat_at=old)
    new_row(db, model, "alive", status="solving", heartbeat_at=utcnow())
    new_row(db, model, "queued", heartbeat_at=old)
    assert jobs.reap_stale(db, model, lease=60) == 1
    stale = row_of(db, model, "stale")
    assert stale.status == "failed" and "no heartbeat for more than 60 s" in stale.error
    assert row_of(db, model, "alive").status == "solving"
    assert row_of(db, model, "queued").status == "queued"


@MODELS
def test_fail_leaves_finished_jobs_alone(db: Database, model: Any) -> None:
    new_row(db, model, "queued")
    new_row(db, model, "done", status="done")
    jobs.fail(db, model, "queued", "gone")
    jobs.fail(db, model, "done", "gone")
    assert row_of(db, model, "queued").status == "failed"
    assert row_of(db, model, "done").status == "done"
    new_row(db, model, "still-queued")
    jobs.fail(db, model, "still-queued", "gone", queued=False)
    assert row_of(db, model, "still-queued").status == "queued"


@pytest.mark.parametrize("job", [PLAN_JOB, ROSTER_JOB], ids=["plan", "roster"])
def test_a_queue_that_refuses_the_job_fails_it(db: Database, job: jobs.JobKind) -> None:
    new_row(db, job.model)
    sent: list[str] = []
    jobs.submit(db, job, "j1", sent.append)
    assert sent == ["j1"] and row_of(db, job.model).status == "queued"

    def refuse(job_id: str) -> None:
        raise ConnectionError("broker down")

    with pytest.raises(Unavailable) as err:
        jobs.submit(db, job, "j1", refuse)
    assert err.value.status == 503 and "broker down" in err.value.detail
    row = row_of(db, job.model)
    assert row.status == "failed" and row.error == "could not queue the solve: broker down"


# ---------------------------------------------------------------- cancel
@MODELS
def test_cancel_follows_the_job_status(db: Database, model: Any) -> None:
    for status in ("queued", "solving", "done"):
        new_row(db, model, status, status=status)
    with db.session() as s:
        jobs.cancel(s.get(model, "queued"), "plan")
        jobs.cancel(s.get(model, "solving"), "plan")
        with pytest.raises(Conflict) as err:
            jobs.cancel(s.get(model, "done"), "plan")
    assert err.value.detail == "plan is already done" and err.value.field == "status"
    queued, solving = row_of(db, model, "queued"), row_of(db, model, "solving")
    assert (queued.status, queued.cancel_requested) == ("cancelled", True)
    assert (solving.status, solving.cancel_requested) == ("solving", True)


def test_each_kind_reports_its_own_progress_columns() -> None:
    class Progress:
        objective, elapsed, assigned, solutions = 12.0, 1.5, 4, 0

    assert PLAN_JOB.progress(Progress(), 3) == {"best_objective": 12.0, "elapsed": 1.5,
                                                "solutions": 3, "assigned": 4}
    assert ROSTER_JOB.progress(Progress(), 3) == {"best_objective": 12.0, "elapsed": 1.5,
                                                  "solutions": 3}


def test_the_reaper_fails_dead_jobs_of_every_kind_without_a_read(db: Database) -> None:
    stale = utcnow() - timedelta(seconds=30)
    new_row(db, PlanRow, "dead-plan", status="solving", heartbeat_at=stale)
    new_row(db, RosterRow, "dead-roster", status="solving", heartbeat_at=stale)
    new_row(db, PlanRow, "alive", status="solving", heartbeat_at=utcnow() + timedelta(hours=1))
    reaper = jobs.Reaper(db, [PlanRow, RosterRow], lease=10, interval=0.05)
    reaper.start()
    try:
        pause = threading.Event()
        for _ in range(200):
            if (row_of(db, PlanRow, "dead-plan").status == "failed"
                    and row_of(db, RosterRow, "dead-roster").status == "failed"):
                break
            pause.wait(0.05)
    finally:
        reaper.stop()
        reaper.join(5)
    assert row_of(db, PlanRow, "dead-plan").status == "failed"
    assert "heartbeat" in row_of(db, RosterRow, "dead-roster").error
    assert row_of(db, PlanRow, "alive").status == "solving"
    assert not reaper.is_alive()


def test_the_reaper_looks_four_times_per_lease() -> None:
    assert jobs.reap_interval(60) == 15
    assert jobs.reap_interval(0.1) == jobs.REAP_MIN_SECONDS


def test_the_reaper_stops_when_its_database_is_disposed(tmp_path: Path) -> None:
    """A closed app's reaper (say with a short test lease) must not go on reaping
    other apps' jobs in a shared database."""
    database = Database(f"sqlite:///{tmp_path / 'closed.sqlite3'}")
    database.upgrade()
    reaper = jobs.Reaper(database, [PlanRow], lease=10, interval=0.05)
    reaper.start()
    database.dispose()
    reaper.join(5)
    assert not reaper.is_alive()

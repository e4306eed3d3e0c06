"""The solve-job lifecycle, one runner for plans and rosters: queue, claim, heartbeat,
finish, fail, cancel and reap.

Cancellation and liveness go through the job's row so that they work the same in a
thread, a child process or a Celery worker on another machine: a heartbeat thread
refreshes ``heartbeat_at`` (the lease), saves the latest progress and turns
``cancel_requested`` into the solver's ``stop`` event. A job whose lease runs out is
marked ``failed`` by :func:`reap_stale`.

What differs between a plan and a roster (the row class, how the stored problem is
solved, what progress and result are written) is a :class:`JobKind`; the kinds
themselves live with their use cases (:data:`fieldops.services.plans.PLAN_JOB`,
:data:`fieldops.services.rosters.ROSTER_JOB`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fieldops.services.errors import Conflict, Unavailable
from fieldops.store.db import Database
from fieldops.store.models import utcnow

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 1.0
DEFAULT_LEASE_SECONDS = 60.0
REAPS_PER_LEASE = 4
REAP_MIN_SECONDS = 0.5

#: Saves a finished solve into its locked row: ``(session, row, status, solutions)``.
Store = Callable[[Session, Any, str, int], None]
#: Progress reported by a solver callback → column values saved by the next heartbeat.
ProgressValues = Callable[[Any, int], dict[str, Any]]


class Solve(Protocol):
    """Solves a stored job: ``(problem_json, params_json, progress, stop)`` → the
    :data:`Store` that saves the result (everything that may fail runs before it)."""

    def __call__(self, problem_json: dict[str, Any], params_json: dict[str, Any],
                 progress: Callable[[Any], None], stop: threading.Event) -> Store: ...


@dataclass(frozen=True)
class JobKind:
    """What one kind of solve job (plan or roster) does differently."""

    name: str
    model: Any
    solve: Solve
    progress: ProgressValues


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def claim(db: Database, model: Any, job_id: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Move the job from queued to solving; its ``(problem, params)``, or None when it
    is not ours to run.

    One conditional UPDATE, so two workers handed the same row (a redelivered
    message) cannot both claim it, on SQLite as on PostgreSQL.
    """
    now = utcnow()
    with db.session() as s:
        claimed = s.execute(
            update(model)
            .where(model.id == job_id, model.status == "queued",
                   model.cancel_requested.is_(False))
            .values(status="solving", started_at=now, heartbeat_at=now, worker=worker_name())
        )
        if getattr(claimed, "rowcount", 0) != 1:
            # Cancelled while queued, gone, or already run: nothing to solve.
            s.execute(
                update(model)
                .where(model.id == job_id, model.status == "queued")
                .values(status="cancelled", finished_at=now)
            )
            return None
        row = s.get(model, job_id)
        assert row is not None
        return dict(row.problem), dict(row.params)


class Heartbeat(threading.Thread):
    """Refreshes the lease of one solving row and saves its latest progress."""

    def __init__(self, db: Database, model: Any, job_id: str, stop: threading.Event,
                 interval: float) -> None:
        super().__init__(daemon=True, name=f"heartbeat-{job_id}")
        self.db, self.model, self.job_id = db, model, job_id
        self.stop_solve, self.interval = stop, interval
        self.done = threading.Event()
        self.lock = threading.Lock()
        self.progress: dict[str, Any] = {}

    def report(self, **values: Any) -> None:
        with self.lock:
            self.progress = values

    def beat(self) -> None:
        with self.lock:
            progress = dict(self.progress)
        model = self.model
        with self.db.session() as s:
            s.execute(
                update(model)
                .where(model.id == self.job_id, model.status == "solving")
                .values(heartbeat_at=utcnow(), **progress)
            )
            cancel = s.scalar(select(model.cancel_requested).where(model.id == self.job_id))
        if cancel:
            self.stop_solve.set()

    def run(self) -> None:
        while not self.done.wait(self.interval):
            try:
                self.beat()
            except Exception:  # a missed beat is retried; the lease tolerates a few
                log.exception("heartbeat of %s failed", self.job_id)

    def finish(self) -> None:
        """Stop beating (before the final write, which must not race a beat)."""
        self.done.set()
        self.join()


def finish(db: Database, model: Any, job_id: str,
           write: Callable[[Session, Any], None]) -> bool:
    """Apply ``write`` to the still-solving row and stamp ``finished_at``.

    False (and nothing written) when the job was reaped or deleted meanwhile: the
    verdict already reported is kept.
    """
    with db.session() as s:
        # Compare-and-set first: the conditional UPDATE takes the row's lock (the
        # database's write lock on SQLite, where FOR UPDATE does nothing) before the
        # result is written, so a reaper that failed the job after a plain read here
        # cannot be overwritten, and a reaper after it finds the job no longer solving.
        mine = s.execute(update(model).where(model.id == job_id, model.status == "solving")
                         .values(finished_at=utcnow())
                         .execution_options(synchronize_session=False))
        if getattr(mine, "rowcount", 0) != 1:
            return False
        row = s.get(model, job_id)
        assert row is not None
        write(s, row)
        row.finished_at = utcnow()
        return True


def run_job(db: Database, kind: JobKind, job_id: str, *,
            heartbeat: float = HEARTBEAT_SECONDS) -> str | None:
    """Solve the queued job; returns its final status (None: not claimed by us)."""
    claimed = claim(db, kind.model, job_id)
    if claimed is None:
        return None
    problem_json, params_json = claimed
    stop = threading.Event()
    beat = Heartbeat(db, kind.model, job_id, stop, heartbeat)
    solutions = 0

    def progress(p: Any) -> None:
        nonlocal solutions
        solutions = max(solutions + 1, int(getattr(p, "solutions", 0)))
        beat.report(**kind.progress(p, solutions))

    beat.start()
    try:
        store = kind.solve(problem_json, params_json, progress, stop)
        beat.finish()
        status = "cancelled" if stop.is_set() else "done"
        finish(db, kind.model, job_id, lambda s, row: store(s, row, status, solutions))
    except Exception as exc:
        log.exception("solve of %s %s failed", kind.name, job_id)
        beat.finish()
        fail(db, kind.model, job_id, f"{type(exc).__name__}: {exc}", queued=False)
        return "failed"
    return status


def fail(db: Database, model: Any, job_id: str, reason: str, *, queued: bool = True) -> None:
    """Mark the job ``failed`` with ``reason`` (a solve that raised, or one a backend
    knows will never finish); ``queued=False`` fails it only while it is solving."""
    statuses = ("queued", "solving") if queued else ("solving",)
    with db.session() as s:
        s.execute(
            update(model)
            .where(model.id == job_id, model.status.in_(statuses))
            .values(status="failed", error=reason, finished_at=utcnow())
        )


def reap_stale(db: Database, model: Any, lease: float = DEFAULT_LEASE_SECONDS) -> int:
    """Mark ``failed`` every solving job whose worker stopped heartbeating."""
    cutoff = utcnow() - timedelta(seconds=lease)
    stale = (model.status == "solving", model.heartbeat_at < cutoff)
    with db.session() as s:
        # Read first: the periodic reaper then writes (and locks SQLite) only when
        # there is something to reap.
        if s.scalar(select(model.id).where(*stale).limit(1)) is None:
            return 0
        result = s.execute(
            update(model)
            .where(*stale)
            .values(
                status="failed",
                finished_at=utcnow(),
                error=f"worker lost: no heartbeat for more than {lease:g} s "
                "(the worker process was killed or stopped)",
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)


def reap_interval(lease: float) -> float:
    """How often the periodic reaper looks: a quarter of the lease (at least every
    :data:`REAP_MIN_SECONDS`), so a dead job is failed within 1.25 leases."""
    return max(REAP_MIN_SECONDS, lease / REAPS_PER_LEASE)


class Reaper(threading.Thread):
    """Fails dead jobs (:func:`reap_stale`) every ``interval`` seconds, without
    anyone reading them: one runs in every API process and every worker.

    It holds the database weakly and stops once the database is disposed, so an app
    that is dropped or closed (tests build many) takes its reaper with it;
    :meth:`stop` ends it at once.
    """

    def __init__(self, db: Database, models: Sequence[Any], lease: float,
                 interval: float | None = None) -> None:
        super().__init__(daemon=True, name="fieldops-reaper")
        self._db = weakref.ref(db)
        self.models, self.lease = tuple(models), lease
        self.interval = reap_interval(lease) if interval is None else interval
        self._stop_event = threading.Event()

    def reap_once(self) -> int:
        db = self._db()
        if db is None or db.closed:  # its app is gone or done with the database
            self._stop_event.set()
            return 0
        return sum(reap_stale(db, model, self.lease) for model in self.models)

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            try:
                if reaped := self.reap_once():
                    log.warning("reaper: %d job(s) failed after their lease ran out", reaped)
            except Exception as exc:  # the database may be away; try again next time
                log.warning("reaper: %s", exc)

    def stop(self) -> None:
        self._stop_event.set()


def submit(db: Database, kind: JobKind, job_id: str, send: Callable[[str], None]) -> None:
    """Hand the queued job to a backend (``send``); when that fails the job is failed
    and :class:`Unavailable` raised."""
    try:
        send(job_id)
    except Exception as exc:
        fail(db, kind.model, job_id, f"could not queue the solve: {exc}")
        raise Unavailable(f"the solve could not be queued: {exc}") from None


def cancel(row: Any, what: str) -> None:
    """Stop a queued or solving job: a queued one ends ``cancelled`` now; a solving
    one is asked to stop (its worker keeps the best result); anything else is a
    :class:`Conflict`."""
    if row.status == "queued":
        row.status, row.cancel_requested, row.finished_at = "cancelled", True, utcnow()
    elif row.status == "solving":
        row.cancel_requested = True
    else:
        raise Conflict(f"{what} is already {row.status}", field="status")

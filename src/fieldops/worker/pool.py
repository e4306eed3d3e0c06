"""Where solves run: a local pool (default) or Celery workers (``FIELDOPS_BROKER_URL``)."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol

from fieldops.solver.dispatch.engines.lifetime import die_with_parent
from fieldops.store.db import Database
from fieldops.worker import runner

log = logging.getLogger(__name__)


class SolveBackend(Protocol):
    def submit(self, plan_id: str) -> None: ...

    def submit_roster(self, roster_id: str) -> None: ...

    def shutdown(self, wait: bool = True, *, kill: bool = False) -> None: ...


_child_dbs: dict[str, Database] = {}


def _child_db(url: str) -> Database:
    db = _child_dbs.get(url)
    if db is None:
        db = _child_dbs[url] = Database(url)
    return db


def _die_with(parent: int) -> None:
    die_with_parent(parent, kernel=False)


def _run_in_child(url: str, kind: str, job_id: str) -> str | None:
    return runner.run(_child_db(url), kind, job_id)


class LocalBackend:
    """Solves in this machine's threads or child processes.

    ``mode="process"`` (the default) keeps the solver off the API's interpreter, so
    the GIL never slows requests and a crash in the solver cannot take the API down;
    a child that dies marks its plan ``failed``. ``mode="thread"`` needs no start-up
    and suits tests and SQLite in-memory databases.
    """

    def __init__(self, db: Database, mode: str = "process", max_workers: int = 2) -> None:
        if mode not in ("process", "thread"):
            raise ValueError(f"unknown worker mode {mode!r}")
        self.db, self.mode, self.max_workers = db, mode, max_workers
        self._lock = threading.Lock()
        self._pool: Executor | None = None

    def _new_pool(self) -> Executor:
        if self.mode == "thread":
            return ThreadPoolExecutor(self.max_workers, thread_name_prefix="fieldops-solve")
        # spawn, not fork: forking a threaded web server process is unsafe. The
        # children die with this process (a killed API leaves no solver running);
        # not by the kernel's parent-death signal, which follows the submitting
        # request thread, but by a watcher (see engines.lifetime).
        return ProcessPoolExecutor(self.max_workers,
                                   mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_die_with, initargs=(os.getpid(),))

    def submit(self, plan_id: str) -> None:
        self._submit("plan", plan_id)

    def submit_roster(self, roster_id: str) -> None:
        self._submit("roster", roster_id)

    def _submit(self, what: str, job_id: str) -> None:
        with self._lock:
            if self._pool is None:
                self._pool = self._new_pool()
            pool = self._pool
            try:
                if self.mode == "thread":
                    future: Future[str | None] = pool.submit(runner.run, self.db, what, job_id)
                else:
                    future = pool.submit(_run_in_child, self.db.url, what, job_id)
            except BrokenProcessPool:
                # A child died earlier; the pool cannot be reused.
                self._pool = pool = self._new_pool()
                future = pool.submit(_run_in_child, self.db.url, what, job_id)
        future.add_done_callback(lambda f: self._done(what, job_id, f, pool))

    def _done(self, what: str, job_id: str, future: Future[str | None],
              pool: Executor) -> None:
        exc = future.exception()
        if exc is None:
            return
        if isinstance(exc, BrokenProcessPool):
            reason = "worker process died during the solve (killed or crashed)"
            with self._lock:
                if self._pool is pool:
                    self._pool = None
        else:
            reason = f"{type(exc).__name__}: {exc}"
        log.error("%s %s: %s", what, job_id, reason)
        try:
            runner.fail(self.db, what, job_id, reason)
        except Exception:
            log.exception("could not mark %s %s failed", what, job_id)

    def shutdown(self, wait: bool = True, *, kill: bool = False) -> None:
        """Stop the pool; ``kill`` also ends running solves now (a server going
        down must not wait for them, nor leave them running: their jobs end
        ``failed`` by the lease)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is None:
            return
        processes = list((getattr(pool, "_processes", None) or {}).values()) if kill else []
        pool.shutdown(wait=wait and not kill, cancel_futures=not wait or kill)
        for process in processes:
            process.kill()


class CeleryBackend:
    """Sends each solve to Celery workers through the broker."""

    def __init__(self, broker_url: str, queue: str | None = None) -> None:
        from fieldops.worker.celery_app import QUEUE, ROSTER_TASK_NAME, make_celery

        self.roster_task = ROSTER_TASK_NAME
        self.queue = queue or QUEUE
        self.app = make_celery(broker_url, self.queue)

    def submit(self, plan_id: str) -> None:
        self.app.send_task("fieldops.solve_plan", args=[plan_id], queue=self.queue)

    def submit_roster(self, roster_id: str) -> None:
        self.app.send_task(self.roster_task, args=[roster_id], queue=self.queue)

    def shutdown(self, wait: bool = True, *, kill: bool = False) -> None:
        pass

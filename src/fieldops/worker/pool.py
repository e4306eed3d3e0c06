"""Where solves run: a local pool (default) or Celery workers (``FIELDOPS_BROKER_URL``)."""

from __future__ import annotations

import logging
import multiprocessing
import threading
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol

from fieldops.store.db import Database
from fieldops.worker.job import mark_failed, run_plan

log = logging.getLogger(__name__)


class SolveBackend(Protocol):
    def submit(self, plan_id: str) -> None: ...

    def shutdown(self, wait: bool = True) -> None: ...


_child_dbs: dict[str, Database] = {}


def _run_in_child(url: str, plan_id: str) -> str | None:
    db = _child_dbs.get(url)
    if db is None:
        db = _child_dbs[url] = Database(url)
    return run_plan(db, plan_id)


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
        # spawn, not fork: forking a threaded web server process is unsafe.
        return ProcessPoolExecutor(self.max_workers,
                                   mp_context=multiprocessing.get_context("spawn"))

    def submit(self, plan_id: str) -> None:
        with self._lock:
            if self._pool is None:
                self._pool = self._new_pool()
            pool = self._pool
            try:
                if self.mode == "thread":
                    future: Future[str | None] = pool.submit(run_plan, self.db, plan_id)
                else:
                    future = pool.submit(_run_in_child, self.db.url, plan_id)
            except BrokenProcessPool:
                # A child died earlier; the pool cannot be reused.
                self._pool = pool = self._new_pool()
                future = pool.submit(_run_in_child, self.db.url, plan_id)
        future.add_done_callback(lambda f: self._done(plan_id, f, pool))

    def _done(self, plan_id: str, future: Future[str | None], pool: Executor) -> None:
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
        log.error("plan %s: %s", plan_id, reason)
        try:
            mark_failed(self.db, plan_id, reason)
        except Exception:
            log.exception("could not mark plan %s failed", plan_id)

    def shutdown(self, wait: bool = True) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=not wait)


class CeleryBackend:
    """Sends each solve to Celery workers through the broker."""

    def __init__(self, broker_url: str, queue: str | None = None) -> None:
        from fieldops.worker.celery_app import QUEUE, make_celery

        self.queue = queue or QUEUE
        self.app = make_celery(broker_url, self.queue)

    def submit(self, plan_id: str) -> None:
        self.app.send_task("fieldops.solve_plan", args=[plan_id], queue=self.queue)

    def shutdown(self, wait: bool = True) -> None:
        pass

"""Territory tasks over Celery: the runner the distributed solve sends them to.

:mod:`fieldops.solver.dispatch.distributed` splits a large day into territories and
hands each one, as an encoded payload, to a :class:`~fieldops.solver.dispatch.
distributed.TaskRunner`. :class:`CeleryRunner` is that runner on a real broker: it
sends ``fieldops.solve_territory`` tasks to the queue every ``fieldops worker``
consumes (on any number of machines) and turns their results, which come back
through the result backend, into futures. One thread of the coordinating process
polls the pending results (a Celery result consumer is not safe to share between
threads).

A Celery worker registers this runner when it starts (:func:`register_in_worker`),
so a plan queued with ``params.distribute.enabled`` is coordinated by the worker
that takes it, while the other workers take its territories. That worker waits
for them and holds its slot meanwhile: give the queue at least two worker
processes. A task that fails or is not back in time is solved by the coordinator
itself (the solver's fallback), so a lost worker never loses the plan.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from typing import Any

from celery import Celery
from celery.result import AsyncResult

from fieldops.solver.dispatch import distributed
from fieldops.solver.dispatch.distributed import Solvers

log = logging.getLogger(__name__)

TERRITORY_TASK_NAME = "fieldops.solve_territory"
#: How often the pending results are asked for.
POLL_SECONDS = 0.1


def local_solvers() -> Solvers:
    """The single-process solver and pricing, as the territory tasks use them."""
    from fieldops.solver.dispatch.solve import evaluate_routes, solve_dispatch

    return Solvers(solve_dispatch, evaluate_routes)


def solve_territory(payload: str) -> dict[str, Any]:
    """The body of the ``fieldops.solve_territory`` task (in a worker)."""
    return distributed.run_task(payload, local_solvers())


class CeleryRunner:
    """Sends territory payloads to ``queue`` through ``app``; futures of the results."""

    def __init__(self, app: Celery, queue: str) -> None:
        self.app, self.queue = app, queue
        self._pending: dict[str, tuple[AsyncResult, Future[dict[str, Any]]]] = {}
        self._lock = threading.Lock()
        self._poller: threading.Thread | None = None

    def submit(self, payload: str) -> Future[dict[str, Any]]:
        result = self.app.send_task(TERRITORY_TASK_NAME, args=[payload], queue=self.queue)
        future: Future[dict[str, Any]] = Future()
        future.set_running_or_notify_cancel()
        with self._lock:
            self._pending[result.id] = (result, future)
            if self._poller is None or not self._poller.is_alive():
                self._poller = threading.Thread(target=self._poll, daemon=True,
                                                name="fieldops-territory-results")
                self._poller.start()
        return future

    def cancel(self, future: Future[dict[str, Any]]) -> None:
        """Give up on ``future``'s task: revoked, its late result ignored."""
        with self._lock:
            found = [tid for tid, (_, f) in self._pending.items() if f is future]
            for tid in found:
                result, _ = self._pending.pop(tid)
                try:
                    result.revoke()
                except Exception:  # a broker that is away: the result expires anyway
                    log.warning("could not revoke territory task %s", tid)

    def _poll(self) -> None:
        while True:
            with self._lock:
                pending = list(self._pending.items())
            if not pending:
                return
            for tid, (result, future) in pending:
                try:
                    if not result.ready():
                        continue
                    # Ready already, so get() does not wait; inside a Celery task
                    # (a worker coordinating a plan) Celery refuses it otherwise.
                    value = result.get(timeout=10, propagate=True,
                                       disable_sync_subtasks=False)
                    future.set_result(value)
                except Exception as exc:  # the task failed, or the backend did
                    if not future.done():
                        future.set_exception(exc)
                with self._lock:
                    self._pending.pop(tid, None)
                result.forget()
            time.sleep(POLL_SECONDS)


def register_in_worker(app: Celery, queue: str) -> None:
    """Make distributed solves in this process send their territories to ``queue``."""
    distributed.register_runner(lambda: CeleryRunner(app, queue))

"""Celery app and tasks (plans and rosters) for solving on worker machines.

Run a worker with ``fieldops worker`` (or ``celery -A fieldops.worker.celery_app
worker``). It reads ``FIELDOPS_BROKER_URL`` and ``FIELDOPS_DATABASE_URL``.
``acks_late`` + ``reject_on_worker_lost`` keep a task whose worker dies from being
lost silently; the plan's heartbeat lease (see :mod:`fieldops.services.jobs`) turns
such a plan (or roster) into ``failed`` instead of leaving it ``solving``.

``fieldops.solve_territory`` solves one territory of a distributed plan
(:mod:`fieldops.worker.distributed`); its result comes back through the result
backend (:func:`result_backend`).

A task that cannot reach the database (down, restarting, failing over) is retried
with exponential backoff (:func:`retry_countdown`) instead of failing: the message
would be acked and the plan left ``queued`` forever. Claiming is one conditional
UPDATE, so a retry after the job was claimed or finished does nothing. When the
retries run out, the job is marked ``failed`` if the database answers by then;
whatever happened after a claim (a solving job whose worker lost the database) is
the reaper's, as for a dead worker.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery, Task
from celery.signals import worker_init
from sqlalchemy import exc as sa_exc

from fieldops.store.db import Database, default_url

log = logging.getLogger(__name__)

TASK_NAME = "fieldops.solve_plan"
ROSTER_TASK_NAME = "fieldops.solve_roster"
TERRITORY_TASK_NAME = "fieldops.solve_territory"
# One queue per deployment; tests use their own so parallel runs never share tasks.
QUEUE = os.environ.get("FIELDOPS_CELERY_QUEUE", "fieldops")

#: Errors that mean "the database is away right now", not a bug: worth a retry.
DATABASE_AWAY: tuple[type[Exception], ...] = (
    sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError,
    sa_exc.TimeoutError)
#: Retries of a task that cannot reach the database, and their backoff: 1, 2, 4 … s,
#: at most :data:`RETRY_MAX_SECONDS` apart (about 13 minutes in all).
MAX_RETRIES = 16
RETRY_BASE_SECONDS = 1.0
RETRY_MAX_SECONDS = 60.0

_db: Database | None = None


def _database() -> Database:
    global _db
    if _db is None:
        _db = Database(default_url())
    return _db


def retry_countdown(retries: int) -> float:
    """Seconds before retry number ``retries + 1`` of a task the database refused."""
    return min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** min(retries, 32))


def _give_up(kind: str, job_id: str, exc: Exception) -> None:
    """Fail the queued job once its retries are spent, if the database answers now."""
    from fieldops.worker.runner import fail

    try:
        fail(_database(), kind, job_id, f"the database was unreachable for {MAX_RETRIES} "
             f"retries: {type(exc).__name__}")
    except DATABASE_AWAY:
        log.error("%s %s left queued: the database is still unreachable", kind, job_id)


def run_task(task: Task, kind: str, job_id: str) -> str | None:
    """Run the ``kind`` job ``job_id`` for ``task``; retried with backoff while the
    database is away (see the module docstring)."""
    from fieldops.worker.runner import run

    try:
        return run(_database(), kind, job_id)
    except DATABASE_AWAY as exc:
        retries = int(task.request.retries or 0)
        if retries >= MAX_RETRIES:
            _give_up(kind, job_id, exc)
            raise
        countdown = retry_countdown(retries)
        log.warning("%s %s: database unreachable (%s); retry %d in %g s", kind, job_id,
                    type(exc).__name__, retries + 1, countdown)
        raise task.retry(exc=exc, countdown=countdown, max_retries=MAX_RETRIES) from None


def result_backend(broker_url: str) -> str:
    """Where territory results come back (plans and rosters store theirs in the
    database): ``FIELDOPS_RESULT_BACKEND``, else the broker itself when it is Redis,
    else Celery's RPC backend (results as messages, e.g. over RabbitMQ)."""
    configured = os.environ.get("FIELDOPS_RESULT_BACKEND")
    if configured:
        return configured
    return broker_url if broker_url.startswith(("redis://", "rediss://")) else "rpc://"


def max_memory_kib() -> int:
    """``FIELDOPS_WORKER_MAX_MEMORY_MIB`` (default 2048) in KiB, Celery's unit."""
    return int(float(os.environ.get("FIELDOPS_WORKER_MAX_MEMORY_MIB", "2048")) * 1024)


def make_celery(broker_url: str, queue: str | None = None) -> Celery:
    app = Celery("fieldops", broker=broker_url, backend=result_backend(broker_url))
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        task_default_queue=queue or QUEUE,
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,
        # Territory results are read once by their coordinator, then forgotten.
        result_expires=3600,
        # A prefork child that has grown past this (KiB) is replaced after its task:
        # a worker solving territory after territory grew by about 100 MB per
        # 500-job task in the 10 000-job benchmark (benchmarks/README.md).
        worker_max_memory_per_child=max_memory_kib(),
    )

    @app.task(name=TASK_NAME, bind=True, acks_late=True, reject_on_worker_lost=True)
    def solve_plan(self: Any, plan_id: str) -> str | None:
        return run_task(self, "plan", plan_id)

    @app.task(name=ROSTER_TASK_NAME, bind=True, acks_late=True, reject_on_worker_lost=True)
    def solve_roster(self: Any, roster_id: str) -> str | None:
        return run_task(self, "roster", roster_id)

    @app.task(name=TERRITORY_TASK_NAME, acks_late=True, reject_on_worker_lost=True,
              ignore_result=False)
    def solve_territory(payload: str) -> dict[str, Any]:
        # A failure is the coordinator's to handle (it solves the territory itself).
        from fieldops.worker.distributed import solve_territory as run

        return run(payload)

    @worker_init.connect(weak=False)
    def _register(sender: Any = None, **_: Any) -> None:
        # In a worker process only: its distributed plans send their territories
        # to the (first) queue it consumes (the API process never solves).
        from fieldops.worker.distributed import register_in_worker

        if getattr(sender, "app", None) is not app:
            return
        consumed = list(sender.app.amqp.queues.consume_from or ())
        register_in_worker(app, consumed[0] if consumed else queue or QUEUE)

    return app


app = make_celery(os.environ.get("FIELDOPS_BROKER_URL", "redis://127.0.0.1:6379/0"))

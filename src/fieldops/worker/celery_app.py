"""Celery app and tasks (plans and rosters) for solving on worker machines.

Run a worker with ``fieldops worker`` (or ``celery -A fieldops.worker.celery_app
worker``). It reads ``FIELDOPS_BROKER_URL`` and ``FIELDOPS_DATABASE_URL``.
``acks_late`` + ``reject_on_worker_lost`` keep a task whose worker dies from being
lost silently; the plan's heartbeat lease (see :mod:`fieldops.services.jobs`) turns
such a plan (or roster) into ``failed`` instead of leaving it ``solving``.
"""

from __future__ import annotations

import os

from celery import Celery

from fieldops.store.db import Database, default_url

TASK_NAME = "fieldops.solve_plan"
ROSTER_TASK_NAME = "fieldops.solve_roster"
# One queue per deployment; tests use their own so parallel runs never share tasks.
QUEUE = os.environ.get("FIELDOPS_CELERY_QUEUE", "fieldops")

_db: Database | None = None


def _database() -> Database:
    global _db
    if _db is None:
        _db = Database(default_url())
    return _db


def make_celery(broker_url: str, queue: str | None = None) -> Celery:
    app = Celery("fieldops", broker=broker_url)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        task_default_queue=queue or QUEUE,
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,
    )

    @app.task(name=TASK_NAME, acks_late=True, reject_on_worker_lost=True)
    def solve_plan(plan_id: str) -> str | None:
        from fieldops.worker.runner import run_plan

        return run_plan(_database(), plan_id)

    @app.task(name=ROSTER_TASK_NAME, acks_late=True, reject_on_worker_lost=True)
    def solve_roster(roster_id: str) -> str | None:
        from fieldops.worker.runner import run_roster

        return run_roster(_database(), roster_id)

    return app


app = make_celery(os.environ.get("FIELDOPS_BROKER_URL", "redis://127.0.0.1:6379/0"))

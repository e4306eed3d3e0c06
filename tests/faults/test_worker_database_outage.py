"""A Celery worker handed a plan while PostgreSQL is down retries the claim with
backoff and solves the plan once the database is back (it used to fail the task,
ack the message and leave the plan ``queued`` forever)."""

from __future__ import annotations

import os
import signal
import uuid
from pathlib import Path

import pytest

from .conftest import (
    PgCluster,
    Server,
    Worker,
    broker,
    forget_queue,
    plan_body,
    plan_status,
    seed_day,
    wait_for,
)

pytestmark = pytest.mark.slow
#: Long enough for the worker to take the message and fail its first claims.
OUTAGE_SECONDS = 6.0
#: Backoff 1, 2, 4, 8, 16 s after the outage, a short solve, a busy machine.
DONE_WITHIN = 120


def test_a_plan_queued_while_the_database_is_down_is_solved_once_it_is_back(
    pg_cluster: PgCluster, tmp_path: Path,
) -> None:
    import time

    queue = f"fieldops-faults-{uuid.uuid4().hex[:8]}"
    url = pg_cluster.new_database()
    server = Server(url, tmp_path, "--workers", "1", FIELDOPS_BROKER_URL=broker(),
                    FIELDOPS_CELERY_QUEUE=queue)
    worker = Worker(url, tmp_path, queue)
    try:
        seed_day(server, n_requests=6, n_techs=2)
        # Hold the worker so the message waits in the broker, queue the plan, then
        # take the database away before the worker may claim it.
        os.kill(worker.proc.pid, signal.SIGSTOP)
        answer = server.post("/plans", json=plan_body(1))
        assert answer.status_code == 202, answer.text
        plan_id = str(answer.json()["id"])
        assert plan_status(url, plan_id) == "queued"
        pg_cluster.stop()
        try:
            os.kill(worker.proc.pid, signal.SIGCONT)
            time.sleep(OUTAGE_SECONDS)
        finally:
            pg_cluster.start()
        wait_for(lambda: plan_status(url, plan_id) == "done", DONE_WITHIN,
                 "the plan queued during the outage solved")
        log = worker.log.read_text(errors="replace")
        assert "database unreachable" in log and "retry 1 in" in log, log[-3000:]
    finally:
        os.kill(worker.proc.pid, signal.SIGCONT)
        worker.kill()
        server.stop()
        forget_queue(queue)

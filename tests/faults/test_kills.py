"""Killed processes: a dead solve ends ``failed`` within the lease without anyone
reading it, and no solver process outlives the process that started it."""

from __future__ import annotations

import os
import signal
import uuid
from pathlib import Path

import pytest

from .conftest import (
    LEASE_SECONDS,
    PgCluster,
    Server,
    Worker,
    alive,
    broker,
    children_of,
    forget_queue,
    plan_body,
    plan_status,
    seed_day,
    wait_for,
)

pytestmark = pytest.mark.slow
#: Long enough that the solve is still running when its process is killed.
LONG_SOLVE_SECONDS = 60
#: The reaper looks every quarter lease: failed within 1.25 leases, plus slack for a
#: loaded 2-core machine.
REAP_WITHIN = LEASE_SECONDS * 1.25 + 5
#: A parent-watch thread looks every 0.5 s; gunicorn's workers notice a dead master
#: within about a second.
ORPHANS_GONE_WITHIN = 15
SEARCH_WORKERS = 2


def _solving_plan(server: Server) -> str:
    seed_day(server, n_requests=40, n_techs=3)
    body = plan_body(LONG_SOLVE_SECONDS)
    body["params"]["workers"] = SEARCH_WORKERS  # the solve starts search processes
    answer = server.post("/plans", json=body)
    assert answer.status_code == 202, answer.text
    plan_id = str(answer.json()["id"])
    wait_for(lambda: plan_status(server.db_url, plan_id) == "solving", 60, "solving")
    return plan_id


def test_a_killed_celery_worker_leaves_no_child_and_its_plan_fails_unread(
    pg_cluster: PgCluster, tmp_path: Path,
) -> None:
    queue = f"fieldops-faults-{uuid.uuid4().hex[:8]}"
    url = pg_cluster.new_database()
    server = Server(url, tmp_path, "--workers", "1", FIELDOPS_BROKER_URL=broker(),
                    FIELDOPS_CELERY_QUEUE=queue)
    worker = Worker(url, tmp_path, queue)
    # A reaper of its own that is alive after the kill (the API's reaper counts too).
    spare = Worker(url, tmp_path, queue + "-idle")
    try:
        plan_id = _solving_plan(server)
        wait_for(lambda: bool(children_of(worker.proc.pid)), 30, "the solve's child processes")
        children = children_of(worker.proc.pid)
        worker.kill()
        wait_for(lambda: not alive(children), ORPHANS_GONE_WITHIN,
                 f"the dead worker's children {sorted(alive(children))} ending")
        waited = wait_for(lambda: plan_status(url, plan_id) == "failed", REAP_WITHIN,
                          "the killed worker's plan failed without a read")
        assert waited <= REAP_WITHIN
    finally:
        worker.kill()
        spare.kill()
        server.stop()
        forget_queue(queue)
        forget_queue(queue + "-idle")


def test_killing_the_api_leaves_no_solver_process(pg_cluster: PgCluster, tmp_path: Path
                                                  ) -> None:
    url = pg_cluster.new_database()
    server = Server(url, tmp_path, "--workers", "1", "--worker-mode", "process")
    try:
        _solving_plan(server)
        descendants = children_of(server.proc.pid)
        # gunicorn worker + the local pool's solver process (and any of its own)
        assert len(descendants) >= 2, descendants
        os.kill(server.proc.pid, signal.SIGKILL)  # the master, as an OOM kill would
        wait_for(lambda: not alive(descendants), ORPHANS_GONE_WITHIN,
                 f"the API's processes {sorted(alive(descendants))} ending")
    finally:
        server.stop()
        for pid in alive(children_of(server.proc.pid)):
            os.kill(pid, signal.SIGKILL)


def test_a_killed_api_worker_kills_its_solves_and_the_next_worker_reaps_the_plan(
    pg_cluster: PgCluster, tmp_path: Path,
) -> None:
    url = pg_cluster.new_database()
    server = Server(url, tmp_path, "--workers", "1", "--worker-mode", "process")
    try:
        plan_id = _solving_plan(server)
        (gunicorn_worker,) = [pid for pid in children_of(server.proc.pid)
                              if Path(f"/proc/{pid}/stat").read_text().split()[3]
                              == str(server.proc.pid)]
        solvers = children_of(gunicorn_worker)
        assert solvers
        os.kill(gunicorn_worker, signal.SIGKILL)
        wait_for(lambda: not alive(solvers), ORPHANS_GONE_WITHIN,
                 f"the solver processes {sorted(alive(solvers))} ending")
        # gunicorn starts a new worker; its reaper fails the plan, nobody reads it.
        wait_for(lambda: plan_status(url, plan_id) == "failed", REAP_WITHIN + 20,
                 "the plan failed without a read")
    finally:
        server.stop()

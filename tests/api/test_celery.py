"""The Celery path with a real worker process and the real Redis broker.

Needs ``FIELDOPS_TEST_BROKER_URL`` (CI sets it); each test uses its own queue so
parallel runs sharing the broker never take each other's tasks.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import BROKER_URL, PG_URL, Api, make_app, plan_body, seed_day, wait_plan

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not BROKER_URL, reason="FIELDOPS_TEST_BROKER_URL is not set: "
                       "no Redis broker to run a real Celery worker against"),
]


def _broker_reachable() -> None:
    import redis

    try:
        redis.Redis.from_url(BROKER_URL or "").ping()
    except Exception as exc:
        pytest.fail(f"FIELDOPS_TEST_BROKER_URL={BROKER_URL} is set but unreachable: {exc}")


class Worker:
    def __init__(self, db_url: str, queue: str, log: Path) -> None:
        self.log = log
        self.handle = log.open("wb")
        env = {**os.environ, "FIELDOPS_DATABASE_URL": db_url, "FIELDOPS_BROKER_URL": BROKER_URL
               or "", "FIELDOPS_CELERY_QUEUE": queue}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fieldops.cli", "worker", "--pool", "solo",
             "--queue", queue, "--hostname", f"{queue}@test", "--loglevel", "info"],
            env=env, stdout=self.handle, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while b"ready." not in self.log.read_bytes():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("celery worker did not start:\n"
                                     + self.log.read_text(errors="replace"))
            time.sleep(0.2)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.handle.close()


@pytest.fixture
def celery_api(db_url: str, tmp_path: Path) -> Iterator[tuple[Api, Worker]]:
    _broker_reachable()
    queue = f"fieldops-test-{uuid.uuid4().hex[:10]}"
    app = make_app(db_url, BROKER_URL=BROKER_URL, CELERY_QUEUE=queue, LEASE_SECONDS=3)
    client = Api(app, app.test_client())
    client.add_key("admin", "admin")
    worker = Worker(db_url, queue, tmp_path / "worker.log")
    try:
        worker.wait_ready()
        yield client, worker
    finally:
        worker.kill()
        _forget_queue(queue)
        app.extensions["fieldops"].db.dispose()


def _forget_queue(queue: str) -> None:
    """Remove this test's queue, bindings and unacked messages from the shared broker."""
    import json

    import redis

    r = redis.Redis.from_url(BROKER_URL or "")
    r.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    for tag, raw in r.hgetall("unacked").items():
        try:
            routing_key = json.loads(raw)[2]
        except (ValueError, IndexError, TypeError):
            continue
        if routing_key == queue:
            r.hdel("unacked", tag)
            r.zrem("unacked_index", tag)


# One database is enough for the broker path: PostgreSQL (production-like) when set.
@pytest.mark.parametrize("db_url", ["postgresql" if PG_URL else "sqlite"], indirect=True)
def test_celery_worker_solves_and_a_killed_worker_fails_the_plan(
    celery_api: tuple[Api, Worker],
) -> None:
    api, worker = celery_api
    seed_day(api, n_requests=12, n_techs=2)
    resp = api.post("/api/v1/plans", json=plan_body(params={"time_limit": 1}))
    assert resp.status_code == 202
    plan = wait_plan(api, resp.headers["Location"], timeout=60)
    assert plan["status"] == "done", (plan, worker.log.read_text(errors="replace"))
    assert plan["result"]["kpis"]["jobs_total"] == 12

    resp = api.post("/api/v1/plans", json=plan_body(params={"time_limit": 60}))
    loc = resp.headers["Location"]
    wait_plan(api, loc, until=("solving",), timeout=30)
    worker.kill()
    started = time.monotonic()
    plan: dict[str, Any] = wait_plan(api, loc, timeout=20)
    assert plan["status"] == "failed"
    assert "heartbeat" in plan["error"]
    assert time.monotonic() - started < 15  # the 3 s lease, not the 60 s solve

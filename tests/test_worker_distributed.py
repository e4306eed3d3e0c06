"""worker/distributed.py: territories of a distributed solve as real Celery tasks.

A real worker process on the test broker (``FIELDOPS_TEST_BROKER_URL``, on a queue
of this test's own) solves the territories; the merged plan must be valid, and
every territory must have been solved by that worker, not by the fallback here.
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

from fieldops.data.sample import generate_field_day
from fieldops.solver.dispatch import SolveParams
from fieldops.solver.dispatch.distributed import solve_distributed
from fieldops.validators.dispatch import validate_plan
from fieldops.worker import celery_app
from fieldops.worker.distributed import CeleryRunner, local_solvers

BROKER_URL = os.environ.get("FIELDOPS_TEST_BROKER_URL")

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not BROKER_URL, reason="FIELDOPS_TEST_BROKER_URL is not set: "
                       "no Redis broker to run a real Celery worker against"),
]


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    import redis

    assert BROKER_URL
    try:
        redis.Redis.from_url(BROKER_URL).ping()
    except Exception as exc:
        pytest.fail(f"FIELDOPS_TEST_BROKER_URL={BROKER_URL} is set but unreachable: {exc}")
    queue = f"fieldops-test-{uuid.uuid4().hex[:10]}"
    log = tmp_path / "worker.log"
    env = {**os.environ, "FIELDOPS_BROKER_URL": BROKER_URL, "FIELDOPS_CELERY_QUEUE": queue}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "fieldops.worker.celery_app", "worker",
             "--pool", "solo", "-Q", queue, "--hostname", f"{queue}@test",
             "--without-gossip", "--without-mingle", "--loglevel", "info"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while b"ready." not in log.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("celery worker did not start:\n"
                                     + log.read_text(errors="replace"))
            time.sleep(0.1)
        yield queue, proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        r = redis.Redis.from_url(BROKER_URL)
        r.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


def test_territories_are_solved_by_a_celery_worker_and_merged(
        worker: tuple[str, subprocess.Popen[bytes]]) -> None:
    queue, proc = worker
    day = generate_field_day(24, 4, seed=3)
    params = SolveParams(time_limit=5, distribute={  # type: ignore[arg-type]
        "enabled": True, "territory_jobs": 12, "workers": 1, "territory_seconds": 0.5,
        "boundary_share": 0.01})
    runner = CeleryRunner(celery_app.make_celery(BROKER_URL or "", queue), queue)
    plan = solve_distributed(day, params, local_solvers(), runner=runner)
    info: Any = plan.solver["distributed"]
    assert info["local_fallbacks"] == 0 and info["errors"] == []
    assert [t["worker"].rsplit(":", 1)[1] for t in info["territories"]] == [str(proc.pid)] * 2
    assert plan.solver["runner"] == "CeleryRunner"
    assert validate_plan(day, plan) == []
    routed = [rid for r in plan.routes for rid in r.request_ids]
    assert sorted(routed + [u.request_id for u in plan.unassigned]) == sorted(
        r.id for r in day.requests)
    assert len(routed) >= 8

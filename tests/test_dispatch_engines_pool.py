"""engines/pool.py: the worker processes PyVRP's sub-problems run in, and their stop."""

from __future__ import annotations

import pytest

from fieldops.solver.dispatch.engines.pool import EnginePool, stop_check, worker_should_stop

WAIT = 120  # seconds: spawning a worker is slow on a loaded machine


class _Pool:
    def __init__(self) -> None:
        self.stops = 0

    def stop(self) -> None:
        self.stops += 1


def test_stop_check_passes_the_stop_on_to_the_pool() -> None:
    pool = _Pool()
    asked = [False]
    check = stop_check(lambda: asked[0], pool)  # type: ignore[arg-type]
    assert check() is False and pool.stops == 0
    asked[0] = True
    assert check() is True and pool.stops == 1
    assert stop_check(None, pool)() is False  # type: ignore[arg-type]
    assert stop_check(lambda: True, None)() is True


def test_a_pool_needs_a_worker() -> None:
    with pytest.raises(ValueError, match="size"):
        EnginePool(0)


def test_workers_run_tasks_and_see_the_stop() -> None:
    assert worker_should_stop() is False  # outside a worker: never
    assert EnginePool.available()
    with EnginePool(1) as pool:
        assert pool.submit(pow, 2, 5).result(timeout=WAIT) == 32
        assert pool.submit(worker_should_stop).result(timeout=WAIT) is False
        pool.stop()
        assert pool.submit(worker_should_stop).result(timeout=WAIT) is True

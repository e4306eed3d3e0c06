"""Worker processes an engine may use for parallel search on one plan.

PyVRP's search holds Python's GIL, so a second core needs a second process. The
solver opens an :class:`EnginePool` when it starts (before the construction), so the
processes have started and imported PyVRP by the time the engine needs them; the
engine then runs whole-problem searches with other seeds and sub-problems of one
shared plan there (:mod:`.decompose`).

A stop reaches the workers through one shared event that their searches poll, so
``stop`` ends their work within PyVRP's next iteration.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

from fieldops.solver.dispatch.engines.lifetime import die_with_parent

T = TypeVar("T")

_stop_event: Any = None  # set in each worker by _init


def _init(event: Any, parent: int) -> None:
    global _stop_event
    die_with_parent(parent)  # no search outlives a killed solver process
    _stop_event = event


def worker_should_stop() -> bool:
    """In a worker: whether the pool was told to stop (always ``False`` elsewhere)."""
    return _stop_event is not None and bool(_stop_event.is_set())


def _ready() -> bool:
    return True


def stop_check(should_stop: Callable[[], bool] | None,
               pool: EnginePool | None) -> Callable[[], bool]:
    """``should_stop`` that also ends ``pool``'s searches once it turns true."""

    def stopped() -> bool:
        if should_stop is not None and should_stop():
            if pool is not None:
                pool.stop()
            return True
        return False

    return stopped


class EnginePool:
    """``size`` worker processes (spawned, so safe beside threads) and a stop event.

    ``warm_up`` (a module-level function) runs once in every worker as it starts:
    unpickling it imports its module there, which is what the warm-up is for (the
    solver passes :func:`.decompose.warm_up`, so PyVRP is imported in time).
    """

    def __init__(self, size: int, warm_up: Callable[[], object] = _ready) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self.size = size
        ctx = mp.get_context("spawn")
        self._stop = ctx.Event()
        self._executor = ProcessPoolExecutor(max_workers=size, mp_context=ctx,
                                             initializer=_init,
                                             initargs=(self._stop, os.getpid()))
        # One task per worker starts every process now, while the caller works.
        self._warm = [self._executor.submit(warm_up) for _ in range(size)]

    @staticmethod
    def available() -> bool:
        """Whether this process may start workers (a daemonic process may not)."""
        return not mp.current_process().daemon

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        return self._executor.submit(fn, *args)

    def stop(self) -> None:
        """Ask every running search to end now."""
        self._stop.set()

    def close(self) -> None:
        """Stop the searches and let the processes go without waiting for them."""
        self._stop.set()
        self._executor.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> EnginePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

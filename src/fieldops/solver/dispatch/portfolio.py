"""Use several cores: the same problem searched from different starts, best plan wins.

``SolveParams.workers = k`` runs the main search (fieldops construction, engine,
warm-started OR-Tools) in the calling process and ``k - 1`` more searches in worker
processes: on problems PyVRP can take, the same pipeline with other seeds; otherwise
each from another OR-Tools construction heuristic. (Field days with lunch breaks do
not come here: VROOM uses the cores with threads, see :func:`.solve_dispatch`.)
OR-Tools' routing search is single-threaded and holds the GIL, so processes, not
threads. Improvements found by
any search are reported through ``progress``; ``stop`` ends them all; the plan with
the lowest objective is returned (objectives are computed the same way for all).
"""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import pickle
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from fieldops.domain.plan import DispatchPlan
from fieldops.domain.problem import DispatchProblem
from fieldops.solver.dispatch.params import FirstSolution, Progress, SolveParams

# Starts for the extra processes, in the order they are handed out.
PORTFOLIO = (
    FirstSolution.PARALLEL_CHEAPEST_INSERTION,
    FirstSolution.LOCAL_CHEAPEST_INSERTION,
    FirstSolution.SAVINGS,
    FirstSolution.PATH_CHEAPEST_ARC,
)
# How long past the limit a helper's plan is still awaited (its extraction); a
# helper later than that is left behind (a 1 000-job helper once took 10 s more).
GRACE_SECONDS = 1.0
HANDBACK_SECONDS = 0.6  # pickling a plan back and shutting the pool down


def _child(problem_pickle: bytes, params: SolveParams, events: Any, stop: Any,
           deadline: float) -> DispatchPlan:
    from fieldops.solver.dispatch.solve import solve_single

    problem: DispatchProblem = pickle.loads(problem_pickle)

    # The process started late (spawn and imports): keep to the caller's deadline.
    remaining = max(0.5, deadline - time.time())
    params = dataclasses.replace(params, time_limit=min(params.time_limit, remaining))

    local_stop = threading.Event()

    def watch() -> None:
        while not local_stop.is_set():
            if stop.wait(0.2):
                local_stop.set()

    threading.Thread(target=watch, daemon=True).start()

    def report(p: Progress) -> None:
        events.put(dataclasses.astuple(p))

    try:
        return solve_single(problem, params, progress=report, stop=local_stop)
    finally:
        local_stop.set()


def solve_portfolio(
    problem: DispatchProblem,
    params: SolveParams,
    solve_main: Callable[..., DispatchPlan],
    progress: Callable[[Progress], None] | None,
    stop: threading.Event | None,
) -> DispatchPlan:
    if mp.current_process().daemon:
        # A daemonic process (a multiprocessing.Pool worker) may not start others:
        # search here alone rather than fail.
        return solve_main(problem, dataclasses.replace(params, workers=1),
                          progress=progress, stop=stop)
    entered = time.monotonic()
    ctx = mp.get_context("spawn")
    manager = ctx.Manager()
    events = manager.Queue()
    shared_stop = manager.Event()
    best = {"objective": float("inf")}
    lock = threading.Lock()

    def relay(p: Progress) -> None:
        with lock:
            if p.objective < best["objective"]:
                best["objective"] = p.objective
                if progress is not None:
                    progress(p)

    done = threading.Event()

    def pump() -> None:
        while not done.is_set():
            try:
                item = events.get(timeout=0.2)
            except (queue.Empty, EOFError, OSError):
                continue
            relay(Progress(*item))
            if stop is not None and stop.is_set():
                shared_stop.set()

    pump_thread = threading.Thread(target=pump, daemon=True)
    pump_thread.start()
    extra = params.workers - 1
    from fieldops.solver.dispatch.solve import hgs_candidate

    # A problem PyVRP takes: every process runs the full pipeline (construction,
    # PyVRP, OR-Tools) with its own seed, which beats OR-Tools' own starts by far.
    # Otherwise the helpers start from OR-Tools' construction heuristics.
    same_pipeline = (params.first_solution is FirstSolution.AUTOMATIC
                     and hgs_candidate(problem))
    child_params = [
        dataclasses.replace(
            params, workers=1, seed=params.seed + i + 1,
            first_solution=(FirstSolution.AUTOMATIC if same_pipeline
                            else PORTFOLIO[i % len(PORTFOLIO)]))
        for i in range(extra)
    ]
    started = time.monotonic()
    pool = ProcessPoolExecutor(max_workers=extra, mp_context=ctx)
    try:
        # The manager and the pool took time already; every search keeps to the
        # caller's limit, less a moment for the processes to hand back their plans.
        budget = max(0.1, params.time_limit - (time.monotonic() - entered) - HANDBACK_SECONDS)
        wall_deadline = time.time() + budget
        # Pickled here, before the main search starts: the pool would pickle the
        # problem in its own thread while the main search fills the problem's
        # cached properties, and a dict that changes size mid-pickle loses the
        # helper ("dictionary changed size during iteration", 1 000-job days).
        problem_pickle = pickle.dumps(problem, protocol=pickle.HIGHEST_PROTOCOL)
        futures = [pool.submit(_child, problem_pickle, cp, events, shared_stop,
                               wall_deadline)
                   for cp in child_params]

        def forward_stop() -> None:
            while not done.is_set():
                if stop is not None and stop.wait(0.2):
                    shared_stop.set()
                    return
                if stop is None:
                    done.wait(0.2)

        threading.Thread(target=forward_stop, daemon=True).start()
        main_params = dataclasses.replace(params, workers=1, time_limit=budget)
        plans = [solve_main(problem, main_params, progress=relay, stop=stop)]
        if stop is not None and stop.is_set():
            shared_stop.set()
        deadline = started + params.time_limit + GRACE_SECONDS
        errors: list[str] = []
        for future in futures:
            try:
                plans.append(future.result(timeout=max(0.1, deadline - time.monotonic())))
            except Exception as exc:  # a failed or late helper search only loses its plan
                shared_stop.set()
                cause = f" ({exc.__cause__})" if exc.__cause__ is not None else ""
                errors.append(f"{type(exc).__name__}: {exc!r}{cause}")
    finally:
        # A late helper has been told to stop; do not wait for it (the caller's
        # time limit comes first), it ends on its own.
        shared_stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
    done.set()
    pump_thread.join(1.0)
    manager.shutdown()
    winner = min(plans, key=lambda plan: plan.objective)
    solver = dict(winner.solver)
    solver["workers"] = params.workers
    solver["portfolio"] = [plan.solver.get("first_solution") for plan in plans]
    solver["portfolio_objectives"] = [plan.objective for plan in plans]
    if errors:
        solver["portfolio_errors"] = errors
    return dataclasses.replace(winner, solver=solver)

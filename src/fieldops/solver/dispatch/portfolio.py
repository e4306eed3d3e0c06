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
import os
import pickle
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from fieldops.domain.plan import DispatchPlan
from fieldops.domain.problem import DispatchProblem
from fieldops.solver.dispatch.choice import EngineChoice
from fieldops.solver.dispatch.deadline import Deadline
from fieldops.solver.dispatch.engines.lifetime import die_with_parent
from fieldops.solver.dispatch.params import FirstSolution, Progress, SolveParams
from fieldops.solver.dispatch.pipeline import solve_single

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
MIN_BUDGET_SECONDS = 0.1  # the least any search (or the wait for it) is given
MIN_HELPER_SECONDS = 0.5  # the least a helper that started late searches
STOP_POLL_SECONDS = 0.2


# The helper's channels to this process: its progress queue and the shared stop,
# handed over when the helper process starts (:func:`_helper_started`).
_channels: tuple[Any, Any] | None = None


def _helper_started(parent: int, events: Any, stop: Any) -> None:
    """A helper process's first step: die with ``parent``, keep the channels.

    A queue and an event of ``multiprocessing`` can only reach a process as it is
    started, hence here and not with each search. They replace a ``SyncManager``,
    whose server process the main search waited for: it imported the whole solver
    before answering (1.2-1.3 s at load 4, 10 s Solomon runs; 0.2 s without).
    """
    global _channels
    die_with_parent(parent)
    _channels = (events, stop)


def _child(problem_pickle: bytes, params: SolveParams, choice: EngineChoice,
           wall_deadline: float) -> DispatchPlan:
    assert _channels is not None, "a helper process starts with _helper_started"
    events, stop = _channels
    problem: DispatchProblem = pickle.loads(problem_pickle)

    # The process started late (spawn and imports): keep to the caller's deadline.
    deadline = Deadline.from_wall_clock(wall_deadline, params.time_limit,
                                        at_least=MIN_HELPER_SECONDS)
    local_stop = threading.Event()

    def watch() -> None:
        while not local_stop.is_set():
            if stop.wait(STOP_POLL_SECONDS):
                local_stop.set()

    threading.Thread(target=watch, daemon=True).start()

    def report(p: Progress) -> None:
        events.put(dataclasses.astuple(p))

    try:
        return solve_single(problem, params, progress=report, stop=local_stop,
                            deadline=deadline, choice=choice)
    finally:
        local_stop.set()


class _Relay:
    """Progress from every search, passed on when it beats the best so far; a stop
    passed on to the helpers (through the shared event)."""

    def __init__(self, progress: Callable[[Progress], None] | None,
                 stop: threading.Event | None, events: Any, shared_stop: Any) -> None:
        self.progress, self.stop = progress, stop
        self.events, self.shared_stop = events, shared_stop
        self.best = float("inf")
        self.lock = threading.Lock()
        self.done = threading.Event()

    def __call__(self, p: Progress) -> None:
        with self.lock:
            if p.objective < self.best:
                self.best = p.objective
                if self.progress is not None:
                    self.progress(p)

    def pump(self) -> None:
        """The helpers' progress, from their queue."""
        while not self.done.is_set():
            try:
                item = self.events.get(timeout=STOP_POLL_SECONDS)
            except (queue.Empty, EOFError, OSError):
                continue
            self(Progress(*item))
            if self.stop is not None and self.stop.is_set():
                self.shared_stop.set()

    def forward_stop(self) -> None:
        while not self.done.is_set():
            if self.stop is not None and self.stop.wait(STOP_POLL_SECONDS):
                self.shared_stop.set()
                return
            if self.stop is None:
                self.done.wait(STOP_POLL_SECONDS)


def _helper_params(params: SolveParams, same_pipeline: bool) -> list[SolveParams]:
    """One helper per extra worker: the same pipeline with the next seeds when PyVRP
    takes the day, which beats OR-Tools' own starts by far, its PyVRP started from
    PyVRP's own start rather than the construction's plan the main search starts
    from (see ``EngineParams.hgs_from_construction``); else OR-Tools' starts."""
    engines = (dataclasses.replace(params.engines, hgs_from_construction=False)
               if same_pipeline else params.engines)
    return [
        dataclasses.replace(
            params, workers=1, seed=params.seed + i + 1, engines=engines,
            first_solution=(FirstSolution.AUTOMATIC if same_pipeline
                            else PORTFOLIO[i % len(PORTFOLIO)]))
        for i in range(params.workers - 1)
    ]


def _collect(futures: list[Future[DispatchPlan]], until: Deadline, shared_stop: Any,
             ) -> tuple[list[DispatchPlan], list[str]]:
    """The helpers' plans that arrive ``until``, and what went wrong with the others."""
    plans: list[DispatchPlan] = []
    errors: list[str] = []
    for future in futures:
        try:
            plans.append(future.result(timeout=max(MIN_BUDGET_SECONDS, until.remaining())))
        except Exception as exc:  # a failed or late helper search only loses its plan
            shared_stop.set()
            cause = f" ({exc.__cause__})" if exc.__cause__ is not None else ""
            errors.append(f"{type(exc).__name__}: {exc!r}{cause}")
    return plans, errors


def _best(plans: list[DispatchPlan], workers: int, errors: list[str]) -> DispatchPlan:
    """The plan with the lowest objective, its record listing every search."""
    winner = min(plans, key=lambda plan: plan.objective)
    solver = dict(winner.solver)
    solver["workers"] = workers
    solver["portfolio"] = [plan.solver.get("first_solution") for plan in plans]
    solver["portfolio_objectives"] = [plan.objective for plan in plans]
    if errors:
        solver["portfolio_errors"] = errors
    return dataclasses.replace(winner, solver=solver)


def solve_portfolio(
    problem: DispatchProblem,
    params: SolveParams,
    solve_main: Callable[..., DispatchPlan],
    progress: Callable[[Progress], None] | None,
    stop: threading.Event | None,
    choice: EngineChoice | None = None,
) -> DispatchPlan:
    """The best of ``params.workers`` searches (module doc); ``solve_main`` is the
    one in this process (:func:`.pipeline.solve_single` or a stand-in)."""
    choice = choice or EngineChoice.of(problem)
    if mp.current_process().daemon:
        # A daemonic process (a multiprocessing.Pool worker) may not start others:
        # search here alone rather than fail.
        return solve_main(problem, dataclasses.replace(params, workers=1),
                          progress=progress, stop=stop, choice=choice)
    whole = Deadline.starting_now(params.time_limit)
    ctx = mp.get_context("spawn")
    shared_stop = ctx.Event()
    relay = _Relay(progress, stop, ctx.Queue(), shared_stop)
    pump_thread = threading.Thread(target=relay.pump, daemon=True)
    pump_thread.start()
    child_params = _helper_params(
        params, params.first_solution is FirstSolution.AUTOMATIC and choice.pyvrp)
    helpers_until = Deadline.starting_now(params.time_limit + GRACE_SECONDS)
    # The helpers die with this process (engines.lifetime).
    pool = ProcessPoolExecutor(max_workers=len(child_params), mp_context=ctx,
                               initializer=_helper_started,
                               initargs=(os.getpid(), relay.events, shared_stop))
    try:
        # Every search keeps to the caller's limit, less a moment for the
        # processes to hand back their plans.
        budget = max(MIN_BUDGET_SECONDS, whole.remaining() - HANDBACK_SECONDS)
        helpers = Deadline.starting_now(budget)
        # Pickled here, before the main search starts: the pool would pickle the
        # problem in its own thread while the main search fills the problem's
        # cached properties, and a dict that changes size mid-pickle loses the
        # helper ("dictionary changed size during iteration", 1 000-job days).
        problem_pickle = pickle.dumps(problem, protocol=pickle.HIGHEST_PROTOCOL)
        futures = [pool.submit(_child, problem_pickle, cp, choice, helpers.wall_clock())
                   for cp in child_params]
        threading.Thread(target=relay.forward_stop, daemon=True).start()
        # The main search's clock starts now, as its own search does.
        plans = [solve_main(problem, dataclasses.replace(params, workers=1),
                            progress=relay, stop=stop, deadline=Deadline.starting_now(budget),
                            choice=choice)]
        if stop is not None and stop.is_set():
            shared_stop.set()
        found, errors = _collect(futures, helpers_until, shared_stop)
        plans += found
    finally:
        # A late helper has been told to stop; do not wait for it (the caller's
        # time limit comes first), it ends on its own.
        shared_stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
    relay.done.set()
    pump_thread.join(1.0)
    relay.events.close()
    return _best(plans, params.workers, errors)

"""Ruin and recreate on two cores: the plan cut in two halves, one searched here and
one in a child process, merged after each epoch.

On a field day VROOM's child uses both cores (two threads) and answers well before
the limit (350 jobs: after 17–20 s of 60); ruin and recreate (:mod:`.improve`) then
ran on one core and the other stood idle. Here the used routes are split in two by
the angle of their centroid around the day's centre (:class:`Splitter`), each
left-out job going with the half of its nearest route that may take it; the
child process searches one half, this process the other, for an epoch of
``EPOCH_SECONDS``. A half's search may only take jobs out of its own routes and put
them into its own routes (its builder's allowed vehicles are cut to the half), so
the two results are disjoint: their union is a plan whose cost is the start's plus
both gains. The cut then turns (the golden angle), so every neighbourhood gets
worked across the line in a later epoch. Each epoch's annealing temperatures are
the stretch of the whole search's schedule that falls in it.

The child is started with the spawn method, dies with this process
(:mod:`.engines.lifetime`) and hears of a stop through a shared event. If it fails
or does not answer in time, its half of the epoch is lost (that half's routes stay
as they were), and this process searches the whole plan alone for the time left:
the plan is never lost.
"""

from __future__ import annotations

import contextlib
import copy
import math
import multiprocessing as mp
import os
import pickle
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from fieldops.solver.dispatch.construct import Constructor
from fieldops.solver.dispatch.context import ModelContext
from fieldops.solver.dispatch.engines.lifetime import die_with_parent
from fieldops.solver.dispatch.improve import RuinRecreate, RuinStats
from fieldops.solver.dispatch.params import RuinParams
from fieldops.solver.dispatch.state import SolveState

EPOCH_SECONDS = 5.0
# Below this many seconds of search the child is not asked (one search instead).
MIN_SPLIT_SECONDS = 2.0
# The child's answer (routes, pickled back) after its epoch ends; the last epoch
# ends this much before the search's deadline.
HANDBACK_SECONDS = 0.3
# How long past an epoch's end its answer is awaited (a crowded machine may not run
# the child at once); a later answer is dropped, that half's epoch lost.
LATE_SECONDS = 1.0
# Past this many modelled jobs no child is started: it gets a pickled copy of the
# model's matrices (45 MB at 1 000 jobs, growing with the square of the jobs).
MAX_JOBS = 1400
GOLDEN_ANGLE = math.pi * (3.0 - math.sqrt(5.0))
# How the two processes share the work: "halves" (above), "independent" (both
# search the whole plan with their own seeds for all the time, the better wins)
# or "share" (the same, in epochs, both going on from the better plan). The last
# two are the simpler alternatives, kept for measurement.
MODE = "halves"


@dataclass(frozen=True)
class Task:
    """One epoch of one half: the plan, what the search may change, until when."""

    routes: list[list[int]]
    half: frozenset[int] | None  # vehicles whose routes it may change; None: every one
    owned: frozenset[int]  # left-out jobs it may put in
    until: float  # wall clock (``time.time()``): processes do not share a monotonic clock
    params: RuinParams
    epoch: int = 0


@dataclass
class Answer:
    """A half's best routes (every vehicle's; only its own changed) and its run."""

    routes: list[list[int]]
    stats: RuinStats
    epoch: int = 0


class HalfSearch:
    """Ruin and recreate of one process, restricted to a half of the plan per task."""

    def __init__(self, builder: Constructor, seed: int, params: RuinParams) -> None:
        self.template = builder
        if getattr(builder, "_nearest", 0) is None and hasattr(builder, "_nearest_table"):
            builder._nearest_table()  # built once, shared by every epoch's builder
        self.search = RuinRecreate(builder, seed=seed, params=params)
        self.movable = list(self.search.movable)

    def run(self, task: Task, should_stop: Callable[[], bool] | None) -> Answer:
        search = self.search
        if task.half is None:
            search.builder = self.template
            search.movable = list(self.movable)
        else:
            where = _where(task.routes, len(self.movable))
            search.builder = self._restricted(task.half, task.owned, where)
            search.movable = [m and where[j] in task.half for j, m in enumerate(self.movable)]
        search.params = task.params
        until = time.monotonic() + (task.until - time.time())
        routes, stats = search.run(task.routes, until, should_stop)
        return Answer(routes, stats, task.epoch)

    def _restricted(self, half: frozenset[int], owned: frozenset[int],
                    where: list[int]) -> Constructor:
        """A builder whose jobs may only go to ``half``'s vehicles: the half's own
        jobs and the left-out jobs it owns; every other job nowhere."""
        ctx = copy.copy(self.template.ctx)
        ctx.allowed = [
            [v for v in allowed if v in half]
            if where[j] in half or (where[j] < 0 and j in owned) else []
            for j, allowed in enumerate(self.template.ctx.allowed)]
        builder = Constructor(ctx)
        # The nearest-node table depends on travel alone: share it rather than
        # rebuild it each epoch (0.1 s at 1 000 jobs), when the builder keeps one.
        table = getattr(self.template, "_nearest", None)
        if table is not None and hasattr(builder, "_nearest"):
            builder._nearest = table
        return builder


def _where(routes: list[list[int]], n: int) -> list[int]:
    where = [-1] * n
    for v, route in enumerate(routes):
        for j in route:
            where[j] = v
    return where


class Splitter:
    """Cuts a plan in two halves of about as many jobs by the angle of each route's
    centroid around the day's centre; ``turn`` rotates the cut."""

    def __init__(self, ctx: ModelContext) -> None:
        problem = ctx.problem
        self.jobs = np.array([(job.location.lat, job.location.lon) for job in ctx.jobs],
                             dtype=np.float64)
        starts = [problem.shift_start_location(shift) for shift in ctx.vehicles]
        self.starts = np.array([(loc.lat, loc.lon) for loc in starts], dtype=np.float64)
        self.centre = self.jobs.mean(axis=0) if len(self.jobs) else np.zeros(2)
        self.squash = math.cos(math.radians(float(self.centre[0])))
        self.allowed = ctx.allowed

    def halves(self, routes: list[list[int]], turn: int
               ) -> tuple[frozenset[int], frozenset[int], frozenset[int], frozenset[int]]:
        """Vehicles of half A and B, and the left-out jobs each owns."""
        centroids = np.array([self.jobs[r].mean(axis=0) if r else self.starts[v]
                              for v, r in enumerate(routes)])
        d = centroids - self.centre
        angle = np.arctan2(d[:, 0], d[:, 1] * self.squash)
        order = np.argsort(np.mod(angle - turn * GOLDEN_ANGLE, 2 * math.pi), kind="stable")
        total = sum(len(r) for r in routes)
        a: set[int] = set()
        count = 0
        for v in order.tolist():
            if count * 2 >= total and a:
                break
            a.add(v)
            count += len(routes[v])
        b = frozenset(range(len(routes))) - a
        routed = {j for r in routes for j in r}
        owned_a: set[int] = set()
        for j in range(len(self.jobs)):
            if j in routed or not self.allowed[j]:
                continue
            allowed = self.allowed[j]
            gaps = np.linalg.norm(centroids[allowed] - self.jobs[j], axis=1)
            if allowed[int(np.argmin(gaps))] in a:
                owned_a.add(j)
        left = frozenset(j for j in range(len(self.jobs)) if j not in routed)
        return frozenset(a), b, frozenset(owned_a), left - owned_a


def _child(conn: Connection, ctx_pickle: bytes, seed: int, params: RuinParams,
           stop: Any, parent: int) -> None:
    """The child process: one :class:`HalfSearch`, a task at a time, until told
    to end (``None``) or the parent's end of the pipe closes."""
    # Started from a thread that ends: the kernel's signal would follow that thread,
    # so the watcher alone (engines.lifetime); a closed pipe ends it too.
    die_with_parent(parent, kernel=False)
    ctx: ModelContext = pickle.loads(ctx_pickle)
    search = HalfSearch(Constructor(ctx), seed, params)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        conn.send(search.run(task, stop.is_set))


def portable(ctx: ModelContext) -> bytes:
    """``ctx`` pickled without its OR-Tools objects (the child needs none)."""
    light = copy.copy(ctx)
    vars(light).update(manager=None, routing=None, time_dimension=None, break_intervals={})
    return pickle.dumps(light, protocol=pickle.HIGHEST_PROTOCOL)


class Helper:
    """The child process that searches a half (parent's side)."""

    def __init__(self, ctx: ModelContext, seed: int, params: RuinParams) -> None:
        spawn = mp.get_context("spawn")
        self.conn, child_end = spawn.Pipe()
        self.stop = spawn.Event()
        self.failed = False
        self.process = spawn.Process(
            target=_child, name="fieldops-ruin", daemon=True,
            args=(child_end, portable(ctx), seed, params, self.stop, os.getpid()))
        # Starting blocks until the new interpreter has read the model (1.2 s at 350
        # jobs on a loaded machine, measured): a thread does it, beside the
        # construction.
        self.starter = threading.Thread(target=self._start, args=(child_end,),
                                        name="fieldops-ruin-start", daemon=True)
        self.starter.start()

    def _start(self, child_end: Connection) -> None:
        try:
            self.process.start()
        except Exception:  # no child: the search runs on one core as before
            self.failed = True
        finally:
            child_end.close()

    @classmethod
    def start(cls, state: SolveState) -> Helper | None:
        """A helper when the solve may use two cores for ruin and recreate after
        VROOM (``engine_threads`` ≥ 2 on ≥ 2 cores, a day VROOM takes), else ``None``."""
        model = state.model
        if (state.choice.pyvrp or state.engine_threads < 2 or (os.cpu_count() or 1) < 2
                or mp.current_process().daemon or model.ctx is None
                or not 0 < model.n_jobs <= MAX_JOBS or state.stopped()):
            return None
        try:
            return cls(model.context, state.params.seed + 1, state.params.ruin)
        except Exception:  # no child: the search runs on one core as before
            return None

    def ask(self, task: Task) -> bool:
        self.starter.join()
        if self.failed or not self.process.is_alive():
            self.failed = True
            return False
        try:
            self.conn.send(task)
        except (OSError, ValueError):
            self.failed = True
        return not self.failed

    def answer(self, epoch: int, wait_until: float) -> Answer | None:
        """The child's answer to task ``epoch``, waited for until ``wait_until``
        (monotonic); ``None`` when late (a late answer is dropped when it comes: the
        child goes on with the next task) or when the child is gone (``failed``)."""
        try:
            while self.conn.poll(max(0.0, wait_until - time.monotonic())):
                got = self.conn.recv()
                if isinstance(got, Answer) and got.epoch == epoch:
                    return got
        except (EOFError, OSError):
            self.failed = True
        if not self.process.is_alive():
            self.failed = True
        return None

    def close(self) -> None:
        self.starter.join()
        self.stop.set()
        if self.failed and self.process.pid is None:
            self.conn.close()
            return
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)
        self.conn.close()
        self.process.join(0.2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(0.2)


@dataclass
class _Run:
    """The epochs so far: the merged plan, its cost, the summed statistics."""

    routes: list[list[int]]
    cost: int
    stats: RuinStats = field(default_factory=RuinStats)
    started: float = field(default_factory=time.monotonic)

    def add(self, stats: RuinStats) -> None:
        self.stats.iterations += stats.iterations
        self.stats.accepted += stats.accepted
        self.stats.improved += stats.improved


def two_cores(state: SolveState, builder: Constructor, routes: list[list[int]], cost: int,
              deadline: float, helper: Helper) -> tuple[list[list[int]], RuinStats]:
    """``routes`` (of integer ``cost``) improved until ``deadline`` (monotonic) by
    ruin and recreate here and in ``helper``'s child (module doc); the best routes
    and the search's statistics, as :meth:`.RuinRecreate.run` gives them."""
    here = HalfSearch(builder, state.params.seed, state.params.ruin)
    run = _Run([list(r) for r in routes], cost, RuinStats(start_cost=cost, best_cost=cost))
    splitter = Splitter(builder.ctx)
    turn = 0
    start = time.monotonic()
    while not state.stopped() and not helper.failed:
        now = time.monotonic()
        end = deadline - HANDBACK_SECONDS
        if end - now < MIN_SPLIT_SECONDS:
            break
        whole = MODE == "independent" or end - now < 1.5 * EPOCH_SECONDS
        until = end if whole else now + EPOCH_SECONDS
        slot = _Slot(turn, until, min(until + LATE_SECONDS, deadline),
                     _epoch_params(state.params.ruin, start, deadline, now, until))
        if MODE != "halves":
            _independent(state, here, helper, run, slot)
        else:
            _epoch(state, here, helper, run, splitter.halves(run.routes, turn), slot)
        turn += 1
    state.report.mark("ruin_two_cores", start)
    if not state.stopped() and deadline - time.monotonic() >= MIN_SPLIT_SECONDS / 4:
        # The child failed (or there was too little time to split): alone, as before.
        alone = time.monotonic()
        task = Task(run.routes, None, frozenset(), _wall(deadline),
                    _epoch_params(state.params.ruin, start, deadline, alone, deadline))
        _take(run, here.run(task, state.should_stop))
        state.report.mark("ruin_alone", alone)
    run.stats.best_cost = run.cost
    run.stats.seconds = time.monotonic() - run.started
    return run.routes, run.stats


@dataclass(frozen=True)
class _Slot:
    """One epoch's number, end, how long its answer is awaited (both monotonic)
    and its temperatures."""

    epoch: int
    until: float
    wait: float
    params: RuinParams


def _epoch(state: SolveState, here: HalfSearch, helper: Helper, run: _Run,
           halves: tuple[frozenset[int], frozenset[int], frozenset[int], frozenset[int]],
           slot: _Slot) -> None:
    """One epoch: half A in the child, half B here; the union kept."""
    a, b, owned_a, owned_b = halves
    start = run.routes
    until = _wall(slot.until)
    if not helper.ask(Task(start, a, owned_a, until, slot.params, slot.epoch)):
        return  # the child is gone: the whole plan is searched here (two_cores)
    mine = here.run(Task(start, b, owned_b, until, slot.params, slot.epoch), state.should_stop)
    if state.stopped():
        helper.stop.set()
    theirs = helper.answer(slot.epoch, slot.wait)
    gains = [mine] if theirs is None else [mine, theirs]
    merged = [list((theirs.routes if theirs is not None and v in a else mine.routes)[v])
              for v in range(len(start))]
    jobs = [j for r in merged for j in r]
    if len(jobs) != len(set(jobs)):  # never expected: the halves were disjoint
        merged, gains = mine.routes, [mine]
    gain = sum(g.stats.best_cost - g.stats.start_cost for g in gains)
    for g in gains:
        run.add(g.stats)
    if gain < 0:
        run.routes, run.cost = merged, run.cost + gain
        run.stats.history.append((round(time.monotonic() - run.started, 3), run.cost))
        state.tell(run.cost, sum(len(r) for r in merged))


def _independent(state: SolveState, here: HalfSearch, helper: Helper, run: _Run,
                 slot: _Slot) -> None:
    """Both searches over the whole plan with their own seeds; the better kept."""
    task = Task(run.routes, None, frozenset(), _wall(slot.until), slot.params, slot.epoch)
    asked = helper.ask(task)
    mine = here.run(task, state.should_stop)
    if state.stopped():
        helper.stop.set()
    theirs = helper.answer(slot.epoch, slot.wait) if asked else None
    for answer in (mine, theirs):
        if answer is not None:
            run.add(answer.stats)
    best = min((a for a in (mine, theirs) if a is not None and a.stats.iterations),
               key=lambda a: a.stats.best_cost, default=None)
    if best is not None and best.stats.best_cost < run.cost:
        run.routes, run.cost = best.routes, best.stats.best_cost
        state.tell(run.cost, sum(len(r) for r in run.routes))


def _take(run: _Run, answer: Answer) -> None:
    run.add(answer.stats)
    gain = answer.stats.best_cost - answer.stats.start_cost
    if gain < 0:
        run.routes, run.cost = answer.routes, run.cost + gain


def _epoch_params(params: RuinParams, start: float, end: float, now: float,
                  until: float) -> RuinParams:
    """``params`` with the temperatures the whole search's schedule (from ``start``
    to ``end``) has at ``now`` and ``until``."""
    hot, cold = params.start_temperature, params.end_temperature
    if hot <= 0 or cold <= 0:
        return params
    span = max(1e-6, end - start)

    def at(t: float) -> float:
        return float(hot * (cold / hot) ** min(1.0, max(0.0, (t - start) / span)))

    return replace(params, start_temperature=at(now), end_temperature=at(until))


def _wall(monotonic: float) -> float:
    return time.time() + (monotonic - time.monotonic())

"""Ruin and recreate on the construction's exact schedules.

An engine's plan (VROOM, PyVRP) or the construction is a local optimum of that
engine's own model; OR-Tools, the other improver, often gives up on large days
with lunch breaks (``ROUTING_FAIL`` after a restored assignment) and is not run at
all past ``EngineParams.warm_start_max_jobs``. This search works directly on the full
objective with :class:`~.construct.Constructor`'s exact schedule (windows, lunch
break, shift end and overtime, capacity, allowed technicians, SLA lateness,
preferences), so every plan it keeps is one the solver can return as is.

Each iteration takes out a few strings of consecutive jobs from routes that lie
near a random seed job (slack induction by string removals, Christiaens & Vanden
Berghe, Transportation Science 2020), puts them back one at a time where the
objective grows least (left-out jobs near the seed get a chance too), and keeps
the result under a simulated-annealing rule whose temperature falls from a
fraction of an average leg to almost nothing by the deadline. Leaving a job out
costs its drop penalty, which dwarfs any travel, so a plan with fewer jobs at a
priority level is never accepted over one with more.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from fieldops.solver.dispatch.constraints.priority import drop_penalty
from fieldops.solver.dispatch.construct import Constructor
from fieldops.solver.dispatch.params import RuinParams
from fieldops.solver.dispatch.schedule import Schedule

REPORT_EVERY = 0.5  # seconds between progress reports of new best plans

__all__ = ["REPORT_EVERY", "RuinParams", "RuinRecreate", "RuinStats"]


@dataclass
class RuinStats:
    """What one run did, for ``plan.solver``."""

    iterations: int = 0
    accepted: int = 0
    improved: int = 0
    start_cost: int = 0
    best_cost: int = 0
    seconds: float = 0.0
    history: list[tuple[float, int]] = field(default_factory=list)


class RuinRecreate:
    """Improves routes (job nodes per vehicle) of ``builder``'s model in place."""

    def __init__(self, builder: Constructor, *, seed: int = 0,
                 params: RuinParams | None = None) -> None:
        self.builder = builder
        self.params = params or RuinParams()
        self.rng = random.Random(seed)
        ctx = builder.ctx
        n = ctx.n_jobs
        self.n = n
        self.drop = [drop_penalty(ctx, job) for job in ctx.jobs]
        self.movable = [job.pinned_start is None and job.pinned_technician is None
                        for job in ctx.jobs]
        self.rank = [job.priority.rank for job in ctx.jobs]
        travel = np.asarray(builder.travel[:n, :n], dtype=np.int64)
        closeness = travel + travel.T
        k = min(self.params.neighbours, n - 1)
        if k <= 0:
            self.near = np.zeros((n, 0), dtype=np.int64)
        else:
            part = np.argpartition(closeness, k, axis=1)[:, : k + 1]
            order = np.take_along_axis(closeness, part, axis=1).argsort(axis=1, kind="stable")
            self.near = np.take_along_axis(part, order, axis=1)
        self.width = [min(b - a for a, b in builder.windows[j]) for j in range(n)]
        self.focus = -1  # the left-out job the current iteration ruins around

    # ------------------------------------------------------------------ search
    def run(self, routes: list[list[int]], deadline: float,
            should_stop: Callable[[], bool] | None = None,
            on_improve: Callable[[int, int], None] | None = None,
            ) -> tuple[list[list[int]], RuinStats]:
        """The best routes found before ``deadline`` (``time.monotonic()``).

        ``on_improve(cost, jobs routed)`` hears of new best plans, at most one every
        ``REPORT_EVERY`` seconds.
        """
        b = self.builder
        started = time.monotonic()
        routes = [list(r) for r in routes]
        schedules: list[Schedule] = []
        for v, r in enumerate(routes):
            sched = b.schedule(v, r, thorough=True)
            if sched is None:  # not ours to repair: hand the routes back untouched
                return routes, RuinStats()
            schedules.append(sched)
        loads = [sum(b.load[j] for j in r) for r in routes]
        where = [-1] * self.n
        for v, r in enumerate(routes):
            for j in r:
                where[j] = v
        cost = sum(s.cost for s in schedules) + sum(
            self.drop[j] for j in range(self.n) if where[j] < 0)
        stats = RuinStats(start_cost=cost, best_cost=cost)
        best = [list(r) for r in routes]
        dirty: set[int] = set()  # routes changed since ``best`` was taken
        legs = sum(len(r) + 1 for r in routes if r)
        leg_cost = max(1.0, sum(s.cost for s in schedules) / max(1, legs))
        t0 = self.params.start_temperature * leg_cost
        t1 = self.params.end_temperature * leg_cost
        span = max(1e-6, deadline - started)
        reported = started
        rng = self.rng
        while True:
            now = time.monotonic()
            if now >= deadline or (should_stop is not None and should_stop()):
                break
            temperature = t0 * (t1 / t0) ** min(1.0, (now - started) / span)
            saved: dict[int, tuple[list[int], Schedule, int]] = {}
            removed = self._ruin(routes, schedules, loads, where, saved)
            if removed is None:
                self._restore(routes, schedules, loads, where, saved)
                if not any(routes):
                    break  # nothing routed, nothing to take apart
                continue
            delta = self._recreate(removed, routes, schedules, loads, where, saved)
            stats.iterations += 1
            threshold = -temperature * math.log(max(1e-12, rng.random()))
            if delta < threshold:
                cost += delta
                stats.accepted += 1
                dirty.update(saved)
                if cost < stats.best_cost:
                    stats.best_cost = cost
                    stats.improved += 1
                    stats.history.append((round(time.monotonic() - started, 3), cost))
                    for v in dirty:
                        best[v] = list(routes[v])
                    dirty.clear()
                    if on_improve is not None and now - reported >= REPORT_EVERY:
                        reported = now
                        on_improve(cost, sum(1 for w in where if w >= 0))
            else:
                self._restore(routes, schedules, loads, where, saved)
        stats.seconds = time.monotonic() - started
        return best, stats

    # ------------------------------------------------------------------ moves
    def _ruin(self, routes: list[list[int]], schedules: list[Schedule], loads: list[int],
              where: list[int], saved: dict[int, tuple[list[int], Schedule, int]]
              ) -> list[int] | None:
        """Take strings out of routes near a random seed; the jobs taken out."""
        b, rng, p = self.builder, self.rng, self.params
        used = [v for v, r in enumerate(routes) if r]
        if not used:
            return None
        self.focus = -1
        if rng.random() < p.left_out_seed:
            left = [j for j, w in enumerate(where) if w < 0]
            if left:
                # Make room around a job that is out: strings near it come out, and
                # it goes back in first.
                if rng.random() < p.top_priority_focus:
                    top = min(self.rank[j] for j in left)
                    left = [j for j in left if self.rank[j] == top]
                self.focus = rng.choice(left)
        seed = self.focus if self.focus >= 0 else rng.choice(routes[rng.choice(used)])
        lengths = [len(routes[v]) for v in used]
        string_max = min(p.max_string, max(1, round(sum(lengths) / len(lengths))))
        ruins_max = 4 * p.mean_removed / (1 + string_max) - 1
        ruins = max(1, int(rng.uniform(1, ruins_max + 1)))
        removed: list[int] = []
        out: set[int] = set()
        near = self.near[seed].tolist()
        if self.focus >= 0:
            removed.append(seed)
            out.add(seed)
            chosen = near
            if not self._near_routes_may_take(seed, near, where, ruins):
                chosen = self._stops_for(seed, routes, where) or near
        else:
            chosen = [seed, *near]
        for c in chosen:
            if len(saved) >= ruins:
                break
            if c in out:
                continue
            v = where[c]
            if v < 0:
                removed.append(c)  # left out: another chance near the seed
                out.add(c)
                continue
            if v in saved:
                continue
            route = routes[v]
            length = int(rng.uniform(1, min(string_max, len(route)) + 1))
            at = route.index(c)
            first = rng.randint(max(0, at - length + 1), min(at, len(route) - length))
            taken = [j for j in route[first:first + length] if self.movable[j]]
            if not taken:
                continue
            rest = [j for j in route if j not in taken]
            # Timed from ``first`` on: the jobs before the string keep their times.
            sched = b.resume(v, rest, first, route, schedules[v], thorough=True)
            if sched is None:
                continue
            saved[v] = (route, schedules[v], loads[v])
            routes[v] = rest
            schedules[v] = sched
            loads[v] -= sum(b.load[j] for j in taken)
            for j in taken:
                where[j] = -1
            removed.extend(taken)
            out.update(taken)
        if not saved:
            return None
        return removed

    def _near_routes_may_take(self, j: int, near: list[int], where: list[int],
                              ruins: int) -> bool:
        """Whether any of the first ``ruins`` routes met among ``j``'s neighbours
        (the routes a ruin around ``j`` takes strings from) may take ``j``."""
        allowed = self.builder._allowed(j)
        met: set[int] = set()
        for c in near:
            v = where[c]
            if v < 0 or v in met:
                continue
            if v in allowed:
                return True
            met.add(v)
            if len(met) >= ruins:
                break
        return False

    def _stops_for(self, j: int, routes: list[list[int]], where: list[int]) -> list[int]:
        """Stops to ruin around for left-out job ``j``: on routes that may take it.

        Used when none of the routes its nearest neighbours ride on may take it
        (a rare skill held by a few technicians across the area): ruining those
        routes never makes room for it. Instead, each route it could join (the
        same candidates insertion tries, in random order) gives up the stop
        nearest to it, so the string around that stop can move to routes
        without the skill and leave room.
        """
        b, rng = self.builder, self.rng
        options = [v for v in b._candidates(j, routes, where) if routes[v]]
        rng.shuffle(options)
        stops: list[int] = []
        for v in options:
            route = routes[v]
            # travel is int64; both directions, as in the neighbour lists
            near = b.travel[route, j] + b.travel[j, route]
            stops.append(route[int(np.argmin(near))])
        return stops

    def _recreate(self, removed: list[int], routes: list[list[int]],
                  schedules: list[Schedule], loads: list[int], where: list[int],
                  saved: dict[int, tuple[list[int], Schedule, int]]) -> int:
        """Insert ``removed`` back; the objective's change against before the ruin."""
        b, rng, blink = self.builder, self.rng, self.params.blink
        was_out = sum(self.drop[j] for j in removed if not self._was_routed(j, saved))
        how = rng.random()
        if how < 0.5:
            rng.shuffle(removed)
        elif how < 0.8:
            removed.sort(key=lambda j: self.width[j])
        else:
            removed.sort(key=lambda j: -self.builder.service[j])
        # Stable: the left-out job the ruin made room for goes first, even before
        # jobs of higher priority (which would otherwise take their old places back
        # and leave it out again); the acceptance rule still never trades a job for
        # one of lower priority. Then by priority.
        removed.sort(key=lambda j: (j != self.focus, self.rank[j]))
        dropped = 0
        for j in removed:
            best = b.best_insertion(j, routes, schedules, loads, blink=blink, rng=rng,
                                    where=where)
            if best is None or best[0] >= self.drop[j]:
                dropped += self.drop[j]
                continue
            _, v, pos, trial = best
            if v not in saved:
                saved[v] = (routes[v], schedules[v], loads[v])
                routes[v] = list(routes[v])
            routes[v].insert(pos, j)
            schedules[v] = trial
            loads[v] += b.load[j]
            where[j] = v
        # ``saved`` holds every route touched, with its schedule from before the ruin.
        before = sum(old.cost for _, old, _ in saved.values()) + was_out
        after = sum(schedules[v].cost for v in saved) + dropped
        return after - before

    @staticmethod
    def _was_routed(j: int, saved: dict[int, tuple[list[int], Schedule, int]]) -> bool:
        return any(j in route for route, _, _ in saved.values())

    def _restore(self, routes: list[list[int]], schedules: list[Schedule], loads: list[int],
                 where: list[int], saved: dict[int, tuple[list[int], Schedule, int]]) -> None:
        for v in saved:
            for j in routes[v]:
                where[j] = -1
        for v, (route, sched, load) in saved.items():
            routes[v], schedules[v], loads[v] = route, sched, load
            for j in route:
                where[j] = v

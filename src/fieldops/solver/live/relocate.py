"""Relocation: make room for a new job by moving planned jobs to other routes.

When a new job fits a route only at a high price (overtime on a full day) or not
at all, moving a job of that route to another technician's route often frees the
room for less. :func:`best_relocation` searches those moves, bounded so that an
offer stays cheap:

* **Where the new job goes**: the ``routes`` nearest candidate routes (the order
  given), each without one of its movable jobs (not pinned to a start or a
  technician: frozen and under-way work stays), the new job at its cheapest
  position there; the ``pairs`` cheapest (route, job) pairs go on.
* **Where the moved job goes**: its cheapest position on every target route that
  may take it (the new job's candidates, topped up with the nearest routes that
  may not take the new job: a technician without its skills can still take over a
  plain job).
* **A few more moves**: the ``refine`` cheapest of those go on moving one more job
  off a changed route (not onto the new job's route) while that saves, up to
  ``moves`` jobs in all: the first move's pushes often cost more than moving one
  of the pushed jobs.

Every route is timed exactly by the one route evaluator, under every hard rule it
knows (windows, shifts, lunch, capacity), every job no earlier than it starts now
(the insertion's hold): already-booked appointment windows are windows like any
other, so they stay honoured. A move is priced as the disruption family prices
it: ``reassigned`` for serving a job on another technician (by the evaluator when
the job has a baseline, else in ``extra``) and the re-timing beyond the tolerance.

Both the slot offer (:mod:`fieldops.solver.slots.offer`) and the booking
(:func:`fieldops.solver.live.insert_job` with ``relocate``) call this one function
on the same routes in the same order, so a booking lands where the offer said.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fieldops.solver.dispatch.context import COST_SCALE
from fieldops.solver.dispatch.schedule import RouteEvaluator, Schedule


@dataclass(frozen=True, slots=True)
class RelocateLimits:
    """``routes``: nearest candidate routes the new job may take a job off;
    ``pairs``: (route, job) pairs whose moved job is re-placed, cheapest first;
    ``moves``: jobs moved at most (each after the first only when it saves);
    ``refine``: the cheapest first moves that may go on moving."""

    routes: int = 3
    pairs: int = 6
    moves: int = 2
    refine: int = 3


#: The slot offers' bounds (measured by ``python -m benchmarks.slots``).
DEFAULT_RELOCATE = RelocateLimits()


@dataclass
class Relocation:
    """The new job on ``v`` (``route``, at ``position``) and ``jobs`` moved off it, to
    the routes of ``others`` (vehicle -> its new route and schedule)."""

    v: int
    route: list[int]
    schedule: Schedule
    position: int
    jobs: list[int]
    others: dict[int, tuple[list[int], Schedule]]
    cost: int  # the evaluator's delta of every changed route (integer units)
    extra: int  # the reassignments priced outside the evaluator (jobs without baseline)

    @property
    def total(self) -> int:
        return self.cost + self.extra


def reassign_price(ev: RouteEvaluator) -> int:
    """The integer price of serving a job on another technician (``reassigned``)."""
    return round(ev.ctx.problem.weights.reassigned * COST_SCALE)


def movable(ev: RouteEvaluator, j: int) -> bool:
    """Whether job ``j`` may leave its route: not pinned to a start (frozen,
    under way) nor to a technician."""
    job = ev.ctx.jobs[j]
    return job.pinned_start is None and job.pinned_technician is None


def may_fit(ev: RouteEvaluator, v: int, route: list[int], starts: list[int], job: int,
            p: int) -> bool:
    """A necessary condition for ``job`` at position ``p`` of ``route`` (timed
    ``starts``), in O(1): every routed job starts no earlier than it does now, so
    ``job`` is reached no sooner than from the previous job's current end, and
    the next job (or the return) no sooner than after ``job``'s earliest start."""
    veh = ev.vehicles[v]
    if p == 0:
        ready, here = veh.start, veh.start_node
    else:
        here = route[p - 1]
        ready = starts[p - 1] + ev.service[here]
    windows = ev.windows[job]
    arrival = ready + int(ev.travel[here, job])
    if not windows or arrival > windows[-1][1]:
        return False
    start = max(arrival, min(a for a, b in windows if b >= arrival))
    done = start + ev.service[job]
    if p == len(route):
        return done + int(ev.travel[job, veh.end_node]) <= veh.latest_end
    nxt = route[p]
    return done + int(ev.travel[job, nxt]) <= ev.windows[nxt][-1][1]


def without_lunch(ev: RouteEvaluator) -> RouteEvaluator:
    """``ev`` with no lunch break (sharing its windows): a route that fails so fails
    with lunch too (no break only makes every start earlier), and timing it spares
    the exact break-anywhere timing of most positions that cannot work."""
    free = copy.copy(ev)
    free.vehicles = [dataclasses.replace(veh, lunch=None) for veh in ev.vehicles]
    return free


def cheapest(ev: RouteEvaluator, v: int, route: list[int], base: Schedule, job: int,
             quick: RouteEvaluator | None = None) -> tuple[int, list[int], Schedule, int] | None:
    """(cost delta, route, schedule, position) of ``job``'s cheapest position on
    ``route`` (timed ``base``), the first on a tie; ``None`` when none fits.
    ``quick``: :func:`without_lunch` of ``ev``, to rule positions out first."""
    if not ev.fits_load(v, [*route, job]):
        return None
    best: tuple[int, list[int], Schedule, int] | None = None
    for p in range(len(route) + 1):
        if not may_fit(ev, v, route, base.starts, job, p):
            continue
        trial = [*route[:p], job, *route[p:]]
        if quick is not None and quick.schedule(v, trial) is None:
            continue
        # Lazy and eager breaks only (not the break-anywhere timing): most of the
        # work here is positions that fail, and offer and booking time alike.
        sched = ev.schedule(v, trial)
        if sched is not None and (best is None or sched.cost - base.cost < best[0]):
            best = (sched.cost - base.cost, trial, sched, p)
    return best


def _leave_bound(ev: RouteEvaluator, j: int, v: int, price: int) -> int:
    """What moving job ``j`` off vehicle ``v`` costs at least (its reassignment)."""
    if ev.ctx.jobs[j].baseline_technician is None:
        return price
    term = ev.disruption[j]
    return term.reassign_cost if term is not None and v in term.vehicles else 0


def best_relocation(ev: RouteEvaluator, routes: Sequence[list[int]],
                    base: Sequence[Schedule | None], new: int, vehicles: Sequence[int],
                    targets: Sequence[int], may_host: Callable[[int, int], bool],
                    below: float, limits: RelocateLimits,
                    quick: RouteEvaluator | None = None) -> Relocation | None:
    """The cheapest relocation (by :attr:`Relocation.total`) that costs less than
    ``below``, or ``None``. ``vehicles``: the candidate routes of the new job,
    nearest first; ``targets``: where a moved job may go (any other of them that
    ``may_host(job, vehicle)``), in a fixed order; ``quick``: :func:`without_lunch`
    of ``ev`` when the caller keeps one."""
    price = reassign_price(ev)
    quick = quick or without_lunch(ev)
    pairs: list[tuple[int, int, int, list[int], Schedule, int]] = []
    for order, v in enumerate(vehicles[:limits.routes]):
        sched_v = base[v]
        if sched_v is None:
            continue
        for k, j in enumerate(routes[v]):
            if not movable(ev, j):
                continue
            rest = routes[v][:k] + routes[v][k + 1:]
            # Without j every other job may start as it does now (none earlier).
            held = sched_v.starts[:k] + sched_v.starts[k + 1:]
            rest_base = Schedule(held, None, sched_v.end, sched_v.cost)
            found = cheapest(ev, v, rest, rest_base, new, quick)
            if found is not None:
                pairs.append((found[0], order, k, found[1], found[2], found[3]))
    pairs.sort(key=lambda x: (x[0], x[1], x[2]))
    singles: list[Relocation] = []
    for cost_a, order, k, route, sched, p in pairs[:limits.pairs]:
        v = vehicles[order]
        j = routes[v][k]
        extra = price if ev.ctx.jobs[j].baseline_technician is None else 0
        single: Relocation | None = None
        for w in targets:
            sched_w = base[w]
            if w == v or sched_w is None or not may_host(j, w):
                continue
            found = cheapest(ev, w, routes[w], sched_w, j, quick)
            if found is not None and (single is None or cost_a + found[0] < single.cost):
                single = Relocation(v, route, sched, p, [j], {w: (found[1], found[2])},
                                    cost_a + found[0], extra)
        if single is not None:
            singles.append(single)
    singles.sort(key=lambda r: r.total)  # stable: ties keep the pairs' order
    # The cheapest few go on moving a job at a time while that saves: the first
    # move's pushes often cost more than moving one of the pushed jobs.
    for single in singles[:limits.refine]:
        for _ in range(limits.moves - 1):
            if not _move_one_more(ev, quick, routes, base, new, targets, may_host, single):
                break
    best = min(singles, key=lambda r: r.total, default=None)
    return best if best is not None and best.total < below else None


def _move_one_more(ev: RouteEvaluator, quick: RouteEvaluator, routes: Sequence[list[int]],
                   base: Sequence[Schedule | None], new: int, targets: Sequence[int],
                   may_host: Callable[[int, int], bool], found: Relocation) -> bool:
    """Move the one more job off a route ``found`` changed that saves the most (the
    jobs a relocation pushes often cost more than moving one of them), never onto
    the new job's route (the offer times its latest arrival on it); ``False`` when
    none saves."""
    price = reassign_price(ev)
    changed = {found.v: (found.route, found.schedule), **found.others}
    best: tuple[int, int, int, list[int], Schedule, int, list[int], Schedule, int] | None = None
    for u, (route_u, sched_u) in changed.items():
        for k, job in enumerate(route_u):
            if job == new or job in found.jobs or not movable(ev, job):
                continue
            rest = route_u[:k] + route_u[k + 1:]
            sched = ev.schedule(u, rest)
            if sched is None:
                continue
            saved = sched.cost - sched_u.cost
            if saved + _leave_bound(ev, job, u, price) >= (best[0] if best else 0):
                continue
            extra = price if ev.ctx.jobs[job].baseline_technician is None else 0
            for w in targets:
                now = changed.get(w) or (routes[w], base[w])
                if w in (u, found.v) or now[1] is None or not may_host(job, w):
                    continue
                placed = cheapest(ev, w, now[0], now[1], job, quick)
                if placed is not None and saved + placed[0] + extra < (best[0] if best else 0):
                    best = (saved + placed[0] + extra, job, u, rest, sched, w, placed[1],
                            placed[2], saved + placed[0])
    if best is None:
        return False
    total, job, u, rest, sched, w, other, other_sched, cost = best
    for vehicle, route, timed in ((u, rest, sched), (w, other, other_sched)):
        if vehicle == found.v:
            found.route, found.schedule = route, timed
            found.position = route.index(new)
        else:
            found.others[vehicle] = (route, timed)
    found.jobs.append(job)
    found.cost += cost
    found.extra += total - cost
    return True

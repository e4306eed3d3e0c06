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
* **Or back on its own route**: the moved job may also go back on the new job's
  route at another position (a re-sequencing, no reassignment).
* **A few more moves**: the ``refine`` cheapest of those go on moving one more job
  off a changed route (not onto the new job's route) while that saves, up to
  ``moves`` jobs in all: the first move's pushes often cost more than moving one
  of the pushed jobs.
* **An ejection chain**: when the best so far (the new job's own place, or the
  relocation above) costs more than a chain could (the new job's place without a
  job A plus two reassignments), A goes to a target route *without* one of its
  jobs B, and B to a third route (neither the new job's nor A's): room on a full
  target. Bounded: only the ``chains`` cheapest (route, A) pairs, and per pair the
  ``ejections`` cheapest places of A (target, B) go on to place B.

Every route is timed exactly by the one route evaluator, under every hard rule it
knows (windows, shifts, lunch, capacity), every job no earlier than it starts now
(the insertion's hold) — or, on a future day (``earlier``: no work of the day has
started), as early as its own windows allow, so a job taken off a route lets the
later ones move up into the room it leaves: already-booked appointment windows are
windows like any other, so they stay honoured either way. A move is priced as the
disruption family prices it: ``reassigned`` for serving a job on another
technician (by the evaluator when the job has a baseline, else in ``extra``) and
the re-timing beyond the tolerance (earlier or later).

Both the slot offer (:mod:`fieldops.solver.slots.offer`) and the booking
(:func:`fieldops.solver.live.insert_job` with ``relocate``) call this one function
on the same routes in the same order, so a booking lands where the offer said. The
offer keeps the planned jobs' placements (:data:`Placements`) across its slots:
only the new job's window changes from slot to slot, so the answer is the same.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fieldops.solver.dispatch.context import COST_SCALE
from fieldops.solver.dispatch.schedule import RouteEvaluator, Schedule, Window


@dataclass(frozen=True, slots=True)
class RelocateLimits:
    """``routes``: nearest candidate routes the new job may take a job off;
    ``pairs``: (route, job) pairs whose moved job is re-placed, cheapest first;
    ``moves``: jobs moved at most (each after the first only when it saves);
    ``refine``: the cheapest first moves that may go on moving; ``chains``: the
    cheapest (route, job) pairs whose moved job may eject a job of its target
    (0: no ejection chain); ``gaps``: per such pair, the (target, ejected job)
    gaps the moved job is timed in, the smallest shortfall first; ``ejections``:
    the cheapest of those places whose ejected job is re-placed."""

    routes: int = 3
    pairs: int = 6
    moves: int = 2
    refine: int = 3
    chains: int = 2
    gaps: int = 12
    ejections: int = 3


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
    ``starts``: the earliest each job may start, see :func:`screens`), in O(1):
    every routed job starts no earlier than ``starts``, so
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


def held(windows: list[Window], at: int, horizon: int) -> list[Window]:
    """A routed job's windows cut at ``at``, its start now: the insertion's hold
    (it starts no earlier than it does; a job without a window keeps the day)."""
    return [(max(a, at), b) for a, b in windows if b >= at] or [(at, max(at, horizon))]


def screens(quick: RouteEvaluator, routes: Sequence[list[int]],
            base: Sequence[Schedule | None]) -> list[Schedule | None]:
    """``base`` with, as starts, the earliest each job could start on its route
    (``quick``: the evaluator without lunch, on windows that may start jobs earlier
    than ``base`` does): what :func:`may_fit` needs to stay a necessary condition
    when jobs may start earlier (a lunch, wherever it goes, only delays). The
    costs stay ``base``'s, so every delta is still against the day as published."""
    out: list[Schedule | None] = []
    for v, (route, sched) in enumerate(zip(routes, base, strict=True)):
        low = quick.schedule(v, route) if sched is not None else None
        out.append(sched if sched is None or low is None
                   else Schedule(low.starts, None, sched.end, sched.cost))
    return out


def without_lunch(ev: RouteEvaluator) -> RouteEvaluator:
    """``ev`` with no lunch break (sharing its windows): a route that fails so fails
    with lunch too (no break only makes every start earlier), and timing it spares
    the exact break-anywhere timing of most positions that cannot work."""
    free = copy.copy(ev)
    free.vehicles = [dataclasses.replace(veh, lunch=None) for veh in ev.vehicles]
    return free


def cheapest(ev: RouteEvaluator, v: int, route: list[int], base: Schedule, job: int,
             quick: RouteEvaluator | None = None, around: int | None = None
             ) -> tuple[int, list[int], Schedule, int] | None:
    """(cost delta, route, schedule, position) of ``job``'s cheapest position on
    ``route`` (timed ``base``), the first on a tie; ``None`` when none fits.
    ``quick``: :func:`without_lunch` of ``ev``, to rule positions out first;
    ``around``: only positions ``around - 1`` and ``around`` (default: all)."""
    if not ev.fits_load(v, [*route, job]):
        return None
    best: tuple[int, list[int], Schedule, int] | None = None
    first = 0 if around is None else max(0, around - 1)
    for p in range(first, len(route) + 1 if around is None else min(around, len(route)) + 1):
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


#: Placements of planned jobs kept across the slots of one offer (the new job is on
#: none of those routes, so they do not change from slot to slot): (job, vehicle,
#: the job taken off that route or -1) -> :func:`cheapest`'s answer.
Placements = dict[tuple[int, int, int], "tuple[int, list[int], Schedule, int] | None"]

#: The earliest starts of a route without one of its jobs (vehicle, job) -> starts
#: (``None``: the rest does not fit), kept across the slots of one offer.
Lows = dict[tuple[int, int], "list[int] | None"]

_Pair = tuple[int, int, int, list[int], Schedule, int]  # cost, order, k, route, sched, p
_Ejection = tuple[int, int, int, int, int, tuple[int, list[int], Schedule, int]]


def placed(ev: RouteEvaluator, quick: RouteEvaluator, routes: Sequence[list[int]],
           base: Sequence[Schedule | None], job: int, w: int, memo: Placements | None,
           without: int = -1) -> tuple[int, list[int], Schedule, int] | None:
    """:func:`cheapest` place of planned ``job`` on route ``w`` as it stands, the
    cost delta against the route as it stands; kept in ``memo``. With ``without``:
    in place of that job, or just before its predecessor (every other start held:
    the jobs after the gap start no earlier, so a place after it is one on the
    route as it stands, which the relocation and its next move cover)."""
    key = (job, w, without)
    if memo is not None and key in memo:
        return memo[key]
    route, sched = routes[w], base[w]
    assert sched is not None
    gap = None
    if without >= 0:
        gap = route.index(without)
        route = route[:gap] + route[gap + 1:]
        # Without it every other job may start as it does now (none earlier).
        sched = Schedule(sched.starts[:gap] + sched.starts[gap + 1:], None, sched.end,
                         sched.cost)
    found = cheapest(ev, w, route, sched, job, quick, gap)
    if memo is not None:
        memo[key] = found
    return found


def _pairs(ev: RouteEvaluator, quick: RouteEvaluator, routes: Sequence[list[int]],
           base: Sequence[Schedule | None], new: int, vehicles: Sequence[int],
           limits: RelocateLimits, earlier: bool = False,
           lows: Lows | None = None) -> list[_Pair]:
    """The new job's cheapest place on each of the nearest candidate routes without
    one of its movable jobs, cheapest first (``earlier``: the jobs after the one
    taken off may start earlier, see :func:`best_relocation`; ``lows`` keeps their
    earliest starts across calls)."""
    pairs: list[_Pair] = []
    for order, v in enumerate(vehicles[:limits.routes]):
        sched_v = base[v]
        if sched_v is None:
            continue
        for k, j in enumerate(routes[v]):
            if not movable(ev, j):
                continue
            rest = routes[v][:k] + routes[v][k + 1:]
            # Without j every other job may start as it does now (none earlier);
            # on a future day the later ones may move up: their earliest starts
            # then, for may_fit (the delta is still against the route with j).
            starts = sched_v.starts[:k] + sched_v.starts[k + 1:]
            if earlier:
                if lows is None or (v, j) not in lows:
                    low = quick.schedule(v, rest)
                    found_low = None if low is None else low.starts
                    if lows is not None:
                        lows[v, j] = found_low
                else:
                    found_low = lows[v, j]
                if found_low is None:
                    continue
                starts = found_low
            rest_base = Schedule(starts, None, sched_v.end, sched_v.cost)
            found = cheapest(ev, v, rest, rest_base, new, quick)
            if found is not None:
                pairs.append((found[0], order, k, found[1], found[2], found[3]))
    pairs.sort(key=lambda x: (x[0], x[1], x[2]))
    return pairs


def best_relocation(ev: RouteEvaluator, routes: Sequence[list[int]],
                    base: Sequence[Schedule | None], new: int, vehicles: Sequence[int],
                    targets: Sequence[int], may_host: Callable[[int, int], bool],
                    below: float, limits: RelocateLimits,
                    quick: RouteEvaluator | None = None,
                    memo: Placements | None = None, earlier: bool = False,
                    lows: Lows | None = None) -> Relocation | None:
    """The cheapest relocation (by :attr:`Relocation.total`) that costs less than
    ``below``, or ``None``. ``vehicles``: the candidate routes of the new job,
    nearest first; ``targets``: where a moved job may go (any other of them that
    ``may_host(job, vehicle)``), in a fixed order; ``quick``: :func:`without_lunch`
    of ``ev`` when the caller keeps one; ``memo``: placements of planned jobs kept
    across calls on the same routes (the slots of one offer: the answer is the
    same without it, only sooner); ``earlier``: ``ev``'s planned jobs may start
    earlier than ``base`` (a future day), whose starts are then :func:`screens`';
    ``lows``: kept like ``memo``."""
    price = reassign_price(ev)
    quick = quick or without_lunch(ev)
    pairs = _pairs(ev, quick, routes, base, new, vehicles, limits, earlier, lows)
    singles: list[Relocation] = []
    for cost_a, order, k, route, sched, p in pairs[:limits.pairs]:
        v = vehicles[order]
        j = routes[v][k]
        extra = price if ev.ctx.jobs[j].baseline_technician is None else 0
        single: Relocation | None = None
        for w in targets:
            if w == v or base[w] is None or not may_host(j, w):
                continue
            found = placed(ev, quick, routes, base, j, w, memo)
            if found is not None and (single is None or cost_a + found[0] < single.cost):
                single = Relocation(v, route, sched, p, [j], {w: (found[1], found[2])},
                                    cost_a + found[0], extra)
        again = _reposition(ev, quick, v, route, sched, p, j, cost_a)
        if again is not None and (single is None or again.total < single.total):
            single = again
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
    if best is not None and best.total >= below:
        best = None
    if below < math.inf:
        # The new job has a place of its own: a chain is not worth its time there
        # (measured: it never won on the 1 000-job days).
        return best
    chain = _best_chain(ev, quick, routes, base, pairs[:limits.chains], vehicles, targets,
                        may_host, best.total if best is not None else below, limits, memo)
    return chain or best


def _reposition(ev: RouteEvaluator, quick: RouteEvaluator, v: int, route: list[int],
                sched: Schedule, p: int, j: int, cost_a: int) -> Relocation | None:
    """Job ``j``, taken off the new job's route ``v`` for it (``route`` timed
    ``sched``, the new job at ``p``), back on the same route at its cheapest other
    position: a re-sequencing that keeps every job with its technician (no
    reassignment), as when the new job early in the day pushes a later job past its
    window unless two of them change order."""
    found = cheapest(ev, v, route, sched, j, quick)
    if found is None:
        return None
    new = route[p]
    return Relocation(v, found[1], found[2], found[1].index(new), [], {},
                      cost_a + found[0], 0)


def _best_chain(ev: RouteEvaluator, quick: RouteEvaluator, routes: Sequence[list[int]],
                base: Sequence[Schedule | None], pairs: list[_Pair], vehicles: Sequence[int],
                targets: Sequence[int], may_host: Callable[[int, int], bool], below: float,
                limits: RelocateLimits, memo: Placements | None) -> Relocation | None:
    """The cheapest ejection chain that costs less than ``below``, else ``None``:
    job A leaves the new job's route for a target route, whose job B leaves for a
    third route (not the new job's: the offer times its latest arrival on it).
    Tried only for the given pairs and only where a chain can pay: it moves two
    jobs, so it costs at least the new job's place plus two reassignments (taken
    as a bound: moving B alone saves nothing on a plan its solver left there). Per
    pair A is timed in the ``gaps`` most promising gaps (:func:`_ejections`) and
    the ``ejections`` cheapest of those places go on to place B."""
    price = reassign_price(ev)
    best: Relocation | None = None
    for cost_a, order, k, route, sched, p in pairs:
        v = vehicles[order]
        a = routes[v][k]
        extra_a = price if ev.ctx.jobs[a].baseline_technician is None else 0
        # A's leaving (its reassignment, or ``extra_a``) and at least B's.
        if cost_a + _leave_bound(ev, a, v, price) + price >= below:
            continue
        for d_a, _, _, w, b, found in _ejections(ev, quick, routes, base, a, v, targets,
                                                  may_host, memo, limits.gaps
                                                  )[:limits.ejections]:
            extra_b = price if ev.ctx.jobs[b].baseline_technician is None else 0
            fixed = cost_a + d_a + extra_a + extra_b
            for r3 in targets:
                if r3 in (v, w) or base[r3] is None or not may_host(b, r3):
                    continue
                there = placed(ev, quick, routes, base, b, r3, memo)
                if there is None or fixed + there[0] >= below:
                    continue
                below = fixed + there[0]
                best = Relocation(v, route, sched, p, [a, b],
                                  {w: (found[1], found[2]), r3: (there[1], there[2])},
                                  cost_a + d_a + there[0], extra_a + extra_b)
    return best


def _shortfall(ev: RouteEvaluator, w: int, route: list[int], starts: list[int], a: int,
               k: int) -> int:
    """How much later than now the job after ``route[k]`` would start if job ``a``
    took ``route[k]``'s place straight (seconds; negative: room to spare). O(1)."""
    veh = ev.vehicles[w]
    here, ready = ((veh.start_node, veh.start) if k == 0
                   else (route[k - 1], starts[k - 1] + ev.service[route[k - 1]]))
    there, due = ((route[k + 1], starts[k + 1]) if k + 1 < len(route)
                  else (veh.end_node, veh.latest_end))
    windows = ev.windows[a]
    arrival = ready + int(ev.travel[here, a])
    opens = min((x for x, y in windows if y >= arrival), default=arrival)
    return max(arrival, opens) + ev.service[a] + int(ev.travel[a, there]) - due


def _ejections(ev: RouteEvaluator, quick: RouteEvaluator, routes: Sequence[list[int]],
               base: Sequence[Schedule | None], a: int, v: int, targets: Sequence[int],
               may_host: Callable[[int, int], bool], memo: Placements | None, gaps: int
               ) -> list[_Ejection]:
    """(cost delta, target order, position, target, ejected job, A's place) of job
    ``a`` (now on ``v``) on the other targets without one of their movable jobs,
    cheapest first: only the ``gaps`` gaps with the smallest shortfall
    (:func:`_shortfall`) are timed, most gaps of a full day cannot take A."""
    gapped: list[tuple[int, int, int, int, int]] = []
    for order, w in enumerate(targets):
        sched = base[w]
        if w == v or sched is None or not may_host(a, w):
            continue
        for kb, b in enumerate(routes[w]):
            if movable(ev, b):
                short = _shortfall(ev, w, routes[w], sched.starts, a, kb)
                gapped.append((short, order, kb, w, b))
    gapped.sort()
    out: list[_Ejection] = []
    for _, order, kb, w, b in gapped[:gaps]:
        found = placed(ev, quick, routes, base, a, w, memo, without=b)
        if found is not None:
            out.append((found[0], order, kb, w, b, found))
    out.sort(key=lambda x: (x[0], x[1], x[2]))
    return out


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

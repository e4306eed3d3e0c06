"""Fast construction: priority-ordered cheapest insertion with exact schedules.

OR-Tools' own construction heuristics find no first plan at all on a day of a
thousand jobs with breaks within a minute. This one builds a complete, valid plan
in seconds, which the routing search then improves (warm start) and which stands
as the answer if the search finds nothing better.

Jobs are inserted one at a time: pinned first, then by priority, then the most
constrained (fewest candidate shifts, narrowest window). Each goes where the
objective grows least among the positions of its ``NEAREST`` nearest candidate
routes (:meth:`Constructor.best_insertion`: positions in order of detour, with
window bounds, so that few exact schedules are computed). Every route is timed
and priced by :mod:`.schedule` (windows, shift end plus overtime, the lunch
break); capacity is checked here on the summed loads.
"""

from __future__ import annotations

import random
import time

import numpy as np
import numpy.typing as npt

from fieldops.solver.dispatch.constraints.priority import drop_penalty
from fieldops.solver.dispatch.context import ModelContext
from fieldops.solver.dispatch.schedule import RouteEvaluator, Schedule

NEAREST = 10
# Nodes nearest each job that :meth:`Constructor._walked_routes` keeps (1 KiB per
# job) and walks, the first ``FIRST_NODES`` before the rest.
NEAREST_NODES = 256
FIRST_NODES = 64
# Jobs whose nearest nodes are ranked together (:meth:`Constructor._nearest_table`).
NEAREST_BLOCK = 128
# Jobs inserted between two looks at the clock (each takes a millisecond or so).
CLOCK_EVERY = 16
IntArray = npt.NDArray[np.int64]


__all__ = ["Constructor", "Schedule"]


class Constructor(RouteEvaluator):
    """Builds routes (lists of job nodes per vehicle) for a :class:`ModelContext`.

    Every route is timed and priced by :class:`~.schedule.RouteEvaluator`'s
    :meth:`~.schedule.RouteEvaluator.schedule`, which this class extends with the
    insertion.
    """

    # Whether :meth:`best_insertion` skips positions on a floor of the job's own
    # SLA and preference terms (a screen only: the same insertions either way).
    screen_own_terms = True

    def __init__(self, ctx: ModelContext) -> None:
        # Times, windows, loads and costs: the route evaluator's (schedule.py).
        super().__init__(ctx)
        self._allowed_sets: list[set[int]] | None = None
        # What leaving each job out costs (the priority module's disjunction).
        self.drop: list[int] = [drop_penalty(ctx, job) for job in ctx.jobs]
        # Per job, the job and start nodes nearest to it (_walked_routes: one table
        # for every job, built on first use) and its allowed vehicles by distance
        # from their start (_empty_routes, filled per job on first use).
        self._nearest: npt.NDArray[np.int32] | None = None
        self._kinds: list[tuple[object, ...]] | None = None
        self._start_nodes = np.array([veh.start_node for veh in self.vehicles], dtype=np.int64)
        self._fresh_order: dict[int, list[int]] = {}
        self.schedules: list[Schedule] = []
        self.repaired = 0
        # Insertion arrays per vehicle, keyed by the schedule object they were
        # computed from (every change to a route installs a new schedule).
        self._arrays: dict[int, tuple[Schedule, IntArray]] = {}

    # ----------------------------------------------------------- insertion
    def build(self, initial: list[list[int]] | None = None, *, insert: bool = True,
              stop_at: float | None = None) -> list[list[int]]:
        """Routes per vehicle; their exact schedules are left in ``self.schedules``.

        With ``initial`` (routes from another engine) each route is first re-timed
        with this class's exact schedule; a job that does not fit there (window,
        break, shift end, capacity, allowed vehicle) is taken out, keeping the
        order of the rest. Every job not routed then goes through the insertion
        (unless ``insert`` is false). Past ``stop_at`` (a ``time.monotonic()``
        instant) the jobs not inserted yet stay out: a valid plan in time rather
        than a better one late (the largest days on a loaded machine).
        """
        ctx = self.ctx
        n = ctx.n_jobs
        routes: list[list[int]] = [[] for _ in ctx.vehicles]
        schedules = [self.empty(v) for v in range(len(self.vehicles))]
        loads = [0] * len(ctx.vehicles)
        placed: set[int] = set()
        self.repaired = 0
        if initial is not None:
            for v, given in enumerate(initial):
                routes[v], schedules[v], loads[v] = self._retime(v, given, placed)
                placed.update(routes[v])
        order = sorted(
            (j for j in range(n) if j not in placed and insert),
            key=lambda j: (
                ctx.jobs[j].pinned_technician is None,
                ctx.jobs[j].priority.rank,
                len(ctx.allowed[j]),
                min(b - a for a, b in self.windows[j]),
            ),
        )
        where = [-1] * n
        for v, route in enumerate(routes):
            for j in route:
                where[j] = v
        for count, j in enumerate(order):
            if (stop_at is not None and count % CLOCK_EVERY == 0
                    and time.monotonic() >= stop_at):
                break
            best = self.best_insertion(j, routes, schedules, loads, where=where)
            if best is None or best[0] >= self.drop[j]:
                continue
            _, v, p, trial = best
            routes[v].insert(p, j)
            where[j] = v
            schedules[v] = trial
            loads[v] += self.load[j]
        if insert and (stop_at is None or time.monotonic() < stop_at):
            self._eject_for_priority(routes, schedules, loads, stop_at)
        self.schedules = schedules
        return routes

    def best_insertion(self, j: int, routes: list[list[int]], schedules: list[Schedule],
                       loads: list[int], *, blink: float = 0.0,
                       rng: random.Random | None = None,
                       where: list[int] | None = None,
                       ) -> tuple[int, int, int, Schedule] | None:
        """Cheapest (delta, vehicle, position, schedule) for ``j``, or ``None``.

        The detour's travel cost is a lower bound on an insertion's cost change
        (waiting, lateness and overtime only grow when a job is added), so the
        positions are tried in order of detour and the exact schedule is computed
        only until the next detour cannot beat the best insertion found.
        ``where`` (the vehicle of each job, -1 when not routed), when the caller
        keeps one, makes finding the candidate routes much cheaper.
        """
        b = self
        parts: list[IntArray] = []
        for v in b._candidates(j, routes, where):
            cap = b.vehicles[v].capacity
            if cap is not None and loads[v] + b.load[j] > cap:
                continue
            parts.append(self._route_arrays(v, routes[v], schedules[v]))
        if not parts:
            return None
        options, soonest = self._positions(j, parts)
        sla, preferred = b.sla[j], b.preferred[j]
        screen = self.screen_own_terms and (sla is not None or preferred is not None)
        best: tuple[int, int, int, Schedule] | None = None
        for i, (bound, v, p) in enumerate(options):
            if best is not None and bound >= best[0]:
                break
            if blink and rng is not None and rng.random() < blink:
                continue
            # After the blink's draw, so that the random stream (and the plan) is the
            # one without this screen: a position whose floor cannot beat the best
            # found would only lose to it (ties keep the first).
            if (screen and best is not None
                    and bound + self._own_floor(j, v, soonest[i]) >= best[0]):
                continue
            route = routes[v]
            # Timed from position p on: the jobs before it are timed as they are.
            trial = b.resume(v, [*route[:p], j, *route[p:]], p, route, schedules[v])
            if trial is None:
                continue
            delta = trial.cost - schedules[v].cost
            if best is None or delta < best[0]:
                best = (delta, v, p, trial)
        return best

    def _positions(self, j: int, parts: list[IntArray]
                   ) -> tuple[list[tuple[int, int, int]], list[int]]:
        """The positions of the candidate routes' arrays ``parts`` (see
        :meth:`_route_arrays`) that may hold ``j``, as (detour, vehicle, position)
        ordered by detour, then vehicle and position (as sorting the tuples would);
        and per such position the earliest arrival at ``j`` in any re-timing."""
        b = self
        arc, travel = b.arc_cost, b.travel
        # Every candidate route's positions in one array: a few numpy calls per job
        # instead of a few per route.
        prev, nxt, base, ready, latest_next, early, vehicle, position = (
            np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0])
        # Earliest arrival at j after each position's predecessor, from the current
        # schedule (the prefix is unchanged by the insertion): a position where it
        # misses j's last window cannot hold j; nor one where the next stop would
        # then be reached after the latest start that keeps the rest of the route
        # on time.
        arrive = ready + travel[prev, j]
        fits = (arrive <= b.windows[j][-1][1]) & (
            np.maximum(arrive, b.windows[j][0][0]) + (b.service[j] + travel[j, nxt])
            <= latest_next)
        at = np.flatnonzero(fits)
        prev, nxt, vehicle, position = prev[at], nxt[at], vehicle[at], position[at]
        bounds = arc[prev, j] + arc[j, nxt] - base[at]
        order = np.lexsort((position, vehicle, bounds))
        options = list(zip(bounds[order].tolist(), vehicle[order].tolist(),
                           position[order].tolist(), strict=True))
        soonest: list[int] = (arrive[at] - early[at])[order].tolist()
        return options, soonest

    def _own_floor(self, j: int, v: int, soonest: int) -> int:
        """A floor of what ``j`` itself adds on vehicle ``v`` besides the detour,
        reached no earlier than ``soonest``: its SLA lateness and breach from its
        earliest possible start, and the penalty of a technician it does not
        prefer, as :meth:`_schedule` prices them for ``j``'s start (never before
        ``soonest`` nor its first window).
        """
        floor = 0
        sla = self.sla[j]
        if sla is not None:
            late = max(soonest, self.windows[j][0][0]) - sla[0]
            if late > 0:
                floor += late * sla[1] + sla[2]
        preferred = self.preferred[j]
        if preferred is not None and v not in preferred:
            floor += self.penalty
        return floor

    def _route_arrays(self, v: int, route: list[int], schedule: Schedule) -> IntArray:
        """Per insertion position of ``route`` (columns), in rows: predecessor and
        successor nodes, the arc between them, the predecessor's ready time, an upper
        bound on the successor's latest start (then the route's end), how much
        earlier than that ready time the predecessor may be ready in any re-timing
        (the break's length when ``schedule`` took it before; see below), the
        vehicle and the position.

        The bound comes from one backward pass over each job's last window and the
        shift's hard end; the lunch break and gaps between windows only make the
        true latest starts earlier, so a stop reached after its bound certainly
        makes the route fail. Cached until the route changes.
        """
        cached = self._arrays.get(v)
        if cached is not None and cached[0] is schedule:
            return cached[1]
        b = self
        veh = b.vehicles[v]
        travel, arc, service = b.travel.item, b.arc_cost.item, b.service
        nodes = [veh.start_node, *route, veh.end_node]
        size = len(route) + 1
        latest = [0] * size
        latest[-1] = veh.latest_end
        after = veh.end_node
        for i in range(len(route) - 1, -1, -1):
            k = route[i]
            latest[i] = min(b.windows[k][-1][1], latest[i + 1] - service[k] - travel(k, after))
            after = k
        ready = [veh.start, *(t + service[k] for t, k in zip(schedule.starts, route, strict=True))]
        # ``schedule`` may have its break in the prefix where the re-timing after an
        # insertion puts it later or not at all (eager against lazy, or a thorough
        # placement): starts then move earlier, by at most the break's length.
        early = [0] * size
        if veh.lunch is not None and schedule.break_start is not None:
            length, at = veh.lunch[2], schedule.break_start
            early = [length if r > at else 0 for r in ready]
        arrays = np.array([nodes[:-1], nodes[1:],
                           [arc(nodes[i], nodes[i + 1]) for i in range(size)],
                           ready, latest, early, [v] * size, list(range(size))],
                          dtype=np.int64)
        self._arrays[v] = (schedule, arrays)
        return arrays

    def _eject_for_priority(self, routes: list[list[int]], schedules: list[Schedule],
                            loads: list[int], stop_at: float | None = None) -> None:
        """Swap a left-out job in for a routed one of lower priority when that pays.

        Cheapest insertion never takes a job out again, so a high-priority job that
        finds no room (typically one that an engine's route could not keep when
        re-timed) stays out even where dropping a low-priority neighbour would make
        room and cost far less than leaving it out. One swap per left-out job: the
        routed job ``k`` on vehicle ``v`` is replaced by ``j`` at its best position
        when ``j``'s drop penalty exceeds ``k``'s plus the route's extra cost.
        Past ``stop_at`` the left-out jobs not tried yet stay out: each try times
        every position of every lower-priority job on its routes, and a day with
        thousands of jobs out (5 000 jobs on a loaded machine) has as many tries.
        """
        ctx = self.ctx
        placed = {j for r in routes for j in r}
        drop = self.drop
        left = sorted((j for j in range(ctx.n_jobs) if j not in placed),
                      key=lambda j: -drop[j])
        for j in left:
            if stop_at is not None and time.monotonic() >= stop_at:
                break
            gain_j = drop[j]
            best: tuple[int, int, int, list[int], Schedule] | None = None
            for v in self._candidates(j, routes):
                cap = self.vehicles[v].capacity
                route = routes[v]
                for i, k in enumerate(route):
                    if ctx.jobs[k].pinned_technician is not None:
                        continue
                    gain_k = drop[k]
                    if gain_k >= gain_j:
                        continue
                    if cap is not None and loads[v] - self.load[k] + self.load[j] > cap:
                        continue
                    rest = route[:i] + route[i + 1:]
                    for p in range(len(rest) + 1):
                        trial_route = [*rest[:p], j, *rest[p:]]
                        trial = self.schedule(v, trial_route)
                        if trial is None:
                            continue
                        delta = trial.cost - schedules[v].cost + gain_k - gain_j
                        if delta < 0 and (best is None or delta < best[0]):
                            best = (delta, v, k, trial_route, trial)
            if best is None:
                continue
            _, v, k, trial_route, trial = best
            routes[v] = trial_route
            schedules[v] = trial
            loads[v] += self.load[j] - self.load[k]

    def _retime(self, v: int, given: list[int], placed: set[int]
                ) -> tuple[list[int], Schedule, int]:
        """``given`` on vehicle ``v`` re-timed; jobs that do not fit are left out."""
        cap = self.vehicles[v].capacity
        route = [j for j in given if j not in placed and v in self._allowed(j)]
        sched = self.schedule(v, route, thorough=True)
        load = sum(self.load[j] for j in route)
        if sched is not None and (cap is None or load <= cap):
            self.repaired += len(given) - len(route)
            return route, sched, load
        # Keep jobs in the given order while the route stays feasible.
        kept: list[int] = []
        sched = self.empty(v)
        load = 0
        for j in route:
            if cap is not None and load + self.load[j] > cap:
                continue
            trial = self.schedule(v, [*kept, j], thorough=True)
            if trial is not None:
                kept.append(j)
                sched = trial
                load += self.load[j]
        self.repaired += len(given) - len(kept)
        return kept, sched, load

    def _allowed(self, j: int) -> set[int]:
        if self._allowed_sets is None:
            self._allowed_sets = [set(a) for a in self.ctx.allowed]
        return self._allowed_sets[j]

    def _candidates(self, j: int, routes: list[list[int]],
                    where: list[int] | None = None) -> list[int]:
        """The routes worth trying for job ``j``.

        Used routes: the ``NEAREST`` whose closest stop (or start) is nearest the job.
        Empty routes: one per kind (same start, end, hours, break and van), since
        identical empty vehicles are interchangeable (a fleet of 250 at one depot
        would otherwise crowd out every other choice), the ``NEAREST`` nearest kinds.
        With ``where`` (vehicle per job, -1 when not routed) the used routes come
        from a walk over the nodes nearest ``j`` (:meth:`_walked_routes`).
        """
        allowed = self.ctx.allowed[j]
        if len(allowed) <= NEAREST:
            return allowed
        used = self._walked_routes(j, routes, where) if where is not None else None
        if used is None:
            used = self._scanned_routes(j, routes)
        return used + self._empty_routes(j, routes)

    def _scanned_routes(self, j: int, routes: list[list[int]]) -> list[int]:
        """The ``NEAREST`` used allowed routes nearest ``j``, from every one's stops
        (start included).

        Routes whose nearest stops tie are ranked by that stop's place in
        :meth:`_nearest_table` (jobs by index, then starts by vehicle), the order
        in which :meth:`_walked_routes` meets them, so both keep the same routes.
        """
        n = self.ctx.n_jobs
        nodes: list[int] = []
        places: list[int] = []
        vehicles: list[int] = []
        sizes: list[int] = []
        for v in self.ctx.allowed[j]:
            route = routes[v]
            if route:
                nodes.append(self.vehicles[v].start_node)
                nodes.extend(route)
                places.append(n + v)
                places.extend(route)
                vehicles.append(v)
                sizes.append(len(route) + 1)
        if not vehicles:
            return []
        # Every candidate stop at once: one gather and one reduction per job rather
        # than a few numpy calls per route (a 5 000-job day has 150 routes per job).
        lengths = np.asarray(sizes, dtype=np.int64)
        offsets = np.cumsum(lengths) - lengths
        seconds = self.travel[nodes, j].astype(np.int64)
        size = n + len(self.vehicles)
        key = np.minimum(seconds, np.iinfo(np.int64).max // (2 * size)) * size + places
        nearest = np.minimum.reduceat(key, offsets)
        owners = np.asarray(vehicles)
        kept: list[int] = owners[np.argsort(nearest, kind="stable")[:NEAREST]].tolist()
        return kept

    def _walked_routes(self, j: int, routes: list[list[int]], where: list[int]
                       ) -> list[int] | None:
        """:meth:`_scanned_routes` by a walk over the nodes nearest ``j``, or ``None``
        when the ``NEAREST_NODES`` kept show fewer routes than that and others may
        lie beyond them.

        Scanning every allowed route's stops for its nearest one was over half of
        ruin and recreate's time at 2 000 jobs. Walking the job and start nodes in
        order of travel to ``j`` meets each used route first at its nearest stop,
        so the first ``NEAREST`` allowed routes met are the same ones.
        """
        n = self.ctx.n_jobs
        ranked = self._nearest_table()[j]
        allowed = self._allowed(j)
        used: list[int] = []
        # Most jobs find their routes among the first few nodes: only those are
        # turned into Python ints, then the rest if needed.
        for chunk in (ranked[:FIRST_NODES], ranked[FIRST_NODES:]):
            for node in chunk.tolist():
                v = where[node] if node < n else (node - n) // 2
                if v >= 0 and v in allowed and routes[v] and v not in used:
                    used.append(v)
                    if len(used) == NEAREST:
                        return used
        return used if ranked.size == n + len(self.vehicles) else None

    def _nearest_table(self) -> npt.NDArray[np.int32]:
        """Per job (row), the ``NEAREST_NODES`` job and start nodes nearest it by
        travel towards it, nearest first, ties by node.

        Built for every job at once, a block of jobs at a time: one job's column of
        the travel matrix is thousands of cache misses (at 5 000 jobs they were a
        fifth of the construction), a block of columns is read row by row.
        """
        if self._nearest is not None:
            return self._nearest
        n = self.ctx.n_jobs
        nodes = np.concatenate([np.arange(n), n + 2 * np.arange(len(self.vehicles))])
        size = nodes.size
        keep = min(NEAREST_NODES, size)
        table = np.empty((n, keep), dtype=np.int32)
        position = np.arange(size, dtype=np.int64)
        # One integer key per node: seconds first, then the node (each key unique);
        # seconds past what the key holds (never on a real day) rank as equal.
        cap = np.iinfo(np.int64).max // (2 * size)
        clip = int(self.travel.max()) >= cap
        for first in range(0, n, NEAREST_BLOCK):
            last = min(n, first + NEAREST_BLOCK)
            seconds = np.ascontiguousarray(self.travel[nodes, first:last].T)
            if clip:
                np.minimum(seconds, cap, out=seconds)
            key = seconds * size + position
            if keep < size:
                part = np.argpartition(key, keep - 1, axis=1)[:, :keep]
                order = np.take_along_axis(
                    part, np.argsort(np.take_along_axis(key, part, axis=1), axis=1), axis=1)
            else:
                order = np.argsort(key, axis=1)
            table[first:last] = nodes[order]
        self._nearest = table
        return table

    def _empty_routes(self, j: int, routes: list[list[int]]) -> list[int]:
        """One empty allowed vehicle per kind, the ``NEAREST`` kinds nearest ``j``."""
        if self._kinds is None:
            self._kinds = [
                (int(self.ctx.node_location[veh.start_node]),
                 int(self.ctx.node_location[veh.end_node]), veh.start, veh.latest_end,
                 veh.lunch, veh.capacity) for veh in self.vehicles]
        by_start = self._fresh_order.get(j)
        if by_start is None:
            allowed = np.asarray(self.ctx.allowed[j])
            rank = np.argsort(self.travel[self._start_nodes[allowed], j], kind="stable")
            by_start = allowed[rank].tolist()
            self._fresh_order[j] = by_start
        preferred = self.preferred[j] or set()
        kinds: set[tuple[object, ...]] = set()
        empty: list[int] = []
        for v in by_start:
            if routes[v]:
                continue
            kind = (self._kinds[v], v in preferred)
            if kind not in kinds:
                kinds.add(kind)
                empty.append(v)
                if len(empty) == NEAREST:
                    break
        return empty

"""Slot offers: the appointment windows of one day a new request can really be booked in.

:func:`offer_slots` takes a day's published plan (a plan of ``problem``), one new
request and the day's slots, and returns, for every slot where the request fits,
what booking it there would cost. It is the emergency insertion
(:func:`fieldops.solver.live.insert_job`) asked once per slot, made cheap:

* **The same candidates.** Per slot, the shifts that may take the request with
  the slot as its window (skills, required / excluded / pinned technicians, the
  shift meeting the slot), nearest first, the ``candidates`` nearest (the rule
  and the count of :func:`insert_job`).
* **One model per day.** The jobs of every candidate route are held as
  :func:`insert_job` holds them (same technician, no earlier start, frozen work
  at its pinned start), and one travel matrix and one
  :class:`~fieldops.solver.dispatch.schedule.RouteEvaluator` serve every slot:
  only the new job's window changes from slot to slot. No routing model is
  built (the evaluator needs none).
* **The same choice.** Every position of every candidate route is timed
  exactly; a position that leaves every other start where it was beats one that
  pushes later jobs, then the cheapest wins — as :func:`insert_job` chooses, so
  booking the slot (:func:`~fieldops.solver.slots.book.book_slot`, which calls
  :func:`insert_job`) lands where the offer said, at the cost it said.

An offer's ``added_cost`` is the objective delta of that insertion (travel,
overtime, SLA lateness, preferences) plus the disruption family's re-timing
cost of the jobs it pushes (beyond ``retime_tolerance``, priced at
``retimed_per_hour``; a job with a baseline, as on a live day, is priced once,
by the objective's own disruption term). Its ``earliest_arrival`` is the start of service the
insertion plans; ``latest_arrival`` the latest start in the slot that the same
route still allows (to ``arrival_step``), so a later booking nearby may move it
that far without breaking the promise. The repair step of :func:`insert_job`
(taking another job out) is never used: a slot is offered only when nobody
already booked loses their place.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import numpy as np

from fieldops.domain.errors import FieldError
from fieldops.domain.plan import DispatchPlan
from fieldops.domain.problem import DispatchProblem
from fieldops.domain.requests import ServiceRequest
from fieldops.domain.resources import Shift
from fieldops.domain.timewindow import TimeWindow
from fieldops.geo import build_matrix
from fieldops.solver.dispatch.context import COST_SCALE, ModelContext
from fieldops.solver.dispatch.schedule import RouteEvaluator, Schedule
from fieldops.solver.live.insert import InsertParams, may_take, nearness
from fieldops.solver.slots.grid import DEFAULT_GRID, slot_id, slot_windows

SECONDS_PER_HOUR = 3600


@dataclass(frozen=True, slots=True)
class SlotParams:
    """``grid``: slot length; ``candidates``: routes tried per slot, nearest first
    (that of :class:`~fieldops.solver.live.InsertParams`); ``not_before``: no slot
    starts earlier (``as_of`` plus a lead time); ``arrival_step``: precision of
    ``latest_arrival``."""

    grid: timedelta = DEFAULT_GRID
    candidates: int = InsertParams().candidates
    not_before: datetime | None = None
    arrival_step: timedelta = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class SlotOffer:
    """One bookable slot and what booking it costs (``shift_id`` and ``moved``
    are for staff: the customer sees the window and the arrivals)."""

    slot: TimeWindow
    earliest_arrival: datetime
    latest_arrival: datetime
    added_cost: float  # objective units: insertion cost + re-timing disruption
    added_travel: timedelta
    disruption: float  # objective units, part of added_cost
    shift_id: str
    moved: tuple[str, ...] = ()  # other jobs whose start the insertion pushes

    @property
    def id(self) -> str:
        return slot_id(self.slot)


# ---------------------------------------------------------------- candidates
# ---------------------------------------------------------------- the day's model
def light_context(problem: DispatchProblem, jobs: list[ServiceRequest],
                  shifts: list[Shift]) -> ModelContext:
    """The integer model of ``jobs`` on ``shifts`` that the route evaluator needs
    (matrix, origin, service times), without an OR-Tools routing model: node
    layout and units as :func:`fieldops.solver.dispatch.model.build_model`."""
    locations = [j.location for j in jobs]
    for s in shifts:
        locations += [problem.shift_start_location(s), problem.shift_end_location(s)]
    travel = build_matrix(problem.travel, locations)
    seconds = np.ceil(travel.durations - 1e-9).astype("int64")
    origin = min([problem.horizon.start] + [s.start for s in shifts])
    last = max([problem.horizon.end] + [s.latest_end for s in shifts])
    w = problem.weights
    max_arc = float(w.travel_time * seconds.max() + w.travel_distance
                    * travel.distances.max() / 1000)
    bound = max(1.0, max_arc) * (len(jobs) + len(shifts))
    # The whole problem stands for the sub-problem: the evaluator reads only its
    # weights, tiers, time zone and technicians (copying would re-validate it).
    return ModelContext(
        problem=problem, jobs=jobs, vehicles=shifts, allowed=[[] for _ in jobs], travel=travel,
        node_location=np.arange(len(locations)), origin=origin,
        horizon=math.ceil((last - origin).total_seconds()),
        manager=cast(Any, None), routing=cast(Any, None), travel_seconds=seconds,
        service_seconds=[math.ceil(j.duration.total_seconds() - 1e-9) for j in jobs]
        + [0] * (2 * len(shifts)),
        travel_bound=round(bound * COST_SCALE))


@dataclass
class _Place:
    v: int
    position: int
    route: list[int]
    schedule: Schedule
    cost: int
    moves: bool

    @property
    def rank(self) -> tuple[bool, int]:
        return (self.moves, self.cost)


class DaySearch:
    """The new request (node 0) against the candidate routes of one day."""

    NEW = 0

    def __init__(self, problem: DispatchProblem, plan: DispatchPlan, shifts: list[Shift],
                 request: ServiceRequest) -> None:
        jobs = [request]
        self.routes: list[list[int]] = []
        kept: list[tuple[int, datetime]] = []  # node, current start
        for shift in shifts:
            route = plan.route_for(shift.id)
            nodes = []
            for step in route.jobs if route is not None else ():
                assert step.request_id is not None
                nodes.append(len(jobs))
                kept.append((len(jobs), step.start))
                jobs.append(problem.request_by_id[step.request_id])
            self.routes.append(nodes)
        self.shifts = shifts
        self.ctx = light_context(problem, jobs, shifts)
        self.eval = RouteEvaluator(self.ctx)
        self._hold(kept)
        # The same routes without lunch: a position that fails even so fails with
        # it (no break only makes every start earlier), which spares most exact
        # (break-anywhere) timings of a full day. The windows are shared.
        self.free = copy.copy(self.eval)
        self.free.vehicles = [dataclasses.replace(veh, lunch=None) for veh in self.eval.vehicles]
        self.base = [self.eval.schedule(v, r, thorough=True)
                     for v, r in enumerate(self.routes)]

    def _hold(self, kept: list[tuple[int, datetime]]) -> None:
        """Every routed job starts no earlier than now (as insert_job holds them, on the
        evaluator's windows: no request is copied)."""
        ctx = self.ctx
        for j, start in kept:
            job = ctx.jobs[j]
            if job.pinned_start is not None:
                continue
            at = ctx.seconds(start)
            if job.windows:
                self.eval.windows[j] = [(max(a, at), b) for a, b in self.eval.windows[j]
                                        if b >= at]
            else:
                self.eval.windows[j] = [(at, max(at, ctx.horizon))]

    def set_window(self, windows: Sequence[TimeWindow]) -> None:
        """The new job's start-of-service windows (one slot)."""
        self.eval.windows[self.NEW] = [(self.ctx.seconds(w.start), self.ctx.seconds(w.end))
                                       for w in windows]

    def _fits_load(self, v: int, route: list[int]) -> bool:
        cap = self.eval.vehicles[v].capacity
        return cap is None or sum(self.eval.load[j] for j in route) <= cap

    def _may_fit(self, v: int, route: list[int], base: Schedule, p: int) -> bool:
        """A necessary condition for the new job at position ``p``, in O(1): every
        routed job starts no earlier than it does now, so the new job is reached no
        sooner than from the previous job's current end, and the next job (or the
        return) no sooner than after the new job's earliest start."""
        ev, new = self.eval, self.NEW
        veh = ev.vehicles[v]
        if p == 0:
            ready, here = veh.start, veh.start_node
        else:
            here = route[p - 1]
            ready = base.starts[p - 1] + ev.service[here]
        windows = ev.windows[new]
        arrival = ready + int(ev.travel[here, new])
        if arrival > windows[-1][1]:
            return False
        start = max(arrival, min(a for a, b in windows if b >= arrival))
        done = start + ev.service[new]
        if p == len(route):
            return done + int(ev.travel[new, veh.end_node]) <= veh.latest_end
        nxt = route[p]
        return done + int(ev.travel[new, nxt]) <= ev.windows[nxt][-1][1]

    def best(self, vehicles: Sequence[int]) -> _Place | None:
        """The position :func:`insert_job` would choose among ``vehicles``."""
        best: _Place | None = None
        for v in vehicles:
            base, route = self.base[v], self.routes[v]
            if base is None or not self._fits_load(v, [*route, self.NEW]):
                continue
            for p in range(len(route) + 1):
                if not self._may_fit(v, route, base, p):
                    continue
                trial = [*route[:p], self.NEW, *route[p:]]
                if self.free.schedule(v, trial) is None:
                    continue
                sched = self.eval.schedule(v, trial, thorough=True)
                if sched is None:
                    continue
                others = sched.starts[:p] + sched.starts[p + 1:]
                found = _Place(v, p, trial, sched, sched.cost - base.cost,
                               others != base.starts)
                if best is None or found.rank < best.rank:
                    best = found
        return best

    def latest_start(self, place: _Place, window_end: int, step: int) -> int:
        """The latest start of the new job (to ``step`` s) its route still allows."""
        low, high = place.schedule.starts[place.position], window_end
        saved = self.eval.windows[self.NEW]
        while high - low > step:
            mid = (low + high + 1) // 2
            self.eval.windows[self.NEW] = [(mid, window_end)]
            if self.eval.schedule(place.v, place.route, thorough=True) is None:
                high = mid - 1
            else:
                low = mid
        self.eval.windows[self.NEW] = saved
        if high > low:  # the last step, checked exactly
            self.eval.windows[self.NEW] = [(high, window_end)]
            if self.eval.schedule(place.v, place.route, thorough=True) is not None:
                low = high
            self.eval.windows[self.NEW] = saved
        return low

    def offer(self, slot: TimeWindow, place: _Place, windows: Sequence[TimeWindow],
              params: SlotParams) -> SlotOffer:
        """The :class:`SlotOffer` of ``place`` (the new job's windows set)."""
        ctx, base = self.ctx, self.base[place.v]
        assert base is not None
        weights = ctx.problem.weights
        tolerance = weights.retime_tolerance.total_seconds()
        old = dict(zip(self.routes[place.v], base.starts, strict=True))
        moved, disruption, priced = [], 0.0, 0.0
        for j, start in zip(place.route, place.schedule.starts, strict=True):
            if j != self.NEW and old[j] != start:
                moved.append(ctx.jobs[j].id)
                late = max(0.0, abs(start - old[j]) - tolerance)
                cost = late / SECONDS_PER_HOUR * weights.retimed_per_hour
                disruption += cost
                if ctx.jobs[j].baseline_technician is not None:
                    # The evaluator's disruption term already priced this one (a
                    # live day's job, from its published start): not twice.
                    priced += cost
        end = max(self.ctx.seconds(w.end) for w in windows)
        latest = self.latest_start(place, end, max(1, int(params.arrival_step.total_seconds())))
        return SlotOffer(
            slot=slot, earliest_arrival=_at(ctx, place.schedule.starts[place.position]),
            latest_arrival=_at(ctx, latest),
            added_cost=round(place.cost / COST_SCALE + disruption - priced, 3),
            added_travel=timedelta(seconds=self._travel_on(place.v, place.route)
                                   - self._travel_on(place.v, self.routes[place.v])),
            disruption=round(disruption, 3), shift_id=self.shifts[place.v].id,
            moved=tuple(sorted(moved)))

    def _travel_on(self, v: int, route: list[int]) -> int:
        veh = self.eval.vehicles[v]
        nodes = [veh.start_node, *route, veh.end_node]
        return int(sum(self.eval.travel[a, b] for a, b in itertools.pairwise(nodes)))


def _at(ctx: ModelContext, seconds: int) -> datetime:
    return ctx.origin + timedelta(seconds=seconds)


def offer_slots(problem: DispatchProblem, plan: DispatchPlan, request: ServiceRequest,
                slots: Sequence[TimeWindow], params: SlotParams | None = None
                ) -> list[SlotOffer]:
    """Every slot of ``slots`` where ``request`` can be booked into ``plan``, cheapest first.

    Parameters
    ----------
    problem, plan
        The day: ``plan`` is a plan of ``problem`` (the published plan).
    request
        The request to book; not in ``problem``. Its own windows (if any) cut
        every slot.
    slots
        Candidate windows (:func:`~fieldops.solver.slots.grid.day_slots`).
    params
        See :class:`SlotParams`.

    Raises
    ------
    FieldError
        ``request.id`` when ``problem`` already holds the request.
    """
    params = params or SlotParams()
    if request.id in problem.request_by_id:
        raise FieldError("request.id", f"request {request.id!r} already exists")
    wanted = [s for s in slots if (params.not_before is None or s.start >= params.not_before)
              and slot_windows(request, s)]
    able = [s for s in problem.shifts if may_take(problem, s, request)]
    able.sort(key=lambda s: nearness(problem, s, plan.route_for(s.id), request))
    per_slot: list[tuple[TimeWindow, tuple[TimeWindow, ...], list[Shift]]] = []
    for slot in wanted:
        windows = slot_windows(request, slot)
        # may_take with the slot as the request's windows: only the overlap differs.
        shifts = [s for s in able if any(w.start <= s.latest_end and s.start <= w.end
                                         for w in windows)][:params.candidates]
        if shifts:
            per_slot.append((slot, windows, shifts))
    used = list({s.id: s for _, _, shifts in per_slot for s in shifts}.values())
    if not used:
        return []
    search = DaySearch(problem, plan, used, request)
    index = {s.id: v for v, s in enumerate(used)}
    out = []
    for slot, windows, shifts in per_slot:
        search.set_window(windows)
        place = search.best([index[s.id] for s in shifts])
        if place is not None:
            out.append(search.offer(slot, place, windows, params))
    out.sort(key=lambda o: (o.added_cost, o.slot.start))
    return out

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

* **Relocation.** When the best place costs more than a reassignment (or there is
  none), moving planned jobs to other routes is tried too
  (:func:`~fieldops.solver.live.relocate.best_relocation`, the call the booking's
  ``insert_job(relocate=...)`` makes on the same routes in the same order), and
  wins when it costs less; it is priced with ``reassigned`` per moved job.
* **SLA breaches** are priced at the whole day's travel bound (with the new job),
  as the day's objective prices them, not at the candidate routes' smaller one.
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
from fieldops.solver.dispatch.distributed import travel_bound
from fieldops.solver.dispatch.schedule import RouteEvaluator, Schedule
from fieldops.solver.live.insert import InsertParams, may_take, nearness
from fieldops.solver.live.relocate import (
    DEFAULT_RELOCATE,
    Lows,
    Placements,
    RelocateLimits,
    best_relocation,
    held,
    may_fit,
    reassign_price,
    screens,
    without_lunch,
)
from fieldops.solver.slots.grid import DEFAULT_GRID, slot_id, slot_windows

SECONDS_PER_HOUR = 3600


@dataclass(frozen=True, slots=True)
class SlotParams:
    """``grid``: slot length; ``candidates``: routes tried per slot, nearest first
    (that of :class:`~fieldops.solver.live.InsertParams`); ``not_before``: no slot
    starts earlier (``as_of`` plus a lead time); ``arrival_step``: precision of
    ``latest_arrival``; ``relocate``: the bounds of the relocation repair (moving
    planned jobs to other candidate routes when the new job's best place costs
    more than a reassignment, :mod:`fieldops.solver.live.relocate`; ``None``: never);
    ``future``: the day's work has not started, so a planned job may start earlier
    than planned, inside its own windows (a customer was promised a window, not a
    minute); a live day's caller says ``False`` (the service does, from the live
    state): then every planned job starts no earlier than planned."""

    grid: timedelta = DEFAULT_GRID
    candidates: int = InsertParams().candidates
    not_before: datetime | None = None
    arrival_step: timedelta = timedelta(minutes=5)
    relocate: RelocateLimits | None = DEFAULT_RELOCATE
    # Not guessed from the problem: a job pinned to a start may be an appointment
    # fixed to the minute (generate_field_day has one a day), not work under way.
    future: bool = True


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
    moved: tuple[str, ...] = ()  # other jobs whose start or technician the booking changes
    relocated: tuple[str, ...] = ()  # of those, the jobs moved to another technician

    @property
    def id(self) -> str:
        return slot_id(self.slot)


# ---------------------------------------------------------------- candidates
# ---------------------------------------------------------------- the day's model
def light_context(problem: DispatchProblem, jobs: list[ServiceRequest],
                  shifts: list[Shift], bound: float | None = None) -> ModelContext:
    """The integer model of ``jobs`` on ``shifts`` that the route evaluator needs
    (matrix, origin, service times), without an OR-Tools routing model: node
    layout and units as :func:`fieldops.solver.dispatch.model.build_model`.
    ``bound``: the travel bound (objective units) to price SLA breaches with; by
    default that of ``jobs`` and ``shifts`` alone."""
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
    if bound is None:
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
    cost: int  # the evaluator's delta of every changed route
    moves: bool
    # A relocation: the other routes it changes (vehicle -> route, schedule) and
    # the jobs it moves to them.
    others: dict[int, tuple[list[int], Schedule]] = dataclasses.field(default_factory=dict)
    relocated: list[int] = dataclasses.field(default_factory=list)
    quiet_first: bool = True  # moving nobody ranks first (not on a day not started)

    @property
    def rank(self) -> tuple[bool, int]:
        return (self.moves and self.quiet_first, self.cost)


class DaySearch:
    """The new request (node 0) against the candidate routes of one day."""

    NEW = 0

    def __init__(self, problem: DispatchProblem, plan: DispatchPlan, shifts: list[Shift],
                 request: ServiceRequest, bound: float | None = None,
                 earlier: bool = False) -> None:
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
        self.earlier = earlier
        self.ctx = light_context(problem, jobs, shifts, bound)
        self.eval = RouteEvaluator(self.ctx)
        # The day as published: every routed job held at its start. Its schedules
        # are the base every delta and every move is measured against; on a live
        # day they are also the rule every insertion keeps.
        at_start = copy.copy(self.eval)
        at_start.windows = self._held(kept)
        if not earlier:
            self.eval.windows = at_start.windows
        # The same routes without lunch: a position that fails even so fails with
        # it (no break only makes every start earlier), which spares most exact
        # (break-anywhere) timings of a full day. The windows are shared.
        self.free = without_lunch(self.eval)
        self.base = [at_start.schedule(v, r, thorough=True)
                     for v, r in enumerate(self.routes)]
        # What the O(1) screens take as each job's earliest start: its start now,
        # or on a future day the earliest its windows allow on its route.
        self.screen = screens(self.free, self.routes, self.base) if earlier else self.base
        # Where each planned job would go (with or without another job of the route
        # there): the same for every slot, only the new job's window changes.
        self.placements: Placements = {}
        self.hosts: dict[tuple[int, int], bool] = {}  # (planned job, vehicle) -> may take
        self.lows: Lows = {}  # a route's earliest starts without one job (future day)

    def _held(self, kept: list[tuple[int, datetime]]) -> list[list[tuple[int, int]]]:
        """The evaluator's windows with every routed job starting no earlier than now
        (as insert_job holds them, on the evaluator's windows: no request is copied);
        work pinned to a start keeps its instant."""
        ctx = self.ctx
        windows = list(self.eval.windows)
        for j, start in kept:
            if ctx.jobs[j].pinned_start is None:
                windows[j] = held(windows[j], ctx.seconds(start), ctx.horizon)
        return windows

    def set_window(self, windows: Sequence[TimeWindow]) -> None:
        """The new job's start-of-service windows (one slot)."""
        self.eval.windows[self.NEW] = [(self.ctx.seconds(w.start), self.ctx.seconds(w.end))
                                       for w in windows]

    def best(self, vehicles: Sequence[int]) -> _Place | None:
        """The position :func:`insert_job` would choose among ``vehicles``."""
        best: _Place | None = None
        for v in vehicles:
            base, route, screen = self.base[v], self.routes[v], self.screen[v]
            if base is None or screen is None \
                    or not self.eval.fits_load(v, [*route, self.NEW]):
                continue
            for p in range(len(route) + 1):
                if not may_fit(self.eval, v, route, screen.starts, self.NEW, p):
                    continue
                trial = [*route[:p], self.NEW, *route[p:]]
                if self.free.schedule(v, trial) is None:
                    continue
                sched = self.eval.schedule(v, trial, thorough=True)
                if sched is None:
                    continue
                others = sched.starts[:p] + sched.starts[p + 1:]
                # As insert_job ranks: on a day not started the cheapest wins.
                found = _Place(v, p, trial, sched, sched.cost - base.cost,
                               others != base.starts, quiet_first=not self.earlier)
                if best is None or found.rank < best.rank:
                    best = found
        return best

    def relocated(self, vehicles: Sequence[int], targets: Sequence[int], place: _Place | None,
                  limits: RelocateLimits) -> _Place | None:
        """``place``, or a relocation that costs less (tried only when ``place``
        costs more than a reassignment or there is none): the rule of
        :func:`fieldops.solver.live.insert_job` with ``relocate``."""
        if place is not None and place.cost <= reassign_price(self.eval):
            return place
        problem, jobs, hosts = self.ctx.problem, self.ctx.jobs, self.hosts

        def may_host(j: int, w: int) -> bool:
            # Planned jobs only (never the new one): the same for every slot.
            found = hosts.get((j, w))
            if found is None:
                found = hosts[j, w] = may_take(problem, self.shifts[w], jobs[j])
            return found

        below = place.cost if place is not None else math.inf
        found = best_relocation(self.eval, self.routes, self.screen, self.NEW, vehicles,
                                targets, may_host, below, limits, self.free,
                                self.placements, self.earlier, self.lows)
        if found is None:
            return place
        return _Place(found.v, found.position, found.route, found.schedule, found.cost, True,
                      found.others, found.jobs)

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

    def _changes(self, place: _Place) -> list[tuple[int, list[int], list[int]]]:
        """(vehicle, new route, new starts) of every route the place changes."""
        return [(place.v, place.route, place.schedule.starts),
                *((w, route, sched.starts) for w, (route, sched) in place.others.items())]

    def _disruption(self, place: _Place) -> tuple[list[str], float, float]:
        """(jobs moved, their disruption cost, the part the evaluator priced): a
        start moved beyond the tolerance, and serving a job on another technician."""
        ctx = self.ctx
        weights = ctx.problem.weights
        tolerance = weights.retime_tolerance.total_seconds()
        old: dict[int, tuple[int, int]] = {}
        for v, _, _ in self._changes(place):
            base = self.base[v]
            assert base is not None
            old.update((j, (v, at)) for j, at in zip(self.routes[v], base.starts, strict=True))
        moved, disruption, priced = [], 0.0, 0.0
        for v, route, starts in self._changes(place):
            for j, start in zip(route, starts, strict=True):
                if j == self.NEW or old[j] == (v, start):
                    continue
                moved.append(ctx.jobs[j].id)
                late = max(0.0, abs(start - old[j][1]) - tolerance)
                cost = late / SECONDS_PER_HOUR * weights.retimed_per_hour
                if old[j][0] != v:
                    cost += weights.reassigned
                disruption += cost
                if ctx.jobs[j].baseline_technician is not None:
                    # The evaluator's disruption term already priced this one (a
                    # live day's job, from its published start): not twice.
                    priced += cost
        return moved, disruption, priced

    def offer(self, slot: TimeWindow, place: _Place, windows: Sequence[TimeWindow],
              params: SlotParams) -> SlotOffer:
        """The :class:`SlotOffer` of ``place`` (the new job's windows set)."""
        ctx = self.ctx
        moved, disruption, priced = self._disruption(place)
        end = max(self.ctx.seconds(w.end) for w in windows)
        latest = self.latest_start(place, end, max(1, int(params.arrival_step.total_seconds())))
        travel = sum(self._travel_on(v, route) - self._travel_on(v, self.routes[v])
                     for v, route, _ in self._changes(place))
        relocated = tuple(sorted(ctx.jobs[j].id for j in place.relocated))
        return SlotOffer(
            slot=slot, earliest_arrival=_at(ctx, place.schedule.starts[place.position]),
            latest_arrival=_at(ctx, latest),
            added_cost=round(place.cost / COST_SCALE + disruption - priced, 3),
            added_travel=timedelta(seconds=travel),
            disruption=round(disruption, 3), shift_id=self.shifts[place.v].id,
            moved=tuple(sorted(moved)), relocated=relocated)

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
    near: dict[str, float] = {}

    def key(s: Shift) -> float:
        if s.id not in near:
            near[s.id] = nearness(problem, s, plan.route_for(s.id), request)
        return near[s.id]

    able = sorted((s for s in problem.shifts if may_take(problem, s, request)), key=key)
    everyone: list[Shift] = []
    per_slot: list[tuple[TimeWindow, tuple[TimeWindow, ...], list[Shift], list[Shift]]] = []
    for slot in wanted:
        windows = slot_windows(request, slot)
        # may_take with the slot as the request's windows: only the overlap differs.
        shifts = [s for s in able if any(w.start <= s.latest_end and s.start <= w.end
                                         for w in windows)][:params.candidates]
        if not shifts:
            continue
        # A relocation's targets: the booking's sub-problem (insert_job's candidates
        # topped up with the nearest others), in its order.
        targets = shifts
        if params.relocate is not None and len(shifts) < params.candidates:
            everyone = everyone or sorted(problem.shifts, key=key)
            ids = {s.id for s in shifts}
            targets = shifts + [s for s in everyone
                                if s.id not in ids][:params.candidates - len(shifts)]
        per_slot.append((slot, windows, shifts, targets))
    used = list({s.id: s for *_, targets in per_slot for s in targets}.values())
    if not used:
        return []
    # SLA breaches priced as the whole day's objective prices them (its travel
    # bound, with the new job), not by the candidate routes' smaller bound.
    bound = travel_bound(problem, [request])
    search = DaySearch(problem, plan, used, request, bound, params.future)
    index = {s.id: v for v, s in enumerate(used)}
    out = []
    for slot, windows, shifts, targets in per_slot:
        search.set_window(windows)
        vehicles = [index[s.id] for s in shifts]
        place = search.best(vehicles)
        if params.relocate is not None:
            place = search.relocated(vehicles, [index[s.id] for s in targets], place,
                                     params.relocate)
        if place is not None:
            out.append(search.offer(slot, place, windows, params))
    out.sort(key=lambda o: (o.added_cost, o.slot.start))
    return out

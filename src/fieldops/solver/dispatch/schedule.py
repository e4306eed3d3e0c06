"""The exact route evaluator: the one place that times a route and prices it.

Two views of the same rules:

* :class:`RouteEvaluator` (integer model seconds and costs, see
  :mod:`.context`) times a route for the search: construction, ruin and recreate
  and the re-timing of an engine's routes all ask it. Service starts as early as
  its windows allow; the route fails when a window is missed, the break cannot
  start in its window, or the vehicle is back after shift end plus overtime. It
  prices the route with the coefficients the constraint modules define for the
  routing model, written out in one loop (:meth:`RouteEvaluator._run`; a
  callback per constraint family there would cost the search its speed). Each
  schedule keeps the state of both lunch rules before every job (a
  :class:`Trace`), so that a trial route sharing its first jobs with a timed one
  (an insertion, a string taken out) is timed from there
  (:meth:`RouteEvaluator.resume`): the same schedule as from the route's start.
* :func:`time_route` (aware datetimes, exact travel) fixes every time of a route
  whose starts of service are known, for the plan; :func:`price_route` prices it
  with each constraint module's own ``penalty`` in objective units.

Lunch. It is taken where it costs no time: on site while waiting for a window
when it fits there; otherwise it is put off as long as it can still start after
the next job (lazy) or, when that schedule fails or makes an SLA job late,
taken at the first stop finished after its window opens (eager) if that is
cheaper; after the last job, after return when its window allows, else at the
last site. Routes another engine built may need it before any leg
(:meth:`RouteEvaluator.schedule` with ``thorough``, which also tries every
placement when an SLA job is still late). The plan
keeps the break the search chose and moves it, within the same gap, on site
after arrival or else before leaving the previous stop (:func:`place_break`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fieldops.domain.problem import DispatchProblem
from fieldops.domain.requests import ServiceRequest
from fieldops.domain.resources import LunchBreak, Shift
from fieldops.solver.dispatch import constraints
from fieldops.solver.dispatch.constraints.capacity import demand, vehicle_capacity
from fieldops.solver.dispatch.constraints.disruption import Term
from fieldops.solver.dispatch.constraints.disruption import term as disruption_term
from fieldops.solver.dispatch.constraints.labour import labour_coefficient
from fieldops.solver.dispatch.constraints.preferences import penalty_of
from fieldops.solver.dispatch.constraints.shifts import overtime_coefficient
from fieldops.solver.dispatch.constraints.sla import breach_cost, lateness_term
from fieldops.solver.dispatch.constraints.travel import base_cost_matrix
from fieldops.solver.dispatch.context import ModelContext
from fieldops.solver.dispatch.timed import Legs, Penalty, RawRoute, TimedRoute, TimedStop

INFEASIBLE = None
Lunch = tuple[int, int, int]  # earliest start, latest start, duration (model seconds)
Window = tuple[int, int]
LegOf = Callable[[tuple[str, object], tuple[str, object]], Legs]


# ------------------------------------------------------------ integer model view
SlaTerm = tuple[int, int, int]  # deadline, cost per second late, breach (model units)


def sla_term(ctx: ModelContext, job: ServiceRequest) -> SlaTerm | None:
    """``job``'s SLA as the evaluator prices it (:mod:`.constraints.sla`), or ``None``
    when being late costs nothing."""
    hourly, breach = lateness_term(ctx, job), breach_cost(ctx, job)
    if hourly is None and breach == 0:
        return None
    if hourly is not None:
        return hourly[0], hourly[1], breach
    deadline = ctx.problem.sla_deadline(job)
    assert deadline is not None  # a breach cost needs a deadline
    return ctx.seconds(deadline), 0, breach


@dataclass
class VehicleTimes:
    """One shift in model seconds and integer costs."""

    start: int  # earliest departure
    latest_end: int  # shift end + maximum overtime (hard)
    soft_end: int  # shift end: overtime is paid after it
    lunch: Lunch | None
    capacity: int | None  # None: unlimited
    start_node: int
    end_node: int
    overtime_cost: int  # integer cost per second back after ``soft_end``
    labour_cost: int = 0  # integer cost per second of route span


def vehicle_times(ctx: ModelContext) -> list[VehicleTimes]:
    """Every modelled shift of ``ctx`` as :class:`VehicleTimes`."""
    overtime = overtime_coefficient(ctx)
    out = []
    for v, shift in enumerate(ctx.vehicles):
        lunch = None
        if shift.lunch is not None:
            lunch = (ctx.seconds(shift.lunch.earliest_start),
                     ctx.seconds(shift.lunch.latest_start),
                     ctx.seconds_up(shift.lunch.duration))
        out.append(VehicleTimes(
            start=ctx.seconds(shift.start), latest_end=ctx.seconds(shift.latest_end),
            soft_end=ctx.seconds(shift.end), lunch=lunch,
            capacity=vehicle_capacity(ctx, shift),
            start_node=ctx.start_node(v), end_node=ctx.end_node(v),
            overtime_cost=overtime if shift.max_overtime.total_seconds() > 0 else 0,
            labour_cost=labour_coefficient(ctx, shift),
        ))
    return out


def job_windows(ctx: ModelContext) -> list[list[Window]]:
    """Start-of-service windows per job in model seconds; never empty (a pinned
    start is a window of one instant, no window is the whole horizon)."""
    out = []
    for job in ctx.jobs:
        if job.pinned_start is not None:
            at = ctx.seconds(job.pinned_start)
            out.append([(at, at)])
        elif job.windows:
            out.append([(ctx.seconds(x.start), ctx.seconds(x.end)) for x in job.windows])
        else:
            out.append([(0, ctx.horizon)])
    return out


# Before a route's k-th job: when the previous stop is left (or the shift starts),
# the break's start (None: not taken yet), the cost so far, whether a job was late.
State = tuple[int, int | None, int, bool]


@dataclass(slots=True)
class Trace:
    """How the lazy and the eager lunch rule time a route, job by job, so that a
    route sharing its first jobs with it is timed from there (:meth:`RouteEvaluator.resume`).

    ``lazy[k]`` is the lazy rule's state before job ``k`` (shorter than the route
    plus one when the rule fails at job ``len(lazy) - 1``), ``lazy_starts`` its
    starts of service so far. Both rules decide alike until ``diverge``, the
    first job before which the eager one takes the break and the lazy one does
    not (-1: never, and the eager schedule is the lazy one). ``eager`` and
    ``eager_starts`` likewise for the eager rule (every job, the shared prefix
    included), filled when first needed.
    """

    lazy: list[State]
    lazy_starts: list[int]
    diverge: int
    eager: list[State] | None = None
    eager_starts: list[int] | None = None


@dataclass
class Schedule:
    """A route's exact timing on the integer model: start of service per job, the
    break's start (``None``: no break), the return and the integer cost."""

    starts: list[int]
    break_start: int | None
    end: int
    cost: int
    late: bool = False  # some job starts after its SLA deadline
    # The route's lazy and eager runs (a cache for resume; not part of the timing).
    trace: Trace | None = field(default=None, compare=False, repr=False)


class RouteEvaluator:
    """Times and prices routes (job nodes per vehicle) of a :class:`ModelContext`.

    Every cost comes from the constraint module that defines it in the routing
    model, so the construction and the search optimise the same objective.
    """

    def __init__(self, ctx: ModelContext) -> None:
        self.ctx = ctx
        self.travel = ctx.travel_seconds
        self.arc_cost = base_cost_matrix(ctx)
        self.service = ctx.service_seconds
        self.vehicles = vehicle_times(ctx)
        self.windows = job_windows(ctx)
        self.sla: list[SlaTerm | None] = [sla_term(ctx, job) for job in ctx.jobs]
        self.load: list[int] = [demand(job) for job in ctx.jobs]
        penalty = penalty_of(ctx)
        self.preferred: list[set[int] | None] = []
        for job in ctx.jobs:
            if job.preferred_technicians and penalty:
                self.preferred.append({v for v, s in enumerate(ctx.vehicles)
                                       if s.technician_id in job.preferred_technicians})
            else:
                self.preferred.append(None)
        self.penalty = penalty
        self.disruption: list[Term | None] = [disruption_term(ctx, job) for job in ctx.jobs]

    def fits_load(self, v: int, route: list[int]) -> bool:
        """Whether ``route``'s jobs fit vehicle ``v``'s capacity (none: always)."""
        cap = self.vehicles[v].capacity
        return cap is None or sum(self.load[j] for j in route) <= cap

    def empty(self, v: int) -> Schedule:
        """The schedule of vehicle ``v`` with no job."""
        return Schedule([], None, self.vehicles[v].start, 0)

    def departure(self, v: int, route: list[int], schedule: Schedule) -> int:
        """When vehicle ``v`` leaves for ``route`` timed as ``schedule``: as late as
        the first start of service allows (no idle wait at the first site), or at
        the shift's start when the break comes before the first job."""
        veh = self.vehicles[v]
        if not route or (schedule.break_start is not None
                         and schedule.break_start < schedule.starts[0]):
            return veh.start
        return max(veh.start, schedule.starts[0] - int(self.travel[veh.start_node, route[0]]))

    def _first_start(self, job: int, arrival: int) -> int:
        for a, b in self.windows[job]:
            if arrival <= b:
                return max(arrival, a)
        return -1

    def schedule(self, v: int, route: list[int], *, thorough: bool = False
                 ) -> Schedule | None:
        """Earliest feasible schedule of ``route`` on vehicle ``v``, or ``None``.

        The break goes on site while waiting for a window when it fits there;
        otherwise it is put off as long as it can still start after the next job
        (lazy) — or, if that schedule fails or makes an SLA job late, taken at the
        first stop finished after its window opens (eager) when that is cheaper.
        After the last job it is taken after return when possible. ``thorough``:
        when both rules fail or leave an SLA job late, also try the break at every
        stop (:meth:`_break_anywhere`; a route another engine built may need that).
        """
        veh = self.vehicles[v]
        if not route:
            return Schedule([], None, veh.start, 0)
        trace = Trace([(veh.start, None, 0, False)], [], -1)
        return self._timed(v, veh, route, 0, None, trace, thorough)

    def resume(self, v: int, route: list[int], p: int, old: list[int], old_schedule: Schedule,
               *, thorough: bool = False) -> Schedule | None:
        """:meth:`schedule` of ``route`` on vehicle ``v``, whose first ``p`` jobs are
        those of ``old`` (timed as ``old_schedule``): the timing resumes at job
        ``p`` from the state ``old_schedule``'s trace kept there (an insertion
        at ``p``, or jobs taken out from ``p`` on). The same schedule as
        :meth:`schedule` in every case; from the start when there is no trace.
        """
        base = old_schedule.trace
        if base is None or not route:
            return self.schedule(v, route, thorough=thorough)
        veh = self.vehicles[v]
        if p < len(base.lazy):
            trace = Trace(base.lazy[:p + 1], base.lazy_starts[:p],
                          base.diverge if base.diverge < p else -1)
        else:  # the lazy rule fails before job p, on ``route`` as on ``old``
            trace = Trace(base.lazy, base.lazy_starts, base.diverge)
        return self._timed(v, veh, route, p, (old, base), trace, thorough)

    def _timed(self, v: int, veh: VehicleTimes, route: list[int], p: int,
               base: tuple[list[int], Trace] | None, trace: Trace, thorough: bool
               ) -> Schedule | None:
        """:meth:`schedule` from job ``p`` on, ``trace`` holding the lazy rule's
        states up to there (``base``: the route and trace they come from)."""
        lazy: Schedule | None = None
        if p < len(trace.lazy):
            lazy, diverge = self._run(v, veh, route, p, trace.lazy, trace.lazy_starts, False)
            if trace.diverge < 0:
                trace.diverge = diverge
        best = lazy
        if veh.lunch is not None and (lazy is None or lazy.late):
            # Lunch put off as long as possible can make an SLA job late where an
            # earlier lunch (in a wait, or before a stop with slack) would not: then
            # the cheaper of the two, and with ``thorough`` of every placement.
            if trace.diverge >= 0:  # else the eager rule times the route as the lazy one
                best = _cheaper(lazy, self._eager(v, veh, route, p, base, trace))
            if thorough and (best is None or best.late):
                best = _cheaper(best, self._break_anywhere(v, route))
        if best is not None:
            best.trace = trace
        return best

    def _eager(self, v: int, veh: VehicleTimes, route: list[int], p: int,
               base: tuple[list[int], Trace] | None, trace: Trace) -> Schedule | None:
        """The eager rule's schedule of ``route`` (see :meth:`_timed`), its run kept
        in ``trace``: from where it departs from the lazy rule, or from job ``p``
        with the eager states of ``base`` when it departs before ``p``."""
        d = trace.diverge
        if base is None or d >= p:
            states, starts, k = trace.lazy[:d + 1], trace.lazy_starts[:d], d
        else:
            old, old_trace = base
            if old_trace.eager is None:
                old_trace.eager = old_trace.lazy[:d + 1]
                old_trace.eager_starts = old_trace.lazy_starts[:d]
                self._run(v, veh, old, d, old_trace.eager, old_trace.eager_starts, True)
            assert old_trace.eager_starts is not None
            if p >= len(old_trace.eager):  # fails before job p, as on ``old``
                trace.eager, trace.eager_starts = old_trace.eager, old_trace.eager_starts
                return None
            states, starts, k = old_trace.eager[:p + 1], old_trace.eager_starts[:p], p
        trace.eager, trace.eager_starts = states, starts
        return self._run(v, veh, route, k, states, starts, True)[0]

    def _run(self, v: int, veh: VehicleTimes, route: list[int], k0: int,
             states: list[State], starts: list[int], eager: bool
             ) -> tuple[Schedule | None, int]:
        """The lazy (or ``eager``) rule of :meth:`schedule` from job ``k0`` on, from
        ``states[k0]``; appends each later state to ``states`` and each start to
        ``starts``. Returns the schedule and the first job from ``k0`` on where the
        eager rule would take the break and the lazy one does not (-1: none).

        The same loop as :meth:`_schedule` without ``break_before`` (which stays
        as the reference the tests compare this one with).
        """
        # Bound ``item`` lookups: a Python int at a third of the cost of indexing
        # and converting (this loop is most of the search's time).
        travel, service = self.travel.item, self.service
        windows, soft = self.windows, self._soft
        t, break_start, cost, late = states[k0]
        lunch = veh.lunch
        taken = lunch is None or break_start is not None
        earliest, latest, length = lunch if lunch is not None else (0, 0, 0)
        here = route[k0 - 1] if k0 else veh.start_node
        diverge = -1
        for k in range(k0, len(route)):
            job = route[k]
            drive = travel(here, job)
            arrival = t + drive
            for a, b in windows[job]:
                if arrival <= b:
                    start = arrival if arrival > a else a
                    break
            else:
                start = -1
            if not taken:
                on_site = arrival if arrival > earliest else earliest
                if start >= 0 and on_site <= latest and on_site + length <= start:
                    break_start, taken = on_site, True  # while waiting for the window
                elif (start < 0 or start + service[job] > latest
                      or (eager and t >= earliest)):
                    before = t if t > earliest else earliest  # before leaving for job
                    if before > latest:
                        return INFEASIBLE, diverge
                    break_start, taken = before, True
                    start = self._first_start(job, before + length + drive)
                elif diverge < 0 and t >= earliest:
                    diverge = k
            if start < 0:
                return INFEASIBLE, diverge
            extra, was_late = soft(v, here, job, start)
            cost += extra
            late = late or was_late
            starts.append(start)
            t = start + service[job]
            here = job
            states.append((t, break_start, cost, late))
        return self._home(veh, here, t, None if taken else lunch, break_start,
                          starts, cost, late), diverge

    def _schedule(self, v: int, veh: VehicleTimes, route: list[int], *, eager: bool,
                  break_before: int | None = None, on_arrival: bool = False
                  ) -> Schedule | None:
        """See :meth:`schedule`; ``break_before = k`` takes the break before the
        route's ``k``-th job and nowhere else: before leaving the previous stop, or
        ``on_arrival`` before the service (``k = len(route)``: after the last job,
        as :meth:`schedule` does there)."""
        # Bound ``item`` lookups: a Python int at a third of the cost of indexing
        # and converting (this loop is most of the construction's time).
        travel, service = self.travel.item, self.service
        first_start, windows, soft = self._first_start, self.windows, self._soft
        lunch = veh.lunch
        taken = lunch is None
        break_start: int | None = None
        t = veh.start
        here = veh.start_node
        cost = 0
        late = False
        starts: list[int] = []
        for k, job in enumerate(route):
            drive = travel(here, job)
            if k == break_before and lunch is not None:
                earliest, latest, length = lunch
                if on_arrival:  # on site, before the service
                    break_start, taken = max(t + drive, earliest), True
                    t, drive = break_start + length, 0
                else:  # at the previous stop (or the start), before leaving
                    break_start, taken = max(t, earliest), True
                    t = break_start + length
                if break_start > latest:
                    return INFEASIBLE
            arrival = t + drive
            for a, b in windows[job]:  # _first_start, inline: the hottest line
                if arrival <= b:
                    start = arrival if arrival > a else a
                    break
            else:
                start = -1
            if not taken and lunch is not None and break_before is None:
                earliest, latest, length = lunch
                on_site = max(arrival, earliest)
                if start >= 0 and on_site <= latest and on_site + length <= start:
                    break_start, taken = on_site, True  # while waiting for the window
                elif start < 0 or (eager and t >= earliest) or start + service[job] > latest:
                    before = max(t, earliest)  # before leaving for this job
                    if before > latest:
                        return INFEASIBLE
                    break_start, taken = before, True
                    start = first_start(job, before + length + drive)
            if start < 0:
                return INFEASIBLE
            extra, was_late = soft(v, here, job, start)
            cost += extra
            late = late or was_late
            starts.append(start)
            t = start + service[job]
            here = job
        return self._home(veh, here, t, None if taken else lunch, break_start,
                          starts, cost, late)

    def _soft(self, v: int, here: int, job: int, start: int) -> tuple[int, bool]:
        """The soft terms of serving ``job`` on vehicle ``v`` at ``start`` after
        ``here``: SLA lateness, preference, disruption and travel; and whether the
        job is late."""
        cost = self.arc_cost.item(here, job)
        late = False
        sla = self.sla[job]
        if sla is not None and start > sla[0]:
            cost += (start - sla[0]) * sla[1] + sla[2]
            late = True
        pref = self.preferred[job]
        if pref is not None and v not in pref:
            cost += self.penalty
        moved = self.disruption[job]
        if moved is not None:
            cost += moved.cost(v, start)
        return cost, late

    def _home(self, veh: VehicleTimes, here: int, t: int, lunch: Lunch | None,
              break_start: int | None, starts: list[int], cost: int, late: bool
              ) -> Schedule | None:
        """The end of :meth:`_schedule`: the way home from ``here`` (free at ``t``)
        with the break still to take (``lunch``) on it, then the shift's end and
        overtime added to the route's ``cost`` so far."""
        drive = self.travel.item(here, veh.end_node)
        end = t + drive
        if lunch is not None:
            earliest, latest, length = lunch
            if end <= latest:
                break_start = max(end, earliest)  # after return, off the clock
            elif t <= latest:
                break_start = max(t, earliest)  # at the last site, then home
                end = break_start + length + drive
            else:
                return INFEASIBLE
        cost += self.arc_cost.item(here, veh.end_node)
        if end > veh.latest_end:
            return INFEASIBLE
        if end > veh.soft_end:  # shifts (overtime)
            cost += (end - veh.soft_end) * veh.overtime_cost
        return Schedule(starts, break_start, end, cost, late)

    def _break_anywhere(self, v: int, route: list[int]) -> Schedule | None:
        """The cheapest schedule of ``route`` with the break before one of its legs.

        Another engine may place the break where neither the lazy nor the eager
        rule of :meth:`schedule` would (VROOM: anywhere its window allows); trying
        it at every stop keeps such routes whole when they are re-timed.
        """
        veh = self.vehicles[v]
        best: Schedule | None = None
        for k in range(len(route) + 1):
            for on_arrival in (False, True):
                trial = self._schedule(v, veh, route, eager=False, break_before=k,
                                       on_arrival=on_arrival)
                if trial is not None and (best is None or trial.cost < best.cost):
                    best = trial
        return best


def _cheaper(a: Schedule | None, b: Schedule | None) -> Schedule | None:
    """The cheaper feasible schedule (``a`` on a tie), ``None`` when neither is."""
    if a is None or (b is not None and b.cost < a.cost):
        return b
    return a


# ------------------------------------------------------------ real units
def place_break(ready: datetime, drive: timedelta, next_start: datetime,
                chosen: datetime, lunch: LunchBreak) -> tuple[datetime, datetime]:
    """Where in the gap between a stop left at ``ready`` and the next start of
    service the break goes; returns (break start, arrival at the next stop).

    On site after arriving when it fits before ``next_start``; else at the
    previous stop before leaving; else where the search put it (``chosen``: a
    stop on the way).
    """
    duration = lunch.duration
    on_site = max(ready + drive, lunch.earliest_start)
    if on_site <= lunch.latest_start and on_site + duration <= next_start:
        return on_site, ready + drive
    before = max(ready, lunch.earliest_start)
    if before <= lunch.latest_start and before + duration + drive <= next_start:
        return before, before + duration + drive
    return chosen, ready + drive + duration


def _break_outside(lunch: LunchBreak, departure: datetime, end: datetime, n_jobs: int
                   ) -> tuple[datetime, int]:
    """The break the search put outside the route's span: before departure or after
    return, whichever its window allows; (start, position among the steps)."""
    if lunch.earliest_start + lunch.duration <= departure:
        return min(lunch.latest_start, departure - lunch.duration), 0
    return max(lunch.earliest_start, end), n_jobs + 2


def _arrivals(raw: RawRoute, durations: list[timedelta], legs: list[Legs]
              ) -> tuple[list[datetime], datetime, tuple[datetime, int] | None]:
    """Arrival at each stop, the return, and the break (start, position) when it
    falls inside the route: in the gap that holds the search's break start."""
    lunch = raw.shift.lunch
    chosen = raw.break_start
    ready = raw.departure
    arrivals: list[datetime] = []
    end = raw.departure
    placed: tuple[datetime, int] | None = None
    for k, legs_k in enumerate(legs):
        is_end = k == len(legs) - 1
        drive = timedelta(seconds=legs_k.seconds_up)
        next_start = raw.starts[k] if not is_end else None
        arrival = ready + drive
        if (chosen is not None and placed is None and lunch is not None and chosen >= ready
                and (next_start is None or chosen + lunch.duration <= next_start)):
            if next_start is None:
                # After the last job: a stop on the way home, or off the clock at home.
                if chosen < arrival:
                    arrival = ready + drive + lunch.duration
                    placed = (chosen, k + 1)
                else:
                    placed = (chosen, k + 2)
            else:
                at, arrival = place_break(ready, drive, next_start, chosen, lunch)
                placed = (at, k + 1)
        if is_end:
            end = arrival
        else:
            arrivals.append(arrival)
            ready = raw.starts[k] + durations[k]
    return arrivals, end, placed


def time_route(problem: DispatchProblem, raw: RawRoute, leg: LegOf) -> TimedRoute:
    """``raw`` with every time fixed in real units (starts of service as given).

    ``leg(a, b)`` returns the :class:`Legs` between two node keys:
    ``("s", shift id)``, ``("j", request index)``, ``("e", shift id)``.
    """
    shift: Shift = raw.shift
    requests = [problem.requests[j] for j in raw.jobs]
    keys = [("s", shift.id)] + [("j", j) for j in raw.jobs] + [("e", shift.id)]
    legs = [leg(keys[k], keys[k + 1]) for k in range(len(keys) - 1)]
    arrivals, end, placed = _arrivals(raw, [r.duration for r in requests], legs)
    if shift.lunch is not None and placed is None:
        placed = _break_outside(shift.lunch, raw.departure, end, len(requests))
    stops = tuple(
        TimedStop(request=req, arrival=arrivals[k], start=raw.starts[k],
                  travel=timedelta(seconds=legs[k].seconds), distance=legs[k].metres)
        for k, req in enumerate(requests))
    return TimedRoute(
        shift=shift, technician=problem.technician_by_id[shift.technician_id],
        departure=raw.departure, stops=stops, end=end,
        last_travel=timedelta(seconds=legs[-1].seconds), last_distance=legs[-1].metres,
        break_start=placed[0] if placed is not None else None,
        break_position=placed[1] if placed is not None else 0,
    )


def price_route(problem: DispatchProblem, route: TimedRoute) -> list[Penalty]:
    """Every soft constraint module's penalty of ``route``, in the order of
    :data:`fieldops.solver.dispatch.constraints.ROUTE_PENALTIES`."""
    return [rule(problem, route) for rule in constraints.ROUTE_PENALTIES]


def check_route(problem: DispatchProblem, route: TimedRoute) -> list[Penalty]:
    """Every hard constraint module's violation of ``route`` (all zero when valid)."""
    return [rule(problem, route) for rule in constraints.HARD_CHECKS]

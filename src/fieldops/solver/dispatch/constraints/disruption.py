"""Minimal disruption (soft): the cost of changing a published plan.

A job the published plan held carries its ``baseline_technician`` and
``baseline_start`` (set by :func:`fieldops.solver.live.replan_problem`). A re-plan
pays, in objective units (weights of :class:`~fieldops.domain.ObjectiveWeights`):

* ``reassigned`` per job served by another technician than its baseline one
  (default 3 600, an hour of driving);
* ``retimed_per_hour`` per hour its start lies more than ``retime_tolerance``
  (default 30 min) before or after its baseline start (default 1 800 / h);
* ``dropped_published`` × the travel bound per published job left out (default
  10, on top of its priority's ``unassigned`` weight: the drop term is part of
  the job's disjunction, see :func:`drop_term` and :mod:`.priority`).

Routing model: the reassignments are counted per vehicle by a unary transit
(1 for a job whose baseline technician is not the vehicle's) with a soft upper
bound of zero at the route's end; the re-timing is a soft lower bound at
``baseline - tolerance`` and, on jobs without an SLA deadline, a soft upper
bound at ``baseline + tolerance`` on the job's time (OR-Tools keeps one soft
upper bound per variable, and the SLA's wins there; the evaluator and the plan's
penalty charge both). The evaluator (:mod:`..schedule`) adds :func:`term`'s cost
inline.

Plan penalty key: ``disruption``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fieldops.domain.plan import Unassigned
from fieldops.domain.problem import DispatchProblem
from fieldops.domain.requests import ServiceRequest
from fieldops.solver.dispatch.constraints.sla import lateness_term
from fieldops.solver.dispatch.context import COST_SCALE, ModelContext
from fieldops.solver.dispatch.timed import Penalty, TimedRoute

NAME = "disruption"
SECONDS_PER_HOUR = 3600
DISRUPTION_DIMENSION = "reassigned"


@dataclass(frozen=True, slots=True)
class Term:
    """One job's disruption cost on the integer model."""

    vehicles: frozenset[int]  # the baseline technician's vehicles (no reassignment cost)
    reassign_cost: int  # integer cost when served by any other vehicle
    earliest: int | None  # model seconds: baseline start - tolerance (None: no baseline start)
    latest: int | None  # baseline start + tolerance
    per_second: int  # integer cost per second outside [earliest, latest]

    def cost(self, v: int, start: int) -> int:
        """Integer cost of serving the job on vehicle ``v`` from ``start``."""
        cost = 0 if v in self.vehicles else self.reassign_cost
        if self.earliest is not None and self.latest is not None:
            if start < self.earliest:
                cost += (self.earliest - start) * self.per_second
            elif start > self.latest:
                cost += (start - self.latest) * self.per_second
        return cost


def _per_second(ctx: ModelContext) -> int:
    return round(ctx.problem.weights.retimed_per_hour / SECONDS_PER_HOUR * COST_SCALE)


def term(ctx: ModelContext, job: ServiceRequest) -> Term | None:
    """The job's :class:`Term`, or ``None`` when it has no baseline (or costs 0)."""
    if job.baseline_technician is None:
        return None
    w = ctx.problem.weights
    earliest = latest = None
    if job.baseline_start is not None:
        tolerance = w.retime_tolerance
        earliest = ctx.seconds(job.baseline_start - tolerance)
        latest = ctx.seconds(job.baseline_start + tolerance)
    found = Term(
        vehicles=frozenset(v for v, s in enumerate(ctx.vehicles)
                           if s.technician_id == job.baseline_technician),
        reassign_cost=round(w.reassigned * COST_SCALE),
        earliest=earliest, latest=latest, per_second=_per_second(ctx))
    if found.reassign_cost == 0 and (earliest is None or found.per_second == 0):
        return None
    return found


def drop_term(ctx: ModelContext, job: ServiceRequest) -> int:
    """Integer extra cost of leaving out a job the published plan held."""
    if job.baseline_technician is None:
        return 0
    return round(ctx.problem.weights.dropped_published * ctx.travel_bound)


def apply(ctx: ModelContext) -> None:
    terms = [term(ctx, job) for job in ctx.jobs]
    _apply_reassignment(ctx, terms)
    dim = ctx.time_dimension
    assert dim is not None
    for j, found in enumerate(terms):
        if found is None or found.earliest is None or found.per_second == 0:
            continue
        index = ctx.job_index(j)
        dim.SetCumulVarSoftLowerBound(index, found.earliest, found.per_second)
        if lateness_term(ctx, ctx.jobs[j]) is None:  # one soft upper bound per variable
            dim.SetCumulVarSoftUpperBound(index, found.latest, found.per_second)


def _apply_reassignment(ctx: ModelContext, terms: Sequence[Term | None]) -> None:
    with_baseline = [j for j, found in enumerate(terms)
                     if found is not None and found.reassign_cost > 0]
    if not with_baseline:
        return
    routing = ctx.routing
    evaluators = []
    own: dict[str, int] = {}
    for shift in ctx.vehicles:
        tech = shift.technician_id
        if tech not in own:
            vector = [0] * routing.nodes()
            for j in with_baseline:
                vector[j] = int(ctx.jobs[j].baseline_technician != tech)
            own[tech] = routing.RegisterUnaryTransitVector(vector)
        evaluators.append(own[tech])
    routing.AddDimensionWithVehicleTransits(
        evaluators, 0, len(with_baseline), True, DISRUPTION_DIMENSION)
    dim = routing.GetDimensionOrDie(DISRUPTION_DIMENSION)
    reassign_cost = round(ctx.problem.weights.reassigned * COST_SCALE)
    for v in range(len(ctx.vehicles)):
        dim.SetCumulVarSoftUpperBound(routing.End(v), 0, reassign_cost)


def moved_by(problem: DispatchProblem, request: ServiceRequest, start: datetime) -> timedelta:
    """How far ``start`` lies outside ``baseline_start ± retime_tolerance``."""
    if request.baseline_start is None:
        return timedelta(0)
    tolerance = problem.weights.retime_tolerance
    off = abs(start - request.baseline_start)
    return max(timedelta(0), off - tolerance)


def penalty(problem: DispatchProblem, route: TimedRoute) -> Penalty:
    """``reassigned`` per job off its baseline technician, plus ``retimed_per_hour``
    × hours each start lies outside ``baseline_start ± retime_tolerance``; the
    amount is the number of jobs changed."""
    w = problem.weights
    tech = route.technician.id
    cost = 0.0
    why: list[str] = []
    for stop in route.stops:
        req = stop.request
        if req.baseline_technician is None:
            continue
        if req.baseline_technician != tech:
            cost += w.reassigned
            why.append(f"{req.id} moves from {req.baseline_technician} to {tech}")
        moved = moved_by(problem, req, stop.start)
        if moved > timedelta(0):
            cost += moved.total_seconds() / SECONDS_PER_HOUR * w.retimed_per_hour
            why.append(f"{req.id} starts {moved} beyond the tolerance from its published start")
    changed = len({line.split(" ", 1)[0] for line in why})
    return Penalty(NAME, cost, changed, "jobs changed", tuple(why))


def dropped_penalty(problem: DispatchProblem, unassigned: Sequence[Unassigned],
                    travel_bound: float) -> Penalty:
    """``dropped_published`` × ``travel_bound`` per published job left out."""
    requests = problem.request_by_id
    dropped = [u.request_id for u in unassigned
               if u.request_id in requests
               and requests[u.request_id].baseline_technician is not None]
    cost = len(dropped) * problem.weights.dropped_published * travel_bound
    why = tuple(f"{rid} was published and is left out" for rid in dropped)
    return Penalty(NAME, cost, len(dropped), "jobs", why)

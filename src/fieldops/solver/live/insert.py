"""Emergency insertion: one new job into the live plan, moving as little as possible.

:func:`insert_job` takes a plan of ``problem`` (the live plan: valid for the
re-planning problem) and one new request, and returns the plan of ``problem``
plus that request:

1. **Candidates.** The shifts whose technician may take the job (skills,
   required / excluded / pinned technicians, a window inside the shift), nearest
   first (straight-line distance from the job to the route's stops and start);
   the ``candidates`` nearest are tried.
2. **A sub-problem of those routes**, timed by the one route evaluator
   (:class:`~fieldops.solver.dispatch.schedule.RouteEvaluator`): every job on
   them keeps its technician, and may start no earlier than it does now (its
   windows are cut at its current start; frozen work keeps its pinned start).
   Every position of every candidate route is timed exactly.
3. **No move first.** The cheapest position whose schedule leaves every other
   start where it was wins. Only when none exists does the cheapest position
   that pushes later jobs of that route (within their windows) win; its cost
   includes the disruption family's re-timing cost.
4. **Repair.** When the job fits nowhere, one job of lower priority on a
   candidate route is taken out for it and put on another candidate route where
   it fits (or left out), the cheapest such exchange within the time budget.

Only the routes that changed are rebuilt; the others are the input plan's
routes, unchanged. The result carries the :class:`~.diff.PlanDiff` against the
input plan.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fieldops.domain.errors import FieldError
from fieldops.domain.plan import DispatchPlan, Route, Unassigned, UnassignedReason
from fieldops.domain.problem import DispatchProblem
from fieldops.domain.requests import ServiceRequest
from fieldops.domain.resources import Shift
from fieldops.domain.timewindow import TimeWindow
from fieldops.solver.dispatch.constraints.priority import drop_penalty
from fieldops.solver.dispatch.extract import _plan_kpis
from fieldops.solver.dispatch.model import Model, build_model
from fieldops.solver.dispatch.schedule import RouteEvaluator, Schedule
from fieldops.solver.dispatch.timed import RawRoute
from fieldops.solver.live.diff import DEFAULT_TOLERANCE, PlanDiff, plan_diff

ENGINE = "fieldops-live-insertion"
UNASSIGNED_KEY = "unassigned"
NO_PLACE = "no room on the nearest routes, even pushing later jobs or exchanging one"


class InsertMode:
    NO_MOVE = "no_move"
    PUSH = "push"
    REPAIR = "repair"
    UNPLACED = "unplaced"


@dataclass(frozen=True, slots=True)
class InsertParams:
    """``candidates``: routes tried, nearest first; ``time_budget``: seconds the
    repair may take; ``tolerance``: the diff's re-timing tolerance; ``sla_first``:
    a position that meets the new job's SLA deadline beats one that moves nobody
    but misses it (default: moving nobody comes first)."""

    candidates: int = 12
    time_budget: float = 0.5
    tolerance: timedelta = DEFAULT_TOLERANCE
    sla_first: bool = False


@dataclass(frozen=True)
class Insertion:
    """The plan with the new job (``problem`` holds it), its diff against the input
    plan, how it was placed (``mode``) and on which shift."""

    problem: DispatchProblem
    plan: DispatchPlan
    diff: PlanDiff
    mode: str
    shift_id: str | None
    seconds: float
    moved: tuple[str, ...] = field(default=())  # other jobs whose start or route changed


# ---------------------------------------------------------------- candidates
def _may_take(problem: DispatchProblem, shift: Shift, req: ServiceRequest) -> bool:
    tech = problem.technician_by_id[shift.technician_id]
    if not tech.qualifies_for(req.required_skills) or tech.id in req.excluded_technicians:
        return False
    if req.required_technicians and tech.id not in req.required_technicians:
        return False
    if req.pinned_technician not in (None, tech.id):
        return False
    window = TimeWindow(shift.start, shift.latest_end)
    return not req.windows or any(w.overlaps(window) for w in req.windows)


def _nearness(problem: DispatchProblem, shift: Shift, route: Route | None,
              req: ServiceRequest) -> float:
    places = [problem.shift_start_location(shift)]
    if route is not None:
        places += [problem.request_by_id[rid].location for rid in route.request_ids]
    scale = math.cos(math.radians(req.location.lat))
    return min((p.lat - req.location.lat) ** 2 + ((p.lon - req.location.lon) * scale) ** 2
               for p in places)


def _candidates(problem: DispatchProblem, plan: DispatchPlan, req: ServiceRequest,
                count: int) -> list[Shift]:
    able = [s for s in problem.shifts if _may_take(problem, s, req)]
    able.sort(key=lambda s: _nearness(problem, s, plan.route_for(s.id), req))
    return able[:count]


# ---------------------------------------------------------------- the sub-problem
def _held(req: ServiceRequest, tech: str, start: datetime, horizon_end: datetime
          ) -> ServiceRequest:
    """``req`` kept on ``tech`` and starting no earlier than ``start``."""
    if req.pinned_start is not None:
        return dataclasses.replace(req, pinned_technician=tech)
    if req.windows:
        windows = tuple(TimeWindow(max(w.start, start), w.end) for w in req.windows
                        if w.end >= start)
    else:
        windows = (TimeWindow(start, max(start, horizon_end)),)
    return dataclasses.replace(req, pinned_technician=tech, windows=windows)


def _sub_problem(problem: DispatchProblem, plan: DispatchPlan, shifts: list[Shift],
                 req: ServiceRequest) -> DispatchProblem:
    held = [req]
    for shift in shifts:
        route = plan.route_for(shift.id)
        if route is None:
            continue
        end = max(shift.latest_end, problem.horizon.end)
        for step in route.jobs:
            assert step.request_id is not None
            held.append(_held(problem.request_by_id[step.request_id], route.technician_id,
                              step.start, end))
    return dataclasses.replace(problem, shifts=tuple(shifts), requests=tuple(held))


@dataclass
class _Trial:
    cost: int
    v: int
    route: list[int]
    schedule: Schedule
    moves: bool
    late: bool = False  # the new job starts after its SLA deadline (sla_first only)
    extra: tuple[int, list[int], Schedule] | None = None  # another route changed (repair)
    dropped: int | None = None

    @property
    def rank(self) -> tuple[bool, bool, int]:
        """Meeting the SLA (``sla_first`` only), then moving nobody, then cost."""
        return (self.late, self.moves, self.cost)


class _Search:
    """Positions of the new job (node ``new``) on the sub-problem's routes."""

    def __init__(self, model: Model, plan: DispatchPlan, sla_first: bool = False) -> None:
        self.sla_first = sla_first
        self.model = model
        self.ctx = model.context
        self.eval = RouteEvaluator(self.ctx)
        node_of = {i: j for j, i in enumerate(model.job_ids)}
        self.routes: list[list[int]] = []
        by_id = {r.id: k for k, r in enumerate(model.problem.requests)}
        whole: list[bool] = []  # every job of the route is modelled
        for shift in model.vehicles:
            route = plan.route_for(shift.id)
            ids = route.request_ids if route is not None else ()
            self.routes.append([node_of[by_id[rid]] for rid in ids if by_id[rid] in node_of])
            whole.append(len(self.routes[-1]) == len(ids))
        # A route the evaluator cannot re-time as it stands is left alone.
        self.base = [self.eval.schedule(v, r, thorough=True) if ok else None
                     for v, (r, ok) in enumerate(zip(self.routes, whole, strict=True))]
        self.new = node_of.get(0)

    def fits_load(self, v: int, route: list[int]) -> bool:
        cap = self.eval.vehicles[v].capacity
        return cap is None or sum(self.eval.load[j] for j in route) <= cap

    def best_on(self, v: int, job: int, route: list[int], base: Schedule
                ) -> _Trial | None:
        """The cheapest position of ``job`` on vehicle ``v`` (no move preferred)."""
        if v not in self.ctx.allowed[job] or not self.fits_load(v, [*route, job]):
            return None
        best: _Trial | None = None
        for p in range(len(route) + 1):
            trial = [*route[:p], job, *route[p:]]
            sched = self.eval.schedule(v, trial, thorough=True)
            if sched is None:
                continue
            others = sched.starts[:p] + sched.starts[p + 1:]
            found = _Trial(sched.cost - base.cost, v, trial, sched, others != base.starts,
                           self._late(job, sched.starts[p]))
            if best is None or found.rank < best.rank:
                best = found
        return best

    def _late(self, job: int, start: int) -> bool:
        term = self.eval.sla[job]
        return self.sla_first and term is not None and start > term[0]

    def insert(self) -> _Trial | None:
        assert self.new is not None
        best: _Trial | None = None
        for v, base in enumerate(self.base):
            if base is None:
                continue
            found = self.best_on(v, self.new, self.routes[v], base)
            if found is not None and (best is None or found.rank < best.rank):
                best = found
        return best

    def repair(self, deadline: float) -> _Trial | None:
        """Take one lower-priority job off a route for the new job; re-place it."""
        assert self.new is not None
        rank = self.ctx.jobs[self.new].priority.rank
        best: _Trial | None = None
        for v, route in enumerate(self.routes):
            base = self.base[v]
            for k, out in enumerate(route):
                if time.perf_counter() > deadline:
                    return best
                job = self.ctx.jobs[out]
                if job.priority.rank <= rank or job.pinned_start is not None:
                    continue
                rest = route[:k] + route[k + 1:]
                shorter = self.eval.schedule(v, rest, thorough=True)
                if base is None or shorter is None:
                    continue
                placed = self.best_on(v, self.new, rest, base)
                if placed is None:
                    continue
                trial = self._replace(placed, out, v)
                if trial is not None and (best is None or trial.cost < best.cost):
                    best = trial
        return best

    def _replace(self, placed: _Trial, out: int, v: int) -> _Trial:
        """``placed`` with ``out`` re-inserted on another route, or dropped."""
        cost = placed.cost
        best: tuple[int, list[int], Schedule] | None = None
        best_cost = drop_penalty(self.ctx, self.ctx.jobs[out])
        for w, base in enumerate(self.base):
            if w == v or base is None:
                continue
            found = self.best_on(w, out, self.routes[w], base)
            if found is not None and found.cost < best_cost:
                best, best_cost = (w, found.route, found.schedule), found.cost
        return dataclasses.replace(placed, cost=cost + best_cost, moves=True, extra=best,
                                   dropped=out if best is None else None)

    def raw(self, v: int, route: list[int], sched: Schedule) -> RawRoute:
        m = self.model
        return RawRoute(
            shift=m.vehicles[v], jobs=[m.job_ids[j] for j in route],
            starts=[m.at(x) for x in sched.starts],
            departure=m.at(self.eval.departure(v, route, sched)),
            break_start=m.at(sched.break_start) if sched.break_start is not None else None)


# ---------------------------------------------------------------- the new plan
def _merge(problem: DispatchProblem, plan: DispatchPlan, search: _Search, trial: _Trial | None,
           unassigned: list[Unassigned], mode: str, seconds: float) -> DispatchPlan:
    """The input plan with the trial's routes in place of the old ones."""
    model = search.model
    changed: dict[int, tuple[list[int], Schedule]] = {}
    if trial is not None:
        changed[trial.v] = (trial.route, trial.schedule)
        if trial.extra is not None:
            changed[trial.extra[0]] = (trial.extra[1], trial.extra[2])
    before = [search.raw(v, r, s) for v, (r, s) in enumerate(zip(search.routes, search.base,
                                                                  strict=True))
              if s is not None and r]
    after = [search.raw(v, *changed[v]) if v in changed else search.raw(v, r, s)
             for v, (r, s) in enumerate(zip(search.routes, search.base, strict=True))
             if s is not None and (r or v in changed)]
    old_plan = model.plan(before, plan.status, timedelta(0), {})
    new_plan = model.plan(after, plan.status, timedelta(0), {})
    new_routes = {r.shift_id: r for r in new_plan.routes
                  if r.shift_id in {model.vehicles[v].id for v in changed}}
    routes = [new_routes.pop(r.shift_id, r) for r in plan.routes] + list(new_routes.values())
    routes = [r for r in routes if r.jobs]
    delta = {k: new_plan.penalties.get(k, 0.0) - old_plan.penalties.get(k, 0.0)
             for k in set(plan.penalties) | set(new_plan.penalties)}
    # The sub-model's plan before the insertion left the new job out; the input
    # plan did not hold it at all.
    new_job = model.problem.requests[0]
    delta[UNASSIGNED_KEY] = delta.get(UNASSIGNED_KEY, 0.0) + (
        problem.weights.unassigned[new_job.priority] * model.travel_bound)
    penalties = {k: round(plan.penalties.get(k, 0.0) + d, 3) for k, d in delta.items()}
    solver = {"engine": ENGINE, "mode": mode, "seconds": round(seconds, 4),
              "base_engine": plan.solver.get("engine")}
    return DispatchPlan(
        problem_name=plan.problem_name, timezone=plan.timezone, routes=tuple(routes),
        unassigned=tuple(sorted(unassigned, key=lambda u: (u.priority.rank, u.request_id))),
        kpis=_plan_kpis(problem, routes, unassigned), penalties=penalties,
        objective=round(sum(penalties.values()), 3), status=plan.status,
        solve_time=timedelta(seconds=seconds), solver=solver)


def _moved(search: _Search, trial: _Trial) -> tuple[str, ...]:
    jobs = search.ctx.jobs
    out: set[str] = set()
    changes = [(trial.v, trial.route, trial.schedule)]
    if trial.extra is not None:
        changes.append(trial.extra)
    for v, route, sched in changes:
        base = search.base[v]
        old = dict(zip(search.routes[v], base.starts, strict=True)) if base else {}
        for j, start in zip(route, sched.starts, strict=True):
            if j != search.new and old.get(j) != start:
                out.add(jobs[j].id)
    if trial.dropped is not None:
        out.add(jobs[trial.dropped].id)
    return tuple(sorted(out))


def insert_job(problem: DispatchProblem, plan: DispatchPlan, request: ServiceRequest,
               params: InsertParams | None = None) -> Insertion:
    """Insert ``request`` into ``plan`` (a plan of ``problem``); see the module
    docstring. Raises :class:`~fieldops.domain.FieldError` (``request.id``) if the
    request's id already exists."""
    params = params or InsertParams()
    began = time.perf_counter()
    if request.id in problem.request_by_id:
        raise FieldError("request.id", f"request {request.id!r} already exists")
    full = dataclasses.replace(problem, requests=(*problem.requests, request))
    shifts = _candidates(full, plan, request, params.candidates)
    unassigned = list(plan.unassigned)
    trial: _Trial | None = None
    search: _Search | None = None
    mode = InsertMode.UNPLACED
    reason, detail = UnassignedReason.NOT_ENOUGH_CAPACITY, NO_PLACE
    if shifts:
        model = build_model(_sub_problem(full, plan, shifts, request))
        if model.ctx is not None and 0 in model.job_ids:
            search = _Search(model, plan, params.sla_first)
            trial = search.insert()
            mode = (InsertMode.UNPLACED if trial is None
                    else InsertMode.PUSH if trial.moves else InsertMode.NO_MOVE)
            if trial is None:
                trial = search.repair(began + params.time_budget)
                mode = InsertMode.REPAIR if trial is not None else mode
        else:
            found = [u for u in model.unassigned if u.request_id == request.id]
            if found:
                reason, detail = found[0].reason, found[0].detail
    elif not any(t.qualifies_for(request.required_skills) for t in problem.technicians):
        reason, detail = UnassignedReason.NO_QUALIFIED_TECHNICIAN, "nobody holds the skills"
    else:
        detail = "no shift left today may take it"
    if trial is None:
        unassigned.append(Unassigned(request.id, request.priority, reason, detail))
    elif trial.dropped is not None:
        out = search.ctx.jobs[trial.dropped] if search else None
        assert out is not None
        unassigned.append(Unassigned(out.id, out.priority, UnassignedReason.NOT_ENOUGH_CAPACITY,
                                     f"taken out for {request.id}"))
    seconds = time.perf_counter() - began
    if search is None:
        new_plan = dataclasses.replace(
            plan, unassigned=tuple(unassigned), kpis=_plan_kpis(full, list(plan.routes),
                                                                 unassigned),
            solver={"engine": ENGINE, "mode": mode}, solve_time=timedelta(seconds=seconds))
    else:
        new_plan = _merge(full, plan, search, trial, unassigned, mode, seconds)
    return Insertion(
        problem=full, plan=new_plan, diff=plan_diff(plan, new_plan, params.tolerance),
        mode=mode, shift_id=(search.model.vehicles[trial.v].id
                             if search is not None and trial is not None else None),
        seconds=time.perf_counter() - began,
        moved=_moved(search, trial) if search is not None and trial is not None else ())


__all__: Sequence[str] = ["InsertMode", "InsertParams", "Insertion", "insert_job"]

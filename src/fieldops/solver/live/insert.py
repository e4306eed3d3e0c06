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
   them stays on its route and may start no earlier than it does now (its
   windows are cut at its current start; frozen work keeps its technician and
   pinned start) — unless ``earlier`` (a booking on a day not yet started): then
   it may start as early as its own windows allow. Every position of every
   candidate route is timed exactly; costs and moves are measured against the
   routes as they are now.
3. **No move first.** The cheapest position whose schedule leaves every other
   start where it was wins. Only when none exists does the cheapest position
   that pushes later jobs of that route (within their windows) win; its cost
   includes the disruption family's re-timing cost. For a **critical** job (or
   with ``sla_first``) meeting its SLA deadline comes first: a push that is on
   time beats a quiet place that is late, and a quiet on-time place beats both.
4. **Wider.** When that finds no place (or, SLA first, only a late one), the
   ``wide_candidates`` nearest routes are tried (topped up with routes that may
   not take the job, where a repair may put what it takes out).
5. **Repair.** When the job still fits nowhere (or is late), up to
   ``repair_depth`` consecutive jobs of lower priority, not pinned to the minute,
   are taken off one route for it; each is re-placed at its cheapest place on
   another route of the sub-problem, or left out (then listed unassigned). The
   exchanges are priced for the new job first and completed best first, within
   ``time_budget`` seconds (the widening too: ``time_budget=0`` is plain
   insertion on the nearest routes).

Only the routes that changed are rebuilt; the others are the input plan's
routes, unchanged. The result carries the :class:`~.diff.PlanDiff` against the
input plan.
"""

from __future__ import annotations

import copy
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
from fieldops.solver.dispatch.constraints.sla import breach_penalty
from fieldops.solver.dispatch.context import COST_SCALE
from fieldops.solver.dispatch.distributed import travel_bound
from fieldops.solver.dispatch.extract import _plan_kpis
from fieldops.solver.dispatch.model import Model, build_model
from fieldops.solver.dispatch.schedule import RouteEvaluator, Schedule
from fieldops.solver.dispatch.timed import RawRoute
from fieldops.solver.live.diff import DEFAULT_TOLERANCE, PlanDiff, plan_diff
from fieldops.solver.live.relocate import (
    RelocateLimits,
    best_relocation,
    held,
    reassign_price,
    screens,
    without_lunch,
)

ENGINE = "fieldops-live-insertion"
UNASSIGNED_KEY = "unassigned"
NO_PLACE = "no room on the nearest routes, even pushing later jobs or exchanging one"


class InsertMode:
    NO_MOVE = "no_move"
    PUSH = "push"
    REPAIR = "repair"
    RELOCATE = "relocate"
    UNPLACED = "unplaced"


@dataclass(frozen=True, slots=True)
class InsertParams:
    """``candidates``: routes tried first, nearest first; ``wide_candidates``:
    routes tried when those give no place (or only a late one, SLA first);
    ``time_budget``: seconds the widening and the repair may take; ``repair_depth``:
    consecutive lower-priority jobs the repair may take off one route;
    ``tolerance``: the diff's re-timing tolerance; ``sla_first``: a position that
    meets the new job's SLA deadline beats one that moves nobody but misses it
    (always so for a critical job; otherwise moving nobody comes first);
    ``relocate``: when the best place costs more than a reassignment (or there is
    none), also try moving planned jobs of the nearest candidate routes to other
    routes of the sub-problem (:mod:`.relocate`, the rule of the slot offers; a
    booking's setting; ``None``: never, the dispatcher's insertion); ``earlier``:
    the day has not started, so planned jobs may start earlier than they do, inside
    their own windows (a slot booking's setting, ``SlotParams.future``; the live
    day never)."""

    candidates: int = 12
    time_budget: float = 0.5
    tolerance: timedelta = DEFAULT_TOLERANCE
    sla_first: bool = False
    wide_candidates: int = 40
    repair_depth: int = 2
    relocate: RelocateLimits | None = None
    earlier: bool = False


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
def may_take(problem: DispatchProblem, shift: Shift, req: ServiceRequest) -> bool:
    """Whether ``shift``'s technician may serve ``req``: skills, exclusions, required
    and pinned technicians, and a window that meets the shift."""
    tech = problem.technician_by_id[shift.technician_id]
    if not tech.qualifies_for(req.required_skills) or tech.id in req.excluded_technicians:
        return False
    if req.required_technicians and tech.id not in req.required_technicians:
        return False
    if req.pinned_technician not in (None, tech.id):
        return False
    window = TimeWindow(shift.start, shift.latest_end)
    return not req.windows or any(w.overlaps(window) for w in req.windows)


def nearness(problem: DispatchProblem, shift: Shift, route: Route | None,
             req: ServiceRequest) -> float:
    """Squared straight-line distance from ``req`` to the shift's start or stops."""
    places = [problem.shift_start_location(shift)]
    if route is not None:
        places += [problem.request_by_id[rid].location for rid in route.request_ids]
    scale = math.cos(math.radians(req.location.lat))
    return min((p.lat - req.location.lat) ** 2 + ((p.lon - req.location.lon) * scale) ** 2
               for p in places)


def _candidates(problem: DispatchProblem, plan: DispatchPlan, req: ServiceRequest,
                count: int, others: bool = False) -> list[Shift]:
    """The ``count`` nearest shifts that may take ``req``; with ``others``, topped up
    to ``count`` with the nearest that may not (room for the jobs a repair takes
    out). None when no shift may take it."""
    def near(s: Shift) -> float:
        return nearness(problem, s, plan.route_for(s.id), req)

    able = sorted((s for s in problem.shifts if may_take(problem, s, req)), key=near)[:count]
    if not others or not able or len(able) >= count:
        return able
    taken = {s.id for s in able}
    rest = sorted((s for s in problem.shifts if s.id not in taken), key=near)
    return able + rest[:count - len(able)]


# ---------------------------------------------------------------- the sub-problem
def _held(req: ServiceRequest, tech: str, start: datetime, horizon_end: datetime
          ) -> ServiceRequest:
    """``req`` starting no earlier than ``start`` (work pinned to the minute: kept on
    ``tech``)."""
    if req.pinned_start is not None:
        return dataclasses.replace(req, pinned_technician=tech)
    # Not pinned to ``tech``: the search keeps every job on its route anyway, and
    # a job the repair takes out may then go to another route.
    if req.windows:
        windows = tuple(TimeWindow(max(w.start, start), w.end) for w in req.windows
                        if w.end >= start)
    else:
        windows = (TimeWindow(start, max(start, horizon_end)),)
    return dataclasses.replace(req, windows=windows)


def _sub_problem(problem: DispatchProblem, plan: DispatchPlan, shifts: list[Shift],
                 req: ServiceRequest, earlier: bool = False) -> DispatchProblem:
    """The candidate routes' jobs and ``req``: each job held at its start, or with
    ``earlier`` kept as it is (frozen work still pinned to its technician)."""
    held = [req]
    for shift in shifts:
        route = plan.route_for(shift.id)
        if route is None:
            continue
        end = max(shift.latest_end, problem.horizon.end)
        for step in route.jobs:
            assert step.request_id is not None
            job = problem.request_by_id[step.request_id]
            held.append(job if earlier and job.pinned_start is None
                        else _held(job, route.technician_id, step.start, end))
    return dataclasses.replace(problem, shifts=tuple(shifts), requests=tuple(held))


Change = tuple[int, list[int], Schedule]  # a vehicle, its new route and its schedule


@dataclass
class _Trial:
    cost: int
    v: int
    route: list[int]
    schedule: Schedule
    moves: bool
    late: bool = False  # the new job starts after its SLA deadline (critical or sla_first)
    extra: list[Change] = field(default_factory=list)  # other routes changed (repair)
    dropped: list[int] = field(default_factory=list)  # jobs taken out and left out
    quiet_first: bool = True  # moving nobody ranks first (not on a day not started)

    @property
    def rank(self) -> tuple[bool, bool, int]:
        """Meeting the SLA (critical jobs, or ``sla_first``), then moving nobody
        (``quiet_first``), then cost."""
        return (self.late, self.moves and self.quiet_first, self.cost)


def _better(a: _Trial | None, b: _Trial | None) -> _Trial | None:
    """The better ranked of two trials (``a`` on a tie)."""
    if a is None or (b is not None and b.rank < a.rank):
        return b
    return a


class _Search:
    """Positions of the new job (node ``new``) on the sub-problem's routes."""

    def __init__(self, model: Model, plan: DispatchPlan, sla_first: bool = False,
                 earlier: bool = False) -> None:
        self.model = model
        self.ctx = model.context
        self.eval = RouteEvaluator(self.ctx)
        self.earlier = earlier
        node_of = {i: j for j, i in enumerate(model.job_ids)}
        self.routes: list[list[int]] = []
        by_id = {r.id: k for k, r in enumerate(model.problem.requests)}
        whole: list[bool] = []  # every job of the route is modelled
        # The day as it is: with ``earlier`` the model's jobs are not held, so the
        # base (every delta and move is measured against it) holds them here.
        at_start = copy.copy(self.eval)
        at_start.windows = list(self.eval.windows)
        for shift in model.vehicles:
            route = plan.route_for(shift.id)
            ids = route.request_ids if route is not None else ()
            self.routes.append([node_of[by_id[rid]] for rid in ids if by_id[rid] in node_of])
            whole.append(len(self.routes[-1]) == len(ids))
            for step in route.jobs if route is not None and earlier else ():
                j = node_of.get(by_id[step.request_id or ""], -1)
                if j >= 0 and self.ctx.jobs[j].pinned_start is None:
                    at_start.windows[j] = held(at_start.windows[j], self.ctx.seconds(step.start),
                                               self.ctx.horizon)
        # A route the evaluator cannot re-time as it stands is left alone.
        self.base = [at_start.schedule(v, r, thorough=True) if ok else None
                     for v, (r, ok) in enumerate(zip(self.routes, whole, strict=True))]
        # The relocation's O(1) screens need each job's earliest start: its start
        # now, or (``earlier``) the earliest its windows allow on its route.
        self.screen = (screens(without_lunch(self.eval), self.routes, self.base)
                       if earlier else self.base)
        self.new = node_of.get(0)
        # A critical job's SLA comes before moving nobody: an emergency that can be
        # on time is, even when that pushes others (within their windows).
        critical = self.new is not None and self.ctx.jobs[self.new].priority.rank == 0
        self.sla_first = sla_first or critical

    def best_on(self, v: int, job: int, route: list[int], base: Schedule
                ) -> _Trial | None:
        """The best ranked position of ``job`` on vehicle ``v``."""
        if v not in self.ctx.allowed[job] or not self.eval.fits_load(v, [*route, job]):
            return None
        best: _Trial | None = None
        for p in range(len(route) + 1):
            trial = [*route[:p], job, *route[p:]]
            sched = self.eval.schedule(v, trial, thorough=True)
            if sched is None:
                continue
            others = sched.starts[:p] + sched.starts[p + 1:]
            # On a day not started a push is priced (re-timing beyond the
            # tolerance), not ranked behind a quiet place: the windows are the promise.
            best = _better(best, _Trial(sched.cost - base.cost, v, trial, sched,
                                        others != base.starts,
                                        self._late(job, sched.starts[p]),
                                        quiet_first=not self.earlier))
        return best

    def _late(self, job: int, start: int) -> bool:
        term = self.eval.sla[job]
        return self.sla_first and term is not None and start > term[0]

    def insert(self) -> _Trial | None:
        assert self.new is not None
        best: _Trial | None = None
        for v, base in enumerate(self.base):
            if base is not None:
                best = _better(best, self.best_on(v, self.new, self.routes[v], base))
        return best

    def relocate(self, problem: DispatchProblem, placed: _Trial | None,
                 limits: RelocateLimits) -> _Trial | None:
        """A relocation cheaper than ``placed`` (tried only when ``placed`` costs
        more than a reassignment or there is none), else ``None``."""
        if self.new is None or (placed is not None
                                and placed.cost <= reassign_price(self.eval)):
            return None
        jobs, shifts = self.ctx.jobs, self.model.vehicles

        def may_host(j: int, w: int) -> bool:
            return may_take(problem, shifts[w], problem.request_by_id[jobs[j].id])

        below = placed.cost if placed is not None else math.inf
        # The sub-problem's routes: the new job's candidates first (nearest first),
        # then the nearest others (``_candidates(others=True)``), as the offers see them.
        new_job = problem.request_by_id[jobs[self.new].id]
        able = [v for v, shift in enumerate(shifts) if may_take(problem, shift, new_job)]
        found = best_relocation(self.eval, self.routes, self.screen, self.new, able,
                                range(len(self.base)), may_host, below, limits,
                                earlier=self.earlier)
        if found is None:
            return None
        late = self._late(self.new, found.schedule.starts[found.position])
        return _Trial(found.total, found.v, found.route, found.schedule, True, late,
                      [(w, route, sched) for w, (route, sched) in found.others.items()])

    def _blocks(self, depth: int) -> list[tuple[int, int, int]]:
        """(vehicle, first, count): runs of up to ``depth`` consecutive jobs of lower
        priority than the new job, none pinned to the minute."""
        assert self.new is not None
        rank = self.ctx.jobs[self.new].priority.rank
        out = []
        for v, route in enumerate(self.routes):
            if self.base[v] is None:
                continue
            for k in range(len(route)):
                for n in range(1, depth + 1):
                    block = route[k:k + n]
                    if len(block) < n or any(
                            self.ctx.jobs[j].priority.rank <= rank
                            or self.ctx.jobs[j].pinned_start is not None for j in block):
                        break
                    out.append((v, k, n))
        return out

    def repair(self, deadline: float, depth: int = 1) -> _Trial | None:
        """Take up to ``depth`` consecutive lower-priority jobs off one route for the
        new job; re-place them on other routes or leave them out. The exchanges are
        priced for the new job first; the most promising are completed first."""
        assert self.new is not None
        placed: list[tuple[tuple[bool, int], _Trial, list[int]]] = []
        for v, k, n in self._blocks(depth):
            if time.perf_counter() > deadline:
                break
            route, base = self.routes[v], self.base[v]
            assert base is not None
            found = self.best_on(v, self.new, route[:k] + route[k + n:], base)
            if found is not None:
                placed.append(((found.late, found.cost), found, route[k:k + n]))
        placed.sort(key=lambda x: x[0])
        best: _Trial | None = None
        for _, found, out in placed:
            if time.perf_counter() > deadline and best is not None:
                break
            trial = self._replace(found, out)
            if best is None or (trial.late, trial.cost) < (best.late, best.cost):
                best = trial
        return best

    def _replace(self, placed: _Trial, out: list[int]) -> _Trial:
        """``placed`` with each job of ``out`` re-inserted on another route (the
        cheapest place, on the routes as the earlier ones left them), or dropped."""
        cost = placed.cost
        now: dict[int, Change] = {}
        dropped: list[int] = []
        for job in out:
            best: _Trial | None = None
            best_cost = drop_penalty(self.ctx, self.ctx.jobs[job])
            for w, base in enumerate(self.base):
                if w == placed.v or base is None:
                    continue
                route, sched = now.get(w, (w, self.routes[w], base))[1:]
                found = self.best_on(w, job, route, sched)
                if found is not None and found.cost < best_cost:
                    best, best_cost = found, found.cost
            cost += best_cost
            if best is None:
                dropped.append(job)
            else:
                now[best.v] = (best.v, best.route, best.schedule)
        return dataclasses.replace(placed, cost=cost, moves=True, extra=list(now.values()),
                                   dropped=dropped)

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
        for w, route, sched in trial.extra:
            changed[w] = (route, sched)
    # Penalties add up per route and per job left out: the routes that did not
    # change weigh the same before and after, so only the changed ones are priced.
    before = [search.raw(v, search.routes[v], base) for v in changed
              if (base := search.base[v]) is not None and search.routes[v]]
    after = [search.raw(v, *changed[v]) for v in changed]
    old_plan = model.plan(before, plan.status, timedelta(0), {})
    new_plan = model.plan(after, plan.status, timedelta(0), {})
    new_routes = {r.shift_id: r for r in new_plan.routes
                  if r.shift_id in {model.vehicles[v].id for v in changed}}
    routes = [new_routes.pop(r.shift_id, r) for r in plan.routes] + list(new_routes.values())
    routes = [r for r in routes if r.jobs]
    delta = {k: new_plan.penalties.get(k, 0.0) - old_plan.penalties.get(k, 0.0)
             for k in set(plan.penalties) | set(new_plan.penalties)}
    # The sub-model's plan before the insertion left the new job out; the input
    # plan did not hold it at all: neither its drop nor (due within the horizon)
    # its SLA breach is the insertion's saving.
    new_job = model.problem.requests[0]
    delta[UNASSIGNED_KEY] = delta.get(UNASSIGNED_KEY, 0.0) + (
        problem.weights.unassigned[new_job.priority] * model.travel_bound)
    left = Unassigned(new_job.id, new_job.priority, UnassignedReason.NOT_ENOUGH_CAPACITY, "")
    breach = breach_penalty(model.problem, [], [left], model.travel_bound)
    delta[breach.constraint] = delta.get(breach.constraint, 0.0) + breach.cost
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
    changes = [(trial.v, trial.route, trial.schedule), *trial.extra]
    for v, route, sched in changes:
        base = search.base[v]
        old = dict(zip(search.routes[v], base.starts, strict=True)) if base else {}
        for j, start in zip(route, sched.starts, strict=True):
            if j != search.new and old.get(j) != start:
                out.add(jobs[j].id)
    out |= {jobs[j].id for j in trial.dropped}
    return tuple(sorted(out))


def _diff(plan: DispatchPlan, new_plan: DispatchPlan, search: _Search | None,
          trial: _Trial | None, params: InsertParams) -> PlanDiff:
    """The diff of the two plans, compared on the changed routes only (the others
    are the same objects)."""
    if search is None or trial is None:
        return PlanDiff((), params.tolerance)
    shifts = {search.model.vehicles[v].id for v in [trial.v, *(w for w, _, _ in trial.extra)]}

    def changed(p: DispatchPlan) -> DispatchPlan:
        return dataclasses.replace(p, routes=tuple(r for r in p.routes if r.shift_id in shifts))

    return plan_diff(changed(plan), changed(new_plan), params.tolerance)


@dataclass
class _Placed:
    """Where the search ended: the search (``None``: no sub-problem), the trial,
    the mode, and why the job is unplaced when it is."""

    search: _Search | None = None
    trial: _Trial | None = None
    mode: str = InsertMode.UNPLACED
    reason: UnassignedReason = UnassignedReason.NOT_ENOUGH_CAPACITY
    detail: str = NO_PLACE


def _search(full: DispatchProblem, plan: DispatchPlan, request: ServiceRequest,
            count: int, params: InsertParams, out: _Placed) -> _Placed:
    """Insertion on the ``count`` nearest routes (for a second try, ``out`` is the
    first: kept when this finds nothing better ranked)."""
    # A relocation may move a job to a route that may not take the new one.
    others = out.search is not None or params.relocate is not None
    shifts = _candidates(full, plan, request, count, others=others)
    if not shifts:
        if out.search is None:
            skilled = any(t.qualifies_for(request.required_skills) for t in full.technicians)
            out.reason, out.detail = (
                (UnassignedReason.NOT_ENOUGH_CAPACITY, "no shift left today may take it")
                if skilled else (UnassignedReason.NO_QUALIFIED_TECHNICIAN,
                                 "nobody holds the skills"))
        return out
    model = build_model(_sub_problem(full, plan, shifts, request, params.earlier))
    if model.ctx is not None:
        # SLA breaches (and the new job's drop) priced as the whole day's objective
        # prices them: its travel bound, not the candidate routes' smaller one.
        model.travel_bound = travel_bound(full)
        model.ctx.travel_bound = round(model.travel_bound * COST_SCALE)
    if model.ctx is None or 0 not in model.job_ids:
        found = [u for u in model.unassigned if u.request_id == request.id]
        if found and out.search is None:
            out.reason, out.detail = found[0].reason, found[0].detail
        return out
    search = _Search(model, plan, params.sla_first, params.earlier)
    trial = search.insert()
    if out.trial is not None and _better(out.trial, trial) is out.trial:
        return out
    mode = InsertMode.PUSH if trial is not None and trial.moves else InsertMode.NO_MOVE
    return _Placed(search, trial, mode if trial is not None else InsertMode.UNPLACED)


def _good(placed: _Placed) -> bool:
    """Placed, and on time when its SLA comes first."""
    return placed.trial is not None and not placed.trial.late


def _place(full: DispatchProblem, plan: DispatchPlan, request: ServiceRequest,
           params: InsertParams, deadline: float) -> _Placed:
    """The nearest routes first; then, while the job is unplaced or (SLA first)
    late and time is left, more routes; then the repair on those."""
    placed = _search(full, plan, request, params.candidates, params, _Placed())
    if not _good(placed) and params.wide_candidates > params.candidates \
            and time.perf_counter() < deadline:
        placed = _search(full, plan, request, params.wide_candidates, params, placed)
    search = placed.search
    if params.relocate is not None and search is not None:
        moved = search.relocate(full, placed.trial, params.relocate)
        if moved is not None:
            placed.trial, placed.mode = moved, InsertMode.RELOCATE
    if not _good(placed) and search is not None:
        fixed = search.repair(deadline, params.repair_depth)
        if fixed is not None and (placed.trial is None or (placed.trial.late and not fixed.late)):
            placed.trial, placed.mode = fixed, InsertMode.REPAIR
    return placed


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
    placed = _place(full, plan, request, params, began + params.time_budget)
    search, trial = placed.search, placed.trial
    unassigned = list(plan.unassigned)
    if trial is None:
        unassigned.append(Unassigned(request.id, request.priority, placed.reason,
                                     placed.detail))
    else:
        assert search is not None
        unassigned += [Unassigned(search.ctx.jobs[j].id, search.ctx.jobs[j].priority,
                                  UnassignedReason.NOT_ENOUGH_CAPACITY,
                                  f"taken out for {request.id}") for j in trial.dropped]
    seconds = time.perf_counter() - began
    if search is None:
        new_plan = dataclasses.replace(
            plan, unassigned=tuple(unassigned), kpis=_plan_kpis(full, list(plan.routes),
                                                                 unassigned),
            solver={"engine": ENGINE, "mode": placed.mode},
            solve_time=timedelta(seconds=seconds))
    else:
        new_plan = _merge(full, plan, search, trial, unassigned, placed.mode, seconds)
    return Insertion(
        problem=full, plan=new_plan, diff=_diff(plan, new_plan, search, trial, params),
        mode=placed.mode, shift_id=(search.model.vehicles[trial.v].id
                                    if search is not None and trial is not None else None),
        seconds=time.perf_counter() - began,
        moved=_moved(search, trial) if search is not None and trial is not None else ())


__all__: Sequence[str] = ["InsertMode", "InsertParams", "Insertion", "insert_job"]

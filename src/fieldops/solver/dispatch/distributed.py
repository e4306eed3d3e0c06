"""A day too large for one process, split by territory and solved as tasks.

With ``SolveParams.distribute.enabled`` (:class:`~.params.DistributeParams`)
:func:`~.solve.solve_dispatch` hands the day to :func:`solve_distributed`:

1. **Split.** The jobs are cut by place into ``ceil(jobs / territory_jobs)``
   territories of equal size (recursive bisection of their coordinates across the
   longer side: compact parts, and equal ones, so that every task takes as long
   and solves as well as the others); each territory gets technicians
   in proportion to its hours of work, the nearest ones first (by where their
   shift starts). A job pinned to, or requiring, a technician goes to that
   technician's territory.
2. **Territories as tasks.** Each territory is a :class:`DispatchProblem` of its own
   (its jobs, its technicians, nothing else), sent as compressed JSON to a task
   runner (:class:`TaskRunner`: Celery workers, see :mod:`fieldops.worker.distributed`)
   which solves it with the normal single-process solver. A worker builds the
   travel matrix of its own territory only: at 10 000 jobs in 20 territories that
   is about 560 locations (2.5 MB per float64 matrix) instead of 11 200 (1 GB).
3. **Merge.** Territories share no job and no technician, so their routes together
   are a plan of the whole day; its times are kept as the territories computed them.
4. **Boundary.** While time remains, groups of nearby routes from any territory,
   with the jobs left out near them, are re-solved as small tasks; a result
   replaces its routes when it prices lower on the same small problem. Jobs a
   territory could not place (no room, no qualified technician there) get a
   technician of the next territory this way.
5. **Plan.** The merged routes are re-timed and priced on the whole problem with
   travel legs computed one route at a time (no whole-day matrix here either).

A task that fails, or is not back when its round should be over, is solved here
instead (with the time left), so a lost worker costs time, never the plan. With no
runner registered (:func:`register_runner`) every task runs here, one after the
other: the same code, memory-bounded, on one core.

The same messages go to as many worker machines as the broker serves; see the
scaling note in ``docs/scaling.md``.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import os
import resource
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import numpy as np

from fieldops.domain.location import Location
from fieldops.domain.plan import DispatchPlan, PlanStatus, Unassigned, UnassignedReason
from fieldops.domain.problem import DispatchProblem, TravelProvider
from fieldops.domain.requests import ServiceRequest
from fieldops.geo import build_matrix
from fieldops.solver.dispatch.extract import build_plan
from fieldops.solver.dispatch.params import Progress, SolveParams
from fieldops.solver.dispatch.timed import Legs, RawRoute

__all__ = ["Merged", "Solvers", "TaskRunner", "Territory", "decode", "encode",
           "register_runner", "run_task", "solve_distributed", "split", "sub_problem"]

#: Seconds kept back at the end for re-timing, pricing and building the whole plan.
FINISH_SECONDS = 10.0
#: A territory round may run this much longer than planned before its tasks are
#: taken back and solved here (queues, start-up, a slow machine).
LATE_FACTOR = 1.5
LATE_SECONDS = 20.0
#: Reasons a territory gives that may not hold for the whole day (its technicians
#: are only some of the day's).
LOCAL_REASONS = (UnassignedReason.NO_QUALIFIED_TECHNICIAN, UnassignedReason.EXCLUDED_EVERYWHERE,
                 UnassignedReason.REQUIRED_TECHNICIAN_UNAVAILABLE,
                 UnassignedReason.UNREACHABLE_IN_TIME)
_KM_PER_DEG = 111.2


class TaskRunner(Protocol):
    """Runs :func:`run_task` on an encoded payload somewhere; a future of its result."""

    def submit(self, payload: str) -> Future[dict[str, Any]]: ...

    def cancel(self, future: Future[dict[str, Any]]) -> None: ...


@dataclass(frozen=True)
class Solvers:
    """The single-process solver and pricing (:func:`.solve.solve_dispatch`,
    :func:`.solve.evaluate_routes`), handed in so that this module does not import
    the module that calls it."""

    solve: Callable[..., DispatchPlan]
    evaluate: Callable[[DispatchProblem, Mapping[str, Sequence[str]]], DispatchPlan]


_runner_factory: Callable[[], TaskRunner | None] | None = None


def register_runner(factory: Callable[[], TaskRunner | None] | None) -> None:
    """Set what :func:`solve_distributed` sends tasks to (``None``: run them here).

    The edge that knows the broker registers it (the Celery worker does on start),
    so the solver itself never imports a queue library.
    """
    global _runner_factory
    _runner_factory = factory


# ----------------------------------------------------------------- payloads


def encode(data: dict[str, Any]) -> str:
    """``data`` as compact JSON, deflated and base64-encoded (what a task carries)."""
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.b64encode(zlib.compress(raw, 6)).decode("ascii")


def decode(payload: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(zlib.decompress(base64.b64decode(payload)))
    return out


def _payload(problem: DispatchProblem, time_limit: float, seed: int,
             current: dict[str, list[str]] | None = None) -> str:
    from fieldops.schemas.dispatch import problem_to_json

    data: dict[str, Any] = {"problem": problem_to_json(problem), "time_limit": time_limit,
                            "seed": seed}
    if current is not None:
        data["current"] = current
    return encode(data)


def run_task(payload: str, solvers: Solvers, time_limit: float | None = None,
             ) -> dict[str, Any]:
    """Solve one encoded sub-problem (in a worker, or here as the fallback).

    Returns its routes (request ids with the start of each service, the departure
    and the lunch break, so the coordinator keeps the times), its left-out jobs
    with their reasons, its objective and, when the payload names the routes the
    sub-problem's technicians drive now (``current``), the objective of those on
    the same sub-problem, so the coordinator compares like with like.
    """
    from fieldops.schemas.dispatch import problem_from_json

    began = time.monotonic()
    data = decode(payload)
    problem = problem_from_json(data["problem"])
    limit = float(time_limit if time_limit is not None else data["time_limit"])
    plan = solvers.solve(problem, SolveParams(time_limit=max(0.5, limit),
                                               seed=int(data["seed"])))
    out: dict[str, Any] = {
        "routes": [_raw_json(r) for r in plan.routes],
        "unassigned": [[u.request_id, u.reason.value, u.detail] for u in plan.unassigned],
        "objective": plan.objective,
        "left_out": len(plan.unassigned),
        "jobs": len(problem.requests),
        "shifts": len(problem.shifts),
    }
    if "current" in data:
        out["current_objective"] = solvers.evaluate(problem, data["current"]).objective
    out["seconds"] = round(time.monotonic() - began, 3)
    out["worker"] = f"{socket.gethostname()}:{os.getpid()}"
    out["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    # The engine's child process (VROOM runs in one): the largest that has ended.
    out["peak_child_rss_mib"] = round(
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    return out


def _raw_json(route: Any) -> dict[str, Any]:
    jobs = [s for s in route.steps if s.request_id is not None]
    lunch = next((s for s in route.steps if str(s.kind) == "break"), None)
    return {"shift": route.shift_id, "jobs": [s.request_id for s in jobs],
            "starts": [s.start.isoformat() for s in jobs],
            "departure": route.steps[0].start.isoformat(),
            "break": lunch.start.isoformat() if lunch is not None else None}


# ----------------------------------------------------------------- split


@dataclass
class Territory:
    """Request and shift indices (into the whole problem) of one territory."""

    requests: list[int]
    shifts: list[int]


def _xy(locations: Sequence[Location]) -> np.ndarray:
    """Locations as kilometres on a local plane (fine at a region's scale)."""
    lat = np.fromiter((loc.lat for loc in locations), float, len(locations))
    lon = np.fromiter((loc.lon for loc in locations), float, len(locations))
    scale = math.cos(math.radians(float(lat.mean()))) if len(lat) else 1.0
    return np.column_stack([lon * scale * _KM_PER_DEG, lat * _KM_PER_DEG])


def _bisect(points: np.ndarray, members: np.ndarray, k: int) -> list[np.ndarray]:
    """``members`` (indices into ``points``) in ``k`` compact parts of equal size:
    recursive bisection across the longer side of each part's bounding box."""
    if k == 1:
        return [members]
    box = points[members]
    axis = int(np.argmax(box.max(0) - box.min(0)))
    order = members[np.argsort(box[:, axis], kind="stable")]
    half = k // 2
    cut = round(len(order) * half / k)
    return _bisect(points, order[:cut], half) + _bisect(points, order[cut:], k - half)


def _quotas(work: np.ndarray, n: int) -> list[int]:
    """``n`` technicians shared in proportion to ``work``, at least one each
    (largest remainders)."""
    k = len(work)
    share = work / work.sum() * (n - k) if work.sum() > 0 else np.full(k, (n - k) / k)
    base = np.floor(share).astype(int)
    for j in np.argsort(-(share - base), kind="stable")[: n - k - int(base.sum())]:
        base[j] += 1
    return [int(b) + 1 for b in base]


def split(problem: DispatchProblem, territory_jobs: int) -> list[Territory]:
    """The day cut into territories (module doc, step 1); every job and every
    shift is in exactly one. Fewer territories than asked when technicians are few."""
    n_req, n_shift = len(problem.requests), len(problem.shifts)
    techs = sorted({s.technician_id for s in problem.shifts})
    k = max(1, min(math.ceil(n_req / territory_jobs), len(techs), n_req))
    if k == 1:
        return [Territory(list(range(n_req)), list(range(n_shift)))]
    points = _xy([r.location for r in problem.requests])
    labels = np.empty(n_req, dtype=int)
    for j, part in enumerate(_bisect(points, np.arange(n_req), k)):
        labels[part] = j
    centres = np.array([points[labels == j].mean(0) for j in range(k)])
    work = np.bincount(labels, [r.duration.total_seconds() for r in problem.requests], k)
    quota = _quotas(work, len(techs))
    start = {s.technician_id: problem.shift_start_location(s) for s in problem.shifts}
    home = _xy([start[t] for t in techs])
    dist = ((home[:, None, :] - centres[None, :, :]) ** 2).sum(2)
    from scipy.optimize import linear_sum_assignment

    # Each territory's quota as slots; technicians to slots at the least total
    # squared distance from where their shifts start to the territory's centre.
    slot_of = np.repeat(np.arange(k), quota)
    rows, cols = linear_sum_assignment(dist[:, slot_of])
    tech_of = {techs[int(t)]: int(slot_of[c]) for t, c in zip(rows, cols, strict=True)}
    territories = [Territory([], []) for _ in range(k)]
    for i, shift in enumerate(problem.shifts):
        territories[tech_of[shift.technician_id]].shifts.append(i)
    for i, req in enumerate(problem.requests):
        bound = req.pinned_technician or next(
            (t for t in req.required_technicians if t in tech_of), None)
        territories[tech_of[bound] if bound in tech_of else int(labels[i])].requests.append(i)
    return [t for t in territories if t.shifts or t.requests]


def _fits(req: ServiceRequest, techs: set[str]) -> bool:
    """Whether ``req`` can be posed on ``techs`` without changing what it asks."""
    if req.pinned_technician is not None and req.pinned_technician not in techs:
        return False
    return not req.required_technicians or any(t in techs for t in req.required_technicians)


def _local(req: ServiceRequest, techs: set[str]) -> ServiceRequest:
    """``req`` naming only ``techs`` (a sub-problem knows no other technician).

    Leaving out an absent preferred technician only drops a cost the whole plan's
    pricing counts again; absent excluded ones cannot be chosen anyway.
    """
    def keep(ids: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(t for t in ids if t in techs)

    if all(set(ids) <= techs for ids in (req.preferred_technicians, req.excluded_technicians,
                                         req.required_technicians)):
        return req
    return dataclasses.replace(req, preferred_technicians=keep(req.preferred_technicians),
                               excluded_technicians=keep(req.excluded_technicians),
                               required_technicians=keep(req.required_technicians))


def sub_problem(problem: DispatchProblem, requests: Sequence[int], shifts: Sequence[int],
                name: str) -> DispatchProblem:
    """The whole day restricted to ``requests`` and ``shifts`` (indices) and the
    technicians of those shifts; requests that cannot be posed there are left out."""
    chosen = [problem.shifts[k] for k in shifts]
    techs = {s.technician_id for s in chosen}
    return dataclasses.replace(
        problem, name=name, shifts=tuple(chosen),
        technicians=tuple(t for t in problem.technicians if t.id in techs),
        requests=tuple(_local(problem.requests[i], techs) for i in requests
                       if _fits(problem.requests[i], techs)))


def distributable(problem: DispatchProblem) -> str | None:
    """Why ``problem`` cannot be distributed (``None``: it can)."""
    if problem.travel.provider is TravelProvider.MATRIX:
        return "a supplied travel matrix would travel whole with every task"
    if any(r.baseline_technician is not None for r in problem.requests):
        return "a live re-plan prices changes against the whole published plan"
    return None


# ----------------------------------------------------------------- merged state


@dataclass
class Merged:
    """The whole day's plan as it is built: a route per shift index, left-out jobs."""

    problem: DispatchProblem
    routes: dict[int, RawRoute] = field(default_factory=dict)
    unassigned: dict[int, Unassigned] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.request_index = {r.id: i for i, r in enumerate(self.problem.requests)}
        self.shift_index = {s.id: k for k, s in enumerate(self.problem.shifts)}

    def take(self, result: dict[str, Any], requests: Sequence[int], shifts: Sequence[int],
             detail: str = "no room found in its territory") -> None:
        """Put a task's result in place of what ``requests`` and ``shifts`` had."""
        for k in shifts:
            self.routes.pop(k, None)
        before = {i: self.unassigned.pop(i) for i in requests if i in self.unassigned}
        for r in result["routes"]:
            k = self.shift_index[r["shift"]]
            self.routes[k] = RawRoute(
                shift=self.problem.shifts[k],
                jobs=[self.request_index[rid] for rid in r["jobs"]],
                starts=[datetime.fromisoformat(t) for t in r["starts"]],
                departure=datetime.fromisoformat(r["departure"]),
                break_start=datetime.fromisoformat(r["break"]) if r["break"] else None)
        for rid, reason, detail in result["unassigned"]:
            i = self.request_index[rid]
            self.unassigned[i] = Unassigned(rid, self.problem.requests[i].priority,
                                            UnassignedReason(reason), detail)
        # A request the task could not be posed (pinned elsewhere) stays left out,
        # for the reason it had.
        routed = {i for r in self.routes.values() for i in r.jobs}
        for i in requests:
            if i not in routed and i not in self.unassigned:
                req = self.problem.requests[i]
                self.unassigned[i] = before.get(i) or Unassigned(
                    req.id, req.priority, UnassignedReason.NOT_ENOUGH_CAPACITY, detail)

    def current(self, shifts: Sequence[int]) -> dict[str, list[str]]:
        """The routes of ``shifts`` as request ids (what a boundary task compares to)."""
        return {self.problem.shifts[k].id: [self.problem.requests[i].id
                                            for i in self.routes[k].jobs]
                for k in shifts if k in self.routes}


# ----------------------------------------------------------------- tasks


@dataclass
class Stats:
    """What the distributed solve did (``plan.solver["distributed"]``)."""

    territories: list[dict[str, Any]] = field(default_factory=list)
    boundary_tasks: int = 0
    boundary_improved: int = 0
    local_fallbacks: int = 0
    errors: list[str] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)


def _gather(runner: TaskRunner | None, solvers: Solvers, stream: Iterable[str],
            give_up: Callable[[], float], finish_by: float, stats: Stats,
            stop: threading.Event | None = None) -> list[dict[str, Any] | None]:
    """Each payload's result: from ``runner`` until ``give_up()`` (``time.monotonic``,
    asked once every payload is sent), then solved here with an equal share of the
    time left before ``finish_by``. Payloads are sent as ``stream`` yields them, so
    workers start on the first while the others are still being encoded. Once
    ``stop`` is set nothing more is waited for or solved: those results are ``None``."""
    futures: list[Future[dict[str, Any]] | None] = []
    payloads: list[str] = []
    for payload in stream:
        payloads.append(payload)
        try:
            futures.append(runner.submit(payload) if runner is not None else None)
        except Exception as exc:  # a broker that refuses: this task runs here
            stats.errors.append(f"submit: {type(exc).__name__}: {exc}")
            futures.append(None)
    results: list[dict[str, Any] | None] = [None] * len(payloads)
    until = give_up()
    for i, future in enumerate(futures):
        if future is None:
            continue
        try:
            results[i] = _result(future, until, stop)
        except Exception as exc:
            stats.errors.append(f"task {i}: {type(exc).__name__}: {exc}"[:300])
            if runner is not None:
                runner.cancel(future)
    missing = [i for i, r in enumerate(results) if r is None]
    if stop is not None and stop.is_set():
        return results
    for n, i in enumerate(missing):
        if runner is not None:
            stats.local_fallbacks += 1
        share = (finish_by - time.monotonic()) / (len(missing) - n)
        limit = min(float(decode(payloads[i])["time_limit"]), share)
        results[i] = run_task(payloads[i], solvers, limit)
    return results


def _result(future: Future[dict[str, Any]], until: float,
            stop: threading.Event | None) -> dict[str, Any]:
    """``future``'s result by ``until`` (``time.monotonic``), looking at ``stop``
    twice a second; :class:`TimeoutError` past ``until`` or once stopped."""
    while True:
        left = until - time.monotonic()
        if left <= 0 or (stop is not None and stop.is_set()):
            raise TimeoutError("not back in time" if left <= 0 else "the solve was stopped")
        try:
            return future.result(timeout=min(left, 0.5))
        except FutureTimeout:
            continue


def _territory_seconds(params: SolveParams, n: int) -> float:
    d = params.distribute
    if d.territory_seconds > 0:
        return float(d.territory_seconds)
    budget = params.time_limit * (1 - d.boundary_share) - FINISH_SECONDS
    rounds = math.ceil(n / d.workers)
    return max(1.0, budget / rounds / 1.1)  # a tenth for each task's own set-up


def _territories(problem: DispatchProblem, params: SolveParams, merged: Merged,
                 runner: TaskRunner | None, solvers: Solvers, end: float,
                 stats: Stats, stop: threading.Event | None) -> None:
    d = params.distribute
    territories = split(problem, d.territory_jobs)
    seconds = _territory_seconds(params, len(territories))
    payloads = (_payload(sub_problem(problem, t.requests, t.shifts,
                                     f"{problem.name or 'day'}-territory-{n}"),
                         seconds, params.seed)
                for n, t in enumerate(territories))
    rounds = math.ceil(len(territories) / d.workers)

    def give_up() -> float:
        return time.monotonic() + rounds * seconds * LATE_FACTOR + LATE_SECONDS

    results = _gather(runner, solvers, payloads, give_up, end, stats, stop)
    for t, result in zip(territories, results, strict=True):
        if result is None:  # stopped before it came back: its jobs stay out
            merged.take({"routes": [], "unassigned": []}, t.requests, t.shifts,
                        "the solve was stopped before its territory was solved")
            continue
        merged.take(result, t.requests, t.shifts)
        # .get: a worker of another version may not report every figure.
        stats.territories.append({k: result.get(k) for k in (
            "jobs", "shifts", "left_out", "seconds", "worker", "peak_rss_mib",
            "peak_child_rss_mib", "objective")})


# ----------------------------------------------------------------- boundary


class _Near:
    """Nearness of jobs and shifts by their coordinates (kilometres, a plane)."""

    def __init__(self, problem: DispatchProblem) -> None:
        self.jobs = _xy([r.location for r in problem.requests])
        self.starts = _xy([problem.shift_start_location(s) for s in problem.shifts])

    def shifts_near(self, i: int) -> np.ndarray:
        return np.argsort(((self.starts - self.jobs[i]) ** 2).sum(1), kind="stable")

    def jobs_near(self, i: int, among: Sequence[int]) -> list[int]:
        if not among:
            return []
        d = ((self.jobs[list(among)] - self.jobs[i]) ** 2).sum(1)
        return [among[int(j)] for j in np.argsort(d, kind="stable")]


Group = tuple[list[int], list[int]]  # (request indices, shift indices) of a sub-problem


def _group_shifts(problem: DispatchProblem, near: _Near, seed: int, busy: set[int],
                  size: int) -> list[int]:
    """``size`` free shifts for a group around job ``seed``: the nearest, but half of
    them at least among those whose technician may serve it (a left-out job with a
    rare skill has no such technician among its nearest)."""
    req = problem.requests[seed]
    techs = problem.technician_by_id
    order = [int(k) for k in near.shifts_near(seed) if int(k) not in busy]

    def serves(k: int) -> bool:
        shift = problem.shifts[k]
        return (shift.technician_id not in req.excluded_technicians
                and techs[shift.technician_id].qualifies_for(req.required_skills))

    able = [k for k in order[: 20 * size] if serves(k)][: size // 2]
    rest = [k for k in order[:size] if k not in able]
    return sorted(able + rest[: size - len(able)], key=order.index)


def _boundary_groups(merged: Merged, near: _Near, params: SolveParams,
                     rng: np.random.Generator, tried: set[int]) -> list[Group]:
    """Disjoint (requests, shifts) groups for one boundary round: around left-out
    jobs first (highest priority first), then around random routed jobs."""
    d = params.distribute
    busy_shifts: set[int] = set()
    busy_jobs: set[int] = set()
    groups: list[Group] = []
    left = sorted(merged.unassigned, key=lambda i: (merged.unassigned[i].priority.rank, i))
    seeds = [i for i in left if i not in tried]
    routed = [i for r in merged.routes.values() for i in r.jobs]
    if routed:
        seeds += [routed[int(j)] for j in rng.integers(len(routed), size=4 * d.workers)]
    for seed in seeds:
        if len(groups) >= d.workers:
            break
        if seed in busy_jobs:
            continue
        tried.add(seed)
        shifts = _group_shifts(merged.problem, near, seed, busy_shifts, d.boundary_routes)
        if not shifts:
            continue
        free_left = [i for i in left if i not in busy_jobs]
        extra = near.jobs_near(seed, free_left)[: 2 * d.boundary_routes]
        jobs = [i for k in shifts if k in merged.routes for i in merged.routes[k].jobs]
        requests = jobs + [i for i in extra if i not in jobs]
        if seed in merged.unassigned and seed not in requests:
            requests.append(seed)
        busy_shifts.update(shifts)
        busy_jobs.update(requests)
        groups.append((requests, shifts))
    return groups


def _boundary(problem: DispatchProblem, params: SolveParams, merged: Merged,
              runner: TaskRunner | None, solvers: Solvers, end: float, stats: Stats,
              stop: threading.Event | None) -> None:
    d = params.distribute
    near = _Near(problem)
    rng = np.random.default_rng(params.seed)
    tried: set[int] = set()
    while stop is None or not stop.is_set():
        left = end - time.monotonic()
        seconds = min(d.boundary_seconds, left / 1.5)
        if seconds < 1.0:
            break
        groups = _boundary_groups(merged, near, params, rng, tried)
        if not groups:
            break
        payloads = [_payload(sub_problem(problem, reqs, shifts,
                                         f"boundary-{stats.boundary_tasks + n}"),
                             seconds, params.seed, merged.current(shifts))
                    for n, (reqs, shifts) in enumerate(groups)]
        late = seconds * LATE_FACTOR + LATE_SECONDS / 4
        results = _gather(runner, solvers, payloads,
                          lambda late=late: time.monotonic() + late,  # type: ignore[misc]
                          end, stats, stop)
        for (reqs, shifts), result in zip(groups, results, strict=True):
            stats.boundary_tasks += 1
            if result is not None and result["objective"] < result["current_objective"] - 1e-6:
                merged.take(result, reqs, shifts)
                stats.boundary_improved += 1


# ----------------------------------------------------------------- the plan


class _Legs:
    """Travel legs of the whole day, one route's locations at a time (no n² matrix)."""

    def __init__(self, problem: DispatchProblem) -> None:
        self.problem = problem
        self.shift = {s.id: s for s in problem.shifts}
        self.cache: dict[tuple[Location, Location], Legs] = {}

    def location(self, key: tuple[str, object]) -> Location:
        kind, ident = key
        if kind == "j":
            return self.problem.requests[int(ident)].location  # type: ignore[call-overload]
        shift = self.shift[str(ident)]
        return (self.problem.shift_start_location(shift) if kind == "s"
                else self.problem.shift_end_location(shift))

    def prepare(self, route: RawRoute) -> None:
        """Compute every leg of ``route`` with one small matrix."""
        keys = [("s", route.shift.id)] + [("j", j) for j in route.jobs] + [("e", route.shift.id)]
        locations = [self.location(k) for k in keys]
        times = build_matrix(self.problem.travel, locations)
        for a in range(len(locations) - 1):
            seconds = float(times.durations[a, a + 1])
            self.cache[(locations[a], locations[a + 1])] = Legs(
                seconds, float(times.distances[a, a + 1]), math.ceil(seconds - 1e-9))

    def __call__(self, a: tuple[str, object], b: tuple[str, object]) -> Legs:
        return self.cache[(self.location(a), self.location(b))]


def travel_bound(problem: DispatchProblem, extra: Sequence[ServiceRequest] = ()) -> float:
    """The whole day's travel bound (:func:`.model.build_model`'s) without its matrix;
    ``extra``: requests counted as if ``problem`` held them too (a new job: no
    problem is rebuilt, which re-validates every request).

    The costliest leg of a region joins two points of the convex hull of its
    locations, so the matrix is computed over the hull's corners only (exact for
    straight-line travel on a plane, close for geodesic; an estimate for road times).
    """
    if extra:
        # The hull of the day and a few more points is that of the day's corners
        # and those points: the day's are kept (slot offers ask one day for many
        # new jobs).
        places = _day_corners(problem) + [r.location for r in extra]
        corners = [places[i] for i in _hull(_xy(places))]
    else:
        corners = _corners(problem)
    times = build_matrix(problem.travel, corners)
    w = problem.weights
    seconds = np.ceil(times.durations - 1e-9).max()
    max_arc = float(w.travel_time * seconds + w.travel_distance * times.distances.max() / 1000)
    return max(1.0, max_arc) * (len(problem.requests) + len(extra) + len(problem.shifts))


def _corners(problem: DispatchProblem) -> list[Location]:
    """The corners of the convex hull of the problem's places (jobs, shift ends)."""
    locations = [r.location for r in problem.requests]
    locations += [problem.shift_start_location(s) for s in problem.shifts]
    locations += [problem.shift_end_location(s) for s in problem.shifts]
    return [locations[i] for i in _hull(_xy(locations))]


#: :func:`_corners` of the last few problems asked with extra requests, by identity
#: (the problem is kept with them, so its id is not reused meanwhile).
_DAY_CORNERS: dict[int, tuple[DispatchProblem, list[Location]]] = {}
_DAY_CORNERS_KEPT = 16
_day_corners_lock = threading.Lock()


def _day_corners(problem: DispatchProblem) -> list[Location]:
    with _day_corners_lock:
        found = _DAY_CORNERS.get(id(problem))
    if found is not None and found[0] is problem:
        return found[1]
    corners = _corners(problem)
    with _day_corners_lock:
        _DAY_CORNERS[id(problem)] = (problem, corners)
        while len(_DAY_CORNERS) > _DAY_CORNERS_KEPT:
            del _DAY_CORNERS[next(iter(_DAY_CORNERS))]
    return corners


def _hull(points: np.ndarray) -> list[int]:
    """Indices of the convex hull's corners (all points when they are too few or
    in a line)."""
    from scipy.spatial import ConvexHull, QhullError

    if len(points) < 4:
        return list(range(len(points)))
    try:
        return [int(i) for i in ConvexHull(points).vertices]
    except QhullError:  # collinear or repeated points: the farthest pair is still in
        return [int(np.argmin(points[:, 0])), int(np.argmax(points[:, 0])),
                int(np.argmin(points[:, 1])), int(np.argmax(points[:, 1]))]


def _relabel(problem: DispatchProblem, left: Unassigned) -> Unassigned:
    """A territory's reason that does not hold for the whole day becomes 'no room'."""
    if left.reason not in LOCAL_REASONS:
        return left
    req = problem.request_by_id[left.request_id]
    if left.reason is UnassignedReason.NO_QUALIFIED_TECHNICIAN and not any(
            t.qualifies_for(req.required_skills) for t in problem.technicians):
        return left
    return dataclasses.replace(left, reason=UnassignedReason.NOT_ENOUGH_CAPACITY,
                               detail=f"not placed by its territory ({left.reason.value}) "
                                      "nor by the boundary phase")


def _plan(problem: DispatchProblem, merged: Merged, began: float, status: PlanStatus,
          info: dict[str, object]) -> DispatchPlan:
    legs = _Legs(problem)
    routes = [merged.routes[k] for k in sorted(merged.routes) if merged.routes[k].jobs]
    for route in routes:
        legs.prepare(route)
    unassigned = [_relabel(problem, u) for u in merged.unassigned.values()]
    return build_plan(problem, routes, legs, unassigned, status,
                      timedelta(seconds=time.monotonic() - began), travel_bound(problem), info)


def solve_distributed(problem: DispatchProblem, params: SolveParams, solvers: Solvers, *,
                      progress: Callable[[Progress], None] | None = None,
                      stop: threading.Event | None = None,
                      runner: TaskRunner | None = None) -> DispatchPlan:
    """Solve ``problem`` by territory over ``runner`` (default: the registered one;
    none: here, one task after the other). See the module doc.

    The territories get their time first (``territory_seconds``, or what the time
    limit leaves for them); the boundary phase then runs for
    ``boundary_share × time_limit``, within the time limit.
    """
    began = time.monotonic()
    why_not = distributable(problem)
    if why_not is not None or not problem.requests:
        local = dataclasses.replace(params, distribute=dataclasses.replace(
            params.distribute, enabled=False))
        plan = solvers.solve(problem, local, progress=progress, stop=stop)
        plan.solver["distributed"] = {"skipped": why_not or "no requests"}
        return plan
    if runner is None and _runner_factory is not None:
        runner = _runner_factory()
    end = began + params.time_limit - FINISH_SECONDS * min(1.0, params.time_limit / 60)
    stats = Stats()
    merged = Merged(problem)
    _territories(problem, params, merged, runner, solvers, end, stats, stop)
    stats.phases["territories"] = round(time.monotonic() - began, 3)
    boundary_end = min(end, time.monotonic() + params.distribute.boundary_share
                       * params.time_limit)
    _boundary(problem, params, merged, runner, solvers, boundary_end, stats, stop)
    stats.phases["boundary"] = round(time.monotonic() - began - stats.phases["territories"], 3)
    status = PlanStatus.CANCELLED if stop is not None and stop.is_set() else PlanStatus.TIME_LIMIT
    info: dict[str, object] = {
        "engine": "distributed", "time_limit": params.time_limit, "seed": params.seed,
        "runner": type(runner).__name__ if runner is not None else "here"}
    plan = _plan(problem, merged, began, status, info)
    stats.phases["plan"] = round(time.monotonic() - began - sum(stats.phases.values()), 3)
    plan.solver["distributed"] = dataclasses.asdict(stats)
    if progress is not None:
        progress(Progress(objective=plan.objective, elapsed=time.monotonic() - began,
                          solutions=1, assigned=plan.kpis.jobs_assigned))
    return plan

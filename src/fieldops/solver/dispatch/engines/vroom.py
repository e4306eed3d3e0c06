"""VROOM (pyvroom) for the general field day.

VROOM models natively what a field day needs as hard rules: skills (every
distinct allowed-vehicle set is one VROOM skill, held by the vehicles in the set —
exact for skill levels, exclusions and pins alike), several windows per job, the
lunch break inside its window, the shift window up to the end of overtime, van
capacity and priorities (VROOM maximises the summed priority of the jobs it
serves before it minimises cost). Costs are our integer arc costs; what VROOM
does not model (SLA lateness, the overtime and preference costs) is priced when
the solver re-times the routes, and improved afterwards by OR-Tools.

VROOM holds the GIL for its whole run. In-process it would freeze every other
thread of the solve for up to the whole budget: the API worker's lease heartbeat
(a solve longer than the lease would be reaped as dead) and the stop check (a
``DELETE`` would wait for VROOM's timeout). :func:`solve` therefore runs VROOM in
a child interpreter (``python -m fieldops.solver.dispatch.engines.vroom``, which
works inside daemonic pool workers too, unlike ``multiprocessing``) and kills it
when the caller asks to stop or the budget is overrun.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from fieldops.solver.dispatch.engines import EngineResult, EngineStopped, EngineUnavailable
from fieldops.solver.dispatch.engines.lifetime import die_with_parent

if TYPE_CHECKING:
    # Only the parent reads a FlatProblem: the child gets a VroomInput, so that it
    # imports numpy and pyvroom but not the model behind FlatProblem.
    from fieldops.solver.dispatch.engines.flat import FlatProblem

# VROOM priorities are 0..100; by rank critical, high, normal, low. Ten times per
# level would not fit critical in 100 next to low, so the steps are uneven; pinned
# jobs (ranked above critical by our penalties) get the top.
PRIORITY = (90, 25, 5, 1)
PINNED_PRIORITY = 100
EXPLORATION = 5
# VROOM's exploration level sets how many start solutions it improves (4 per level
# plus 4) and how deep each local search goes. Its timeout is shared between those
# searches, so when they cannot all finish a lower level does better: fewer searches
# that each get further. The cost of a search grows about with the square of the
# jobs. Measured on generated field days with 2 threads and 46 s: 1 000 jobs, level 5
# 128.3 h of travel against 132.1 h at level 2; 2 000 jobs, level 5 215.3 h and
# 204.9 h (two runs), level 3 205.7 h, level 2 194.7 h, level 1 189.5 h but 10 fewer
# low-priority jobs. Past ``CROWDED`` jobs² per second of budget (between the two
# days, halfway on a log scale) the level drops to ``CROWDED_EXPLORATION``.
CROWDED = 45_000.0
CROWDED_EXPLORATION = 2
# Past ``HUGE_JOBS`` jobs VROOM's start heuristics alone, which its timeout does not
# interrupt, outlast the budget at level 2: at 5 000 jobs its child did not answer
# in 223 s (+22 s) on two runs, and the peer asked for 300 s took 685 s. At level 0
# (four starts) it kept a 60 s and a 120 s timeout (60.8 s, 121.5 s, load 4-5), and
# its plan, re-timed and repaired, priced 27 % below the construction's.
HUGE_JOBS = 3_000
HUGE_EXPLORATION = 0
UINT32_MAX = 2**32 - 1
# How long past its budget the child may take to hand its routes back before it
# is killed (VROOM's timeout covers the search, not reading the input).
# A share of the budget at least: on a loaded machine (8 searches on 2 cores) the
# child was seen 3-4 s late at a 17 s budget, and a plan killed that late is lost
# whole, which costs far more than the seconds ruin and recreate gives up.
CHILD_GRACE_SECONDS = 2.0
CHILD_GRACE_SHARE = 0.1
TIMEOUT_FRACTION = 0.9  # of its budget that VROOM is given as its own timeout
# VROOM checks its timeout between search phases, and on a crowded machine a phase
# runs many times longer: with 8 searches on 2 cores (load 18) it missed a 15 s
# budget by more than 4 s at 350 jobs, and a plan killed late is lost whole. Past
# ``CROWDED_LOAD_PER_CPU`` runnable processes per CPU the child aims at its budget
# ÷ √(load per CPU), while the parent still waits for the whole budget plus the
# grace. Below it the child aims at the whole budget: at load 4.3-4.7 on 2 CPUs
# (the solve's own two processes and two more) it answered at 48.5 s of a 49 s
# budget, and its 1 000-job plans came back 3-6 % shorter than with the cut, with
# as many jobs or more (benchmarks/README.md, "Where the travel goes").
CROWDING_EXPONENT = 0.5
CROWDED_LOAD_PER_CPU = 2.5


def exploration_for(n_jobs: int, time_limit: float) -> int:
    """VROOM's exploration level for ``n_jobs`` jobs in ``time_limit`` seconds."""
    if n_jobs > HUGE_JOBS:
        return HUGE_EXPLORATION
    if n_jobs * n_jobs > CROWDED * max(time_limit, 1e-3):
        return CROWDED_EXPLORATION
    return EXPLORATION


def solve(
    flat: FlatProblem,
    time_limit: float,
    *,
    threads: int = 1,
    exploration: int | None = None,
    should_stop: Callable[[], bool] | None = None,
    isolated: bool = True,
    aim: float | None = None,
    until: float | None = None,
) -> EngineResult:
    """Run VROOM on ``flat`` with its own timeout of ``time_limit`` seconds.

    ``exploration`` defaults to :func:`exploration_for` the day's size and the
    time. With ``isolated`` (the default) VROOM runs in a child interpreter, so
    that this process's other threads keep running (see the module doc); the
    call raises :class:`EngineStopped` as soon as ``should_stop()`` turns true.
    ``aim``: the timeout the child asks VROOM for (default :func:`aimed_budget`);
    the child is still awaited up to ``time_limit`` and its grace, but never past
    ``until`` (a ``time.monotonic()`` instant: the caller's own deadline).
    """
    if exploration is None:
        exploration = exploration_for(flat.n_jobs, time_limit)
    if not isolated:
        return _solve_here(vroom_input(flat), time_limit, threads=threads,
                           exploration=exploration)
    started = time.monotonic()
    if aim is None:
        aim = aimed_budget(time_limit, os.getloadavg()[0], os.cpu_count() or 1)
    aim = min(aim, time_limit)
    payload = pickle.dumps((vroom_input(flat), aim, threads, exploration, time.time()),
                           protocol=pickle.HIGHEST_PROTOCOL)
    child = subprocess.Popen(
        # Our pid: the child dies with this process (see engines.lifetime).
        [sys.executable, "-m", __name__, str(os.getpid())],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    answer: dict[str, bytes] = {}

    def talk() -> None:
        answer["out"], answer["err"] = child.communicate(payload)

    talker = threading.Thread(target=talk, daemon=True, name="vroom-child")
    talker.start()
    grace = child_grace(time_limit)
    deadline = started + time_limit + grace
    if until is not None:
        # The grace is VROOM's, not the caller's: a child late past the caller's
        # deadline is killed there, whatever its budget said.
        deadline = min(deadline, until)
    while talker.is_alive():
        stopped = should_stop is not None and should_stop()
        if stopped or time.monotonic() > deadline:
            child.kill()
            talker.join()
            if stopped:
                raise EngineStopped("stopped by the caller")
            raise RuntimeError(f"VROOM did not answer in {time.monotonic() - started:.1f} s "
                               f"(budget {time_limit:.1f} s + {grace:.1f} s, or the "
                               f"caller's deadline)")
        talker.join(0.05)
    if child.returncode != 0:
        tail = answer.get("err", b"").decode(errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"VROOM child exited with {child.returncode}: {' | '.join(tail)}")
    result: EngineResult = pickle.loads(answer["out"])
    result.elapsed = time.monotonic() - started
    result.details["isolated"] = True
    return result


def aimed_budget(time_limit: float, load: float, cpus: int) -> float:
    """The budget the child aims at: ``time_limit`` up to ``CROWDED_LOAD_PER_CPU``
    runnable processes per CPU, less past it as more compete for each CPU (see
    ``CROWDING_EXPONENT``)."""
    crowding = load / max(1, cpus)
    if crowding <= CROWDED_LOAD_PER_CPU:
        return time_limit
    return time_limit / crowding ** CROWDING_EXPONENT


def child_grace(time_limit: float) -> float:
    """How long past ``time_limit`` the child may answer before it is killed."""
    return max(CHILD_GRACE_SECONDS, CHILD_GRACE_SHARE * time_limit)


def child_timeout(time_limit: float, sent_at: float, now: float) -> float:
    """The timeout the child gives VROOM, from the parent's budget (wall-clock times).

    The interpreter's start-up counts against the budget the parent granted.
    VROOM checks its timeout between search phases and was seen 1 s past it
    alone and over 2 s past it beside the construction at 1 000 jobs (then the
    parent kills it and its plan is lost): it is asked for ``TIMEOUT_FRACTION``
    of what is left.
    """
    return max(0.05, TIMEOUT_FRACTION * (time_limit - max(0.0, now - sent_at)))


def _child_main() -> None:
    """Entry point of the child interpreter: pickled input on stdin, result on stdout."""
    die_with_parent(int(sys.argv[1]) if len(sys.argv) > 1 else None)
    given, time_limit, threads, exploration, sent_at = pickle.load(sys.stdin.buffer)
    budget = child_timeout(time_limit, sent_at, time.time())
    result = _solve_here(given, budget, threads=threads, exploration=exploration)
    pickle.dump(result, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    sys.stdout.buffer.flush()


@dataclass(frozen=True)
class VroomVehicle:
    """One vehicle as VROOM takes it (plain values: what the child unpickles)."""

    start: int
    end: int
    window: tuple[int, int]
    capacity: list[int]
    skills: set[int]
    lunch: tuple[int, int, int] | None  # earliest start, latest start, duration


@dataclass(frozen=True)
class VroomJob:
    """One job as VROOM takes it; its location is its index."""

    service: int
    delivery: list[int]
    skills: set[int]
    priority: int
    windows: list[tuple[int, int]]


@dataclass(frozen=True)
class VroomInput:
    """A FlatProblem mapped onto VROOM's terms (see the module doc)."""

    durations: npt.NDArray[np.uint32]
    costs: npt.NDArray[np.uint32]
    vehicles: list[VroomVehicle]
    jobs: list[VroomJob]
    skills: int


def vroom_input(flat: FlatProblem) -> VroomInput:
    """Map ``flat`` onto VROOM's vehicles, jobs, skills and matrices."""
    if flat.travel.max() > UINT32_MAX:
        raise EngineUnavailable("travel times do not fit VROOM's 32-bit matrix")
    costs = flat.cost
    if costs.max() > UINT32_MAX // 4:  # VROOM sums costs per route: keep headroom
        costs = np.ceil(costs / (costs.max() / (UINT32_MAX // 4))).astype(np.int64)
    skill_of_set: dict[frozenset[int], int] = {}
    for job in flat.jobs:
        if job.allowed is not None and job.allowed not in skill_of_set:
            skill_of_set[job.allowed] = len(skill_of_set) + 1
    vehicle_skills: list[set[int]] = [set() for _ in flat.vehicles]
    for allowed, skill in skill_of_set.items():
        for v in allowed:
            vehicle_skills[v].add(skill)
    has_capacity = any(v.capacity is not None for v in flat.vehicles) and any(
        j.load > 0 for j in flat.jobs)
    unlimited = sum(j.load for j in flat.jobs) + 1
    vehicles = [VroomVehicle(
        start=veh.start_node, end=veh.end_node, window=(veh.start, veh.latest_end),
        capacity=([veh.capacity if veh.capacity is not None else unlimited]
                  if has_capacity else []),
        skills=vehicle_skills[v], lunch=veh.lunch,
    ) for v, veh in enumerate(flat.vehicles)]
    jobs = [VroomJob(
        service=job.service,
        delivery=[job.load] if has_capacity else [],
        skills={skill_of_set[job.allowed]} if job.allowed is not None else set(),
        priority=PINNED_PRIORITY if job.pinned else PRIORITY[job.priority],
        # VROOM cannot price lateness: an SLA whose breach outweighs a low job
        # left out is a hard latest start for it (FlatJob.due).
        windows=list(job.windows_by_due()),
    ) for job in flat.jobs]
    return VroomInput(durations=np.asarray(flat.travel, dtype=np.uint32),
                      costs=np.asarray(costs, dtype=np.uint32),
                      vehicles=vehicles, jobs=jobs, skills=len(skill_of_set))


def _solve_here(
    given: VroomInput,
    time_limit: float,
    *,
    threads: int,
    exploration: int,
) -> EngineResult:
    """VROOM in this process (holds the GIL until it returns)."""
    try:
        import vroom
    except ImportError as exc:  # pragma: no cover - pyvroom is a core dependency
        raise EngineUnavailable("pyvroom is not installed") from exc
    started = time.monotonic()
    problem = vroom.Input()
    problem.set_durations_matrix("car", given.durations)
    problem.set_costs_matrix("car", given.costs)
    for v, veh in enumerate(given.vehicles):
        breaks = []
        if veh.lunch is not None:
            earliest, latest, length = veh.lunch
            breaks = [vroom.Break(id=v + 1, time_windows=[vroom.TimeWindow(earliest, latest)],
                                  service=length)]
        problem.add_vehicle(vroom.Vehicle(
            id=v, start=veh.start, end=veh.end, capacity=veh.capacity, skills=veh.skills,
            time_window=vroom.TimeWindow(*veh.window), breaks=breaks,
        ))
    problem.add_job([vroom.Job(
        id=j, location=j, default_service=job.service, delivery=vroom.Amount(job.delivery),
        skills=job.skills, priority=job.priority,
        time_windows=[vroom.TimeWindow(a, b) for a, b in job.windows],
    ) for j, job in enumerate(given.jobs)])
    solution = problem.solve(
        exploration_level=exploration,
        nb_threads=max(1, threads),
        timeout=timedelta(seconds=max(0.05, time_limit)),
    )
    frame = solution.routes
    routes: list[list[int]] = [[] for _ in given.vehicles]
    served = frame[frame["type"] == "job"]
    for vehicle_id, job_id in zip(served["vehicle_id"], served["id"], strict=True):
        routes[int(vehicle_id)].append(int(job_id))
    return EngineResult(
        engine="vroom",
        routes=routes,
        elapsed=time.monotonic() - started,
        details={"threads": threads, "exploration": exploration, "skills": given.skills},
    )


if __name__ == "__main__":
    # Unpickling the VroomInput imports this module once more under its own name:
    # a few milliseconds now that the module imports numpy and little else.
    _child_main()

"""VROOM (pyvroom) for the general field day.

VROOM models natively what a field day needs as hard rules: skills (every
distinct allowed-vehicle set is one VROOM skill, held by the vehicles in the set —
exact for skill levels, exclusions and pins alike), several windows per job, the
lunch break inside its window, the shift window up to the end of overtime, van
capacity and priorities (VROOM maximises the summed priority of the jobs it
serves before it minimises cost). Costs are our integer arc costs; what VROOM
does not model (SLA lateness, the overtime and preference costs) is priced when
the solver re-times the routes, and improved afterwards by OR-Tools.
"""

from __future__ import annotations

import time
from datetime import timedelta

import numpy as np

from fieldops.solver.dispatch.engines import EngineResult, EngineUnavailable
from fieldops.solver.dispatch.engines.flat import FlatProblem

# VROOM priorities are 0..100; by rank critical, high, normal, low. Ten times per
# level would not fit critical in 100 next to low, so the steps are uneven; pinned
# jobs (ranked above critical by our penalties) get the top.
PRIORITY = (90, 25, 5, 1)
PINNED_PRIORITY = 100
EXPLORATION = 5
UINT32_MAX = 2**32 - 1


def solve(
    flat: FlatProblem,
    time_limit: float,
    *,
    threads: int = 1,
    exploration: int = EXPLORATION,
) -> EngineResult:
    """Run VROOM on ``flat`` with its own timeout of ``time_limit`` seconds."""
    try:
        import vroom
    except ImportError as exc:  # pragma: no cover - pyvroom is a core dependency
        raise EngineUnavailable("pyvroom is not installed") from exc
    started = time.monotonic()
    if flat.travel.max() > UINT32_MAX:
        raise EngineUnavailable("travel times do not fit VROOM's 32-bit matrix")
    costs = flat.cost
    if costs.max() > UINT32_MAX // 4:  # VROOM sums costs per route: keep headroom
        costs = np.ceil(costs / (costs.max() / (UINT32_MAX // 4))).astype(np.int64)
    problem = vroom.Input()
    problem.set_durations_matrix("car", np.asarray(flat.travel, dtype=np.uint32))
    problem.set_costs_matrix("car", np.asarray(costs, dtype=np.uint32))

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
    for v, veh in enumerate(flat.vehicles):
        breaks = []
        if veh.lunch is not None:
            earliest, latest, length = veh.lunch
            breaks = [vroom.Break(id=v + 1, time_windows=[vroom.TimeWindow(earliest, latest)],
                                  service=length)]
        capacity = veh.capacity if veh.capacity is not None else unlimited
        problem.add_vehicle(vroom.Vehicle(
            id=v,
            start=veh.start_node,
            end=veh.end_node,
            capacity=[capacity] if has_capacity else [],
            skills=vehicle_skills[v],
            time_window=vroom.TimeWindow(veh.start, veh.latest_end),
            breaks=breaks,
        ))
    jobs = []
    for j, job in enumerate(flat.jobs):
        jobs.append(vroom.Job(
            id=j,
            location=j,
            default_service=job.service,
            delivery=vroom.Amount([job.load] if has_capacity else []),
            skills={skill_of_set[job.allowed]} if job.allowed is not None else set(),
            priority=PINNED_PRIORITY if job.pinned else PRIORITY[job.priority],
            time_windows=[vroom.TimeWindow(a, b) for a, b in job.windows],
        ))
    problem.add_job(jobs)
    solution = problem.solve(
        exploration_level=exploration,
        nb_threads=max(1, threads),
        timeout=timedelta(seconds=max(0.05, time_limit)),
    )
    frame = solution.routes
    routes: list[list[int]] = [[] for _ in flat.vehicles]
    served = frame[frame["type"] == "job"]
    for vehicle_id, job_id in zip(served["vehicle_id"], served["id"], strict=True):
        routes[int(vehicle_id)].append(int(job_id))
    return EngineResult(
        engine="vroom",
        routes=routes,
        elapsed=time.monotonic() - started,
        details={"threads": threads, "exploration": exploration,
                 "skills": len(skill_of_set)},
    )

"""VROOM (pyvroom) on a :class:`~benchmarks.peers.FlatModel`.

Allowed vehicles become VROOM skills: every distinct set of allowed vehicles gets
one skill id, held by the vehicles in the set and required by the jobs that need
it. That is exact for skills with levels, exclusions and pins alike (one id per
(skill, level) pair would not express exclusions). Priorities map to VROOM's
0–100 scale as critical 100, high 25, normal 5, low 1 (VROOM maximises the sum of
assigned priorities before it minimises cost). Exploration level 5, as in issue 3.
"""

from __future__ import annotations

import time
from datetime import timedelta

import numpy as np

from benchmarks.peers import FlatModel, PeerResult

VROOM_PRIORITY = (100, 25, 5, 1)
EXPLORATION = 5


def solve(model: FlatModel, time_limit: float, *, workers: int = 1, seed: int = 0) -> PeerResult:
    import vroom

    del seed  # VROOM is deterministic
    started = time.perf_counter()
    problem = vroom.Input()
    problem.set_durations_matrix("car", np.asarray(model.durations, dtype=np.uint32))
    problem.set_costs_matrix("car", np.asarray(model.costs, dtype=np.uint32))

    skill_of_set: dict[frozenset[int], int] = {}
    for allowed in model.job_allowed:
        if allowed is not None and allowed not in skill_of_set:
            skill_of_set[allowed] = len(skill_of_set) + 1
    vehicle_skills: list[set[int]] = [set() for _ in range(model.n_vehicles)]
    for allowed, skill in skill_of_set.items():
        for v in allowed:
            vehicle_skills[v].add(skill)

    has_capacity = any(c is not None for c in model.vehicle_capacity)
    big = int(sum(model.job_load)) + 1
    for v in range(model.n_vehicles):
        breaks = []
        if model.vehicle_break[v] is not None:
            earliest, latest, duration = model.vehicle_break[v]  # type: ignore[misc]
            breaks = [
                vroom.Break(
                    id=v + 1, time_windows=[vroom.TimeWindow(earliest, latest)], service=duration
                )
            ]
        cap = model.vehicle_capacity[v]
        problem.add_vehicle(
            vroom.Vehicle(
                id=v,
                start=model.vehicle_start[v],
                end=model.vehicle_end[v],
                capacity=[big if cap is None else cap] if has_capacity else [],
                skills=vehicle_skills[v],
                time_window=vroom.TimeWindow(*model.vehicle_window[v]),
                breaks=breaks,
            )
        )
    jobs = []
    for j in range(model.n_jobs):
        allowed = model.job_allowed[j]
        jobs.append(
            vroom.Job(
                id=j,
                location=model.job_location[j],
                default_service=model.job_service[j],
                delivery=vroom.Amount([model.job_load[j]] if has_capacity else []),
                skills={skill_of_set[allowed]} if allowed is not None else set(),
                priority=VROOM_PRIORITY[model.job_priority[j]],
                time_windows=[vroom.TimeWindow(a, b) for a, b in model.job_windows[j]],
            )
        )
    problem.add_job(jobs)
    solution = problem.solve(
        exploration_level=EXPLORATION,
        nb_threads=workers,
        timeout=timedelta(seconds=time_limit),
    )
    elapsed = time.perf_counter() - started
    frame = solution.routes
    routes: list[list[int]] = [[] for _ in range(model.n_vehicles)]
    jobs_only = frame[frame["type"] == "job"]
    for vehicle_id, job_id in zip(jobs_only["vehicle_id"], jobs_only["id"], strict=True):
        routes[int(vehicle_id)].append(int(job_id))
    return PeerResult(routes=routes, elapsed=elapsed, first_solution=elapsed)

"""PyVRP on a field day with its lunch relaxed: a candidate measured, not shipped.

fieldops runs PyVRP only on days it expresses exactly (:mod:`fieldops.solver.
dispatch.engines.hgs`): a lunch break, or more than a few distinct skill sets,
rules it out, so every field day starts from VROOM's plan. PyVRP leads VROOM on
travel where both apply (Solomon at 10 s: 0.33 % against 1.65 %), so this study
asks whether a PyVRP plan of the day *without* lunch, re-timed with lunch and
repaired by fieldops, is a better start for ruin and recreate than VROOM's:

* lunch is dropped and each shift ends ``SHRINK`` × the lunch earlier (the whole
  lunch makes VROOM's own plans infeasible: lunch often fills a wait);
* skills are one routing profile per distinct set of jobs a technician may not do,
  the arcs into those jobs longer than the day (so no feasible plan uses them);
  the load dimensions of :mod:`..hgs` (one per allowed set) made PyVRP far slower;
* every plan is priced under the default objective (:func:`evaluate_routes`).

``python -m benchmarks.field_pyvrp --instances fd350 downtown350 --day-seed 1``
runs the three ``VARIANTS`` with the same total time per day: VROOM
(``--vroom-seconds``) then ruin and recreate for ``PYVRP_SECONDS`` +
``--ruin-seconds``; VROOM, then PyVRP from VROOM's plan for ``PYVRP_SECONDS``,
then ruin and recreate; PyVRP alone from scratch for ``--vroom-seconds`` +
``PYVRP_SECONDS``, then ruin and recreate. Writes
``benchmarks/results/field_pyvrp.json`` (or ``--output``).
"""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Any

import numpy as np

from benchmarks.field_gap import _study_main, day_model, start_and_ruins

# Fraction of the lunch taken off each shift's end in PyVRP's view of the day.
SHRINK = 0.5
PYVRP_SECONDS = 15.0
VARIANTS = ("VROOM, R&R", "VROOM, PyVRP, R&R", "PyVRP, R&R")


def without_lunch(flat: Any, shrink: float = SHRINK) -> Any:
    """``flat`` with no lunch break, each shift ending ``shrink`` × its lunch earlier."""
    def cut(veh: Any) -> int:
        return int(shrink * veh.lunch[2]) if veh.lunch is not None else 0

    return dataclasses.replace(flat, vehicles=tuple(
        dataclasses.replace(v, lunch=None, soft_end=v.soft_end - cut(v),
                            latest_end=v.latest_end - cut(v))
        for v in flat.vehicles))


def profiled(flat: Any) -> Any:
    """PyVRP's problem for ``flat`` (no lunch, one window per job): the mapping of
    :mod:`..hgs`, with skills as routing profiles instead of load dimensions."""
    import pyvrp

    from fieldops.solver.dispatch.engines import hgs

    depot_of_node, depot_nodes = hgs._depots(flat)
    nodes = depot_nodes + list(range(flat.n_jobs))
    n_depots = len(depot_nodes)
    durations, costs, scale = hgs._matrices(flat, nodes)
    clients = [pyvrp.Client(
        location=n_depots + j, service_duration=job.service, tw_early=job.windows[0][0],
        tw_late=job.windows[0][1], required=False, prize=max(1, job.drop_cost // scale))
        for j, job in enumerate(flat.jobs)]
    profiles: dict[tuple[int, ...], int] = {}
    duration_matrices: list[np.ndarray[Any, Any]] = []
    types: dict[tuple[int, ...], list[int]] = {}
    for v, veh in enumerate(flat.vehicles):
        forbidden = tuple(n_depots + j for j, job in enumerate(flat.jobs)
                          if job.allowed is not None and v not in job.allowed)
        if forbidden not in profiles:
            profiles[forbidden] = len(duration_matrices)
            matrix = durations.copy()
            matrix[:, list(forbidden)] = 10 * flat.horizon
            np.fill_diagonal(matrix, 0)
            duration_matrices.append(matrix)
        key = (depot_of_node[veh.start_node], depot_of_node[veh.end_node], veh.start,
               veh.soft_end, veh.latest_end, veh.labour_cost, veh.overtime_cost,
               profiles[forbidden])
        types.setdefault(key, []).append(v)
    members = list(types.values())
    type_of_vehicle = [0] * flat.n_vehicles
    for t, vs in enumerate(members):
        for v in vs:
            type_of_vehicle[v] = t
    vehicle_types = [_vehicle_type(flat, key, len(vs), scale) for key, vs in types.items()]
    depots = [pyvrp.Depot(location=d, tw_early=0, tw_late=flat.horizon) for d in range(n_depots)]
    distance_matrices = [costs] * len(duration_matrices)
    data = pyvrp.ProblemData([pyvrp.Location(0.0, 0.0) for _ in nodes], clients, depots,
                             vehicle_types, distance_matrices,  # type: ignore[arg-type]
                             duration_matrices)
    return hgs._Mapped(data, members, type_of_vehicle, n_depots, scale)


def _vehicle_type(flat: Any, key: tuple[int, ...], count: int, scale: int) -> Any:
    import pyvrp

    start_depot, end_depot, start, soft_end, latest_end, labour, overtime, profile = key
    paid = overtime > 0 and latest_end > soft_end
    return pyvrp.VehicleType(
        num_available=count, start_depot=start_depot, end_depot=end_depot,
        tw_early=start, tw_late=latest_end, unit_distance_cost=1,
        unit_duration_cost=labour // scale,
        shift_duration=max(0, soft_end - start if paid else latest_end),
        max_overtime=latest_end - soft_end if paid else 0,
        unit_overtime_cost=overtime // scale if paid else 0, profile=profile)


def pyvrp_routes(flat: Any, seconds: float, start: list[list[int]] | None,
                 seed: int = 0) -> tuple[list[list[int]], dict[str, Any]]:
    """PyVRP's routes (job indices per vehicle) for ``flat`` without lunch, from
    ``start`` when given, and what PyVRP reported."""
    import pyvrp

    mapped = profiled(without_lunch(flat))
    result = pyvrp.solve(mapped.data, pyvrp.stop.MaxRuntime(seconds), seed=seed,
                         display=False, collect_stats=False,
                         initial_solution=mapped.initial(start))
    routes = mapped.routes(flat.n_vehicles, result.best)
    return routes, {"iterations": int(result.num_iterations),
                    "feasible": bool(result.best.is_feasible()),
                    "jobs": sum(len(r) for r in routes)}


def study(name: str, day_seed: int, vroom_seconds: float, ruin_seconds: float,
          labels: list[str] | None = None, seeds: int = 1) -> dict[str, Any]:
    """The ``VARIANTS`` on one day (see the module doc), each priced under the
    default objective after the repair and after ruin and recreate."""
    from fieldops.solver.dispatch.construct import Constructor
    from fieldops.solver.dispatch.engines import vroom as vroom_engine

    problem, model, flat = day_model(name, day_seed)
    out: dict[str, Any] = {"instance": name, "day_seed": day_seed, "load_start":
                           os.getloadavg()[0], "vroom_seconds": vroom_seconds,
                           "pyvrp_seconds": PYVRP_SECONDS, "ruin_seconds": ruin_seconds,
                           "shrink": SHRINK, "results": {}}
    vroom_routes = vroom_engine.solve(flat, vroom_seconds, threads=1).routes
    for variant in VARIANTS:
        if labels and variant not in labels:
            continue
        started, extra = time.monotonic(), PYVRP_SECONDS
        routes, info = vroom_routes, dict[str, Any]()
        if "PyVRP" in variant:
            from_scratch = not variant.startswith("VROOM")
            routes, info = pyvrp_routes(
                flat, PYVRP_SECONDS + (vroom_seconds if from_scratch else 0.0),
                None if from_scratch else vroom_routes)
            extra = 0.0
        start = Constructor(model.context).build(initial=routes)
        results = start_and_ruins(problem, model, start, variant, ruin_seconds + extra,
                                  seeds, suffix="")
        results[f"{variant}: repaired"].update(pyvrp=info, seconds=time.monotonic() - started)
        out["results"].update(results)
    out["load_end"] = os.getloadavg()[0]
    return out


def main(argv: list[str] | None = None) -> None:
    _study_main(argv, study, description="PyVRP on a field day with lunch relaxed",
                choices="variants", vroom_seconds=20.0, ruin_seconds=25.0,
                output="benchmarks/results/field_pyvrp.json")


if __name__ == "__main__":
    main()

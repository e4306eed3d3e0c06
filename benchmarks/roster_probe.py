"""Is the roster LNS's last roster a local optimum, and of which neighbourhoods?

    python -m benchmarks.roster_probe --instance 8 --time-limit 60 --workers 2

Solves one Curtois–Qu instance with :func:`fieldops.solver.roster.solve_roster`
and keeps the LNS's final incumbent (the model's values; the probe wraps the
solver's ``improve`` to see them, as the roster alone does not carry them). From
that roster it then solves, each exactly with the LNS's own sub-solver
(:func:`fieldops.solver.roster.lns._sub_solver`, larger budgets), every
neighbourhood of a class and counts how many improve it:

* ``pairs``: every two agents, every day free (any exchange of shifts between
  two agents, whatever it keeps; the swap moves of a dedicated local search are
  a subset), budget 1.0;
* ``triples``: random sets of three agents, every day free, for ``--seconds``;
* ``windows <k>``: every window of k days (start step 2), all agents free,
  budget 2.0.

No roster is kept: an improvement only shows that a class can still improve
the LNS's result. Results go to ``--output`` (default
``benchmarks/results/roster-probe-<instance>.json``).
"""

from __future__ import annotations

import argparse
import itertools
import random
import time
from pathlib import Path
from typing import Any

from ortools.sat.python import cp_model

from benchmarks import _harness as h
from benchmarks._data import add_data_dir_argument, use_data_dir

Cells = set[tuple[int, int]]


def _incumbent(number: int, time_limit: float, workers: int) -> tuple[Any, Any, float]:
    """Solve instance ``number``; the model, the LNS's final incumbent, the objective."""
    import fieldops.solver.roster.solve as solve
    from benchmarks.curtois_qu import load_instance, to_roster_problem
    from fieldops.domain.roster import RosterParams

    seen: dict[str, Any] = {}
    improve = solve.improve

    def keep(m: Any, best: Any, *args: Any, **kw: Any) -> Any:
        stats = improve(m, best, *args, **kw)
        seen.update(m=m, best=best)
        return stats

    solve.improve = keep
    try:
        problem = to_roster_problem(load_instance(number))
        roster = solve.solve_roster(problem, RosterParams(time_limit=time_limit,
                                                          workers=workers, seed=0))
    finally:
        solve.improve = improve
    if "m" not in seen:
        raise SystemExit(f"no LNS phase ran (status {roster.status.value})")
    return seen["m"], seen["best"], seen["best"].objective


def _sub_solve(m: Any, values: list[int], free: Cells, budget: float) -> tuple[bool, float]:
    """(proven optimal, objective) of the model with every cell outside ``free`` fixed."""
    from fieldops.solver.roster.lns import _sub_solver, searchable, set_hint

    variables = m.model.proto.variables
    fixed = [var.index for (a, d, _t), var in m.x.items() if (a, d) not in free]
    for i in fixed:
        variables[i].domain[0] = variables[i].domain[1] = values[i]
    set_hint(m.model, values)
    solver = _sub_solver(searchable(m), 0, 60.0, 1.0)
    solver.parameters.max_deterministic_time = budget
    solver.parameters.max_time_in_seconds = 30.0
    try:
        code = solver.solve(m.model)
    finally:
        for i in fixed:
            variables[i].domain[0], variables[i].domain[1] = 0, 1
    return code == cp_model.OPTIMAL, solver.objective_value


def probe(m: Any, values: list[int], objective: float, seconds: float,
          spans: list[int]) -> dict[str, Any]:
    """Count the improving neighbourhoods of each class around ``values``."""
    agents, days = m.agents, range(m.ctx.problem.days)
    classes: dict[str, list[Cells]] = {
        "pairs": [{(a, d) for a in pair for d in days}
                  for pair in itertools.combinations(agents, 2)]}
    for span in spans:
        classes[f"windows {span}"] = [
            {(a, d) for a in agents for d in range(first, first + span)}
            for first in range(0, len(days) - span + 1, 2)]
    out: dict[str, Any] = {}
    for name, hoods in classes.items():
        out[name] = _count(m, values, objective, hoods, 1.0 if name == "pairs" else 2.0)
    rng = random.Random(0)
    start, results = time.perf_counter(), []
    while len(agents) >= 3 and time.perf_counter() - start < seconds:
        free = {(a, d) for a in rng.sample(agents, 3) for d in days}
        results.append(_sub_solve(m, values, free, 1.0))
    out["triples"] = _summary(results, objective, time.perf_counter() - start)
    return out


def _count(m: Any, values: list[int], objective: float, hoods: list[Cells],
           budget: float) -> dict[str, Any]:
    start = time.perf_counter()
    results = [_sub_solve(m, values, free, budget) for free in hoods]
    return _summary(results, objective, time.perf_counter() - start)


def _summary(results: list[tuple[bool, float]], objective: float,
             seconds: float) -> dict[str, Any]:
    better = sorted(obj for _, obj in results if obj < objective - 1e-6)
    return {"tried": len(results), "proven": sum(1 for proven, _ in results if proven),
            "improving": len(better), "best": better[0] if better else None,
            "seconds": round(seconds, 2)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", type=int, default=8)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=30.0, help="triples: sampling time")
    parser.add_argument("--spans", type=int, nargs="*", default=[10, 14])
    parser.add_argument("--output", type=Path)
    add_data_dir_argument(parser)
    args = parser.parse_args(argv)
    use_data_dir(args.data_dir)
    m, best, objective = _incumbent(args.instance, args.time_limit, args.workers)
    found = probe(m, list(best.values), objective, args.seconds, args.spans)
    payload = {"machine": h.machine_info(), "parameters": vars(args) | {"output": None},
               "incumbent": objective, "classes": found}
    for name, row in found.items():
        print(f"{name}: {row}")
    path = h.write_results(f"roster-probe-{args.instance}", payload, args.output)
    print(f"incumbent {objective}; results written to {path}")
    return payload


if __name__ == "__main__":
    main()

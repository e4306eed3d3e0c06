"""The road to a large day's first plan, phase by phase: wall and CPU seconds.

Run ``python -m benchmarks.first_plan --jobs 5000 --techs 600``. The metro day of
``benchmarks.field_days`` (``fd5000`` by default), then, timed one after the other
in this process: the travel matrix of its distinct locations, the diagnosis on
it, the whole model build (matrix, diagnosis and routing context again, as a
solve runs them), the construction's set-up and the construction itself (no
engine beside it, no deadline). Prints wall and CPU seconds per phase, the jobs
the construction placed and its objective, and the load average. With
``--in-solve`` it then also runs ``solve_dispatch`` (``--time-limit``, 1 worker)
until its first reported plan, stops it there and prints that plan's wall and
CPU seconds, jobs and objective: the first plan as a caller sees it, with VROOM's
child and everything else a solve starts beside the construction. Runs on older
commits too (``PYTHONPATH=<their src>``), so the same command measures a pair; a
change that only makes the phases faster leaves the last two columns the same.
Nothing is written.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from rich.console import Console
from rich.table import Table


def _timed(rows: list[tuple[str, float, float]], name: str, fn: Any, *args: Any,
           **kwargs: Any) -> Any:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    rows.append((name, time.perf_counter() - wall, time.process_time() - cpu))
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else "")
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--techs", type=int, default=600)
    parser.add_argument("--day-seed", type=int, default=1)
    parser.add_argument("--in-solve", action="store_true",
                        help="also time a solve up to its first reported plan")
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args(argv)

    from benchmarks.day_shapes import build_day
    from fieldops.geo import build_matrix, unique_locations
    from fieldops.solver.dispatch.construct import Constructor
    from fieldops.solver.dispatch.diagnosis import diagnose
    from fieldops.solver.dispatch.model import build_model

    problem = build_day("metro", args.jobs, args.techs, args.day_seed)
    load_before = os.getloadavg()[0]
    rows: list[tuple[str, float, float]] = []
    locations = [r.location for r in problem.requests]
    locations += [problem.shift_start_location(s) for s in problem.shifts]
    locations += [problem.shift_end_location(s) for s in problem.shifts]
    unique, row = unique_locations(locations)
    travel = _timed(rows, "travel matrix", build_matrix, problem.travel, unique)
    n_req, n_shift = len(problem.requests), len(problem.shifts)
    _timed(rows, "diagnosis", diagnose, problem, travel.durations, row[:n_req],
           row[n_req:n_req + n_shift], row[n_req + n_shift:])
    del travel
    # As a solve of this size builds it: OR-Tools' constraints left for later.
    model = _timed(rows, "model build (all of it)", build_model, problem, search_jobs=0)
    builder = _timed(rows, "construction set-up", Constructor, model.context)
    routes = _timed(rows, "construction", builder.build)
    placed = sum(len(r) for r in routes)
    cost = sum(s.cost for s in builder.schedules)
    load_after = os.getloadavg()[0]

    table = Table(title=f"{args.jobs} jobs / {args.techs} technicians, day seed "
                        f"{args.day_seed} (load {load_before:.1f} → {load_after:.1f})")
    for col in ("phase", "wall s", "CPU s"):
        table.add_column(col, justify="left" if col == "phase" else "right")
    for name, wall, cpu in rows:
        table.add_row(name, f"{wall:.2f}", f"{cpu:.2f}")
    console = Console()
    console.print(table)
    console.print(f"construction: {placed}/{model.n_jobs} jobs placed, route cost {cost}")
    out: dict[str, Any] = {"phases": rows, "placed": placed, "route_cost": cost,
                           "load": (load_before, load_after)}
    if args.in_solve:
        del model, builder, routes
        out["in_solve"] = first_in_solve(problem, args.time_limit)
        console.print("first plan in a solve: {wall:.2f} s wall, {cpu:.2f} s CPU, "
                      "{assigned} jobs, objective {objective:.1f} (load {load:.1f})"
                      .format(**out["in_solve"]))
    return out


def first_in_solve(problem: Any, time_limit: float) -> dict[str, float]:
    """Wall and CPU seconds from ``solve_dispatch``'s call to its first progress
    report (the first valid plan), which also stops the solve."""
    import threading

    from fieldops.solver.dispatch import Progress, SolveParams, solve_dispatch

    stop = threading.Event()
    first: dict[str, float] = {}
    wall, cpu = time.perf_counter(), time.process_time()

    def on_progress(p: Progress) -> None:
        if not first:
            first.update(wall=time.perf_counter() - wall, cpu=time.process_time() - cpu,
                         assigned=p.assigned, objective=p.objective,
                         load=os.getloadavg()[0])
            stop.set()

    solve_dispatch(problem, SolveParams(time_limit=time_limit, workers=1),
                   progress=on_progress, stop=stop)
    return first


if __name__ == "__main__":
    main()

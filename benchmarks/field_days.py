"""Realistic field-service days: fieldops vs VROOM and plain OR-Tools, side by side.

Run ``python -m benchmarks.field_days --time-limit 60 --instances fd350 river1000
--peers vroom,ortools --day-seed 1 2 3``. The round-metro days come from
:func:`fieldops.data.sample.generate_field_day` (Lyon) at 100 / 350 / 1 000 /
2 000 / 5 000 / 10 000 jobs with 14 / 50 / 120 / 240 / 600 / 1 200 technicians (the
ratios of issue 3; ``fd10000`` is solved by territory: :mod:`benchmarks.distributed`);
the other shapes (:mod:`benchmarks.day_shapes`: ``river``, ``rural``,
``downtown``, ``hubs``) at 350 and 1 000 jobs. Every day is seeded (``--day-seed``,
several seeds run one after the other). Each run is a fresh process; it reports
jobs assigned per priority, SLA breaches, total travel (hours, from one shared
whole-second matrix for every solver), time to the first plan, and the process's
peak memory. Every fieldops plan is checked by
:func:`fieldops.validators.dispatch.validate_plan`. Writes
``benchmarks/results/field_days.json``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks import _harness as h
from benchmarks import instances as bi
from benchmarks.day_shapes import build_day, technicians_for

# name: (jobs, technicians, shape of benchmarks.day_shapes)
SIZES: dict[str, tuple[int, int, str]] = {
    "fd100": (100, 14, "metro"),
    "fd350": (350, 50, "metro"),
    "fd1000": (1000, 120, "metro"),
    "fd2000": (2000, 240, "metro"),
    "fd5000": (5000, 600, "metro"),
    # Solved by territory over Celery workers: benchmarks/distributed.py.
    "fd10000": (10000, 1200, "metro"),
    **{f"{shape}{n}": (n, techs if shape != "rural" else technicians_for(shape, n), shape)
       for shape in ("river", "rural", "downtown", "hubs")
       for n, techs in ((350, 50), (1000, 120), (2000, 240))},
}
PRIORITIES = ("critical", "high", "normal", "low")
# fieldops posed with the objective the peers optimise: jobs by priority, then
# travel. SLA lateness, the overtime cost and preferences weigh nothing; every hard
# constraint is the same. See "fieldops-travel" in benchmarks/README.md.
TRAVEL_OBJECTIVE = "fieldops-travel"


def travel_objective(problem: Any) -> Any:
    """``problem`` with SLA lateness, overtime and preferences weighted zero."""
    import dataclasses

    weights = dataclasses.replace(problem.weights, sla_lateness_per_hour=0.0,
                                  sla_breach=0.0, overtime_per_hour=0.0, non_preferred=0.0)
    return dataclasses.replace(problem, weights=weights)


def with_weights(problem: Any, weights: dict[str, float] | None) -> Any:
    """``problem`` with some objective weights changed (``--weights``), for sweeps."""
    import dataclasses

    if not weights:
        return problem
    return dataclasses.replace(problem, weights=dataclasses.replace(problem.weights, **weights))


def _fieldops_side(problem: Any, model: Any, solver: str, run: tuple[float, int, int],
                   weights: dict[str, float] | None, out: dict[str, Any]) -> list[list[int]]:
    """fieldops' plan of the day (``run``: time limit, workers, seed), validated and
    priced into ``out``; its routes as the model's indices."""
    from fieldops.solver.dispatch.solve import evaluate_routes
    from fieldops.validators.dispatch import validate_plan

    time_limit, workers, seed = run
    posed = (with_weights(problem, weights) if solver == "fieldops"
             else travel_objective(problem))
    plan = h.timed_solve(posed, time_limit, workers, seed, out)
    vehicle = {sid: v for v, sid in enumerate(model.vehicle_ids)}
    job = {rid: j for j, rid in enumerate(model.job_ids)}
    routes: list[list[int]] = [[] for _ in range(model.n_vehicles)]
    for route in plan.routes:
        routes[vehicle[route.shift_id]] = [job[r] for r in route.request_ids]
    violations = validate_plan(posed, plan)
    out["n_violations"] = len(violations)
    out["violations"] = [str(v) for v in violations[:5]]
    out["validated"] = not violations
    out["plan_travel_h"] = plan.kpis.travel_time.total_seconds() / 3600
    out["status"] = str(plan.status)
    if solver == "fieldops":
        out["objective"] = plan.objective
        out["penalties"] = dict(plan.penalties)
        out["sla_late"] = sla_late(problem, plan)
    else:  # priced on the day's full objective, like the peers
        priced = evaluate_routes(problem, {r.shift_id: list(r.request_ids)
                                           for r in plan.routes})
        out["objective"] = priced.objective
        out["penalties"] = dict(priced.penalties)
        out["sla_late"] = sla_late(problem, priced)
    out["engine"] = plan.solver.get("engine")
    out["engines"] = plan.solver.get("engines")
    out["solver_info"] = {k: plan.solver.get(k) for k in (
        "construction_seconds", "construction_objective", "ruin_recreate",
        "search_skipped", "routing_status", "objective_internal", "time_limit", "phases")}
    return routes


def _peer_side(problem: Any, model: Any, solver: str, run: tuple[float, int, int],
               out: dict[str, Any]) -> list[list[int]]:
    """A peer's plan of the day (``run``: time limit, workers, seed), priced under
    fieldops' objective into ``out``; its routes as the model's indices."""
    from benchmarks.peers import solve_with
    from fieldops.solver.dispatch.solve import evaluate_routes

    time_limit, workers, seed = run
    result = solve_with(solver, model, time_limit, workers=workers, seed=seed)
    routes = result.routes
    out["elapsed"] = result.elapsed
    out["first_solution"] = result.first_solution
    out["validated"] = None  # peers are not fieldops plans; see peers/__init__.py
    out["status"] = result.status
    # The same routes under fieldops' full objective (SLA lateness, overtime,
    # preferences, unassigned penalties), re-timed by fieldops' scheduler; jobs
    # that do not fit there (rounding, break placement) count as left out.
    priced = evaluate_routes(problem, {
        model.vehicle_ids[v]: [model.job_ids[j] for j in route]
        for v, route in enumerate(result.routes) if route})
    out["objective"] = priced.objective
    out["penalties"] = dict(priced.penalties)
    out["kept_by_fieldops_timing"] = priced.kpis.jobs_assigned
    out["sla_late"] = sla_late(problem, priced)
    return routes


def run_one(
    n_jobs: int,
    n_techs: int,
    shape: str,
    day_seed: int,
    solver: str,
    time_limit: float,
    workers: int,
    seed: int,
    weights: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Solve one generated day with one solver (runs inside a fresh process);
    ``weights`` change fieldops' objective (not the peers', nor how plans are counted)."""
    from benchmarks.peers import flat_from_problem, route_travel

    problem = build_day(shape, n_jobs, n_techs, day_seed)
    model = flat_from_problem(problem)
    out: dict[str, Any] = {"solver": solver, "time_limit": time_limit}
    if solver in ("fieldops", TRAVEL_OBJECTIVE):
        routes = _fieldops_side(problem, model, solver, (time_limit, workers, seed), weights, out)
    else:
        routes = _peer_side(problem, model, solver, (time_limit, workers, seed), out)
    assigned = [j for r in routes for j in r]
    counts = Counter(model.job_priority[j] for j in assigned)
    totals = Counter(model.job_priority)
    out["jobs"] = model.n_jobs
    out["assigned"] = len(assigned)
    out["duplicates"] = len(assigned) - len(set(assigned))
    out["assigned_by_priority"] = {p: counts.get(k, 0) for k, p in enumerate(PRIORITIES)}
    out["jobs_by_priority"] = {p: totals.get(k, 0) for k, p in enumerate(PRIORITIES)}
    out["travel_h"] = route_travel(model, routes) / 3600
    out["routes_used"] = sum(1 for r in routes if r)
    return out


def sla_late(problem: Any, plan: Any) -> dict[str, int]:
    """Jobs served after their SLA deadline, per contract tier (``"all"``: in total).

    Peers' routes are counted as fieldops times them (:func:`evaluate_routes`:
    each service as early as its window allows, the same lunch rules).
    """
    late: Counter[str] = Counter()
    for route in plan.routes:
        for step in route.steps:
            if step.request_id is None or str(step.kind) != "job":
                continue
            request = problem.request_by_id[step.request_id]
            deadline = problem.sla_deadline(request)
            if deadline is not None and step.start > deadline:
                late[request.contract_tier or ""] += 1
                late["all"] += 1
    return dict(late)


def _versus(mine: dict[str, Any], other: dict[str, Any]) -> str:
    a, b = mine["assigned_by_priority"], other["assigned_by_priority"]
    diffs = [a[p] - b[p] for p in PRIORITIES]
    at_least = all(d >= 0 for d in diffs)
    ratio = mine["travel_h"] / other["travel_h"] if other["travel_h"] else float("nan")
    verdict = "better" if at_least and ratio < 1 else "not better"
    return f"{'/'.join(f'{d:+d}' for d in diffs)} jobs, travel ×{ratio:.3f}: {verdict}"


COLUMNS = ("day", "seed", "solver", "assigned", "crit", "high", "normal", "low", "SLA late",
           "gold late", "travel h", "objective", "run s", "first plan s", "peak MiB",
           "vs VROOM", "validated")


def _table(runs: list[dict[str, Any]], time_limit: float) -> Table:
    table = Table(title=f"field days ({time_limit:g} s per run)")
    for col in COLUMNS:
        table.add_column(col, justify="left" if col in ("day", "solver", "vs VROOM")
                         else "right")
    for run in runs:
        if "error" in run:
            table.add_row(run["instance"], str(run["day_seed"]), run["solver"],
                          *[""] * (len(COLUMNS) - 4), run["error"][:40])
            continue
        vroom = next((r for r in runs if r["instance"] == run["instance"]
                      and r["day_seed"] == run["day_seed"] and r["solver"] == "vroom"
                      and "error" not in r), None)
        byp, tot = run["assigned_by_priority"], run["jobs_by_priority"]
        first = run.get("first_solution")
        late = run.get("sla_late", {})
        table.add_row(
            run["instance"], str(run["day_seed"]), run["solver"],
            f"{run['assigned']}/{run['jobs']}", *[f"{byp[p]}/{tot[p]}" for p in PRIORITIES],
            str(late.get("all", 0)), str(late.get("gold", 0)), f"{run['travel_h']:.1f}",
            f"{run['objective']:,.0f}" if run.get("objective") is not None else "–",
            f"{run.get('elapsed', float('nan')):.1f}",
            f"{first:.2f}" if first is not None else "–",
            f"{run.get('peak_rss_mib', 0):.0f}",
            _versus(run, vroom) if vroom is not None and run is not vroom else "",
            {True: "yes", False: "NO", None: "–"}[run.get("validated")],
        )
    return table


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = h.common_arguments(__doc__.splitlines()[0] if __doc__ else "", 60.0)
    parser.add_argument("--day-seed", type=int, nargs="+", default=[1],
                        help="generator seeds, each a day of its own (default 1)")
    parser.add_argument(
        "--travel-objective", action="store_true",
        help="also run fieldops on the peers' objective (jobs by priority, then travel; "
             "SLA, overtime cost and preferences weighted zero) as 'fieldops-travel'")
    parser.add_argument(
        "--weights", type=json.loads, default=None,
        help="JSON object of ObjectiveWeights fields to change for the fieldops run, e.g. "
             "'{\"sla_breach_flat\": 7200}' (a sweep; the default objective otherwise)")
    args = parser.parse_args(argv)
    peers = h.peers_from(args.peers, ("ortools", "vroom"))
    solvers = ([] if args.no_fieldops else ["fieldops"]) + (
        [TRAVEL_OBJECTIVE] if args.travel_objective else []) + peers
    names = list(bi.select(dict.fromkeys(SIZES, Path()), args.instances or ["fd100", "fd350"]))
    console = Console(width=max(Console().width, 150))
    machine = h.machine_info()
    console.print(
        f"[bold]field days[/]: {', '.join(names)} × seeds {args.day_seed} × "
        f"{', '.join(solvers)} at {args.time_limit:g} s, {args.workers} worker(s) — "
        f"{machine['cpu']} ({machine['cpu_count']} CPUs), commit "
        f"{str(machine['git_commit'])[:10]}"
    )
    runs: list[dict[str, Any]] = []
    for name in names:
        n_jobs, n_techs, shape = SIZES[name]
        for day_seed in args.day_seed:
            for solver in solvers:
                run = h.run_isolated(run_one, n_jobs, n_techs, shape, day_seed, solver,
                                     args.time_limit, args.workers, args.seed, args.weights)
                run.update(instance=name, solver=solver, technicians=n_techs,
                           shape=shape, day_seed=day_seed)
                runs.append(run)
                first = ""
                if run.get("first_solution_cpu") is not None:  # fieldops runs
                    first = (f"first plan {run['first_solution']:.1f} s (CPU "
                             f"{run['first_solution_cpu']:.1f} s, load "
                             f"{run['load_at_first_solution']:.1f}) ")
                console.print(
                    f"  {name:<12} seed {day_seed} {solver:<15} assigned {run.get('assigned')} "
                    f"travel {run.get('travel_h', float('nan')):.1f} h "
                    f"SLA late {run.get('sla_late', {}).get('all', 0)} {first}"
                    f"{run.get('error', '')}")
    console.print(_table(runs, args.time_limit))
    payload = {
        "suite": "field_days",
        "machine": machine,
        "parameters": {
            "time_limit": args.time_limit,
            "workers": args.workers,
            "seed": args.seed,
            "day_seed": args.day_seed,
            "instances": {n: SIZES[n] for n in names},
            "solvers": solvers,
            "weights": args.weights,
        },
        "runs": runs,
    }
    target = h.write_results("field_days", payload, args.output)
    console.print(f"results written to {target}")
    return payload


if __name__ == "__main__":
    main()

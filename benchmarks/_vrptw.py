"""The VRPTW suites (Solomon, Gehring–Homberger): one run = one solver on one instance.

Costs are recomputed from each plan's customer order with the instance's raw
floating-point Euclidean distances, and every plan (fieldops' and the peers') is
checked by :func:`benchmarks.instances.check_routes` in exact arithmetic;
fieldops' plans are also checked by :func:`fieldops.validators.dispatch.validate_plan`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks import _harness as h
from benchmarks import instances as bi
from benchmarks._data import use_data_dir

SOLVERS_ORDER = ("fieldops", "ortools", "vroom", "pyvrp")


def run_one(path: str, solver: str, time_limit: float, workers: int, seed: int) -> dict[str, Any]:
    """Solve one instance with one solver (runs inside a fresh process)."""
    inst = bi.parse_vrptw(path)
    out: dict[str, Any] = {"instance": inst.name, "solver": solver, "time_limit": time_limit}
    if solver == "fieldops":
        from fieldops.validators.dispatch import validate_plan

        problem = bi.to_problem(inst)
        plan = h.timed_solve(problem, time_limit, workers, seed, out)
        routes = [[bi.customer_index(r) for r in route.request_ids] for route in plan.routes]
        violations = validate_plan(problem, plan)
        out["violations"] = [str(v) for v in violations[:5]]
        out["n_violations"] = len(violations)
        out["status"] = str(plan.status)
        # What each phase did and how long it took, to explain a slow or weak run.
        out["solver_info"] = {k: plan.solver.get(k) for k in (
            "engine", "construction_seconds", "engines", "routing_status",
            "second_phase", "search_skipped", "portfolio_objectives", "portfolio_errors")}
    else:
        from benchmarks.peers import flat_from_vrptw, solve_with

        result = solve_with(solver, flat_from_vrptw(inst), time_limit, workers=workers, seed=seed)
        routes = [[j + 1 for j in r] for r in result.routes]
        out["elapsed"] = result.elapsed
        out["first_solution"] = result.first_solution
        out["n_violations"] = 0
        out["status"] = result.status
    issues = bi.check_routes(inst, routes)
    served = sum(len(r) for r in routes)
    out["served"] = served
    out["customers"] = inst.n_customers
    out["vehicles_used"] = sum(1 for r in routes if r)
    out["distance"] = sum(bi.route_distance(inst, r) for r in routes)
    out["route_issues"] = issues[:5]
    out["validated"] = not issues and out["n_violations"] == 0
    return out


def main(
    suite: str,
    description: str,
    files: Callable[[], dict[str, Path]],
    reference: Callable[[bi.VrptwInstance], tuple[float, str]],
    default_limit: float,
    argv: list[str] | None = None,
) -> dict[str, Any]:
    parser = h.common_arguments(description, default_limit)
    args = parser.parse_args(argv)
    use_data_dir(args.data_dir)
    peers = h.peers_from(args.peers, ("ortools", "vroom", "pyvrp"))
    solvers = ([] if args.no_fieldops else ["fieldops"]) + peers
    chosen = bi.select(files(), args.instances)
    console = Console(width=max(Console().width, 150))
    machine = h.machine_info()
    console.print(
        f"[bold]{suite}[/]: {len(chosen)} instances × {', '.join(solvers)} at "
        f"{args.time_limit:g} s, {args.workers} worker(s) — {machine['cpu']} "
        f"({machine['cpu_count']} CPUs), commit {str(machine['git_commit'])[:10]}"
    )
    runs: list[dict[str, Any]] = []
    for name, path in chosen.items():
        inst = bi.parse_vrptw(path)
        ref, source = reference(inst)
        for solver in solvers:
            run = h.run_isolated(
                run_one, str(path), solver, args.time_limit, args.workers, args.seed
            )
            run.setdefault("instance", name)
            run.setdefault("solver", solver)
            run["reference"] = ref
            run["reference_source"] = source
            complete = run.get("served") == inst.n_customers and not run.get("route_issues")
            run["complete"] = bool(complete)
            run["gap"] = (run["distance"] - ref) / ref if complete else None
            runs.append(run)
            gap = f"{100 * run['gap']:.2f} %" if run["gap"] is not None else "incomplete"
            console.print(
                f"  {name:<9} {solver:<8} {run.get('distance', float('nan')):>10.2f} {gap:>11}"
                f"  valid={run.get('validated')} {run.get('error', '')}"
            )
    summary = summarise(runs, solvers)
    table = Table(title=f"{suite}: distance vs best known ({args.time_limit:g} s per run)")
    for col in (
        "instance",
        "solver",
        "limit s",
        "distance",
        "BKS",
        "gap",
        "vehicles",
        "served",
        "first plan s",
        "validated",
    ):
        table.add_column(col, justify="left" if col in ("instance", "solver") else "right")
    for run in runs:
        first = run.get("first_solution")
        table.add_row(
            run["instance"],
            run["solver"],
            f"{args.time_limit:g}",
            f"{run.get('distance', float('nan')):.2f}",
            f"{run['reference']:.2f}",
            f"{100 * run['gap']:.2f} %" if run["gap"] is not None else "incomplete",
            str(run.get("vehicles_used", "")),
            f"{run.get('served', '')}/{run.get('customers', '')}",
            f"{first:.2f}" if first is not None else "–",
            "yes" if run.get("validated") else "NO",
        )
    console.print(table)
    totals = Table(title=f"{suite}: summary")
    for col in (
        "solver",
        "runs",
        "complete",
        "validated",
        "geo-mean gap",
        "median gap",
        "worst gap",
    ):
        totals.add_column(col, justify="left" if col == "solver" else "right")
    for solver, s in summary.items():
        totals.add_row(
            solver,
            str(s["runs"]),
            str(s["complete"]),
            str(s["validated"]),
            _pct(s["geomean_gap"]),
            _pct(s["median_gap"]),
            _pct(s["worst_gap"]),
        )
    console.print(totals)
    payload = {
        "suite": suite,
        "machine": machine,
        "parameters": {
            "time_limit": args.time_limit,
            "workers": args.workers,
            "seed": args.seed,
            "instances": sorted(chosen),
            "solvers": solvers,
        },
        "summary": summary,
        "runs": runs,
    }
    target = h.write_results(suite, payload, args.output)
    console.print(f"results written to {target}")
    return payload


def _pct(value: float | None) -> str:
    return f"{100 * value:.2f} %" if value is not None else "–"


def summarise(runs: list[dict[str, Any]], solvers: list[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for solver in solvers:
        mine = [r for r in runs if r["solver"] == solver]
        gaps = [r["gap"] for r in mine if r.get("gap") is not None]
        out[solver] = {
            "runs": len(mine),
            "complete": sum(1 for r in mine if r.get("complete")),
            "validated": sum(1 for r in mine if r.get("validated")),
            "geomean_gap": h.geometric_mean_gap(gaps),
            "median_gap": h.median(gaps),
            "worst_gap": max(gaps) if gaps else None,
            "median_first_solution": h.median(
                [r["first_solution"] for r in mine if r.get("first_solution") is not None]
            ),
            "max_peak_rss_mib": max((r.get("peak_rss_mib", 0) for r in mine), default=None),
        }
    return out

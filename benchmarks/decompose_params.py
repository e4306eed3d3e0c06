"""Decomposition parameters: paired runs of sub-problem sizes from one start plan.

Run ``python -m benchmarks.decompose_params --parallel 2``. For each instance
(default: six 1 000-customer Gehring–Homberger instances, two of class C2 and one
each of R1, RC1, RC2, R2) PyVRP searches the whole problem once for
``--whole-seconds``; every configuration of
:class:`fieldops.solver.dispatch.engines.decompose.DecomposeParams` then improves
*that same plan* for ``--seconds`` with the same seed, so the comparison is paired
and the whole-problem phase (the largest source of run-to-run noise) is left out.
Configurations are ``JOBSxROUTESxSECONDS`` (``300x8x1`` is 300 clients, 8 routes,
1 s per sub-problem); the first one is the baseline of the ``wins`` column. Prints
the change in PyVRP's objective per run and, per configuration, the mean change and
the number of instances on which it beat the baseline; writes
``benchmarks/results/decompose_params.json``.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks import _harness as h
from benchmarks import instances as bi

DEFAULT_INSTANCES = ("C2_10_3", "C2_10_5", "R1_10_2", "RC1_10_2", "RC2_10_4", "R2_10_5")
DEFAULT_CONFIGS = ("200x6x0.5", "200x6x1", "300x8x1", "400x10x1.5")


def parse_config(text: str) -> Any:
    """``JOBSxROUTESxSECONDS`` as ``DecomposeParams`` (its own checks apply)."""
    from fieldops.solver.dispatch.engines.decompose import DecomposeParams

    try:
        jobs, routes, seconds = text.lower().split("x")
        return DecomposeParams(int(jobs), int(routes), float(seconds))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"configuration {text!r}: expected JOBSxROUTESxSECONDS ({exc})") from exc


def _whole(name: str, seconds: float, seed: int) -> tuple[str, Any, list[Any], int]:
    import pyvrp
    from pyvrp.stop import MaxRuntime

    from benchmarks.peers import flat_from_vrptw
    from benchmarks.peers.pyvrp_peer import problem_data
    from fieldops.solver.dispatch.engines.decompose import routes_of

    data = problem_data(flat_from_vrptw(bi.parse_vrptw(bi.homberger_files(1000)[name])))
    result = pyvrp.solve(data, MaxRuntime(seconds), seed=seed, display=False)
    return name, data, routes_of(result.best), int(result.best.is_feasible())


def _decompose(name: str, data: Any, routes: list[Any], params: Any, seconds: float,
               seed: int) -> dict[str, Any]:
    from fieldops.solver.dispatch.engines.decompose import Decomposer, as_solution

    start = as_solution(data, routes)
    _, stats = Decomposer(data, params, seed=seed).run(start, time.monotonic() + seconds)
    return {"instance": name, "params": asdict(params), "start_cost": stats.start_cost,
            "best_cost": stats.best_cost, "rounds": stats.rounds,
            "improved": stats.improved, "seconds": round(stats.seconds, 2),
            "change": stats.best_cost / stats.start_cost - 1}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", nargs="+", default=list(DEFAULT_INSTANCES))
    parser.add_argument("--configs", nargs="+", type=parse_config,
                        default=[parse_config(c) for c in DEFAULT_CONFIGS])
    parser.add_argument("--whole-seconds", type=float, default=18.0)
    parser.add_argument("--seconds", type=float, default=42.0)
    parser.add_argument("--parallel", type=int, default=1,
                        help="runs at once (one core each)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    files = bi.homberger_files(1000)
    unknown = [n for n in args.instances if n.upper() not in files]
    if unknown:
        parser.error(f"--instances: not a 1 000-customer instance: {', '.join(unknown)}")
    names = [n.upper() for n in args.instances]
    console = Console(width=max(Console().width, 120))
    with ProcessPoolExecutor(args.parallel) as pool:
        starts = list(pool.map(_whole, names, [args.whole_seconds] * len(names),
                               [args.seed] * len(names)))
        infeasible = [name for name, _, _, feasible in starts if not feasible]
        if infeasible:
            raise SystemExit(f"no feasible whole-problem plan for {', '.join(infeasible)}: "
                             "raise --whole-seconds")
        futures = [pool.submit(_decompose, name, data, routes, params, args.seconds,
                               args.seed)
                   for name, data, routes, _ in starts for params in args.configs]
        runs = [f.result() for f in futures]

    def label(params: dict[str, Any]) -> str:
        return f"{params['sub_jobs']}x{params['sub_routes']}x{params['sub_seconds']:g}"

    table = Table(title=f"decomposition from one plan per instance "
                        f"({args.whole_seconds:g} s whole, {args.seconds:g} s decomposed)")
    for col in ("instance", "config", "start", "end", "change", "rounds", "improved"):
        table.add_column(col, justify="left" if col in ("instance", "config") else "right")
    for run in runs:
        table.add_row(run["instance"], label(run["params"]), str(run["start_cost"]),
                      str(run["best_cost"]), f"{100 * run['change']:.2f} %",
                      str(run["rounds"]), str(run["improved"]))
    console.print(table)
    baseline = label(runs[0]["params"])
    by_instance = {(r["instance"], label(r["params"])): r["change"] for r in runs}
    summary: dict[str, dict[str, Any]] = {}
    for params in args.configs:
        key = label(asdict(params))
        changes = [by_instance[(n, key)] for n in names]
        summary[key] = {
            "mean_change": sum(changes) / len(changes),
            "wins_vs_baseline": sum(by_instance[(n, key)] < by_instance[(n, baseline)]
                                    for n in names),
        }
    totals = Table(title=f"per configuration (baseline {baseline})")
    for col in ("config", "mean change", "wins"):
        totals.add_column(col, justify="left" if col == "config" else "right")
    for key, s in summary.items():
        totals.add_row(key, f"{100 * s['mean_change']:.2f} %",
                       f"{s['wins_vs_baseline']}/{len(names)}")
    console.print(totals)
    path = h.write_results("decompose_params", {
        "machine": h.machine_info(), "whole_seconds": args.whole_seconds,
        "seconds": args.seconds, "seed": args.seed, "baseline": baseline,
        "runs": runs, "summary": summary})
    console.print(f"wrote {path}")


if __name__ == "__main__":
    main()

"""Roster benchmarks: Curtois–Qu instances against their best known, and a realistic center.

Run ``python -m benchmarks.roster --instances 1-12 --time-limit 60 --workers 2`` for
the Curtois–Qu instances (:mod:`benchmarks.curtois_qu`; 1–15 fit our six-week
horizon; ``--beyond-horizon`` also poses 16–24, 56 to 364 days, by raising the
domain's cap in the benchmark's worker process only) or
``python -m benchmarks.roster --realistic --time-limit 120`` for the
realistic contact center of :func:`fieldops.data.roster_sample.realistic_center`.

Every roster goes through :func:`fieldops.validators.roster.validate_roster`.
A Curtois–Qu roster counts as valid only if, in addition, the instance's own
rules hold (:func:`~benchmarks.curtois_qu.curtois_violations`) and the objective
recomputed from the instance (:func:`~benchmarks.curtois_qu.curtois_objective`)
equals the roster's; the objective shown is that recomputed one. An invalid
roster is shown as ``NO`` with its first problems and is left out of the
geometric-mean gap (the table says how many were left out).

The realistic run is two solves, each in a fresh process: one stopped at the
first roster found (time to the first roster, which is then validated), one to
the time limit (final objective, coverage short/over, penalties). Results go to
``benchmarks/results/roster-<UTC timestamp>.json`` with the machine's details.
"""

from __future__ import annotations

import argparse
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks import _harness as h
from benchmarks._data import add_data_dir_argument, use_data_dir
from benchmarks.curtois_qu import BEST_KNOWN

MAX_POSEABLE = 15  # instances 16–24 are longer than our 42-day horizon


def parse_numbers(specs: list[str], *, beyond_horizon: bool = False) -> list[int]:
    """``["1-12"]``, ``["1,3", "5-6"]`` → sorted instance numbers.

    Instances over six weeks (16–24) are refused unless ``beyond_horizon``.
    """
    out: set[int] = set()
    for spec in specs:
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                continue
            lo, sep, hi = part.partition("-")
            try:
                first, last = int(lo), int(hi) if sep else int(lo)
            except ValueError:
                raise SystemExit(f"--instances: {part!r} is not a number or range") from None
            if not 1 <= first <= last <= 24:
                raise SystemExit(f"--instances: {part!r} is outside 1-24")
            out.update(range(first, last + 1))
    too_long = sorted(n for n in out if n > MAX_POSEABLE)
    if too_long and not beyond_horizon:
        raise SystemExit(f"--instances: {too_long} have horizons over 42 days; "
                         f"fieldops rosters at most six weeks (use 1-{MAX_POSEABLE}, "
                         "or --beyond-horizon)")
    return sorted(out)


def _validate(problem: Any, roster: Any, out: dict[str, Any]) -> list[str]:
    from fieldops.validators.roster import validate_roster

    problems = [f"{v.code}: {v.message}" for v in validate_roster(problem, roster)]
    out["n_violations"] = len(problems)
    return problems


def lift_horizon(days: int) -> None:
    """Let this process pose rosters of ``days`` days (``--beyond-horizon`` only).

    The six-week cap is a product limit of :class:`RosterProblem` (API input), not
    a solver one; the benchmark raises it in its own worker process only, to run
    instances 16–24 through the same solver and validators.
    """
    import fieldops.domain.roster as domain

    domain.MAX_HORIZON_DAYS = max(domain.MAX_HORIZON_DAYS, days)


def run_curtois(number: int, time_limit: float, workers: int, seed: int,
                beyond_horizon: bool = False) -> dict[str, Any]:
    """Solve one Curtois–Qu instance (runs in a fresh process)."""
    from benchmarks.curtois_qu import (
        curtois_objective,
        curtois_violations,
        load_instance,
        to_roster_problem,
    )
    from fieldops.domain.roster import RosterParams, RosterProgress
    from fieldops.solver.roster import solve_roster

    instance = load_instance(number)
    if beyond_horizon:
        lift_horizon(instance.days)
    clock = h.Stopwatch()
    problem = to_roster_problem(instance)
    pose_seconds = clock()
    first: list[float] = []

    def on_progress(p: RosterProgress) -> None:
        if not first:
            first.append(p.elapsed)

    clock = h.Stopwatch()
    roster = solve_roster(problem, RosterParams(time_limit=time_limit, workers=workers,
                                                seed=seed), progress=on_progress)
    out: dict[str, Any] = {
        "instance": number, "agents": len(problem.agents), "days": problem.days,
        "shift_types": len(problem.templates), "status": roster.status.value,
        "elapsed": clock(), "solver_elapsed": roster.elapsed,
        "first_solution": first[0] if first else None, "best_known": instance.best_known,
        "roster_objective": roster.objective if roster.assignments else None,
        "best_bound": roster.info.get("best_bound"), "penalties": dict(roster.penalties),
        "pose_seconds": pose_seconds, "lns": roster.info.get("lns"),
        "engine": roster.info.get("engine"), "columns": roster.info.get("columns"),
    }
    if not roster.assignments:
        out.update(objective=None, validated=False, problems=[f"no roster ({roster.status})"])
        return out
    problems = _validate(problem, roster, out)
    problems += [f"instance rule: {p}" for p in curtois_violations(instance, roster)]
    objective = curtois_objective(instance, roster)
    if objective != roster.objective:
        problems.append(f"objective {roster.objective} but the instance's definition "
                        f"gives {objective}")
    out.update(objective=objective, validated=not problems, problems=problems[:10])
    return out


def run_realistic(agents: int, weeks: int, center_seed: int, time_limit: float, workers: int,
                  seed: int, first_only: bool) -> dict[str, Any]:
    """Solve the realistic center (fresh process); ``first_only`` stops at the first roster."""
    from fieldops.data.roster_sample import realistic_center, required_hours
    from fieldops.domain.roster import RosterParams, RosterProgress
    from fieldops.solver.roster import solve_roster

    clock = h.Stopwatch()
    problem = realistic_center(seed=center_seed, agents=agents, weeks=weeks)
    generated = clock()
    first: list[float] = []
    stop = threading.Event()

    def on_progress(p: RosterProgress) -> None:
        if not first:
            first.append(p.elapsed)
            if first_only:
                stop.set()

    clock = h.Stopwatch()
    roster = solve_roster(problem, RosterParams(time_limit=time_limit, workers=workers,
                                                seed=seed), progress=on_progress, stop=stop)
    out: dict[str, Any] = {
        "mode": "first" if first_only else "full", "agents": len(problem.agents),
        "days": problem.days, "queues": len(problem.queues),
        "requirement_rows": len(problem.requirements),
        "required_agent_hours": required_hours(problem), "generate_seconds": generated,
        "status": roster.status.value, "elapsed": clock(), "solver_elapsed": roster.elapsed,
        "first_solution": first[0] if first else None,
        "objective": roster.objective if roster.assignments else None,
        "best_bound": roster.info.get("best_bound"), "penalties": dict(roster.penalties),
        "shifts": len(roster.assignments),
        "build_seconds": roster.info.get("build_seconds"),
        "variables": roster.info.get("variables"),
        "hint_objective": roster.info.get("hint_objective"),
    }
    cov = roster.coverage
    if len(cov) and roster.assignments:  # an empty roster's coverage says nothing
        required = int(cov["required"].sum())
        # capacity: a learner counts half an agent, so short and over may be fractions
        out.update(required_agent_intervals=required, short=float(cov["short"].sum()),
                   over=float(cov["over"].sum()))
        out["covered_fraction"] = 1 - out["short"] / required if required else None
    if not roster.assignments:
        out.update(validated=False, problems=[f"no roster ({roster.status})"])
        return out
    out.update(_both_counts(problem, roster))
    problems = _validate(problem, roster, out)
    out.update(validated=not problems, problems=problems[:10])
    return out


def _both_counts(problem: Any, roster: Any) -> dict[str, float]:
    """Agent-intervals short counted both ways, by the predicted service level's own
    counter (not the roster's table): by capacity (a learner half, level 2 three
    quarters; what the roster optimises) and by heads (what it optimised before)."""
    import numpy as np

    from fieldops.solver.staffing.predict import staffed_heads

    starts = [r.start for r in problem.requirements]
    frame = _frame(starts, [r.queue for r in problem.requirements])
    required = np.array([r.required for r in problem.requirements], dtype=float)
    out = {}
    for name, capacity in (("capacity", True), ("heads", False)):
        got = staffed_heads(roster, frame["start"], frame["queue"], problem.interval, problem,
                            capacity=capacity)
        out[f"short_by_{name}"] = float(np.maximum(required - got, 0).sum())
    return out


def _frame(starts: list[Any], queues: list[str]) -> Any:
    import pandas as pd

    return pd.DataFrame({"start": pd.to_datetime(starts, utc=True), "queue": queues})


def _fmt(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def _verdict(run: dict[str, Any]) -> str:
    if "error" in run:
        return f"ERROR {run['error'][:40]}"
    return "yes" if run.get("validated") else "NO: " + "; ".join(run.get("problems", []))[:60]


def curtois_suite(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    numbers = parse_numbers(args.instances or ["1-12"], beyond_horizon=args.beyond_horizon)
    runs: list[dict[str, Any]] = []
    for n in numbers:
        run = h.run_isolated(run_curtois, n, args.time_limit, args.workers, args.seed,
                             args.beyond_horizon)
        run.setdefault("instance", n)
        run.setdefault("best_known", BEST_KNOWN.get(n))
        obj, best = run.get("objective"), run.get("best_known")
        if run.get("validated") and obj is not None and best:
            run["gap"] = (obj - best) / best
        runs.append(run)
        console.print(f"  Instance{n}: objective {obj} (best known {best}), "
                      f"{_fmt(run.get('elapsed'), '.1f')} s, {_verdict(run)}")
    table = Table(title=f"Curtois–Qu ({args.time_limit:g} s, {args.workers} worker(s) per run)")
    for col in ("instance", "agents", "days", "limit s", "status", "objective", "bound",
                "best known", "gap %", "first s", "time s", "validated"):
        table.add_column(col, justify="left" if col in ("instance", "status", "validated")
                         else "right")
    for run in runs:
        table.add_row(
            f"Instance{run['instance']}", str(run.get("agents", "")), str(run.get("days", "")),
            f"{args.time_limit:g}", run.get("status", ""), _fmt(run.get("objective"), "d"),
            _fmt(run.get("best_bound"), ".0f"), _fmt(run.get("best_known"), "d"),
            _fmt(100 * run["gap"], ".1f") if "gap" in run else "–",
            _fmt(run.get("first_solution"), ".2f"), _fmt(run.get("elapsed"), ".1f"),
            _verdict(run),
        )
    console.print(table)
    gaps = [r["gap"] for r in runs if "gap" in r]
    geo = h.geometric_mean_gap(gaps)
    left_out = len(runs) - len(gaps)
    console.print(f"geometric-mean gap over {len(gaps)} validated run(s): "
                  f"{_fmt(None if geo is None else 100 * geo, '.1f')} %"
                  + (f" ({left_out} run(s) left out: invalid or no roster)" if left_out else ""))
    return {"suite": "curtois_qu", "runs": runs, "geometric_mean_gap": geo,
            "runs_left_out_of_gap": left_out}


def realistic_suite(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    runs = []
    for first_only in (True, False):
        run = h.run_isolated(run_realistic, args.agents, args.weeks, args.center_seed,
                             args.time_limit, args.workers, args.seed, first_only)
        run.setdefault("mode", "first" if first_only else "full")
        runs.append(run)
    first, full = runs
    table = Table(title=f"realistic contact center ({args.agents} agents, {args.weeks} weeks, "
                        f"{args.time_limit:g} s, {args.workers} worker(s))")
    for col in ("run", "status", "first roster s", "time s", "objective", "best bound",
                "short", "over", "covered %", "short by capacity", "short by heads",
                "validated"):
        table.add_column(col, justify="left" if col in ("run", "status", "validated")
                         else "right")
    for run in runs:
        covered = run.get("covered_fraction")
        table.add_row(
            "stop at first roster" if run["mode"] == "first" else "to the time limit",
            run.get("status", ""), _fmt(run.get("first_solution"), ".1f"),
            _fmt(run.get("elapsed"), ".1f"), _fmt(run.get("objective"), ".2f"),
            _fmt(run.get("best_bound"), ".0f"), _fmt(run.get("short"), ".2f"),
            _fmt(run.get("over"), ".2f"), _fmt(None if covered is None else 100 * covered, ".1f"),
            _fmt(run.get("short_by_capacity"), ".2f"), _fmt(run.get("short_by_heads"), ".0f"),
            _verdict(run),
        )
    console.print(table)
    if "penalties" in full:
        console.print("final penalties: " + ", ".join(f"{k} {v}" for k, v in
                                                       sorted(full["penalties"].items())))
    if "required_agent_intervals" in full:
        console.print(f"{full['requirement_rows']} requirement rows, "
                      f"{full['required_agent_intervals']} required agent-intervals "
                      f"({full['required_agent_hours']:.0f} agent-hours); model "
                      f"{full.get('variables')} variables, built in "
                      f"{_fmt(full.get('build_seconds'), '.1f')} s")
    return {"suite": "realistic", "runs": runs,
            "time_to_first_roster": first.get("first_solution")}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--instances", nargs="*", default=None,
                        help="Curtois-Qu numbers or ranges, e.g. 1-12 or 1,3,5 (default 1-12)")
    parser.add_argument("--realistic", action="store_true",
                        help="run the realistic contact center instead")
    parser.add_argument("--time-limit", type=float, default=60.0,
                        help="seconds per solve (default %(default)s)")
    parser.add_argument("--workers", type=int, default=2, help="CP-SAT workers (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="CP-SAT seed")
    parser.add_argument("--agents", type=int, default=150, help="realistic: agents")
    parser.add_argument("--weeks", type=int, default=4, help="realistic: weeks")
    parser.add_argument("--center-seed", type=int, default=0, help="realistic: generator seed")
    parser.add_argument("--beyond-horizon", action="store_true",
                        help="Curtois-Qu: also pose 16-24 (over six weeks) by raising the "
                             "domain's horizon cap in the benchmark's worker process")
    parser.add_argument("--output", type=Path, default=None, help="results JSON path")
    add_data_dir_argument(parser)
    args = parser.parse_args(argv)
    use_data_dir(args.data_dir)
    console = Console(width=max(Console().width, 150))
    machine = h.machine_info()
    console.print(f"[bold]roster[/] {'realistic center' if args.realistic else 'Curtois–Qu'} "
                  f"at {args.time_limit:g} s, {args.workers} worker(s) — {machine['cpu']} "
                  f"({machine['cpu_count']} CPUs, load {machine['load_average'][0]:.1f}), "
                  f"commit {str(machine['git_commit'])[:10]}")
    suite = realistic_suite if args.realistic else curtois_suite
    result = suite(args, console)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    payload = {**result, "machine": machine,
               "parameters": {k: (str(v) if isinstance(v, Path) else v)
                              for k, v in vars(args).items()}}
    target = h.write_results(f"roster-{stamp}", payload, args.output)
    console.print(f"results written to {target}")
    return payload


if __name__ == "__main__":
    main()

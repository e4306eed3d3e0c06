"""Does ``fieldops solve --time-limit T`` hold its clock, from process start to plan written?

Run ``python -m benchmarks.clock --time-limit 60 --sizes 350 1000 2000 5000``. Each
size is a generated field day (:func:`fieldops.data.sample.generate_field_day`, the
technician ratios of ``benchmarks.field_days``) written as problem JSON; the
command is then run as a user runs it, in a fresh process, and timed from the
moment it is spawned: until the plan file is written, and until the process has
ended. The interpreter's start, the imports, reading the problem, the matrix, the
diagnosis, the solve, validating the plan, writing it and printing the summary all
count. Every plan is checked again here by
:func:`fieldops.validators.dispatch.validate_plan`. Writes
``benchmarks/results/clock.json``.

``--shapes metro river rural downtown hubs`` poses the days of
:mod:`benchmarks.day_shapes` instead (the technicians of ``TECHNICIANS`` per size).
``--src A B`` runs the command with each ``src`` folder on ``PYTHONPATH`` in turn,
run by run (a base and a head, alternating, on the same days). Each row keeps the
plan's ``solver`` report (its ``phases``, where the solver records them) and the
command's trace lines (``FIELDOPS_TRACE=1``: what it did when, from its process's start).

``--in-process`` times :func:`~fieldops.solver.dispatch.solve_dispatch` alone
instead, as a library caller runs it: a fresh process reads the problem, then
calls it with ``time_limit`` and writes the plan; timed from the call to its
return (the solver's own clock, with no margin for anything around it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks import _harness as h

# Technicians per size (issue 3's ratios; 5 000 jobs with 600 technicians, issue 21).
TECHNICIANS = {100: 14, 350: 50, 1000: 120, 2000: 240, 5000: 600}
JOBS_PER_TECHNICIAN = 8
# How often the plan file is looked for while the command runs.
POLL_SECONDS = 0.02
# How the command's trace lines start on its stderr (fieldops.cli.dispatch).
TRACE_PREFIX = "[trace]"
KIB_PER_MIB = 1024


def _write_day(n_jobs: int, seed: int, folder: Path, shape: str | None = None) -> Path:
    from fieldops.data.sample import generate_field_day
    from fieldops.schemas import dump_json, problem_to_json

    techs = TECHNICIANS.get(n_jobs, max(1, n_jobs // JOBS_PER_TECHNICIAN))
    path = folder / f"day-{shape or 'generated'}-{n_jobs}.json"
    if shape is None:
        problem = generate_field_day(n_jobs, techs, seed=seed)
    else:
        from benchmarks.day_shapes import build_day
        problem = build_day(shape, n_jobs, techs, seed)
    dump_json(problem_to_json(problem), path)
    return path


def _solve_in_process(problem_path: str, plan_path: str, time_limit: str) -> None:
    """The ``--in-process`` child: ``solve_dispatch`` timed around the call."""
    from fieldops.schemas import dump_json, load_problem, plan_to_json
    from fieldops.solver.dispatch import SolveParams, solve_dispatch

    problem = load_problem(Path(problem_path))
    start = time.monotonic()
    plan = solve_dispatch(problem, SolveParams(time_limit=float(time_limit)))
    sys.stderr.write(f"{TRACE_PREFIX} returned {time.monotonic() - start:.3f}\n")
    dump_json(plan_to_json(plan), Path(plan_path))


def run_command(problem: Path, plan: Path, time_limit: float,
                src: str | None = None, in_process: bool = False) -> dict[str, Any]:
    """``fieldops solve`` in a fresh process: seconds to the plan file and to exit.

    ``src``: the ``src`` folder the command imports fieldops from (default: this
    process's ``PYTHONPATH``). The command's trace lines on stderr are kept.
    """
    command = [sys.executable, "-m", "fieldops.cli", "solve", str(problem), "-o", str(plan),
               "--time-limit", f"{time_limit:g}"]
    if in_process:
        command = [sys.executable, "-m", "benchmarks.clock", "--solve-one", str(problem),
                   str(plan), f"{time_limit:g}"]
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = src
    # Asks for the trace; a command without the option ignores the variable.
    env["FIELDOPS_TRACE"] = "1"
    plan.unlink(missing_ok=True)
    with tempfile.TemporaryFile() as errors:
        start = time.monotonic()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors, env=env)
        written: float | None = None
        while True:
            # wait4 reaps the child and gives its own peak memory (Linux: KiB).
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if written is None and plan.exists():
                written = time.monotonic() - start
            time.sleep(POLL_SECONDS)
        ended = time.monotonic() - start
        errors.seek(0)
        trace = [line.removeprefix(TRACE_PREFIX).strip()
                 for line in errors.read().decode(errors="replace").splitlines()
                 if line.startswith(TRACE_PREFIX)]
    return {"returncode": os.waitstatus_to_exitcode(status),
            "plan_written_s": written if written is not None else ended,
            "ended_s": ended, "peak_rss_mib": usage.ru_maxrss / KIB_PER_MIB,
            "trace": trace}


def _check(problem_path: Path, plan_path: Path) -> dict[str, Any]:
    from fieldops.schemas import load_plan, load_problem
    from fieldops.validators.dispatch import validate_plan

    problem, plan = load_problem(problem_path), load_plan(plan_path)
    violations = validate_plan(problem, plan)
    return {"validated": not violations, "n_violations": len(violations),
            "assigned": plan.kpis.jobs_assigned, "jobs": len(problem.requests),
            "solve_time_s": plan.solve_time.total_seconds(),
            "solver_time_limit": plan.solver.get("time_limit"),
            "engine": plan.solver.get("engine"), "solver": plan.solver}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--sizes", type=int, nargs="+", default=[350, 1000, 2000])
    parser.add_argument("--runs", type=int, default=1, help="runs per size (median shown)")
    parser.add_argument("--day-seed", type=int, default=1)
    parser.add_argument("--shapes", nargs="+", default=None,
                        help="day shapes of benchmarks.day_shapes (default: the generator's)")
    parser.add_argument("--src", nargs="+", default=None,
                        help="src folders to run the command from, alternating run by run")
    parser.add_argument("--in-process", action="store_true",
                        help="time solve_dispatch alone (see the module doc)")
    parser.add_argument("--solve-one", nargs=3, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.solve_one:
        _solve_in_process(*args.solve_one)
        return {}
    console = Console(width=max(Console().width, 130))
    machine = h.machine_info()
    console.print(f"[bold]clock[/]: fieldops solve --time-limit {args.time_limit:g} at "
                  f"{args.sizes} jobs — {machine['cpu']} ({machine['cpu_count']} CPUs), "
                  f"load {machine['load_average']}")
    payload: dict[str, Any] = {
        "suite": "clock", "machine": machine,
        "parameters": {"time_limit": args.time_limit, "sizes": args.sizes,
                       "runs": args.runs, "day_seed": args.day_seed,
                       "shapes": args.shapes, "src": args.src,
                       "in_process": args.in_process}}
    rows: list[dict[str, Any]] = []
    sources: list[str | None] = list(args.src) if args.src else [None]
    with tempfile.TemporaryDirectory(prefix="fieldops-clock-") as tmp:
        folder = Path(tmp)
        for shape in args.shapes or [None]:
            for n in args.sizes:
                problem = _write_day(n, args.day_seed, folder, shape)
                for run in range(args.runs):
                    for src in sources:
                        rows.append(_timed_run(problem, folder, n, shape, run, src,
                                               args.time_limit, args.in_process))
                        row = rows[-1]
                        # After every run, so that a long series leaves what it did.
                        h.write_results("clock", {**payload, "runs": rows}, args.output)
                        console.print(f"  {row['day']} run {run} {src or ''}: plan written at "
                                      f"{row['plan_written_s']:.1f} s, ended at "
                                      f"{row['ended_s']:.1f} s, load "
                                      f"{row['load_average']:.1f}→{row['load_after']:.1f}")
    console.print(_table(rows, args.time_limit))
    payload["runs"] = rows
    target = h.write_results("clock", payload, args.output)
    console.print(f"results written to {target}")
    return payload


def _timed_run(problem: Path, folder: Path, n: int, shape: str | None, run: int,
               src: str | None, time_limit: float, in_process: bool) -> dict[str, Any]:
    """One timed command on ``problem``, its plan checked."""
    plan = folder / "plan.json"
    row: dict[str, Any] = {
        "day": f"{shape or 'generated'}{n}", "jobs": n, "shape": shape, "run": run,
        "src": src, "time_limit": time_limit, "problem_mib": problem.stat().st_size / 2**20,
        "load_average": os.getloadavg()[0],
        **run_command(problem, plan, time_limit, src, in_process)}
    row["load_after"] = os.getloadavg()[0]
    if in_process:
        # The call's own seconds, from the trace (the process's start does not count).
        returned = [float(t.split()[1]) for t in row["trace"] if t.startswith("returned")]
        row["returned_s"] = returned[0] if returned else None
    row.update(_check(problem, plan) if plan.exists() else {"validated": False})
    row["over_limit_s"] = (row["returned_s"] if in_process and row.get("returned_s")
                           else row["ended_s"]) - time_limit
    row["in_process"] = in_process
    return row


def _table(rows: list[dict[str, Any]], time_limit: float) -> Table:
    table = Table(title=f"fieldops solve --time-limit {time_limit:g}: wall time from spawn")
    for col in ("day", "src", "runs", "plan written s", "process ended s", "over limit s",
                "solver limit s", "solve s", "assigned", "peak MiB", "validated"):
        table.add_column(col, justify="right")
    for day, src in dict.fromkeys((r["day"], r.get("src")) for r in rows):
        mine = [r for r in rows if r["day"] == day and r.get("src") == src]
        n = mine[0]["jobs"]

        def med(key: str, runs: list[dict[str, Any]] = mine) -> float:
            values = [float(r[key]) for r in runs if r.get(key) is not None]
            return statistics.median(values) if values else float("nan")
        worst = max(r["over_limit_s"] for r in mine)
        table.add_row(
            day, src or "", str(len(mine)), f"{med('plan_written_s'):.1f}",
            f"{med('ended_s'):.1f}", f"{med('over_limit_s'):+.1f} (max {worst:+.1f})",
            f"{med('solver_time_limit'):.1f}",
            f"{med('solve_time_s'):.1f}", f"{med('assigned'):.0f}/{n}",
            f"{med('peak_rss_mib'):.0f}",
            "yes" if all(r.get("validated") for r in mine) else "NO")
    return table


if __name__ == "__main__":
    main()

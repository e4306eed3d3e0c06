"""``fieldops solve`` and ``fieldops validate`` (``fieldops demo`` is in ``cli.demo``)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from fieldops.cli.live import Elapsed, run_with_live_table
from fieldops.domain.plan import DispatchPlan
from fieldops.domain.problem import DispatchProblem
from fieldops.reports.summary import render_summary
from fieldops.schemas import (
    dump_json,
    load_plan,
    load_problem,
    plan_to_json,
)
from fieldops.solver.dispatch import Progress, SolveParams, solve_dispatch
from fieldops.solver.dispatch.deadline import Deadline, output_margin
from fieldops.validators.dispatch import validate_plan

# With this variable set, ``fieldops solve`` prints when each of its steps ended
# (seconds from the process's start) on stderr: benchmarks/clock.py reads them.
TRACE_VARIABLE = "FIELDOPS_TRACE"


def _tracer(clock: Deadline) -> Callable[[str], None]:
    """``trace(step)``: one ``[trace] step seconds`` line on stderr, when asked for."""
    if not os.environ.get(TRACE_VARIABLE):
        return lambda step: None

    def trace(step: str) -> None:
        sys.stderr.write(f"[trace] {step} {clock.elapsed():.3f}\n")
        sys.stderr.flush()

    return trace


def solve_params(args: argparse.Namespace) -> SolveParams:
    """``--time-limit``, ``--seed`` and ``--workers`` as solver parameters."""
    return SolveParams(time_limit=args.time_limit, seed=args.seed, workers=args.workers)


def _progress_table(latest: Progress | None, elapsed: Elapsed) -> Table:
    table = Table(title="Solving", show_header=True)
    for column in ("elapsed", "best objective", "jobs assigned", "plans found"):
        table.add_column(column, justify="right")
    if latest is None:
        table.add_row(str(elapsed), "…", "…", "0")
    else:
        table.add_row(
            str(elapsed),
            f"{latest.objective:,.0f}",
            str(latest.assigned),
            str(latest.solutions),
        )
    return table


def solve_with_display(
    problem: DispatchProblem, params: SolveParams, console: Console
) -> DispatchPlan:
    """Solve while a live table shows the best objective so far and the time elapsed."""
    return run_with_live_table(
        lambda progress, stop: solve_dispatch(problem, params, progress=progress, stop=stop),
        _progress_table, console, params.time_limit, thread_name="fieldops-solve")


def cmd_solve(args: argparse.Namespace) -> int:
    """Solve, validate, write: all of it within ``--time-limit`` from process start.

    The clock starts with the process when run from the shell (``args.started``,
    set by :func:`fieldops.cli.main`). The solver gets what is left of the limit
    once the problem is read, less
    :func:`~fieldops.solver.dispatch.deadline.output_margin` for validating the
    plan, writing it, printing the summary and ending the process.
    """
    clock = Deadline(getattr(args, "started", None) or time.monotonic(), args.time_limit)
    trace = _tracer(clock)
    trace("imported")
    console = Console(stderr=True)
    problem = load_problem(args.problem)
    params = dataclasses.replace(
        solve_params(args),
        time_limit=clock.solve_limit(output_margin(len(problem.requests))))
    trace("read")
    plan = solve_with_display(problem, params, console)
    trace("solved")
    violations = validate_plan(problem, plan)
    trace("validated")
    dump_json(plan_to_json(plan), args.output)
    trace("written")
    console.file.write(render_summary(plan))
    trace("summary")
    args.end_now = True  # see fieldops.cli.main
    if violations:
        console.print(f"[red]{len(violations)} validation problems:[/red]")
        for v in violations:
            console.print(f"  {v.code}: {v.message}")
        return 1
    console.print(f"plan written to {args.output} (validated)")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    problem = load_problem(args.problem)
    plan = load_plan(args.plan)
    # A saved plan may predate lunch-on-site-is-not-waiting: either convention per route.
    violations = validate_plan(problem, plan, legacy_wait=True)
    if args.json:
        print(json.dumps([dataclasses.asdict(v) for v in violations], indent=2))
    elif not violations:
        print(f"valid: {plan.kpis.jobs_assigned} jobs on {len(plan.routes)} routes, "
              f"{len(plan.unassigned)} unassigned")
    else:
        for v in violations:
            where = " ".join(x for x in (v.shift_id, v.request_id) if x)
            print(f"{v.code}\t{where}\t{v.message}")
    return 1 if violations else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    solve = subparsers.add_parser("solve", help="solve a dispatch problem (JSON) into a plan")
    solve.add_argument("problem", type=Path, help="problem JSON (docs/json-format.md)")
    solve.add_argument("-o", "--output", type=Path, required=True, help="plan JSON to write")
    solve.add_argument(
        "--time-limit", type=float, default=10.0,
        help="seconds for the whole command, from its start to the plan written "
             "(default 10)")
    solve.add_argument("--seed", type=int, default=0)
    solve.add_argument("--workers", type=int, default=1,
                       help="parallel searches (processes); the best plan wins")
    solve.set_defaults(func=cmd_solve)

    validate = subparsers.add_parser("validate", help="check a plan against its problem")
    validate.add_argument("problem", type=Path)
    validate.add_argument("plan", type=Path)
    validate.add_argument("--json", action="store_true", help="print violations as JSON")
    validate.set_defaults(func=cmd_validate)

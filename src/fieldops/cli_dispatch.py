"""``fieldops solve``, ``fieldops validate`` and ``fieldops demo``."""

from __future__ import annotations

import argparse
import json
import threading
import time
from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.table import Table

from fieldops.domain.plan import DispatchPlan
from fieldops.domain.problem import DispatchProblem
from fieldops.schemas import (
    dump_json,
    load_plan,
    load_problem,
    plan_to_json,
    problem_to_json,
)
from fieldops.solver.dispatch import Progress, SolveParams, solve_dispatch
from fieldops.solver.validate import validate_plan

DEMO_TIME_LIMIT = 20.0


def _params(args: argparse.Namespace) -> SolveParams:
    return SolveParams(time_limit=args.time_limit, seed=args.seed, workers=args.workers)


def _progress_table(latest: Progress | None, started: float, limit: float) -> Table:
    table = Table(title="Solving", show_header=True)
    for column in ("elapsed", "best objective", "jobs assigned", "plans found"):
        table.add_column(column, justify="right")
    elapsed = time.monotonic() - started
    if latest is None:
        table.add_row(f"{elapsed:.1f} / {limit:.0f} s", "…", "…", "0")
    else:
        table.add_row(
            f"{elapsed:.1f} / {limit:.0f} s",
            f"{latest.objective:,.0f}",
            str(latest.assigned),
            str(latest.solutions),
        )
    return table


def solve_with_display(
    problem: DispatchProblem, params: SolveParams, console: Console
) -> DispatchPlan:
    """Solve while a live table shows the best objective so far and the time elapsed."""
    latest: list[Progress] = []
    started = time.monotonic()
    stop = threading.Event()
    result: list[DispatchPlan] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(solve_dispatch(problem, params, progress=latest.append, stop=stop))
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    worker = threading.Thread(target=run, name="fieldops-solve", daemon=True)
    worker.start()
    with Live(console=console, refresh_per_second=4, transient=not console.is_terminal) as live:
        try:
            while worker.is_alive():
                live.update(_progress_table(latest[-1] if latest else None, started,
                                            params.time_limit))
                worker.join(0.25)
        except KeyboardInterrupt:
            stop.set()  # keep the best plan found so far
            worker.join()
    if errors:
        raise errors[0]
    return result[0]


def cmd_solve(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    problem = load_problem(args.problem)
    plan = solve_with_display(problem, _params(args), console)
    violations = validate_plan(problem, plan)
    dump_json(plan_to_json(plan), args.output)
    console.file.write(plan.summary())
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
    violations = validate_plan(problem, plan)
    if args.json:
        print(json.dumps([v.__dict__ for v in violations], indent=2))
    elif not violations:
        print(f"valid: {plan.kpis.jobs_assigned} jobs on {len(plan.routes)} routes, "
              f"{len(plan.unassigned)} unassigned")
    else:
        for v in violations:
            where = " ".join(x for x in (v.shift_id, v.request_id) if x)
            print(f"{v.code}\t{where}\t{v.message}")
    return 1 if violations else 0


def cmd_demo(args: argparse.Namespace) -> int:
    console = Console()
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    if args.workforce:
        from fieldops.cli_workforce import run_workforce_demo

        return run_workforce_demo(out)
    if args.roster:
        from fieldops.cli_roster import run_roster_demo

        return run_roster_demo(out, time_limit=args.time_limit, seed=args.seed,
                               workers=max(args.workers, 2))
    from fieldops.data.sample import load_demo_day

    problem = load_demo_day()
    console.print(
        f"[bold]fieldops demo[/bold]: {len(problem.requests)} requests, "
        f"{len(problem.technicians)} technicians, {problem.timezone}, "
        f"{problem.horizon.start.date()}"
    )
    plan = solve_with_display(problem, _params(args), console)
    console.file.write(plan.summary())
    violations = validate_plan(problem, plan)
    dump_json(problem_to_json(problem), out / "problem.json")
    dump_json(plan_to_json(plan), out / "plan.json")
    report, calendars = _write_extras(problem, plan, out)
    for path in (out / "problem.json", out / "plan.json", report):
        console.print(f"wrote {path}")
    console.print(f"wrote {len(calendars)} technician calendars (.ics) to {out / 'calendars'}")
    if violations:
        console.print(f"[red]validator found {len(violations)} problems[/red]")
        return 1
    console.print("[green]plan validated: every hard constraint holds[/green]")
    return 0


def _write_extras(
    problem: DispatchProblem, plan: DispatchPlan, out: Path
) -> tuple[Path, list[Path]]:
    """The HTML report and each technician's calendar, next to the plan."""
    from fieldops.cli_reports import write_calendars, write_report

    report = out / "report.html"
    write_report(problem, plan, report)
    return report, write_calendars(problem, plan, out / "calendars")


def register(subparsers: argparse._SubParsersAction) -> None:
    solve = subparsers.add_parser("solve", help="solve a dispatch problem (JSON) into a plan")
    solve.add_argument("problem", type=Path, help="problem JSON (docs/json-format.md)")
    solve.add_argument("-o", "--output", type=Path, required=True, help="plan JSON to write")
    solve.add_argument("--time-limit", type=float, default=10.0, help="seconds (default 10)")
    solve.add_argument("--seed", type=int, default=0)
    solve.add_argument("--workers", type=int, default=1,
                       help="parallel searches (processes); the best plan wins")
    solve.set_defaults(func=cmd_solve)

    validate = subparsers.add_parser("validate", help="check a plan against its problem")
    validate.add_argument("problem", type=Path)
    validate.add_argument("plan", type=Path)
    validate.add_argument("--json", action="store_true", help="print violations as JSON")
    validate.set_defaults(func=cmd_validate)

    demo = subparsers.add_parser("demo", help="solve the bundled sample day and write outputs")
    demo.add_argument("--output-dir", default="demo-output", help="where to write the outputs")
    demo.add_argument("--time-limit", type=float, default=DEMO_TIME_LIMIT)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--workers", type=int, default=1, help="parallel searches (processes)")
    demo.add_argument("--workforce", action="store_true",
                      help="run the contact-center chain instead: history → forecast → staff")
    demo.add_argument("--roster", action="store_true",
                      help="run the rostering chain instead: sample center → roster → chart")
    demo.set_defaults(func=cmd_demo)


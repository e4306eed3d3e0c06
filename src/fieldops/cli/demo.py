"""``fieldops demo``: the three demos end to end, files in ``--output-dir``.

- no flag: the bundled dispatch day → plan (live progress) → report and calendars;
- ``--workforce``: sample history → forecast → staffing → simulation;
- ``--roster``: sample contact center → roster → coverage chart and table;
- ``--serve``: the dispatch day moved to tomorrow, published in a database of its own,
  served with the dispatcher's board (its address printed; :mod:`fieldops.cli.board`).

Each demo drives the same subcommands a user would type, through their public
functions, so what the demo shows is what the commands do.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from fieldops.cli import board as board_cli
from fieldops.cli import roster as roster_cli
from fieldops.cli import workforce as workforce_cli
from fieldops.cli.dispatch import solve_params, solve_with_display
from fieldops.cli.reports import write_calendars, write_report
from fieldops.reports.summary import render_summary
from fieldops.schemas import dump_json, plan_to_json, problem_to_json
from fieldops.validators.dispatch import validate_plan

DEMO_TIME_LIMIT = 20.0
#: Default of :func:`run_roster_demo` (``fieldops demo --roster`` passes ``--time-limit``).
ROSTER_DEMO_TIME_LIMIT = 30.0
#: The roster demo's CP-SAT needs at least this many search workers to be quick.
ROSTER_MIN_WORKERS = 2


def run_dispatch_demo(out: Path, args: argparse.Namespace) -> int:
    """The bundled sample day: solve, validate, write problem, plan, report, calendars."""
    from fieldops.data.sample import load_demo_day

    console = Console()
    problem = load_demo_day()
    console.print(
        f"[bold]fieldops demo[/bold]: {len(problem.requests)} requests, "
        f"{len(problem.technicians)} technicians, {problem.timezone}, "
        f"{problem.horizon.start.date()}"
    )
    plan = solve_with_display(problem, solve_params(args), console)
    console.file.write(render_summary(plan))
    violations = validate_plan(problem, plan)
    dump_json(problem_to_json(problem), out / "problem.json")
    dump_json(plan_to_json(plan), out / "plan.json")
    report = write_report(problem, plan, out / "report.html")
    calendars = write_calendars(problem, plan, out / "calendars")
    for path in (out / "problem.json", out / "plan.json", report):
        console.print(f"wrote {path}")
    console.print(f"wrote {len(calendars)} technician calendars (.ics) to {out / 'calendars'}")
    if violations:
        console.print(f"[red]validator found {len(violations)} problems[/red]")
        return 1
    console.print("[green]plan validated: every hard constraint holds[/green]")
    return 0


def _run_commands(register: Callable[[Any], None], commands: list[list[str]]) -> int:
    """Parse and run each argv with one command group's parser; stop at the first failure."""
    parser = argparse.ArgumentParser(prog="fieldops")
    register(parser.add_subparsers())
    for argv in commands:
        args = parser.parse_args(argv)
        code = int(args.func(args) or 0)
        if code:
            return code
    return 0


def run_workforce_demo(output_dir: Path) -> int:
    """Sample history → forecast → staffing → simulation, files in ``output_dir``."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    history = output_dir / "history.csv"
    forecast_csv = output_dir / "forecast.csv"
    staffing_csv = output_dir / "staffing.csv"
    return _run_commands(workforce_cli.register, [
        ["workforce-sample", "-o", str(history)],
        ["forecast", str(history), "-o", str(forecast_csv), "--horizon-days", "7"],
        ["staff", str(forecast_csv), "-o", str(staffing_csv), "--service-level", "80/20",
         "--patience", "120", "--chat-concurrency", "2", "--simulate", "--replications", "8"],
    ])


def run_roster_demo(output_dir: Path, time_limit: float = ROSTER_DEMO_TIME_LIMIT,
                    seed: int = 0, workers: int = ROSTER_MIN_WORKERS) -> int:
    """Sample center → roster → validation → chart and table, files in ``output_dir``."""
    output_dir = Path(output_dir)
    agents_path, staffing_path = roster_cli.write_sample(output_dir, seed=seed)
    return _run_commands(roster_cli.register, [[
        "roster", str(staffing_path), str(agents_path), "-o", str(output_dir / "roster.json"),
        "--chart", str(output_dir / "coverage.png"), "--table", str(output_dir / "roster.csv"),
        "--time-limit", str(time_limit), "--workers", str(workers), "--seed", str(seed)]])


def cmd_demo(args: argparse.Namespace) -> int:
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    if args.workforce:
        return run_workforce_demo(out)
    if args.serve:
        return board_cli.run_board_demo(out, args)
    if args.roster:
        return run_roster_demo(out, time_limit=args.time_limit, seed=args.seed,
                               workers=max(args.workers, ROSTER_MIN_WORKERS))
    return run_dispatch_demo(out, args)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    """Add ``demo``. It sets ``func(args) -> int``."""
    demo = subparsers.add_parser("demo", help="solve the bundled sample day and write outputs")
    demo.add_argument("--output-dir", default="demo-output", help="where to write the outputs")
    demo.add_argument("--time-limit", type=float, default=DEMO_TIME_LIMIT)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--workers", type=int, default=1, help="parallel searches (processes)")
    demo.add_argument("--workforce", action="store_true",
                      help="run the contact-center chain instead: history → forecast → staff")
    demo.add_argument("--roster", action="store_true",
                      help="run the rostering chain instead: sample center → roster → chart")
    demo.add_argument("--serve", action="store_true",
                      help="publish the day (moved to tomorrow) and serve it: prints the "
                           "board's address and a dispatcher key")
    demo.add_argument("--host", default="127.0.0.1", help="with --serve: the address to bind")
    demo.add_argument("--port", type=int, default=8000, help="with --serve: the port")
    demo.set_defaults(func=cmd_demo)

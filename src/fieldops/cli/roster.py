"""Rostering subcommands: ``roster`` and ``roster-sample`` (docs/workforce.md, "Rostering").

``fieldops roster staffing.csv agents.json -o roster.json`` takes the heads per
interval that ``fieldops staff`` computed (its ``scheduled`` column) and the
agents, contracts and shift templates, solves the roster with CP-SAT while a
live table shows progress, checks the result with the independent validator and
writes the roster JSON (plus, on request, a coverage chart, a per-agent table
and the predicted service level against a forecast).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from fieldops.cli.common import add_what_if_options, queue_specs, staffing_target, what_if
from fieldops.cli.live import Elapsed, run_with_live_table
from fieldops.domain.errors import FieldError
from fieldops.domain.roster import Roster, RosterParams, RosterProblem, RosterProgress, RosterStatus
from fieldops.domain.spreadsheet import escape_frame
from fieldops.domain.workforce import ServiceLevelBasis
from fieldops.schemas import (
    dump_json,
    read_json_file,
    read_staffing,
    requirements_from_staffing,
    roster_problem_from_json,
    roster_problem_to_json,
    roster_to_json,
    staffing_from_requirements,
)

#: Intervals below target printed before "… and N more".
SHOW_BELOW_TARGET = 20


# ---------------------------------------------------------------- input
def load_problem_args(args: argparse.Namespace) -> RosterProblem:
    """The problem from ``--problem`` or from ``staffing.csv`` + ``agents.json``."""
    if args.problem:
        if args.staffing or args.agents:
            raise FieldError("problem", "give either --problem or staffing.csv agents.json, "
                             "not both")
        return roster_problem_from_json(read_json_file(args.problem))
    if not (args.staffing and args.agents):
        raise FieldError("agents", "give staffing.csv and agents.json (or --problem "
                         "problem.json)")
    # Read the agents first: their horizon and queues decide which staffing rows count.
    base = roster_problem_from_json(read_json_file(args.agents), requirements=())
    frame = read_staffing(args.staffing)
    requirements = requirements_from_staffing(frame, args.column, within=base.horizon,
                                              queues=base.queues)
    if not requirements:
        first, last = base.horizon
        raise FieldError("staffing", f"{args.staffing} has no rows between {first:%Y-%m-%d} "
                         f"and {last:%Y-%m-%d} (the horizon of {args.agents})")
    return dataclasses.replace(base, requirements=requirements)


def _params(args: argparse.Namespace) -> RosterParams:
    try:
        return RosterParams(time_limit=args.time_limit, workers=args.workers, seed=args.seed)
    except FieldError as exc:
        raise exc.within("params") from None


# ---------------------------------------------------------------- solving with a live view
def _progress_table(problem: RosterProblem) -> Callable[[RosterProgress | None, Elapsed], Table]:
    def table_of(latest: RosterProgress | None, elapsed: Elapsed) -> Table:
        table = Table(title=f"Rostering {len(problem.agents)} agents over {problem.days} days")
        for column in ("elapsed", "best objective", "rosters found"):
            table.add_column(column, justify="right")
        if latest is None:
            table.add_row(str(elapsed), "…", "0")
        else:
            table.add_row(str(elapsed), f"{latest.objective:,.0f}", str(latest.solutions))
        return table

    return table_of


def solve_with_display(problem: RosterProblem, params: RosterParams,
                       console: Console) -> Roster:
    """Solve in a thread while a live table shows the best objective; Ctrl-C keeps
    the best roster found so far."""
    from fieldops.solver.roster import solve_roster

    return run_with_live_table(
        lambda progress, stop: solve_roster(problem, params, progress=progress, stop=stop),
        _progress_table(problem), console, params.time_limit, thread_name="fieldops-roster")


# ---------------------------------------------------------------- prediction
def _predict(args: argparse.Namespace, roster: Roster, problem: RosterProblem,
             console: Console) -> tuple[dict[str, Any], pd.DataFrame] | None:
    """Predicted SL against ``--volumes``: the JSON part and the frame (for the chart)."""
    if not args.volumes:
        return None
    from fieldops.solver.forecast import read_volumes
    from fieldops.solver.staffing.predict import (
        predict_service_level,
        predicted_summary,
        prediction_to_json,
    )

    scenario = what_if(args)
    target = scenario.target(staffing_target(args))
    demand = scenario.volumes(read_volumes(args.volumes, interval=problem.interval,
                                          field="volumes"))
    skipped = sorted(set(demand.queues) - set(problem.queues))
    if skipped:
        console.print(f"not rostered, so not predicted: {', '.join(skipped)}")
        demand = dataclasses.replace(
            demand, frame=demand.frame[demand.frame["queue"].isin(problem.queues)]
            .reset_index(drop=True))
    predicted = predict_service_level(roster, demand, target,
                                      queue_specs(args, demand.queues), problem=problem)
    summary = predicted_summary(predicted)
    console.print(_summary_table(summary, target.service_level))
    below = predicted[~predicted["meets_target"]]
    if len(below):
        console.print(f"[red]{len(below)} intervals below target[/red] "
                      f"(of {len(predicted)}):")
        tz = problem.timezone
        for row in below.head(SHOW_BELOW_TARGET).itertuples(index=False):
            sl = row.service_level
            sl_text = "–" if pd.isna(sl) else f"SL {sl:.1%}"
            when = pd.Timestamp(row.interval_start).tz_convert(tz)
            console.print(f"  {when:%a %Y-%m-%d %H:%M}  {row.queue:<16} staffed "
                          f"{row.staffed:g} / required {row.required}  {sl_text}",
                          markup=False, highlight=False)
        if len(below) > SHOW_BELOW_TARGET:
            console.print(f"  … and {len(below) - SHOW_BELOW_TARGET} more (see the output "
                          "JSON, predicted.intervals)")
    else:
        console.print("[green]every interval meets the service-level target[/green]")
    return prediction_to_json(predicted, target, problem.timezone, scenario), predicted


def _simulate(args: argparse.Namespace, roster: Roster, problem: RosterProblem,
              console: Console) -> dict[str, Any]:
    """The roster under skill-based routing (simpy), against ``--volumes``."""
    from fieldops.solver.forecast import read_volumes
    from fieldops.solver.staffing.routing import simulate_roster

    scenario = what_if(args)
    target = scenario.target(staffing_target(args))
    demand = scenario.volumes(read_volumes(args.volumes, interval=problem.interval,
                                          field="volumes"))
    frame = simulate_roster(roster, problem, demand, queue_specs(args, demand.queues),
                            answer_time=target.answer_time, replications=args.replications,
                            seed=args.seed)
    goal = target.service_level
    table = Table(title=f"Simulated under skill-based routing ({args.replications} "
                  "replications)")
    for col in ("queue", "intervals", "below target", "SL (contact-weighted)"):
        table.add_column(col, justify="left" if col == "queue" else "right")
    summary = []
    for queue, part in frame.groupby("queue", sort=True):
        busy = part[part["offered_mean"] > 0]
        weights = busy["offered_mean"].to_numpy(dtype=float)
        sl = float((busy["service_level"] * weights).sum() / weights.sum()) if len(busy) \
            else float("nan")
        below = int((busy["service_level"] < goal).sum()) if goal is not None else 0
        summary.append({"queue": str(queue), "intervals": len(part), "below_target": below,
                        "service_level": sl})
        table.add_row(str(queue), str(len(part)), str(below), f"{sl:.1%}")
    console.print(table)
    records = frame.assign(interval_start=frame["interval_start"].map(
        lambda t: pd.Timestamp(t).tz_convert(problem.timezone).isoformat()))
    return {"replications": args.replications, "summary": summary,
            "intervals": json.loads(records.to_json(orient="records"))}


def _summary_table(summary: pd.DataFrame, goal: float | None) -> Table:
    title = "Predicted service level" + (f" (target {goal:.0%})" if goal is not None else "")
    table = Table(title=title)
    for col in ("queue", "intervals", "below target", "SL (contact-weighted)", "abandon"):
        table.add_column(col, justify="left" if col == "queue" else "right")
    for row in summary.itertuples(index=False):
        table.add_row(str(row.queue), str(row.intervals), str(row.below_target),
                      "–" if pd.isna(row.service_level) else f"{row.service_level:.1%}",
                      "–" if pd.isna(row.abandon_rate) else f"{row.abandon_rate:.2%}")
    return table


# ---------------------------------------------------------------- commands
def run_roster(problem: RosterProblem, args: argparse.Namespace, console: Console) -> int:
    """Solve, validate, predict and write; 0 when the roster is valid."""
    from fieldops.validators.roster import validate_roster

    console.print(f"[bold]roster[/bold]: {len(problem.agents)} agents, "
                  f"{len(problem.templates)} shift templates, {len(problem.queues)} queues, "
                  f"{problem.days} days from {problem.start} ({problem.timezone}), "
                  f"{len(problem.requirements)} coverage rows")
    roster = solve_with_display(problem, _params(args), console)
    console.print(roster.summary(), markup=False, highlight=False)
    if roster.status in (RosterStatus.INFEASIBLE, RosterStatus.NO_SOLUTION):
        console.print(f"[red]no roster: {roster.status.value}[/red] "
                      f"(infeasible: the contracts and availability cannot all hold; "
                      f"no_solution: raise --time-limit)")
        return 1
    violations = validate_roster(problem, roster)
    document = roster_to_json(roster, problem)
    predicted = _predict(args, roster, problem, console)
    if predicted is not None:
        document["predicted"] = predicted[0]
        if args.simulate_routing:
            document["simulated"] = _simulate(args, roster, problem, console)
    output = Path(args.output)
    dump_json(document, output)
    console.print(f"roster written to {output}")
    if args.chart:
        from fieldops.reports.roster_chart import write_coverage_chart

        chart = write_coverage_chart(roster, problem, args.chart,
                                     predicted[1] if predicted is not None else None,
                                     days=args.chart_days)
        console.print(f"coverage chart written to {chart}")
    if args.table:
        from fieldops.reports.roster_chart import write_roster_table

        console.print(f"per-agent table written to "
                      f"{write_roster_table(roster, problem, args.table)}")
    if violations:
        console.print(f"[red]validator found {len(violations)} problems:[/red]")
        for v in violations[:SHOW_BELOW_TARGET]:
            console.print(f"  {v.code}: {v.message}" + (f" [{v.agent_id}]" if v.agent_id
                                                         else ""), markup=False)
        return 1
    console.print("[green]roster validated: every hard rule holds[/green]")
    return 0


def cmd_roster(args: argparse.Namespace) -> int:
    console = Console(width=120)
    # Options first: a typo fails before big files are read or anything is solved.
    _params(args)
    if args.volumes:
        staffing_target(args)
        what_if(args)
    problem = load_problem_args(args)
    return run_roster(problem, args, console)


def write_sample(directory: Path, seed: int = 0, agents: int = 40,
                 weeks: int = 1) -> tuple[Path, Path]:
    """Write ``agents.json`` and ``staffing.csv`` of the realistic sample center."""
    from fieldops.data.roster_sample import realistic_center

    problem = realistic_center(seed=seed, agents=agents, weeks=weeks)
    directory.mkdir(parents=True, exist_ok=True)
    agents_path, staffing_path = directory / "agents.json", directory / "staffing.csv"
    dump_json(roster_problem_to_json(problem, requirements=False), agents_path)
    escape_frame(staffing_from_requirements(problem)).to_csv(staffing_path, index=False)
    return agents_path, staffing_path


def cmd_sample(args: argparse.Namespace) -> int:
    agents_path, staffing_path = write_sample(Path(args.directory), args.seed, args.agents,
                                              args.weeks)
    console = Console(width=120)
    console.print(f"wrote {agents_path} and {staffing_path}; try:\n"
                  f"  fieldops roster {staffing_path} {agents_path} -o roster.json "
                  f"--chart coverage.png --time-limit 30", markup=False, highlight=False)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add this module's subcommands. Each sets ``func(args) -> int``."""
    p = subparsers.add_parser(
        "roster", help="which agent works which shift (CP-SAT), from staffing.csv + agents.json",
        description="Roster agents onto shift templates so the heads per interval cover the "
        "staffing table's `scheduled` column (docs/workforce.md, Rostering).")
    p.add_argument("staffing", nargs="?", help="staffing CSV or JSON written by `fieldops staff`")
    p.add_argument("agents", nargs="?", help="agents.json: horizon, queues, templates, "
                   "contracts, agents, weights")
    p.add_argument("--problem", help="a full roster problem JSON (with requirements) instead")
    p.add_argument("-o", "--output", required=True, help="roster JSON to write")
    p.add_argument("--column", default="scheduled",
                   help="staffing column holding the heads to cover (default: scheduled)")
    p.add_argument("--chart", help="coverage chart PNG: required vs staffed per queue")
    p.add_argument("--chart-days", type=int, default=7,
                   help="days shown in the chart (default 7)")
    p.add_argument("--table", help="per-agent roster table CSV (one column per day)")
    p.add_argument("--time-limit", type=float, default=60.0, help="seconds (default 60)")
    p.add_argument("--workers", type=int, default=2, help="CP-SAT search workers (default 2)")
    p.add_argument("--seed", type=int, default=0)
    g = p.add_argument_group("predicted service level (with --volumes)")
    g.add_argument("--volumes", help="forecast CSV/JSON (interval_start,queue,offered,"
                   "aht_seconds): adds the predicted service level per interval")
    g.add_argument("--target", dest="service_level", default="80/20", metavar="PCT/SECONDS",
                   help="percent answered within seconds (default 80/20)")
    g.add_argument("--asa", help="maximum ASA (seconds, or 30s / PT30S)")
    g.add_argument("--max-occupancy", type=float, default=0.9,
                   help="maximum occupancy, fraction (default 0.9, as `fieldops staff`)")
    g.add_argument("--max-abandon", type=float, default=None)
    g.add_argument("--shrinkage", type=float, default=0.3,
                   help="fraction of rostered time off the queue (default 0.3, as "
                   "`fieldops staff`; use the value the staffing was made with)")
    g.add_argument("--basis", default="offered", choices=[b.value for b in ServiceLevelBasis],
                   help="contacts the service level is counted over (default offered)")
    g.add_argument("--patience", help="mean patience for voice and chat (s): Erlang A")
    g.add_argument("--chat-concurrency", type=int, default=1)
    g.add_argument("--email-deadline", help="response deadline of email/backoffice (default 4h)")
    g.add_argument("--queue-specs", dest="queues",
                   help="JSON file {queue: {channel, concurrency, patience, response_deadline}}")
    add_what_if_options(g)
    g.add_argument("--simulate-routing", action="store_true",
                   help="also simulate the roster under skill-based routing (simpy)")
    g.add_argument("--replications", type=int, default=5,
                   help="replications of --simulate-routing (default 5)")
    p.set_defaults(func=cmd_roster)

    s = subparsers.add_parser("roster-sample",
                              help="write a sample agents.json + staffing.csv to try `roster`")
    s.add_argument("directory", help="where to write the two files")
    s.add_argument("--agents", type=int, default=40, help="agents (default 40)")
    s.add_argument("--weeks", type=int, default=1, help="weeks, 1 to 6 (default 1)")
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(func=cmd_sample)

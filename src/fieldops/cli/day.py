"""``fieldops day …``: the live day on files, offline (no server, library calls).

Every subcommand reads the day's problem JSON, its published plan JSON and an
optional events JSON (an array in the live-event format of docs/live-day.md), takes
``--as-of`` (default now), and prints what a dispatcher reads: ETAs, or the diff of
an insertion, a move or a re-plan against the published plan (one line per
technician told). Each result is checked by both validators before it is written
(``-o`` the plan, ``--problem-out`` the re-planning problem it answers).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fieldops.domain import DispatchPlan, DispatchProblem
from fieldops.domain.live import (
    DEFAULT_FREEZE_HORIZON,
    LiveDay,
    LiveEvent,
    LiveParams,
    NewRequest,
)
from fieldops.schemas import (
    dump_json,
    load_plan,
    load_problem,
    parse_instant,
    plan_to_json,
    problem_to_json,
    request_from_json,
)
from fieldops.schemas.live import events_from_json
from fieldops.solver.dispatch import SolveParams
from fieldops.solver.live import (
    InsertMode,
    InsertParams,
    current_plan,
    etas,
    expected_ends,
    insert_job,
    move_job,
    plan_diff,
    replan,
    replan_problem,
)
from fieldops.validators.dispatch import validate_plan
from fieldops.validators.live import validate_live

DEFAULT_REPLAN_SECONDS = 5.0
SECONDS_PER_MINUTE = 60


def _day(args: argparse.Namespace) -> LiveDay:
    problem = load_problem(args.problem)
    plan = load_plan(args.plan)
    events: tuple[LiveEvent, ...] = ()
    if args.events is not None:
        events = events_from_json(json.loads(args.events.read_text(encoding="utf-8")))
    as_of = parse_instant(args.as_of, "--as-of") if args.as_of else datetime.now(UTC)
    return LiveDay(problem, plan, as_of, events)


def _freeze(args: argparse.Namespace) -> LiveParams:
    minutes = getattr(args, "freeze_minutes", None)
    freeze = DEFAULT_FREEZE_HORIZON if minutes is None else timedelta(minutes=minutes)
    return LiveParams(freeze_horizon=freeze)


def _finish(args: argparse.Namespace, day: LiveDay, problem: DispatchProblem,
            plan: DispatchPlan, what: str) -> int:
    """Validate, print the diff against the published plan, write the files."""
    tolerance = problem.weights.retime_tolerance
    diff = plan_diff(day.published, plan, tolerance, ignore=day.history())
    print(what)
    print(diff.summary())
    print(f"notify: {', '.join(diff.notify) or 'nobody'}")
    found = [f"{v.code}: {v.message}" for v in validate_plan(problem, plan)]
    found += [f"{v.code}: {v.message}" for v in validate_live(day, plan)]
    if args.output is not None:
        dump_json(plan_to_json(plan), args.output)
    if args.problem_out is not None:
        dump_json(problem_to_json(problem), args.problem_out)
    if found:
        print(f"{len(found)} violation(s):", file=sys.stderr)
        for line in found:
            print(f"  {line}", file=sys.stderr)
        return 1
    print("validated (dispatch and live-day rules)")
    return 0


def cmd_etas(args: argparse.Namespace) -> int:
    day = _day(args)
    starts, ends = etas(day), expected_ends(day)
    tz = day.problem.tz
    for route in day.published.routes:
        for step in route.jobs:
            rid = step.request_id
            if rid is None or rid not in starts:
                continue
            moved = starts[rid] - step.start
            print(f"{route.technician_id}\t{rid}\t{day.status(rid)}\t"
                  f"planned {step.start.astimezone(tz):%H:%M}\t"
                  f"eta {starts[rid].astimezone(tz):%H:%M}\t"
                  f"ends {ends[rid].astimezone(tz):%H:%M}\t"
                  f"{'+' if moved >= timedelta(0) else '-'}"
                  f"{abs(moved).total_seconds() / SECONDS_PER_MINUTE:.0f} min")
    return 0


def cmd_insert(args: argparse.Namespace) -> int:
    day = _day(args)
    request = request_from_json(json.loads(args.request.read_text(encoding="utf-8")),
                                "request")
    built = replan_problem(day, _freeze(args))
    done = insert_job(built.problem, current_plan(built), request,
                      InsertParams(sla_first=args.sla_first))
    if done.mode == InsertMode.UNPLACED:
        why = [u.detail or u.reason.value for u in done.plan.unassigned
               if u.request_id == request.id]
        print(f"{request.id} fits nowhere: {'; '.join(why)}", file=sys.stderr)
        return 1
    return _finish(args, day.with_events(NewRequest(request, day.as_of)), done.problem,
                   done.plan, f"{request.id}: {done.mode} on {done.shift_id} "
                   f"({done.seconds:.2f} s)")


def cmd_move(args: argparse.Namespace) -> int:
    day = _day(args)
    built = replan_problem(day, _freeze(args))
    start = parse_instant(args.start, "--start") if args.start else None
    if args.request_id not in built.problem.request_by_id:
        print(f"{args.request_id} is not open work of the day", file=sys.stderr)
        return 2
    done = move_job(built.problem, current_plan(built), args.request_id, args.technician,
                    start)
    if done.plan is None:
        for v in done.violations:
            print(f"{v.code}: {v.message}", file=sys.stderr)
        return 1
    return _finish(args, day, done.problem, done.plan,
                   f"{args.request_id} moved to {args.technician} on {done.shift_id}")


def cmd_replan(args: argparse.Namespace) -> int:
    day = _day(args)
    result = replan(day, _freeze(args), SolveParams(time_limit=args.time_limit))
    kept = "kept the current plan (no cheaper one found)" if result.kept_current \
        else "solved a cheaper plan"
    return _finish(args, day, result.problem, result.plan, f"re-plan: {kept}")


def _common(p: argparse.ArgumentParser, writes: bool = True) -> None:
    p.add_argument("problem", type=Path, help="the day's problem JSON")
    p.add_argument("plan", type=Path, help="the published plan JSON")
    p.add_argument("--events", type=Path, help="events JSON (an array, docs/live-day.md)")
    p.add_argument("--as-of", help="ISO 8601 instant (default now)")
    if writes:
        p.add_argument("--freeze-minutes", type=float, help="freeze horizon (default 60)")
        p.add_argument("-o", "--output", type=Path, help="write the resulting plan JSON")
        p.add_argument("--problem-out", type=Path, help="write the problem it answers")


def register(subparsers: argparse._SubParsersAction) -> None:
    day = subparsers.add_parser("day", help="the live day on files: ETAs, insert, move, "
                                            "re-plan (docs/live-day.md)")
    sub = day.add_subparsers(dest="day_command", metavar="SUBCOMMAND", required=True)
    p = sub.add_parser("etas", help="expected starts and ends from statuses and delays")
    _common(p, writes=False)
    p.set_defaults(func=cmd_etas)
    p = sub.add_parser("insert", help="insert one new request, moving as little as possible")
    _common(p)
    p.add_argument("--request", type=Path, required=True, help="the request JSON")
    p.add_argument("--sla-first", action="store_true",
                   help="a place meeting its SLA beats one that moves nobody")
    p.set_defaults(func=cmd_insert)
    p = sub.add_parser("move", help="pin one job on a technician, re-time the rest")
    _common(p)
    p.add_argument("--request-id", required=True)
    p.add_argument("--technician", required=True)
    p.add_argument("--start", help="ISO 8601 instant the job starts at")
    p.set_defaults(func=cmd_move)
    p = sub.add_parser("replan", help="re-plan the rest of the day with disruption costs")
    _common(p)
    p.add_argument("--time-limit", type=float, default=DEFAULT_REPLAN_SECONDS,
                   help="seconds (default 5)")
    p.set_defaults(func=cmd_replan)

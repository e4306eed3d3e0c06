"""``fieldops slots offers`` and ``fieldops slots book``: slot offers on files.

Offline, like ``fieldops solve``: a day's problem and its (published) plan in the
JSON format, and one new request (a request object of that format). The API does
the same against the database (``POST /requests/{id}/slot-offers``, docs/customers.md).
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table

from fieldops.domain.plan import DispatchPlan
from fieldops.domain.problem import DispatchProblem
from fieldops.domain.requests import ServiceRequest
from fieldops.schemas import dump_json, load_plan, load_problem, plan_to_json, problem_to_json
from fieldops.schemas.dispatch import request_from_json
from fieldops.schemas.files import read_json_file
from fieldops.schemas.scalars import format_duration, parse_duration
from fieldops.solver.slots import (
    DEFAULT_GRID,
    SlotOffer,
    SlotParams,
    book_slot,
    day_slots,
    offer_slots,
    open_slots,
    parse_slot_id,
)
from fieldops.validators.dispatch import validate_plan


def _day_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("problem", type=Path, help="the day's problem JSON")
    p.add_argument("plan", type=Path, help="its published plan JSON")
    p.add_argument("request", type=Path, help="the new request (one request object, JSON)")
    # Not ``args.started``: fieldops.cli.main sets that to the process's start time.
    p.add_argument("--started", dest="day_started", action="store_true",
                   help="the day's work has started: no planned job starts earlier than"
                        " planned (default: it may, inside its own windows)")


def register(subparsers: argparse._SubParsersAction) -> None:
    slots = subparsers.add_parser("slots", help="appointment slots: offers and booking")
    sub = slots.add_subparsers(dest="slots_command", metavar="SUBCOMMAND", required=True)
    offers = sub.add_parser("offers", help="rank the bookable slots of a request on a day")
    _day_args(offers)
    offers.add_argument("--date", type=date.fromisoformat, default=None,
                        help="local date (default: the plan's first day)")
    offers.add_argument("--grid", default=format_duration(DEFAULT_GRID),
                        help="slot length, ISO 8601 (default PT2H)")
    offers.add_argument("--json", action="store_true", help="print the offers as JSON")
    offers.set_defaults(func=cmd_offers)
    book = sub.add_parser("book", help="book a slot: write the plan (and problem) with it")
    _day_args(book)
    book.add_argument("slot_id", help="'<start>/<end>' as offers print it")
    book.add_argument("-o", "--output", type=Path, required=True, help="plan JSON to write")
    book.add_argument("--problem-output", type=Path, default=None,
                      help="problem JSON with the booked request (default: beside -o)")
    book.set_defaults(func=cmd_book)


def _load(args: argparse.Namespace) -> tuple[DispatchProblem, DispatchPlan, ServiceRequest]:
    return (load_problem(args.problem), load_plan(args.plan),
            request_from_json(read_json_file(args.request), "request"))


def _offers(args: argparse.Namespace) -> list[SlotOffer]:
    problem, plan, req = _load(args)
    grid = parse_duration(args.grid, "--grid")
    day = args.date or problem.horizon.start.astimezone(problem.tz).date()
    slots = open_slots(day_slots(day, problem.tz, grid), problem.shifts, req)
    return offer_slots(problem, plan, req, slots,
                       SlotParams(grid=grid, future=not args.day_started))


def cmd_offers(args: argparse.Namespace) -> int:
    found = _offers(args)
    if args.json:
        print(json.dumps([{"slot_id": o.id, "earliest_arrival": o.earliest_arrival.isoformat(),
                           "latest_arrival": o.latest_arrival.isoformat(),
                           "added_cost": o.added_cost, "shift_id": o.shift_id}
                          for o in found], indent=2))
        return 0
    table = Table(title=f"{len(found)} bookable slots, cheapest first")
    for column in ("slot", "earliest", "latest", "added cost", "added travel", "shift"):
        table.add_column(column)
    for o in found:
        table.add_row(o.id, o.earliest_arrival.isoformat(), o.latest_arrival.isoformat(),
                      f"{o.added_cost:,.1f}", format_duration(o.added_travel), o.shift_id)
    Console().print(table)
    return 0


def cmd_book(args: argparse.Namespace) -> int:
    problem, plan, req = _load(args)
    booked = book_slot(problem, plan, req, parse_slot_id(args.slot_id, "slot_id"),
                       SlotParams(future=not args.day_started))
    console = Console(stderr=True)
    if booked is None:
        console.print(f"[red]slot {args.slot_id} has no room for {req.id}[/red]")
        return 1
    new_problem, new_plan = booked.insertion.problem, booked.insertion.plan
    violations = validate_plan(new_problem, new_plan)
    dump_json(plan_to_json(new_plan), args.output)
    problem_out = args.problem_output or args.output.with_name(
        f"{args.output.stem}-problem.json")
    dump_json(problem_to_json(new_problem), problem_out)
    console.print(f"{req.id} booked {args.slot_id} on {booked.shift_id} at "
                  f"{booked.start.isoformat()}; plan written to {args.output}, "
                  f"problem to {problem_out}")
    for v in violations:
        console.print(f"  [red]{v.code}[/red]: {v.message}")
    return 1 if violations else 0

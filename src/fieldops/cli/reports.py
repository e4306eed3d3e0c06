"""``fieldops report`` and ``fieldops ics``: a plan file to an HTML report or calendars.

:func:`write_report` and :func:`write_calendars` are also what ``fieldops demo``
calls to put the report and each technician's ``.ics`` next to the plan.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from fieldops.calendar import events_for_technician, merge_publish, render_feed
from fieldops.domain.errors import FieldError
from fieldops.domain.plan import DispatchPlan
from fieldops.domain.problem import DispatchProblem
from fieldops.reports import render_report, routes_csv, routes_json
from fieldops.schemas import load_plan, load_problem

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _job_url(template: str | None) -> Callable[[str], str] | None:
    if template is None:
        return None
    if "{id}" not in template:
        raise FieldError("job_url", "must contain '{id}', e.g. https://crm.example/jobs/{id}")
    return lambda request_id: template.replace("{id}", request_id)


def write_report(
    problem: DispatchProblem | None,
    plan: DispatchPlan,
    path: str | Path,
    *,
    job_url: Callable[[str], str] | None = None,
) -> Path:
    """Write the HTML report of ``plan`` to ``path`` (parents created); returns the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_report(plan, problem, job_url=job_url), encoding="utf-8")
    return out


def _calendar(
    problem: DispatchProblem | None,
    plan: DispatchPlan,
    technician_id: str,
    job_url: Callable[[str], str] | None,
    include_travel: bool,
) -> bytes:
    now = datetime.now(UTC)
    events = merge_publish([], events_for_technician(
        problem, plan, technician_id, job_url=job_url, include_travel=include_travel, now=now
    ), now)
    tech = problem.technician_by_id.get(technician_id) if problem else None
    name = f"{tech.name if tech and tech.name else technician_id} — jobs"
    # A file export holds the whole plan, whatever today's date is.
    window = None
    if events:
        window = (min(e.start for e in events), max(e.end for e in events))
    return render_feed(events, calendar_name=name, timezone=plan.timezone, now=now,
                       window=window)


def _filename(technician_id: str, taken: set[str]) -> str:
    base = _UNSAFE.sub("_", technician_id).strip("._") or "technician"
    name, n = f"{base}.ics", 1
    while name in taken:
        n += 1
        name = f"{base}-{n}.ics"
    taken.add(name)
    return name


def write_calendars(
    problem: DispatchProblem | None,
    plan: DispatchPlan,
    out_dir: str | Path,
    *,
    job_url: Callable[[str], str] | None = None,
    include_travel: bool = False,
) -> list[Path]:
    """Write ``<technician id>.ics`` for every technician into ``out_dir``.

    With a problem that is every technician of it (those without work get an empty
    calendar); without, every technician with a route. Characters other than
    letters, digits, ``.``, ``_`` and ``-`` in ids become ``_`` in file names.
    """
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    ids = [t.id for t in problem.technicians] if problem else []
    ids += sorted({r.technician_id for r in plan.routes} - set(ids))
    taken: set[str] = set()
    paths = []
    for tech_id in ids:
        path = directory / _filename(tech_id, taken)
        path.write_bytes(_calendar(problem, plan, tech_id, job_url, include_travel))
        paths.append(path)
    return paths


def _report(args: argparse.Namespace) -> int:
    plan = load_plan(args.plan)
    problem = load_problem(args.problem) if args.problem else None
    job_url = _job_url(args.job_url)
    out = write_report(problem, plan, args.output, job_url=job_url)
    written = [out]
    if args.csv:
        Path(args.csv).write_text(routes_csv(plan), encoding="utf-8", newline="")
        written.append(Path(args.csv))
    if args.json:
        Path(args.json).write_text(json.dumps(routes_json(plan), indent=2, ensure_ascii=False)
                                   + "\n", encoding="utf-8")
        written.append(Path(args.json))
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    return 0


def _ics(args: argparse.Namespace) -> int:
    plan = load_plan(args.plan)
    problem = load_problem(args.problem) if args.problem else None
    job_url = _job_url(args.job_url)
    if args.technician is None:
        paths = write_calendars(problem, plan, args.output, job_url=job_url,
                                include_travel=args.include_travel)
        print(f"wrote {len(paths)} calendars to {args.output}", file=sys.stderr)
        return 0
    if problem is not None and args.technician not in problem.technician_by_id:
        raise FieldError("technician", f"unknown technician {args.technician!r}")
    if problem is None and all(r.technician_id != args.technician for r in plan.routes):
        raise FieldError("technician", f"no route of technician {args.technician!r} in the plan")
    out = Path(args.output)
    if out.is_dir():
        out = out / _filename(args.technician, set())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(_calendar(problem, plan, args.technician, job_url, args.include_travel))
    print(f"wrote {out}", file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's subcommands. Each sets ``func(args) -> int``."""
    report = subparsers.add_parser(
        "report",
        help="write a self-contained HTML report of a plan",
        description="Write one HTML page (KPIs, map, timeline, unassigned, SLA, run sheets) "
        "that opens without internet; optionally the routes as CSV and JSON.",
    )
    report.add_argument("plan", help="plan JSON (as written by 'fieldops solve')")
    report.add_argument("--problem", help="the problem JSON, for names, shifts and customers")
    report.add_argument("-o", "--output", required=True, help="HTML file to write")
    report.add_argument("--csv", help="also write the routes as CSV (one row per stop)")
    report.add_argument("--json", help="also write the routes as JSON")
    report.add_argument("--job-url", help="link request ids, e.g. 'https://crm/jobs/{id}'")
    report.set_defaults(func=_report)

    ics = subparsers.add_parser(
        "ics",
        help="write technicians' iCalendar (.ics) files from a plan",
        description="Write one technician's jobs and breaks as an .ics file, or every "
        "technician's into a directory when --technician is left out.",
    )
    ics.add_argument("plan", help="plan JSON")
    ics.add_argument("--problem", help="the problem JSON (customers, addresses, skills)")
    ics.add_argument("--technician", help="technician id; omit to write all into -o DIR")
    ics.add_argument("-o", "--output", required=True, help=".ics file, or directory")
    ics.add_argument("--job-url", help="URL of a job, e.g. 'https://crm/jobs/{id}'")
    ics.add_argument("--include-travel", action="store_true", help="add travel as busy blocks")
    ics.set_defaults(func=_ics)

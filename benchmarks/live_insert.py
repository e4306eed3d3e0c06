"""Emergency insertion latency on a live 1 000-job / 120-technician day.

Run ``python -m benchmarks.live_insert`` (``--jobs``, ``--techs``, ``--emergencies``,
``--time-limit`` for the morning solve, ``--as-of HH:MM``). The day is
:func:`fieldops.data.sample.generate_field_day`; it is solved and published, then
executed as planned until ``as_of`` (jobs ended by then are done, jobs started are
on site), the re-planning problem and the current plan are built
(:mod:`fieldops.solver.live`), and ``--emergencies`` critical jobs (gold tier,
4 h SLA, created at ``as_of``, near a random job of the day, its skills) are
inserted one after another, each into the previous result. Every result is checked
by the dispatch validator and the live validator (not timed). Prints a table and
writes ``benchmarks/results/live_insert-<jobs>j.json``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import datetime, timedelta
from typing import Any

from benchmarks._harness import machine_info, write_results

GOLD = "gold"
SLA = timedelta(hours=4)


def _day_as_executed(problem: Any, plan: Any, as_of: datetime) -> Any:
    from fieldops.domain.live import JobStatus, LiveDay, StatusReport

    events = []
    for route in plan.routes:
        for step in route.jobs:
            if step.start <= as_of:
                events.append(StatusReport(step.request_id, JobStatus.ON_SITE, step.start))
            if step.end <= as_of:
                events.append(StatusReport(step.request_id, JobStatus.DONE, step.end))
    return LiveDay(problem, plan, as_of, tuple(events))


def _emergency(rng: random.Random, problem: Any, plan: Any, k: int, as_of: datetime) -> Any:
    """A critical job near a routed job of the day, needing its skills."""
    from fieldops.domain import Location, Priority, ServiceRequest

    routed = sorted(rid for r in plan.routes for rid in r.request_ids)
    near = problem.request_by_id[rng.choice(routed)]
    loc = Location(lat=near.location.lat + rng.uniform(-0.01, 0.01),
                   lon=near.location.lon + rng.uniform(-0.01, 0.01))
    return ServiceRequest(
        id=f"EMERG-{k:03d}", location=loc, duration=timedelta(minutes=rng.choice([30, 45, 60])),
        required_skills=near.required_skills, priority=Priority.CRITICAL,
        contract_tier=GOLD, created_at=as_of)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--techs", type=int, default=120)
    parser.add_argument("--emergencies", type=int, default=50)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--as-of", default="10:00")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sla-first", action="store_true",
                        help="InsertParams(sla_first=True): meeting the SLA before moving nobody")
    args = parser.parse_args(argv)

    from fieldops.data.sample import generate_field_day
    from fieldops.domain.live import NewRequest
    from fieldops.solver.dispatch import SolveParams, solve_dispatch
    from fieldops.solver.live import InsertParams, current_plan, insert_job, replan_problem
    from fieldops.validators.dispatch import assert_valid
    from fieldops.validators.live import assert_live_valid

    problem = generate_field_day(args.jobs, args.techs, seed=args.seed)
    t0 = time.perf_counter()
    published = solve_dispatch(problem, SolveParams(time_limit=args.time_limit))
    solve_seconds = time.perf_counter() - t0
    assert_valid(problem, published)
    hh, mm = (int(x) for x in args.as_of.split(":"))
    as_of = published.routes[0].steps[0].start.astimezone(problem.tz).replace(
        hour=hh, minute=mm, second=0, microsecond=0)
    day = _day_as_executed(problem, published, as_of)
    t0 = time.perf_counter()
    built = replan_problem(day)
    live = current_plan(built)
    carry_seconds = time.perf_counter() - t0
    assert_valid(built.problem, live)
    assert_live_valid(day, live)

    rng = random.Random(args.seed)
    current_problem, plan = built.problem, live
    rows: list[dict[str, Any]] = []
    for k in range(args.emergencies):
        req = _emergency(rng, problem, published, k, as_of)
        result = insert_job(current_problem, plan, req, InsertParams(sla_first=args.sla_first))
        day = day.with_events(NewRequest(req, as_of))
        assert_valid(result.problem, result.plan)
        assert_live_valid(day, result.plan)
        step = next((s for r in result.plan.routes for s in r.jobs if s.request_id == req.id),
                    None)
        rows.append({"request": req.id, "seconds": result.seconds, "mode": result.mode,
                     "moved": len(result.moved), "told": len(result.diff.notify),
                     "sla_met": step is not None and step.start <= as_of + SLA})
        current_problem, plan = result.problem, result.plan
    latencies = [r["seconds"] for r in rows]
    modes = {m: sum(1 for r in rows if r["mode"] == m) for m in sorted({r["mode"] for r in rows})}
    summary = {
        "jobs": args.jobs, "technicians": args.techs, "emergencies": args.emergencies,
        "morning_solve_seconds": round(solve_seconds, 1),
        "carry_over_seconds": round(carry_seconds, 2),
        "p50_seconds": round(statistics.median(latencies), 4),
        "p95_seconds": round(_percentile(latencies, 0.95), 4),
        "max_seconds": round(max(latencies), 4),
        "modes": modes,
        "placed": sum(1 for r in rows if r["mode"] != "unplaced"),
        "sla_met": sum(1 for r in rows if r["sla_met"]),
        "others_moved": sum(r["moved"] for r in rows),
        "all_valid": True,
    }
    print(f"live insertion: {args.jobs} jobs, {args.techs} technicians, "
          f"{args.emergencies} emergencies at {args.as_of}")
    print(f"{'p50 s':>8} {'p95 s':>8} {'max s':>8} {'placed':>7} {'SLA met':>8} "
          f"{'others moved':>13}  modes")
    print(f"{summary['p50_seconds']:>8.3f} {summary['p95_seconds']:>8.3f} "
          f"{summary['max_seconds']:>8.3f} {summary['placed']:>7} {summary['sla_met']:>8} "
          f"{summary['others_moved']:>13}  {modes}")
    payload = {"machine": machine_info(), "args": vars(args), "summary": summary, "runs": rows}
    suffix = "-sla-first" if args.sla_first else ""
    path = write_results(f"live_insert-{args.jobs}j{suffix}", payload)
    print(f"written {path}")
    return payload


if __name__ == "__main__":
    main()

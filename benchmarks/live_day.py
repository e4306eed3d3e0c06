"""The live-day simulator: one realistic day replayed under three re-planning policies.

Run ``python -m benchmarks.live_day --jobs 350 --techs 42`` (and ``--jobs 1000
--techs 120``). The day is :func:`fieldops.data.sample.generate_field_day`; its
morning plan is solved once and published. Then, for each policy in turn, the
same seeded day is played (:mod:`benchmarks._live_sim`): technicians execute the
published plan in simulated time while the event stream arrives — 2 technicians
out mid-morning (one for the day, one for 2 h), 5 % of jobs cancelled, 15 %
running over by 15–60 min, emergencies at 3 % of the volume (critical, gold tier:
4 h SLA). Events are handled in **ticks** (``--tick``, 15 min): at each tick the
technicians' reports up to it are known and the policy answers everything that
arrived since the last one, then its plan is published and executed.

Policies:

``live``
    fieldops' live policy: the published plan carried over (:func:`current_plan`),
    each emergency and each job left unplaced (released by an outage, pushed out)
    inserted by :func:`insert_job`, and every ``--replan-every`` a re-plan with
    the disruption costs (:func:`replan`, ``--solve-limit`` seconds).
``scratch``
    at every tick with an event (a disruption or a reported overrun), the rest of
    the day solved from scratch: no disruption cost, no freeze horizon
    (``LiveParams(freeze_horizon=0)``, baselines removed) — but physics: work done
    or under way stays, promised windows stay.
``greedy``
    insertion only: the carried-over plan and :func:`insert_job` without repair
    (``time_budget=0``), never a re-plan.

Every published plan passes :func:`fieldops.validators.dispatch.assert_valid`
(against its re-planning problem) and :func:`fieldops.validators.live.assert_live_valid`
(against the day; freeze horizon 0 for ``scratch``). Technician-visible changes are
counted at each publish against what the technicians expected then (the published
plan with its ETAs, so a push from their own reported overrun is not a change):
jobs moved to another technician, jobs re-timed by more than 30 min, published jobs
dropped. Prints a table (rich) and writes ``benchmarks/results/live_day-<jobs>j.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import pickle
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks._harness import machine_info, write_results
from benchmarks._live_sim import (
    Execution,
    Stream,
    StreamParams,
    event_stream,
    republish,
    summary_of,
)
from fieldops.data.sample import generate_field_day
from fieldops.domain import ServiceRequest
from fieldops.domain.live import Cancellation, Delay, LiveDay, LiveParams, NewRequest
from fieldops.domain.plan import DispatchPlan
from fieldops.domain.problem import DispatchProblem
from fieldops.solver.dispatch import SolveParams, solve_dispatch
from fieldops.solver.live import (
    InsertParams,
    Replan,
    current_plan,
    insert_job,
    replan,
    replan_problem,
)
from fieldops.validators.dispatch import assert_valid
from fieldops.validators.live import assert_live_valid

POLICIES = ("live", "scratch", "greedy")
RETIME_TOLERANCE = timedelta(minutes=30)
END_OF_DAY_MARGIN = timedelta(hours=3)  # execution runs this long past the last shift end
P95 = 0.95
URGENT_RANK = 1  # critical (0) and high (1)


@dataclass(frozen=True)
class DayParams:
    """Per-solve time budgets and the policy clock."""

    tick: timedelta = timedelta(minutes=15)
    replan_every: timedelta = timedelta(hours=2)
    replan_after_dropped: int = 0  # live: re-plan early once this many published jobs
    # were dropped since the last re-plan (0: only every ``replan_every``)
    solve_limit: float = 10.0  # seconds per re-plan (live) and per re-solve (scratch)
    insert: InsertParams = field(default_factory=InsertParams)
    greedy: InsertParams = field(default_factory=lambda: InsertParams(time_budget=0.0))


@dataclass
class Tally:
    """What one policy did over the day."""

    latencies: list[float] = field(default_factory=list)  # per emergency answered
    reassigned: int = 0
    retimed: int = 0
    dropped: int = 0
    told: int = 0
    publishes: int = 0
    validated: int = 0
    solves: int = 0
    seconds: float = 0.0
    log: list[dict[str, Any]] = field(default_factory=list)  # one entry per publish
    invalid: list[str] = field(default_factory=list)  # validator findings, per publish


# ---------------------------------------------------------------- changes
def _count_changes(built: Replan, plan: DispatchPlan, tally: Tally) -> None:
    """Changes against what technicians expect now (published plan, ETAs)."""
    day = built.day
    expected = {rid: e.start for rid, e in built.expected.items()}
    skip = day.history() | day.cancelled()
    old = {s.request_id: r.technician_id for r in day.published.routes for s in r.jobs
           if s.request_id not in skip}
    new = {s.request_id: (r.technician_id, s.start) for r in plan.routes for s in r.jobs}
    told: set[str] = set()
    before = (tally.reassigned, tally.retimed, tally.dropped)
    for rid, tech in old.items():
        if rid not in new:
            tally.dropped += 1
            told.add(tech)
        elif new[rid][0] != tech:
            tally.reassigned += 1
            told |= {tech, new[rid][0]}
        elif rid in expected and abs(new[rid][1] - expected[rid]) > RETIME_TOLERANCE:
            tally.retimed += 1
            told.add(tech)
    tally.told += len(told)
    tally.log.append({
        "as_of": f"{day.as_of.astimezone(day.problem.tz):%H:%M}",
        "reassigned": tally.reassigned - before[0], "retimed": tally.retimed - before[1],
        "dropped": tally.dropped - before[2], "unassigned": len(plan.unassigned)})


def _check(problem: DispatchProblem, day: LiveDay, plan: DispatchPlan, tally: Tally,
           horizon: timedelta | None = None) -> None:
    try:
        assert_valid(problem, plan)
        if horizon is None:
            assert_live_valid(day, plan)
        else:
            assert_live_valid(day, plan, horizon)
    except AssertionError as err:  # recorded, and the run fails at its end
        tally.invalid.append(f"{day.as_of:%H:%M}: {err}")
        return
    tally.validated += 1


# ---------------------------------------------------------------- policies
def _reinsert(problem: DispatchProblem, plan: DispatchPlan, rid: str, params: InsertParams
              ) -> tuple[DispatchProblem, DispatchPlan]:
    """Take an unassigned request out of the problem and insert it again."""
    req = problem.request_by_id[rid]
    without = dataclasses.replace(problem, requests=tuple(r for r in problem.requests
                                                          if r.id != rid))
    rest = dataclasses.replace(plan, unassigned=tuple(u for u in plan.unassigned
                                                      if u.request_id != rid))
    done = insert_job(without, rest, req, params)
    return done.problem, done.plan


def _insert_policy(ex: Execution, as_of: datetime, tally: Tally, params: InsertParams,
                   solve_limit: float | None) -> None:
    """``live`` (with a re-plan when ``solve_limit`` is given) and ``greedy``."""
    day = LiveDay(ex.problem, ex.published, as_of, tuple(ex.reports))
    if solve_limit is not None:
        result = replan(day, solve_params=SolveParams(time_limit=solve_limit))
        built, problem, plan = result.replan, result.problem, result.plan
        tally.solves += 1
    else:
        built = replan_problem(day)
        problem, plan = built.problem, current_plan(built)
    for news in ex.pending:
        inserted = insert_job(problem, plan, news.request, params)
        tally.latencies.append(inserted.seconds)
        problem, plan = inserted.problem, inserted.plan
    # Jobs left out since the last publish (released, pushed out) get a try, and
    # critical and high ones at every tick (the re-plan places the rest when it can).
    before = {u.request_id for u in ex.published.unassigned}
    for left in sorted(plan.unassigned, key=lambda u: (u.priority.rank, u.request_id)):
        if left.request_id not in before or left.priority.rank <= URGENT_RANK:
            problem, plan = _reinsert(problem, plan, left.request_id, params)
    seen = day.with_events(*ex.pending)
    _check(problem, seen, plan, tally)
    _count_changes(built, plan, tally)
    republish(ex, built, plan)


def _scratch_policy(ex: Execution, as_of: datetime, tally: Tally, solve_limit: float
                    ) -> None:
    began = time.perf_counter()
    day = ex.day(as_of)
    built = replan_problem(day, LiveParams(freeze_horizon=timedelta(0)))
    problem = dataclasses.replace(built.problem, requests=tuple(
        dataclasses.replace(r, baseline_technician=None, baseline_start=None)
        for r in built.problem.requests))
    plan = solve_dispatch(problem, SolveParams(time_limit=solve_limit))
    tally.solves += 1
    tally.latencies += [time.perf_counter() - began] * len(ex.pending)
    _check(problem, day, plan, tally, timedelta(0))
    _count_changes(built, plan, tally)
    republish(ex, built, plan)


# ---------------------------------------------------------------- the day
def _clock(problem: DispatchProblem, tick: timedelta) -> list[datetime]:
    start = min(s.start for s in problem.shifts)
    last = max(s.end for s in problem.shifts)
    return [start + k * tick for k in range(1, int((last - start) / tick) + 1)]


def play(policy: str, problem: DispatchProblem, morning: DispatchPlan, stream: Stream,
         params: DayParams, emergencies: list[ServiceRequest]) -> dict[str, Any]:
    """One policy's day; returns its row of the table."""
    ex = Execution(problem, morning, stream)
    tally = Tally()
    clock = _clock(problem, params.tick)
    prev = min(s.start for s in problem.shifts) - params.tick
    last_replan, dropped_then = clock[0] - params.tick, 0
    act: dict[str, Callable[[datetime], None]] = {
        "greedy": lambda t: _insert_policy(ex, t, tally, params.greedy, None),
        "scratch": lambda t: _scratch_policy(ex, t, tally, params.solve_limit),
    }
    for t in clock:
        for event in stream.between(prev, t):
            (ex.pending if isinstance(event, NewRequest) else ex.reports).append(event)
        ex.advance(t)
        overran = any(isinstance(e, Delay) and prev < e.reported_at <= t for e in ex.reports)
        news = bool(stream.between(prev, t))
        began = time.perf_counter()
        if policy == "live":
            due = t - last_replan >= params.replan_every or (
                0 < params.replan_after_dropped <= tally.dropped - dropped_then)
            if news or due:
                _insert_policy(ex, t, tally, params.insert,
                               params.solve_limit if due else None)
                if due:
                    last_replan, dropped_then = t, tally.dropped
                tally.publishes += 1
        elif news or (policy == "scratch" and overran):
            act[policy](t)
            tally.publishes += 1
        tally.seconds += time.perf_counter() - began
        prev = t
    ex.advance(max(s.latest_end for s in problem.shifts) + END_OF_DAY_MARGIN)
    return _row(policy, ex, tally, emergencies, stream)


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _row(policy: str, ex: Execution, tally: Tally, emergencies: list[ServiceRequest],
         stream: Stream) -> dict[str, Any]:
    sla = StreamParams().sla
    out = summary_of(ex, emergencies, sla)
    cancelled = {e.request_id for _, e in stream.disruptions if isinstance(e, Cancellation)}
    out.update({
        "policy": policy, "reassigned": tally.reassigned, "retimed": tally.retimed,
        "dropped": tally.dropped,
        "changes": tally.reassigned + tally.retimed + tally.dropped,
        "technicians_told": tally.told, "publishes": tally.publishes,
        "solves": tally.solves, "plans_validated": tally.validated,
        "latency_p50": _round(statistics.median(tally.latencies) if tally.latencies else None),
        "latency_p95": _round(_percentile(tally.latencies, P95)),
        "policy_seconds": round(tally.seconds, 1),
        "cancelled_and_done": len(cancelled & set(ex.actual)),
        "publish_log": tally.log, "invalid": tally.invalid,
    })
    return out


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


# ---------------------------------------------------------------- output
COLUMNS = (
    ("policy", "policy"), ("completed_total", "done"), ("critical", "crit"),
    ("high", "high"), ("normal", "norm"), ("low", "low"), ("sla", "SLA met"),
    ("travel_hours", "travel h"), ("overtime_hours", "overtime h"),
    ("reassigned", "reassigned"), ("retimed", "re-timed >30m"), ("dropped", "dropped"),
    ("changes", "changes"), ("latency_p50", "answer p50 s"), ("latency_p95", "answer p95 s"),
    ("plans_validated", "plans valid"), ("policy_seconds", "policy s"),
)


def _cells(row: dict[str, Any]) -> list[str]:
    flat = {**row, **row["completed"], "sla": f"{row['sla_met']}/{row['emergencies']}"}
    return [str(flat[key]) for key, _ in COLUMNS]


def _table(title: str, rows: list[dict[str, Any]]) -> Table:
    table = Table(title=title)
    for _, head in COLUMNS:
        table.add_column(head, justify="left" if head == "policy" else "right")
    for row in rows:
        table.add_row(*_cells(row))
    return table


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--jobs", type=int, default=350)
    parser.add_argument("--techs", type=int, default=42)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--morning-limit", type=float, default=30.0,
                        help="seconds for the morning plan (default %(default)s)")
    parser.add_argument("--solve-limit", type=float, default=10.0,
                        help="seconds per re-plan / re-solve (default %(default)s)")
    parser.add_argument("--insert-budget", type=float, default=InsertParams().time_budget,
                        help="seconds the live insertion's repair may take")
    parser.add_argument("--tick", type=int, default=15, help="minutes per tick")
    parser.add_argument("--replan-every", type=int, default=120,
                        help="minutes between the live policy's re-plans")
    parser.add_argument("--replan-after-dropped", type=int, default=0,
                        help="live: re-plan early once this many published jobs were "
                             "dropped since the last re-plan (default 0: off)")
    parser.add_argument("--policies", default=",".join(POLICIES))
    parser.add_argument("--morning-cache", type=Path, default=None,
                        help="a pickle of the morning plan: read when it exists, else "
                             "written (the same morning for runs of different code)")
    parser.add_argument("--output", type=Path, default=None, help="results JSON path")
    return parser


def _morning(problem: DispatchProblem, args: argparse.Namespace
             ) -> tuple[DispatchPlan, float]:
    cache: Path | None = args.morning_cache
    if cache is not None and cache.exists():
        with cache.open("rb") as f:
            plan: DispatchPlan = pickle.load(f)  # our own cache file
        return plan, 0.0
    began = time.perf_counter()
    plan = solve_dispatch(problem, SolveParams(time_limit=args.morning_limit, seed=args.seed))
    seconds = time.perf_counter() - began
    if cache is not None:
        with cache.open("wb") as f:
            pickle.dump(plan, f)
    return plan, seconds


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _parser().parse_args(argv)
    policies = [p for p in args.policies.split(",") if p]
    for p in policies:
        if p not in POLICIES:
            raise SystemExit(f"unknown policy {p!r}: choose from {', '.join(POLICIES)}")
    params = DayParams(tick=timedelta(minutes=args.tick),
                       replan_every=timedelta(minutes=args.replan_every),
                       replan_after_dropped=args.replan_after_dropped,
                       solve_limit=args.solve_limit,
                       insert=InsertParams(time_budget=args.insert_budget))
    problem = generate_field_day(args.jobs, args.techs, seed=args.seed)
    morning, morning_seconds = _morning(problem, args)
    assert_valid(problem, morning)
    stream = event_stream(problem, morning, StreamParams(), args.seed)
    emergencies = [e.request for _, e in stream.disruptions if isinstance(e, NewRequest)]
    rows = []
    for policy in policies:
        began = time.perf_counter()
        rows.append(play(policy, problem, morning, stream, params, emergencies))
        rows[-1]["wall_seconds"] = round(time.perf_counter() - began, 1)
        print(f"{policy}: played in {rows[-1]['wall_seconds']} s", flush=True)
    title = (f"live day: {args.jobs} jobs, {args.techs} technicians, "
             f"{len(emergencies)} emergencies, tick {args.tick} min, "
             f"solve {args.solve_limit:g} s")
    Console(width=200).print(_table(title, rows))
    payload = {"machine": machine_info(), "args": vars(args),
               "morning": {"seconds": round(morning_seconds, 1),
                           "assigned": morning.kpis.jobs_assigned,
                           "unassigned": len(morning.unassigned)},
               "events": {"cancelled": sum(1 for _, e in stream.disruptions
                                           if isinstance(e, Cancellation)),
                          "overruns": len(stream.overrun), "emergencies": len(emergencies)},
               "policies": rows}
    path = write_results(f"live_day-{args.jobs}j", payload, args.output)
    print(f"written {path}")
    failed = [f"{r['policy']} {msg}" for r in rows for msg in r["invalid"]]
    if failed:
        raise SystemExit("plans failed the validators:\n" + "\n".join(failed))
    return payload


if __name__ == "__main__":
    main()

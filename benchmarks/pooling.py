"""Benchmark: agents saved by pooling multi-skilled agents, against per-queue Erlang C.

Run ``python -m benchmarks.pooling``. For each scenario (queues with a constant
load, 3-minute handle times, target 80 % answered within 20 s), per-queue
staffing is :func:`fieldops.solver.staffing.required_agents` on each queue alone,
summed; pooled staffing is
:func:`fieldops.solver.staffing.routing.pooled_agents`: the smallest team of
agents holding every skill that meets the target on every queue under
skill-based routing (simpy), searched upward; a partly cross-skilled scenario
gives each agent two adjacent queues of four (a chain). The pooled search is
repeated on ``--batches`` independent seeds; the saving is reported as the mean
over the batches with a 95 % Student-t half-width.

The roster part staffs a one-day, two-queue center per queue with Erlang C,
rosters cross-skilled agents, and compares the roster's predicted service level
(Erlang per queue) with its simulated one under skill-based routing: per queue,
the contact-weighted service level of the day with a 95 % half-width over
independent replications, and the intervals below the 80 % target. A second
variant makes a quarter of the agents learners (proficiency 1, half capacity),
whom both the prediction and the simulation count at half.

Results go to ``benchmarks/results/pooling.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table
from scipy import stats

from benchmarks._harness import machine_info, write_results

#: Seconds per interval, handle time and the target (80/20).
INTERVAL = 900.0
AHT = 180.0
SERVICE_LEVEL, ANSWER_TIME = 0.8, 20.0
#: Intervals simulated per run; the first is warm-up.
INTERVALS = 9
#: Scenarios: name → Erlangs per queue.
SCENARIOS = {
    "2 queues × 5 Erlangs": (5.0, 5.0),
    "2 queues × 15 Erlangs": (15.0, 15.0),
    "4 queues × 5 Erlangs": (5.0, 5.0, 5.0, 5.0),
    "4 queues, 2-8 Erlangs": (2.0, 4.0, 6.0, 8.0),
    "4 queues × 5 Erlangs, chained": (5.0, 5.0, 5.0, 5.0),
}
#: Skills per agent (cycled) of the partly cross-skilled scenarios; others: every skill.
PATTERNS = {
    "4 queues × 5 Erlangs, chained": (("q0", "q1"), ("q1", "q2"), ("q2", "q3"), ("q3", "q0")),
}


def scenario(loads: tuple[float, ...], batches: int, replications: int,
             skills: tuple[tuple[str, ...], ...] | None = None) -> dict[str, Any]:
    from fieldops.domain.workforce import StaffingTarget
    from fieldops.solver.staffing import required_agents
    from fieldops.solver.staffing.routing import RoutedQueue, pooled_agents

    target = StaffingTarget(service_level=SERVICE_LEVEL)
    per_queue = [required_agents(load / AHT, AHT, target)[0] for load in loads]
    merged, _ = required_agents(sum(loads) / AHT, AHT, target)
    queues = [RoutedQueue(f"q{k}", [load / AHT] * INTERVALS, [AHT] * INTERVALS, priority=k)
              for k, load in enumerate(loads)]
    found, seconds = [], []
    for batch in range(batches):
        began = time.perf_counter()
        n, _frame = pooled_agents(queues, SERVICE_LEVEL, ANSWER_TIME, INTERVAL,
                                 start=max(1, merged - 2), replications=replications,
                                 seed=1000 * batch, skills=skills)
        seconds.append(time.perf_counter() - began)
        found.append(n)
    pooled = np.array(found, dtype=float)
    half = (float(stats.t.ppf(0.975, batches - 1) * pooled.std(ddof=1) / math.sqrt(batches))
            if batches > 1 else math.nan)
    return {"loads": list(loads), "skills": skills, "per_queue_erlang": per_queue,
            "per_queue_total": int(sum(per_queue)), "merged_erlang": merged,
            "pooled_per_batch": found, "pooled_mean": float(pooled.mean()),
            "pooled_ci": half, "saving_mean": float(sum(per_queue) - pooled.mean()),
            "saving_ci": half, "seconds_per_batch_median": float(np.median(seconds))}


def roster_scenario(time_limit: float, replications: int, learners: int = 0) -> dict[str, Any]:
    """A one-day, two-queue center of cross-skilled agents: staffed per queue with
    Erlang C, rostered, then its service level predicted (Erlang, per queue) and
    simulated under skill-based routing, against the 80/20 target. Every
    ``learners``-th agent has proficiency 1 (0: none)."""
    from datetime import date, timedelta
    from datetime import time as clock

    import pandas as pd

    from fieldops.domain.roster import (
        Agent,
        Contract,
        QueueSkill,
        RosterParams,
        RosterProblem,
        ShiftTemplate,
    )
    from fieldops.domain.workforce import ContactVolumes, StaffingTarget
    from fieldops.schemas import requirements_from_staffing
    from fieldops.solver.roster import solve_roster
    from fieldops.solver.staffing import staff
    from fieldops.solver.staffing.predict import predict_service_level
    from fieldops.solver.staffing.routing import simulate_roster
    from fieldops.validators.roster import assert_roster_valid

    day, queues = date(2026, 12, 7), ("voice/en", "voice/de")
    starts = pd.date_range("2026-12-07T08:00", periods=48, freq="15min", tz="Europe/Berlin")
    calls = {"voice/en": [30.0 if 10 <= t.hour < 14 else 18.0 for t in starts],
             "voice/de": [12.0 if 10 <= t.hour < 14 else 22.0 for t in starts]}
    demand = ContactVolumes(pd.DataFrame(
        [(t.tz_convert("UTC"), q, calls[q][k], AHT) for q in queues for k, t in enumerate(starts)],
        columns=["interval_start", "queue", "offered", "aht_seconds"]))
    target = StaffingTarget(service_level=SERVICE_LEVEL)
    plan = staff(demand, target)
    templates = tuple(ShiftTemplate(f"s{h}", clock(h), timedelta(hours=6)) for h in (8, 10, 14))
    level = [1 if learners and k % learners == 0 else 3 for k in range(40)]
    agents = tuple(Agent(f"a{k}", "c", (QueueSkill("voice/en", level[k]),
                                        QueueSkill("voice/de", level[k])))
                   for k in range(40))
    base = RosterProblem(start=day, days=1, queues=queues, templates=templates,
                         contracts=(Contract("c"),), agents=agents, requirements=(),
                         timezone="Europe/Berlin")
    problem = dataclasses.replace(base, requirements=requirements_from_staffing(
        plan.frame, within=base.horizon))
    roster = solve_roster(problem, RosterParams(time_limit=time_limit, workers=2))
    assert_roster_valid(problem, roster)
    predicted = predict_service_level(roster, demand, target, problem=problem)
    simulated = simulate_roster(roster, problem, demand, replications=replications)
    # The day's service level per replication (each its own seed): its 95 % CI.
    runs = [simulate_roster(roster, problem, demand, replications=1, seed=1000 + r)
            for r in range(replications)]
    rows = []
    for q in queues:
        pred, sim = predicted[predicted["queue"] == q], simulated[simulated["queue"] == q]
        w = pred["offered"].to_numpy()
        days = np.array([float((run[run["queue"] == q]["service_level"].to_numpy() * w).sum()
                               / w.sum()) for run in runs])
        half = (float(stats.t.ppf(0.975, len(days) - 1) * days.std(ddof=1)
                      / math.sqrt(len(days))) if len(days) > 1 else math.nan)
        rows.append({"queue": q, "erlang_sl": float((pred["service_level"] * w).sum() / w.sum()),
                     "erlang_below": int((~pred["meets_target"]).sum()),
                     "capacity_mean": float(pred["capacity"].mean()),
                     "staffed_mean": float(pred["staffed"].mean()),
                     "simulated_sl": float((sim["service_level"].to_numpy() * w).sum() / w.sum()),
                     "simulated_day_sl": float(days.mean()), "simulated_day_ci": half,
                     "simulated_ci_mean": float(sim["service_level_ci"].mean()),
                     "simulated_below": int((sim["service_level"] < SERVICE_LEVEL).sum()),
                     "intervals": len(pred)})
    multi = sum(len({a.queue for a in s.activities if a.kind == "work"}) > 1
                for s in roster.assignments)
    return {"learners": sum(v == 1 for v in level), "status": roster.status.value,
            "verdict": roster.verdict,
            "shifts": len(roster.assignments), "multi_queue_shifts": multi,
            "short": roster.short, "queues": rows}


def _roster_table(roster: dict[str, Any]) -> Table:
    who = (f"{roster['learners']} of 40 agents learners" if roster["learners"]
           else "no learners")
    t2 = Table(title=f"A cross-skilled roster (1 day, 2 queues, {who}): {roster['verdict']}; "
               f"{roster['multi_queue_shifts']} of {roster['shifts']} shifts on both queues")
    for col in ("queue", "heads / capacity", "Erlang SL", "below target (Erlang)",
                "simulated SL (routing, 95 % CI)", "below target (simulated)"):
        t2.add_column(col, justify="left" if col == "queue" else "right")
    for r in roster["queues"]:
        t2.add_row(r["queue"], f"{r['staffed_mean']:.1f} / {r['capacity_mean']:.1f}",
                   f"{r['erlang_sl']:.1%}", f"{r['erlang_below']}/{r['intervals']}",
                   f"{r['simulated_day_sl']:.1%} ± {r['simulated_day_ci']:.1%}",
                   f"{r['simulated_below']}/{r['intervals']}")
    return t2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=5,
                        help="independent pooled searches per scenario (default 5)")
    parser.add_argument("--replications", type=int, default=5,
                        help="simulation replications per team size (default 5)")
    parser.add_argument("--roster-time-limit", type=float, default=20.0,
                        help="seconds for the roster of the roster scenario (default 20)")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    console = Console(width=120)
    results = {name: scenario(loads, args.batches, args.replications, PATTERNS.get(name))
               for name, loads in SCENARIOS.items()}
    table = Table(title="Pooling: agents needed for 80/20, per-queue Erlang C vs a "
                  "cross-skilled team under skill-based routing (simulated)")
    for col in ("scenario", "per-queue Erlang", "sum", "one merged queue (Erlang)",
                "pooled (simulated)", "saved", "s / batch"):
        table.add_column(col, justify="left" if col == "scenario" else "right")
    for name, r in results.items():
        table.add_row(name, " + ".join(str(n) for n in r["per_queue_erlang"]),
                      str(r["per_queue_total"]), str(r["merged_erlang"]),
                      f"{r['pooled_mean']:.1f} ± {r['pooled_ci']:.1f}",
                      f"{r['saving_mean']:.1f} ± {r['saving_ci']:.1f}",
                      f"{r['seconds_per_batch_median']:.1f}")
    console.print(table)
    rosters = [roster_scenario(args.roster_time_limit, args.replications, learners)
               for learners in (0, 4)]
    for roster in rosters:
        console.print(_roster_table(roster))
    payload = {"suite": "pooling", "machine": machine_info(), "batches": args.batches,
               "replications": args.replications, "intervals": INTERVALS,
               "scenarios": results, "roster": rosters[0], "roster_learners": rosters[1]}
    console.print(f"results written to {write_results('pooling', payload, args.output)}")


if __name__ == "__main__":
    main()

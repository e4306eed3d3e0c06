"""Benchmark: agents saved by pooling multi-skilled agents, against per-queue Erlang C.

Run ``python -m benchmarks.pooling``. For each scenario (queues with a constant
load, 3-minute handle times, target 80 % answered within 20 s), per-queue
staffing is :func:`fieldops.solver.staffing.required_agents` on each queue alone,
summed; pooled staffing is
:func:`fieldops.solver.staffing.routing.pooled_agents`: the smallest team of
agents holding every skill that meets the target on every queue under
skill-based routing (simpy), searched upward. The pooled search is repeated on
``--batches`` independent seeds; the saving is reported as the mean over the
batches with a 95 % Student-t half-width.

Results go to ``benchmarks/results/pooling.json``.
"""

from __future__ import annotations

import argparse
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
}


def scenario(loads: tuple[float, ...], batches: int, replications: int) -> dict[str, Any]:
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
                                 seed=1000 * batch)
        seconds.append(time.perf_counter() - began)
        found.append(n)
    pooled = np.array(found, dtype=float)
    half = (float(stats.t.ppf(0.975, batches - 1) * pooled.std(ddof=1) / math.sqrt(batches))
            if batches > 1 else math.nan)
    return {"loads": list(loads), "per_queue_erlang": per_queue,
            "per_queue_total": int(sum(per_queue)), "merged_erlang": merged,
            "pooled_per_batch": found, "pooled_mean": float(pooled.mean()),
            "pooled_ci": half, "saving_mean": float(sum(per_queue) - pooled.mean()),
            "saving_ci": half, "seconds_per_batch_median": float(np.median(seconds))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=5,
                        help="independent pooled searches per scenario (default 5)")
    parser.add_argument("--replications", type=int, default=5,
                        help="simulation replications per team size (default 5)")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    console = Console(width=120)
    results = {name: scenario(loads, args.batches, args.replications)
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
    payload = {"suite": "pooling", "machine": machine_info(), "batches": args.batches,
               "replications": args.replications, "intervals": INTERVALS,
               "scenarios": results}
    console.print(f"results written to {write_results('pooling', payload, args.output)}")


if __name__ == "__main__":
    main()

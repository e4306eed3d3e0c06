"""Benchmark: contact-center forecasting accuracy and staffing throughput.

Run ``python -m benchmarks.workforce``. On the deterministic sample year (4 queues,
15-minute intervals, ~35 000 rows per queue):

* forecasting: back-test WAPE and bias per queue for each method (last 4 weeks held
  out, as :func:`fieldops.solver.forecast.forecast` does), next to a seasonal-naive
  baseline measured on the same weeks (each interval = the same interval one week
  earlier); wall time of the whole forecast (import of statsmodels excluded and
  reported separately);
* staffing: intervals × queues per second for :func:`fieldops.solver.staffing.staff`
  on the 14-day forecast with Erlang C, with Erlang A (patience 120 s), and with the
  volumes scaled ×100 (loads of hundreds to thousands of Erlangs);
* simulation: wall time to simulate one day of the three voice/chat queues.

Results go to ``benchmarks/results/workforce.json``.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from benchmarks._harness import machine_info, write_results


def _seasonal_naive_wape(history: Any, weeks: int, timezone: str) -> dict[str, float]:
    """WAPE of 'same interval last week' over the last ``weeks`` whole local weeks."""
    from fieldops.solver.forecast import wape_bias

    out: dict[str, float] = {}
    for queue, rows in history.frame.groupby("queue"):
        rows = rows.set_index("interval_start")["offered"]
        last = rows.index.max().tz_convert(timezone).normalize()
        cutoff = (last - timedelta(weeks=weeks) + timedelta(days=1)).tz_convert("UTC")
        test = rows[rows.index >= cutoff]
        # A week earlier in absolute time (UTC); fine away from DST weeks.
        prior = rows.reindex(test.index - timedelta(weeks=1)).to_numpy()
        ok = np.isfinite(prior)
        out[str(queue)] = wape_bias(prior[ok], test.to_numpy()[ok])[0]
    return out


def run(days: int, horizon: int, repeats: int) -> dict[str, Any]:
    from fieldops.data.workforce_sample import sample_history
    from fieldops.domain.workforce import ForecastSettings, QueueSpec, StaffingTarget
    from fieldops.solver.forecast import forecast
    from fieldops.solver.staffing import staff
    from fieldops.solver.staffing.simulation import simulate

    began = time.perf_counter()
    import statsmodels.tsa.holtwinters  # noqa: F401  (import cost measured on its own)

    import_seconds = time.perf_counter() - began
    began = time.perf_counter()
    history = sample_history(days=days)
    sample_seconds = time.perf_counter() - began
    settings = ForecastSettings(horizon_days=horizon)
    forecast_times = []
    for _ in range(repeats):
        began = time.perf_counter()
        result = forecast(history, settings)
        forecast_times.append(time.perf_counter() - began)
    naive = _seasonal_naive_wape(history, settings.backtest_weeks, settings.timezone)
    accuracy = [
        {"queue": s.queue, "method": s.method, "wape": s.wape, "bias": s.bias,
         "chosen": s.chosen}
        for s in result.scores
    ] + [{"queue": q, "method": "seasonal_naive (baseline)", "wape": w, "bias": None,
          "chosen": False} for q, w in sorted(naive.items())]

    demand = result.volumes
    cells = len(demand.frame)
    target = StaffingTarget(service_level=0.8, max_occupancy=0.9, shrinkage=0.3)
    patient = {q: QueueSpec(q, QueueSpec.infer(q).channel, patience=timedelta(seconds=120))
               for q in demand.queues if not QueueSpec.infer(q).deferred}
    scaled_frame = demand.frame.copy()
    scaled_frame["offered"] = scaled_frame["offered"] * 100
    scaled = type(demand)(frame=scaled_frame, interval=demand.interval)
    throughput = []
    for name, dem, queues, tgt in (
        ("erlang_c", demand, None, target),
        ("erlang_a (patience 120 s)", demand, patient, target),
        ("erlang_a, volume x100", scaled, patient,
         StaffingTarget(service_level=0.8, max_abandon=0.05, shrinkage=0.3)),
    ):
        times = []
        for _ in range(repeats):
            began = time.perf_counter()
            plan = staff(dem, tgt, queues)
            times.append(time.perf_counter() - began)
        best = min(times)
        throughput.append({
            "case": name, "cells": cells, "seconds": best, "cells_per_second": cells / best,
            "peak_load_erlangs": float(plan.frame["load_erlangs"].max()),
            "peak_agents": int(plan.frame["agents"].max()),
        })

    plan = staff(demand, target, patient)
    began = time.perf_counter()
    sim = simulate(plan, replications=10, seed=0, max_intervals=96)
    sim_seconds = time.perf_counter() - began
    return {
        "sample": {"days": days, "queues": len(history.queues),
                   "rows_per_queue": len(history.frame) // len(history.queues),
                   "generate_seconds": sample_seconds},
        "forecast": {"horizon_days": horizon, "statsmodels_import_seconds": import_seconds,
                     "seconds_min": min(forecast_times),
                     "seconds_median": float(np.median(forecast_times)),
                     "accuracy": accuracy},
        "staffing": throughput,
        "simulation": {"intervals": 96, "queues": int(sim.frame["queue"].nunique()),
                       "replications": 10, "seconds": sim_seconds},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=364, help="sample history length")
    parser.add_argument("--horizon", type=int, default=14, help="forecast days")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    result = run(args.days, args.horizon, args.repeats)
    console = Console(width=110)
    f = result["forecast"]
    table = Table(title=f"Forecast back-test on the sample ({result['sample']['days']} days, "
                  f"last 4 weeks held out): WAPE per 15-minute interval")
    for col in ("queue", "method", "WAPE", "bias", "chosen"):
        table.add_column(col, justify="left" if col in ("queue", "method") else "right")
    for row in sorted(f["accuracy"], key=lambda r: (r["queue"], r["method"])):
        table.add_row(row["queue"], row["method"], f"{row['wape']:.1%}",
                      "" if row["bias"] is None else f"{row['bias']:+.1%}",
                      "yes" if row["chosen"] else "")
    console.print(table)
    console.print(f"forecast of {result['sample']['queues']} queues × "
                  f"{result['sample']['rows_per_queue']:,} rows: min {f['seconds_min']:.2f} s, "
                  f"median {f['seconds_median']:.2f} s (statsmodels import "
                  f"{f['statsmodels_import_seconds']:.2f} s, not included)")
    t2 = Table(title="Staffing throughput (14-day forecast, 4 queues)")
    for col in ("case", "intervals × queues", "seconds", "per second", "peak Erlangs",
                "peak agents"):
        t2.add_column(col, justify="left" if col == "case" else "right")
    for row in result["staffing"]:
        t2.add_row(row["case"], f"{row['cells']:,}", f"{row['seconds']:.2f}",
                   f"{row['cells_per_second']:,.0f}", f"{row['peak_load_erlangs']:,.0f}",
                   f"{row['peak_agents']:,}")
    console.print(t2)
    s = result["simulation"]
    console.print(f"simulation: {s['queues']} queues × {s['intervals']} intervals × "
                  f"{s['replications']} replications in {s['seconds']:.1f} s")
    payload = {"suite": "workforce", "machine": machine_info(), **result}
    path = write_results("workforce", payload, args.output)
    console.print(f"results written to {path}")


if __name__ == "__main__":
    main()

"""Benchmark: intraday re-forecast accuracy against the day-ahead forecast.

Run ``python -m benchmarks.intraday``. On the deterministic sample history
(:func:`fieldops.data.workforce_sample.sample_history`, 4 queues, 15-minute
intervals), for each of the last ``--test-days`` days:

1. the **day-ahead** forecast of that day is :func:`fieldops.solver.forecast.forecast`
   on the history up to the evening before (horizon 1 day, default settings);
2. at each cut-off (10:00, 12:00, 14:00 local) the **re-forecast**
   (:func:`fieldops.solver.forecast.intraday.reforecast`, default settings) takes
   that day's actuals before the cut-off;
3. both are scored on the rest of the day (intervals ending after the cut-off):
   WAPE = Σ|forecast − actual| / Σ actual, pooled over the test days, per queue
   and over all queues.

Results go to ``benchmarks/results/intraday.json``.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from benchmarks._harness import machine_info, write_results

#: Local cut-off hours the re-forecast is scored at (the issue's 10:00, 12:00, 14:00).
CUTOFF_HOURS = (10, 12, 14)
TIMEZONE = "Europe/Berlin"


def _day_frame(frame: pd.DataFrame, day: date, tz: ZoneInfo) -> pd.DataFrame:
    local = frame["interval_start"].dt.tz_convert(tz).dt.date
    return frame[local == day]


def _score(rows: list[dict[str, Any]], key: str) -> float:
    actual = sum(r["actual"] for r in rows)
    return sum(r[key] for r in rows) / actual if actual else float("nan")


def run(days: int, test_days: int) -> dict[str, Any]:
    from fieldops.data.workforce_sample import sample_history
    from fieldops.domain.workforce import ContactVolumes, ForecastSettings
    from fieldops.solver.forecast import forecast
    from fieldops.solver.forecast.intraday import IntradaySettings, reforecast

    tz = ZoneInfo(TIMEZONE)
    history = sample_history(days=days)
    frame = history.frame
    last = frame["interval_start"].max().tz_convert(tz).date()
    tested = [last - timedelta(days=k) for k in range(test_days, 0, -1)]
    errors: list[dict[str, Any]] = []
    forecast_seconds, reforecast_seconds = [], []
    for day in tested:
        midnight = pd.Timestamp(datetime.combine(day, datetime.min.time(), tzinfo=tz))
        before = ContactVolumes(frame[frame["interval_start"] < midnight].reset_index(drop=True),
                                history.interval)
        began = time.perf_counter()
        day_ahead = forecast(before, ForecastSettings(horizon_days=1, timezone=TIMEZONE)).volumes
        forecast_seconds.append(time.perf_counter() - began)
        today = _day_frame(frame, day, tz)
        for hour in CUTOFF_HOURS:
            now = datetime.combine(day, datetime.min.time(), tzinfo=tz) + timedelta(hours=hour)
            cut = pd.Timestamp(now)
            actuals = ContactVolumes(today[today["interval_start"] < cut].reset_index(drop=True),
                                     history.interval)
            began = time.perf_counter()
            result = reforecast(day_ahead, actuals, now, IntradaySettings())
            reforecast_seconds.append(time.perf_counter() - began)
            merged = result.volumes.frame.merge(
                result.day_ahead.frame, on=["interval_start", "queue"],
                suffixes=("_re", "_da")).merge(today, on=["interval_start", "queue"])
            for queue, part in merged.groupby("queue"):
                actual = part["offered"].to_numpy(dtype=float)
                errors.append({
                    "day": day.isoformat(), "hour": hour, "queue": str(queue),
                    "actual": float(actual.sum()),
                    "day_ahead": float(np.abs(part["offered_da"].to_numpy() - actual).sum()),
                    "reforecast": float(np.abs(part["offered_re"].to_numpy() - actual).sum()),
                })
    table = []
    for hour in CUTOFF_HOURS:
        at = [e for e in errors if e["hour"] == hour]
        for queue in [*sorted({e["queue"] for e in at}), "all"]:
            rows = at if queue == "all" else [e for e in at if e["queue"] == queue]
            table.append({"cutoff": f"{hour:02d}:00", "queue": queue,
                          "wape_day_ahead": _score(rows, "day_ahead"),
                          "wape_reforecast": _score(rows, "reforecast")})
    return {
        "sample": {"days": days, "queues": len(history.queues)},
        "test_days": [d.isoformat() for d in tested],
        "settings": {k: str(v) for k, v in asdict(IntradaySettings()).items()},
        "wape": table,
        "forecast_seconds_median": float(np.median(forecast_seconds)),
        "reforecast_seconds_median": float(np.median(reforecast_seconds)),
        "per_day": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=364, help="sample history length")
    parser.add_argument("--test-days", type=int, default=28,
                        help="last days of the sample re-forecast (default 28)")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    result = run(args.days, args.test_days)
    console = Console(width=110)
    table = Table(title=f"Rest-of-day WAPE over the last {args.test_days} days of the sample: "
                  "day-ahead forecast vs intraday re-forecast")
    for col in ("cut-off", "queue", "day-ahead WAPE", "re-forecast WAPE", "change"):
        table.add_column(col, justify="left" if col in ("cut-off", "queue") else "right")
    for row in result["wape"]:
        da, re_ = row["wape_day_ahead"], row["wape_reforecast"]
        table.add_row(row["cutoff"], row["queue"], f"{da:.1%}", f"{re_:.1%}",
                      f"{(re_ - da) * 100:+.1f} pt")
    console.print(table)
    console.print(f"day-ahead forecast median {result['forecast_seconds_median']:.2f} s, "
                  f"re-forecast median {result['reforecast_seconds_median'] * 1000:.1f} ms")
    payload = {"suite": "intraday", "machine": machine_info(), **result}
    console.print(f"results written to {write_results('intraday', payload, args.output)}")


if __name__ == "__main__":
    main()

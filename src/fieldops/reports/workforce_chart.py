"""Contact-center charts (PNG): the forecast against its history, and the staffing.

``fieldops forecast`` and ``fieldops staff`` write them next to their output
file. Matplotlib's object API is used (no pyplot state), so they are safe in
threads and workers.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from fieldops.domain.workforce import Forecast, StaffingPlan

DPI = 90
#: Width of both charts, inches.
WIDTH = 12
#: Height of one queue's panel of the forecast chart, and of the staffing chart, inches.
PANEL_HEIGHT = 2.6
STAFFING_HEIGHT = 4
HISTORY_COLOR = "0.4"
FORECAST_COLOR = "tab:blue"


def forecast_chart(result: Forecast, path: Path, history_days: int = 14) -> Path:
    """History of the last ``history_days`` days and the forecast, one panel per queue."""
    tz = result.settings.timezone
    queues = result.volumes.queues
    fig = Figure(figsize=(WIDTH, PANEL_HEIGHT * len(queues)))
    axes = fig.subplots(len(queues), 1, sharex=True, squeeze=False)
    hist = result.history.frame
    fc = result.volumes.frame
    start = fc["interval_start"].min() - pd.Timedelta(days=history_days)
    for ax, q in zip(axes[:, 0], queues, strict=True):
        h = hist[(hist["queue"] == q) & (hist["interval_start"] >= start)]
        f = fc[fc["queue"] == q]
        ax.plot(h["interval_start"].dt.tz_convert(tz), h["offered"], lw=0.7,
                color=HISTORY_COLOR, label="history")
        method = f["method"].iloc[0] if len(f) else ""
        ax.plot(f["interval_start"].dt.tz_convert(tz), f["offered"], lw=0.9,
                color=FORECAST_COLOR, label=f"forecast ({method})")
        ax.set_ylabel(f"{q}\ncontacts / interval")
        ax.legend(loc="upper left", fontsize=8)
    axes[0, 0].set_title("Contacts per interval: history and forecast")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    return path


def staffing_chart(plan: StaffingPlan, path: Path, timezone: str = "Europe/Berlin",
                   days: int = 7) -> Path:
    """Required agents per interval and queue (first ``days`` days), stacked lines."""
    frame = plan.frame
    first = frame["interval_start"].min()
    fig = Figure(figsize=(WIDTH, STAFFING_HEIGHT))
    ax = fig.subplots()
    for q, rows in frame.groupby("queue", sort=True):
        rows = rows[rows["interval_start"] < first + pd.Timedelta(days=days)]
        ax.step(rows["interval_start"].dt.tz_convert(timezone), rows["agents"], where="post",
                lw=0.9, label=str(q))
    ax.set_ylabel("agents on queue (before shrinkage)")
    t = plan.target
    goal = (f"{t.service_level:.0%} in {t.answer_time.total_seconds():g} s"
            if t.service_level is not None else "")
    ax.set_title(f"Required agents per interval {goal}".strip())
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    return path

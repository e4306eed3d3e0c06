"""Roster outputs for people: a coverage chart (PNG) and a per-agent table (CSV).

The chart draws, per queue, the agents required and the capacity staffed (a
learner counts half) over time as steps, with the shortfall shaded red and the
surplus shaded light blue; intervals predicted below the service-level target (when a prediction is
given) are marked along the bottom. Matplotlib's object API is used (no pyplot
state), so it is safe in threads and workers.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from fieldops.domain.roster import Roster, RosterProblem, agents_text
from fieldops.domain.spreadsheet import escape_frame

DPI = 100
REQUIRED_COLOR = "#333333"
STAFFED_COLOR = "#4e79a7"
SHORT_COLOR = "#e15759"
OVER_COLOR = "#a0cbe8"


def coverage_chart_png(
    roster: Roster,
    problem: RosterProblem,
    predicted: pd.DataFrame | None = None,
    *,
    days: int | None = 7,
) -> bytes:
    """Required agents vs staffed capacity per queue (one panel each) as PNG bytes.

    ``days`` limits the chart to the first days of the horizon (``None``: all);
    a 96-interval day stays readable up to about two weeks. ``predicted`` is the
    frame of :func:`fieldops.solver.staffing.predict.predict_service_level`.
    """
    cov = roster.coverage
    queues = [q for q in problem.queues if len(cov) and (cov["queue"] == q).any()]
    step = pd.Timedelta(problem.interval)
    start = pd.Timestamp(problem.horizon[0])
    end = pd.Timestamp(problem.horizon[1])
    if days is not None:
        end = min(end, pd.Timestamp(problem.horizon[0]) + pd.Timedelta(days=days))
    tz = problem.timezone
    fig = Figure(figsize=(12, 1.0 + 2.2 * max(len(queues), 1)), dpi=DPI)
    if not queues:
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, "no coverage requirements", ha="center", va="center")
        ax.set_axis_off()
        return _png(fig)
    axes = fig.subplots(len(queues), 1, sharex=True, squeeze=False)[:, 0]
    starts_all = pd.to_datetime(cov["interval_start"], utc=True)
    for ax, queue in zip(axes, queues, strict=True):
        mask = (cov["queue"] == queue).to_numpy() & (starts_all >= start).to_numpy() & (
            starts_all < end).to_numpy()
        rows = cov[mask].assign(t=starts_all[mask]).sort_values("t")
        # On the full interval grid, intervals without a requirement row are NaN, so
        # the steps and shading break there instead of bridging the night.
        grid = pd.date_range(start.tz_convert("UTC"), end.tz_convert("UTC"), freq=step,
                             inclusive="left")
        indexed = rows.set_index("t")
        # Each interval becomes two points (its start and end) at its value: steps
        # without matplotlib's step logic, so the shading covers whole intervals.
        req = np.repeat(indexed["required"].reindex(grid).to_numpy(dtype=float), 2)
        got = np.repeat(indexed["staffed"].reindex(grid).to_numpy(dtype=float), 2)
        local = grid.tz_convert(tz)
        times = np.ravel(np.column_stack([local.to_pydatetime(),
                                          (local + step).to_pydatetime()]))
        ax.fill_between(times, got, req, where=got < req, color=SHORT_COLOR, alpha=0.55,
                        linewidth=0)
        ax.fill_between(times, req, got, where=got > req, color=OVER_COLOR, alpha=0.6,
                        linewidth=0)
        ax.plot(times, req, color=REQUIRED_COLOR, lw=1.0)
        ax.plot(times, got, color=STAFFED_COLOR, lw=1.0)
        short = agents_text(float(rows["short"].sum()))
        over = agents_text(float(rows["over"].sum()))
        # staffed is capacity: a learner counts half an agent
        ax.set_ylabel(f"{queue}\nagents")
        ax.set_title(f"{queue}: {short} agent-intervals short, {over} over",
                     fontsize=9, loc="left")
        if predicted is not None and len(predicted):
            p_start = pd.to_datetime(predicted["interval_start"], utc=True)
            bad = predicted[(predicted["queue"] == queue).to_numpy()
                            & ~predicted["meets_target"].to_numpy(dtype=bool)
                            & (p_start >= start).to_numpy() & (p_start < end).to_numpy()]
            if len(bad):
                bt = pd.to_datetime(bad["interval_start"], utc=True).dt.tz_convert(tz)
                ax.plot(bt, [0] * len(bt), "|", color=SHORT_COLOR, ms=10, mew=1.5,
                        clip_on=False)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # requirements are whole agents
        ax.grid(axis="y", color="#e5e5e5", lw=0.6)
    locator = mdates.AutoDateLocator(tz=problem.tz)
    axes[-1].xaxis.set_major_locator(locator)
    axes[-1].xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=problem.tz))
    handles = [Patch(color=REQUIRED_COLOR, label="required"),
               Patch(color=STAFFED_COLOR, label="staffed"),
               Patch(color=SHORT_COLOR, alpha=0.55, label="short"),
               Patch(color=OVER_COLOR, alpha=0.6, label="over")]
    if predicted is not None:
        handles.append(Patch(color=SHORT_COLOR, label="| below SL target"))
    fig.legend(handles=handles, loc="upper right", ncol=len(handles), fontsize=8,
               frameon=False)
    fig.suptitle(f"Coverage, {problem.name or 'roster'} ({tz})", x=0.01, ha="left",
                 fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return _png(fig)


def write_coverage_chart(roster: Roster, problem: RosterProblem, path: str | Path,
                         predicted: pd.DataFrame | None = None, *,
                         days: int | None = 7) -> Path:
    """Write :func:`coverage_chart_png` to ``path``."""
    path = Path(path)
    path.write_bytes(coverage_chart_png(roster, problem, predicted, days=days))
    return path


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def roster_table(roster: Roster, problem: RosterProblem) -> pd.DataFrame:
    """One row per agent, one column per day of the horizon (ISO date).

    A cell holds ``template HH:MM-HH:MM`` (local times) for a shift, ``off`` for a
    requested day off, and is empty otherwise. The leading columns are
    ``agent_id``, ``name``, ``contract``, ``shifts``, ``paid_hours``, ``nights``
    and ``weekends`` (weekends with a shift starting on Saturday or Sunday).
    """
    tz = problem.tz
    templates = problem.template_by_id
    day_cols = [d.isoformat() for d in problem.day_list]
    rows = []
    for agent in problem.agents:
        mine = roster.for_agent(agent.id)
        row: dict[str, object] = {
            "agent_id": agent.id, "name": agent.name, "contract": agent.contract,
            "shifts": len(mine),
            "paid_hours": round(sum((templates[a.template_id].paid for a in mine
                                     if a.template_id in templates), timedelta(0))
                                / timedelta(hours=1), 2),
            "nights": sum(1 for a in mine if a.template_id in templates
                          and templates[a.template_id].is_night),
            "weekends": len({_monday(a.day) for a in mine if a.day.weekday() >= 5}),
        }
        cells = {c: ("off" if date.fromisoformat(c) in agent.days_off else "")
                 for c in day_cols}
        for a in mine:
            label = (f"{a.template_id} {a.start.astimezone(tz):%H:%M}-"
                     f"{a.end.astimezone(tz):%H:%M}")
            key = a.day.isoformat()
            cells[key] = f"{cells[key]}; {label}" if cells.get(key) not in ("", "off", None) \
                else label
        row.update(cells)
        rows.append(row)
    return pd.DataFrame(rows, columns=["agent_id", "name", "contract", "shifts", "paid_hours",
                                       "nights", "weekends", *day_cols])


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def write_roster_table(roster: Roster, problem: RosterProblem, path: str | Path) -> Path:
    """Write :func:`roster_table` as CSV, text cells escaped for spreadsheets."""
    path = Path(path)
    escape_frame(roster_table(roster, problem)).to_csv(path, index=False)
    return path


__all__ = [
    "coverage_chart_png",
    "roster_table",
    "write_coverage_chart",
    "write_roster_table",
]

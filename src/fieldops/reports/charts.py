"""The report's charts (matplotlib, object API, no pyplot state: safe in threads).

Each function returns PNG bytes; the template embeds them as ``data:`` URIs so the
page needs no network and no files beside it.
"""

from __future__ import annotations

import io
import math
from datetime import timedelta

from matplotlib import dates as mdates
from matplotlib import patheffects
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from fieldops.reports.model import ReportModel, hours_minutes

DPI = 120
SEGMENT_COLORS = {
    "travel": "#f28e2b",
    "wait": "#d9d9d9",
    "work": "#4e79a7",
    "break": "#59a14f",
}
SEGMENT_LABELS = {"travel": "travel", "wait": "waiting", "work": "work", "break": "break"}
#: Work past the end of the shift: outlined over the bars so it shows whatever they are.
OVERTIME_COLOR = "#c0392b"
HOME_MARKER = "*"


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    # metadata=None-valued keys keep matplotlib's version/date out of the PNG, so the
    # same plan renders to the same bytes.
    # Margins are fixed by hand: bbox_inches="tight" and constrained layout both
    # draw the figure more than once, which with hundreds of labels doubles the cost.
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _empty(fig: Figure, text: str) -> bytes:
    ax = fig.add_subplot()
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=12, color="#666")
    ax.set_axis_off()
    return _png(fig)


def route_map_png(model: ReportModel) -> bytes:
    """All routes on plain lon/lat axes: one style per technician (colour, line style
    and marker), numbered stops, home bases as stars, unassigned jobs (when their
    location is known) as grey ×.

    Longitude degrees are shorter than latitude degrees away from the equator; the
    axes' aspect is ``1 / cos(mean latitude)`` so distances look right.
    """
    fig = Figure(figsize=(9, 8.5))
    lats: list[float] = []
    for rv in model.routes:
        lats += [s.location.lat for s in rv.stops if s.location is not None]
    lats += [u.location.lat for u in model.unassigned if u.location is not None]
    if not lats:
        return _empty(fig, "no locations to draw")
    ax = fig.add_axes((0.1, 0.2, 0.88, 0.75))
    halo = [patheffects.withStroke(linewidth=2.2, foreground="white")]
    legend_handles: list[Artist] = []
    seen: set[str] = set()
    for rv in model.routes:
        pts = [(s.location.lon, s.location.lat, s) for s in rv.stops if s.location is not None]
        if not pts:
            continue
        style = rv.style
        ax.plot([p[0] for p in pts], [p[1] for p in pts], linestyle=style.linestyle,
                color=style.color, lw=1.5, alpha=0.9, zorder=2)
        jobs = [p for p in pts if p[2].number is not None]
        ax.scatter([p[0] for p in jobs], [p[1] for p in jobs], s=28, color=style.color,
                   marker=style.marker, edgecolors="black", linewidths=0.4, zorder=3)
        for lon, lat, stop in jobs:
            ax.annotate(str(stop.number), (lon, lat), xytext=(3, 3), textcoords="offset points",
                        fontsize=6.5, color="#222", path_effects=halo, zorder=4)
        if rv.home is not None:
            ax.scatter([rv.home.lon], [rv.home.lat], marker=HOME_MARKER, s=140,
                       color=style.color, edgecolors="black", linewidths=0.8, zorder=5)
        tech = rv.route.technician_id
        if tech not in seen:
            seen.add(tech)
            legend_handles.append(Line2D([], [], color=style.color,
                                         linestyle=style.linestyle,  # type: ignore[arg-type]
                                         marker=style.marker, markeredgecolor="black",
                                         markeredgewidth=0.4, label=rv.technician_name or tech))
    missing = [u for u in model.unassigned if u.location is not None]
    if missing:
        ax.scatter([u.location.lon for u in missing if u.location],
                   [u.location.lat for u in missing if u.location], marker="x", s=36,
                   color="#777", linewidths=1.2, zorder=3)
        legend_handles.append(Patch(color="#777", label="unassigned (×)"))
    mean_lat = sum(lats) / len(lats)
    ax.set_aspect(1.0 / max(math.cos(math.radians(mean_lat)), 0.05), adjustable="datalim")
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")
    ax.grid(True, color="#eee", lw=0.6)
    ax.set_title("Routes (★ home base, numbers = visit order)", fontsize=11)
    if legend_handles:
        ncol = max(1, min(6, math.ceil(len(legend_handles) / 6)))
        fig.legend(handles=legend_handles, loc="lower center", bbox_to_anchor=(0.5, 0.0),
                   ncol=ncol, fontsize=7, frameon=False)
    return _png(fig)


def gantt_png(model: ReportModel) -> bytes:
    """One row per route: shift hours (grey band, hatched overtime allowance) behind
    travel, waiting, work and break bars; work past the shift's end is outlined in red
    and its length written beside it."""
    rows = model.routes
    height = 1.3 + 0.36 * max(len(rows), 1)
    fig = Figure(figsize=(11, height))
    if not rows or model.start is None or model.end is None:
        return _empty(fig, "no routes")
    # Fixed margins in inches: 2.1 in for the row labels, legend on top, axis below.
    fig.subplots_adjust(left=2.1 / 11, right=1 - 0.2 / 11, top=1 - 0.55 / height,
                        bottom=0.6 / height)
    ax = fig.add_subplot()
    day = 1.0 / 86400.0  # matplotlib date units are days

    def span(a: object, b: object) -> tuple[float, float]:
        x0 = float(mdates.date2num(a))
        return x0, float(mdates.date2num(b)) - x0

    for i, rv in enumerate(rows):
        y = len(rows) - 1 - i
        if rv.shift_start is not None and rv.shift_end is not None:
            ax.broken_barh([span(rv.shift_start, rv.shift_end)], (y - 0.42, 0.84),
                           facecolors="#f3f3f3", edgecolors="#bbb", linewidth=0.6, zorder=1)
            if rv.latest_end is not None and rv.latest_end > rv.shift_end:
                ax.broken_barh([span(rv.shift_end, rv.latest_end)], (y - 0.42, 0.84),
                               facecolors="none", edgecolors="#ccc", hatch="///",
                               linewidth=0.4, zorder=1)
        for kind, color in SEGMENT_COLORS.items():
            bars = [span(s.start, s.end) for s in rv.segments if s.kind == kind]
            if bars:
                ax.broken_barh(bars, (y - 0.3, 0.6), facecolors=color,
                               edgecolors="white", linewidth=0.3, zorder=2)
        over = [s for s in rv.segments if s.kind == "overtime"]
        if over:
            ax.broken_barh([span(s.start, s.end) for s in over], (y - 0.38, 0.76),
                           facecolors="none", edgecolors=OVERTIME_COLOR, linewidth=1.4,
                           zorder=3)
            ax.annotate(f"+{hours_minutes(rv.overtime)}", (mdates.date2num(over[-1].end), y),
                        xytext=(3, 0), textcoords="offset points", va="center",
                        fontsize=6.5, color=OVERTIME_COLOR, zorder=4)
    ax.set_yticks(range(len(rows)), [rv.label for rv in reversed(rows)], fontsize=7.5)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    lo = float(mdates.date2num(model.start)) - 15 * 60 * day
    hi = float(mdates.date2num(model.end)) + 15 * 60 * day
    ax.set_xlim(lo, hi)
    multi_day = model.end - model.start > timedelta(hours=20)
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(tz=model.tz, maxticks=16))
    ax.xaxis.set_major_formatter(
        mdates.DateFormatter("%a %H:%M" if multi_day else "%H:%M", tz=model.tz)
    )
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(True, axis="x", color="#e5e5e5", lw=0.6, zorder=0)
    ax.set_axisbelow(True)
    handles = [Patch(color=c, label=SEGMENT_LABELS[k]) for k, c in SEGMENT_COLORS.items()]
    handles.append(Patch(facecolor="#f3f3f3", edgecolor="#bbb", label="shift"))
    handles.append(Patch(facecolor="white", edgecolor="#bbb", hatch="///",
                         label="overtime allowed"))
    handles.append(Patch(facecolor="none", edgecolor=OVERTIME_COLOR, linewidth=1.4,
                         label="overtime worked"))
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=8,
              fontsize=8, frameon=False)
    ax.set_xlabel(f"time ({model.plan.timezone})", fontsize=8)
    return _png(fig)

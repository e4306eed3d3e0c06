"""The summary of a plan as plain data and plain text (``DispatchPlan.summary()``).

:func:`summary_tables` decides what a summary says: a head of key figures, one
row per route, one row per unassigned job. :func:`render_summary` lays those
tables out as plain text; :func:`fieldops.reports.summary.render_summary` draws
the same tables with ``rich`` for the command line. The domain stays free of
presentation libraries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from fieldops.domain.requests import Priority

if TYPE_CHECKING:
    from fieldops.domain.plan import DispatchPlan

ROUTE_COLUMNS = ("shift", "technician", "jobs", "first start", "return", "travel", "km",
                 "overtime", "util.")
UNASSIGNED_COLUMNS = ("request", "priority", "reason", "detail")
#: Spaces between the columns of the plain-text tables.
GAP = "  "


@dataclass(frozen=True, slots=True)
class SummaryTables:
    """What a plan summary shows, as text cells."""

    title: str
    head: tuple[tuple[str, str], ...]
    routes: tuple[tuple[str, ...], ...]
    unassigned: tuple[tuple[str, ...], ...]


def _hm(value: timedelta) -> str:
    minutes = round(value.total_seconds() / 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


def _head(plan: DispatchPlan) -> tuple[tuple[str, str], ...]:
    k = plan.kpis
    by_priority = "  ".join(
        f"{p.value} {k.assigned_by_priority.get(p, 0)}/"
        f"{k.assigned_by_priority.get(p, 0) + k.unassigned_by_priority.get(p, 0)}"
        for p in Priority
    )
    return (
        ("jobs assigned", f"{k.jobs_assigned} / {k.jobs_total}"),
        ("by priority (assigned/total)", by_priority),
        ("travel", f"{_hm(k.travel_time)} h, {k.travel_distance / 1000:.1f} km"),
        ("service / wait / overtime",
         f"{_hm(k.service_time)} / {_hm(k.wait_time)} / {_hm(k.overtime)}"),
        ("utilisation", f"{k.utilisation:.0%} over {k.routes_used} routes"),
        ("SLA met / breached", f"{k.sla_met} / {k.sla_breached}"),
        ("objective", f"{plan.objective:,.0f}  "
         + "  ".join(f"{n}={v:,.0f}" for n, v in plan.penalties.items() if v)),
        ("solve time", f"{plan.solve_time.total_seconds():.1f} s"),
    )


def summary_tables(plan: DispatchPlan) -> SummaryTables:
    """The cells of the plan's summary: key figures, routes, unassigned jobs."""
    routes = []
    for r in plan.routes:
        steps = r.steps
        routes.append((
            r.shift_id,
            r.technician_id,
            str(r.kpis.jobs),
            steps[0].start.astimezone(steps[0].start.tzinfo).strftime("%H:%M") if steps else "",
            steps[-1].end.strftime("%H:%M") if steps else "",
            _hm(r.kpis.travel_time),
            f"{r.kpis.travel_distance / 1000:.1f}",
            _hm(r.kpis.overtime),
            f"{r.kpis.utilisation:.0%}",
        ))
    unassigned = tuple((u.request_id, u.priority.value, u.reason.value, u.detail)
                       for u in plan.unassigned)
    return SummaryTables(
        title=f"Plan {plan.problem_name or ''} — {plan.status.value}",
        head=_head(plan), routes=tuple(routes), unassigned=unassigned,
    )


def _text_table(title: str, header: tuple[str, ...] | None,
                rows: tuple[tuple[str, ...], ...]) -> list[str]:
    lines = [header] if header else []
    lines += rows
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))] if lines else []
    out = [title]
    for n, line in enumerate(lines):
        out.append(GAP.join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
        if header and n == 0:
            out.append(GAP.join("-" * w for w in widths))
    return out


def render_summary(plan: DispatchPlan) -> str:
    """The summary as plain text: the head, the routes and the unassigned jobs."""
    tables = summary_tables(plan)
    lines = _text_table(tables.title, None, tables.head)
    lines += ["", *_text_table("Routes", ROUTE_COLUMNS, tables.routes)]
    if tables.unassigned:
        lines += ["", *_text_table("Unassigned", UNASSIGNED_COLUMNS, tables.unassigned)]
    return "\n".join(lines) + "\n"

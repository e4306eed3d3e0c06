"""Plain-text summary of a plan (``DispatchPlan.summary()``)."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from fieldops.domain.requests import Priority

if TYPE_CHECKING:
    from fieldops.domain.plan import DispatchPlan


def _hm(value: timedelta) -> str:
    minutes = round(value.total_seconds() / 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


def render_summary(plan: DispatchPlan) -> str:
    console = Console(width=110, record=True, file=io.StringIO())
    k = plan.kpis
    head = Table(title=f"Plan {plan.problem_name or ''} — {plan.status.value}", show_header=False)
    head.add_row("jobs assigned", f"{k.jobs_assigned} / {k.jobs_total}")
    head.add_row(
        "by priority (assigned/total)",
        "  ".join(
            f"{p.value} {k.assigned_by_priority.get(p, 0)}/"
            f"{k.assigned_by_priority.get(p, 0) + k.unassigned_by_priority.get(p, 0)}"
            for p in Priority
        ),
    )
    head.add_row("travel", f"{_hm(k.travel_time)} h, {k.travel_distance / 1000:.1f} km")
    head.add_row("service / wait / overtime",
                 f"{_hm(k.service_time)} / {_hm(k.wait_time)} / {_hm(k.overtime)}")
    head.add_row("utilisation", f"{k.utilisation:.0%} over {k.routes_used} routes")
    head.add_row("SLA met / breached", f"{k.sla_met} / {k.sla_breached}")
    head.add_row("objective", f"{plan.objective:,.0f}  "
                 + "  ".join(f"{n}={v:,.0f}" for n, v in plan.penalties.items() if v))
    head.add_row("solve time", f"{plan.solve_time.total_seconds():.1f} s")
    console.print(head)
    routes = Table(title="Routes")
    for col in ("shift", "technician", "jobs", "first start", "return", "travel", "km",
                "overtime", "util."):
        routes.add_column(col)
    for r in plan.routes:
        steps = r.steps
        routes.add_row(
            r.shift_id,
            r.technician_id,
            str(r.kpis.jobs),
            steps[0].start.astimezone(steps[0].start.tzinfo).strftime("%H:%M") if steps else "",
            steps[-1].end.strftime("%H:%M") if steps else "",
            _hm(r.kpis.travel_time),
            f"{r.kpis.travel_distance / 1000:.1f}",
            _hm(r.kpis.overtime),
            f"{r.kpis.utilisation:.0%}",
        )
    console.print(routes)
    if plan.unassigned:
        un = Table(title="Unassigned")
        for col in ("request", "priority", "reason", "detail"):
            un.add_column(col)
        for u in plan.unassigned:
            un.add_row(u.request_id, u.priority.value, u.reason.value, u.detail)
        console.print(un)
    return console.export_text()

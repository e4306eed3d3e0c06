"""The self-contained HTML dispatch report."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from fieldops.domain.plan import DispatchPlan
from fieldops.domain.problem import DispatchProblem
from fieldops.domain.satisfaction import REPORT_DAYS, Satisfaction
from fieldops.reports.charts import gantt_png, route_map_png
from fieldops.reports.model import SLA_AT_RISK, RouteView, build_model, hours_minutes

#: Key figures drawn as warnings when they are not zero.
WARN_KPIS = frozenset({"jobs_unassigned", "sla_breached", "sla_late_by_choice", "overtime",
                       "routes_overtime", "sla_at_risk"})


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("fieldops.reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )


def render_report(
    plan: DispatchPlan,
    problem: DispatchProblem | None = None,
    *,
    job_url: Callable[[str], str] | None = None,
    title: str | None = None,
    generated: datetime | None = None,
    satisfaction: Satisfaction | None = None,
) -> str:
    """One HTML page with everything inline (charts as ``data:`` PNGs, CSS in ``<style>``).

    Parameters
    ----------
    plan
        The plan to report on.
    problem
        Its problem, for technician names, shift hours, customers, windows and the
        SLA deadlines of unassigned jobs. Without it the page shows what the plan has.
    job_url
        Maps a request id to a link target; without it request ids are plain text.
        These are the only links that leave the page.
    title
        Page title (default ``Dispatch report — <problem name>``).
    generated
        Shown as "generated <time>" (omitted by default so the output is reproducible).
    satisfaction
        Customers' ratings of recent visits (per technician and per day), shown in
        a "Customer satisfaction" section; no section without it.

    Returns
    -------
    str
        The page; it is also well-formed XML (XHTML syntax), which tests rely on.
    """
    model = build_model(plan, problem, title=title)
    tz = model.tz

    def t(value: datetime | None) -> str:
        return value.astimezone(tz).strftime("%H:%M") if value is not None else ""

    def dt(value: datetime | None) -> str:
        return value.astimezone(tz).strftime("%a %d %b %H:%M") if value is not None else ""

    def hm(value: timedelta) -> str:
        return hours_minutes(value)

    def swatch(rv: RouteView) -> Markup:
        return Markup('<span class="swatch-mark" style="color: {}" title="{}">{}</span>').format(
            rv.style.color, rv.style.color, rv.style.glyph)

    def route_wait(rv: RouteView) -> timedelta:
        return sum((s.wait for s in rv.stops), timedelta(0))

    def job(request_id: str) -> Markup:
        if job_url is None:
            return escape(request_id)
        return Markup('<a href="{}">{}</a>').format(job_url(request_id), request_id)

    template = _environment().get_template("report.html.j2")
    return template.render(
        m=model,
        satisfaction=satisfaction,
        satisfaction_days=REPORT_DAYS,
        t=t,
        dt=dt,
        hm=hm,
        job=job,
        swatch=swatch,
        route_wait=route_wait,
        warn_kpis=WARN_KPIS,
        map_png=base64.b64encode(route_map_png(model)).decode("ascii"),
        gantt_png=base64.b64encode(gantt_png(model)).decode("ascii"),
        at_risk_minutes=round(SLA_AT_RISK.total_seconds() / 60),
        generated=generated.astimezone(tz).strftime("%Y-%m-%d %H:%M") if generated else None,
    )

"""Dispatch reports: one self-contained HTML page, and routes as CSV / JSON.

Usage::

    html = render_report(plan, problem)
    csv_text = routes_csv(plan)
"""

from fieldops.reports.export import COLUMNS, route_rows, routes_csv, routes_json
from fieldops.reports.html import render_report
from fieldops.reports.model import SLA_AT_RISK, ReportModel, build_model

__all__ = [
    "COLUMNS",
    "SLA_AT_RISK",
    "ReportModel",
    "build_model",
    "render_report",
    "route_rows",
    "routes_csv",
    "routes_json",
]

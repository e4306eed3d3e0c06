"""Dispatch reports of a finished plan: the HTML page, and the routes as CSV / JSON."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from fieldops.api.auth import READERS, roles
from fieldops.api.ext import session
from fieldops.api.security import CSP, REPORT_CSP
from fieldops.domain.plan import DispatchPlan
from fieldops.domain.problem import DispatchProblem
from fieldops.domain.satisfaction import Satisfaction
from fieldops.reports import COLUMNS, render_report, routes_csv, routes_json
from fieldops.services.customers import plan_satisfaction
from fieldops.services.plans import decode_finished, plan_and_problem

blp = Blueprint("reports", __name__, url_prefix="/api/v1/plans",
                description="Reports of finished plans: HTML page, routes as CSV and JSON.")


class RoutesSchema(Schema):
    problem_name = fields.String(allow_none=True)
    timezone = fields.String()
    columns = fields.List(fields.String(), metadata={"example": list(COLUMNS)})
    stops = fields.List(fields.Dict(), metadata={
        "description": "one object per step of every route, keys as in `columns`"})


def _finished(plan_id: str) -> tuple[DispatchPlan, DispatchProblem]:
    """The plan and its problem snapshot; 404 unknown, 409 while it has no result."""
    with session() as s:
        result, problem = plan_and_problem(s, plan_id)
    # Decoded and rendered outside the transaction: no connection held while drawing.
    return decode_finished(result, problem)


def _satisfaction(plan_id: str) -> Satisfaction | None:
    with session() as s:
        return plan_satisfaction(s, plan_id)


def _job_url(request_id: str) -> str:
    return f"{request.url_root.rstrip('/')}/api/v1/requests/{quote(request_id, safe='')}"


@blp.route("/<string:plan_id>/report.html", methods=["GET"])
@roles(*READERS)
@blp.response(200, {"type": "string"}, content_type="text/html",
              description="one self-contained HTML page (no scripts, charts inline)")
def plan_report(plan_id: str) -> Response:
    """The dispatch report: KPIs, map, timeline, unassigned jobs, SLA, run sheets."""
    plan, problem = _finished(plan_id)
    html = render_report(plan, problem, job_url=_job_url,
                         satisfaction=_satisfaction(plan_id))
    resp = Response(html, status=200, content_type="text/html; charset=utf-8")
    resp.headers[CSP] = REPORT_CSP
    return resp


@blp.route("/<string:plan_id>/routes.csv", methods=["GET"])
@roles(*READERS)
@blp.response(200, {"type": "string"}, content_type="text/csv",
              description="RFC 4180 CSV with a header row; one row per stop")
def plan_routes_csv(plan_id: str) -> Response:
    """Every stop of every route (start, jobs, breaks, end) as CSV, in route order."""
    plan, _ = _finished(plan_id)
    resp = Response(routes_csv(plan), status=200, content_type="text/csv; charset=utf-8")
    resp.headers["Content-Disposition"] = f'attachment; filename="routes-{plan_id}.csv"'
    return resp


@blp.route("/<string:plan_id>/routes.json", methods=["GET"])
@roles(*READERS)
@blp.response(200, RoutesSchema)
def plan_routes_json(plan_id: str) -> dict[str, Any]:
    """The same rows as ``routes.csv``, as JSON (``null`` for missing values)."""
    plan, _ = _finished(plan_id)
    return routes_json(plan)

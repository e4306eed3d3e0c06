"""Dispatch reports of a finished plan: the HTML page, and the routes as CSV / JSON."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from fieldops.api.auth import READERS, roles
from fieldops.api.common import get_or_404
from fieldops.api.errors import Problem
from fieldops.api.ext import session
from fieldops.domain.plan import DispatchPlan
from fieldops.domain.problem import DispatchProblem
from fieldops.reports import COLUMNS, render_report, routes_csv, routes_json
from fieldops.schemas import plan_from_json, problem_from_json
from fieldops.store.models import PlanRow

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
        row = get_or_404(s, PlanRow, plan_id, "plan")
        if row.result is None or row.status not in ("done", "cancelled"):
            raise Problem(409, f"plan is {row.status}; reports exist once it is done",
                          field="status", kind="conflict")
        result, problem = row.result, row.problem
    # Decoded and rendered outside the transaction: no connection held while drawing.
    return plan_from_json(result), problem_from_json(problem)


def _job_url(request_id: str) -> str:
    return f"{request.url_root.rstrip('/')}/api/v1/requests/{quote(request_id, safe='')}"


@blp.route("/<string:plan_id>/report.html", methods=["GET"])
@roles(*READERS)
@blp.response(200, {"type": "string"}, content_type="text/html",
              description="one self-contained HTML page (no scripts, charts inline)")
def plan_report(plan_id: str) -> Response:
    """The dispatch report: KPIs, map, timeline, unassigned jobs, SLA, run sheets."""
    plan, problem = _finished(plan_id)
    html = render_report(plan, problem, job_url=_job_url)
    return Response(html, status=200, content_type="text/html; charset=utf-8")


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

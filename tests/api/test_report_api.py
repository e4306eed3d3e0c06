"""Report endpoints: the HTML page and the routes as CSV / JSON of a finished plan."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

from fieldops.reports import COLUMNS
from fieldops.schemas import plan_from_json
from fieldops.store.models import PlanRow

from .conftest import Api, assert_problem, plan_body, seed_day, wait_plan


def _done_plan(api: Api) -> dict[str, Any]:
    seed_day(api, n_requests=4, n_techs=2)
    resp = api.post("/api/v1/plans", json=plan_body())
    plan = wait_plan(api, resp.headers["Location"])
    assert plan["status"] == "done", plan
    return plan


def test_report_and_routes_of_a_done_plan(api: Api) -> None:
    plan = _done_plan(api)
    result = plan_from_json(plan["result"])
    base = f"/api/v1/plans/{plan['id']}"

    page = api.get(f"{base}/report.html", role="manager")
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    root = ET.fromstring(page.get_data(as_text=True))  # well-formed (XHTML syntax)
    kpi = {e.get("data-kpi"): e.text for e in root.iter() if e.get("data-kpi")}
    assert kpi["jobs_assigned"] == str(plan["result"]["kpis"]["jobs_assigned"])
    assert kpi["jobs_total"] == "4"
    links = {e.get("href") for e in root.iter() if e.get("href")}
    assert "http://localhost/api/v1/requests/r1" in links

    stops = sum(len(r.steps) for r in result.routes)
    table = api.get(f"{base}/routes.csv", role="dispatcher")
    assert table.status_code == 200
    assert table.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(table.get_data(as_text=True))))
    assert len(rows) == stops and tuple(rows[0]) == COLUMNS
    assert sorted(r["request_id"] for r in rows if r["kind"] == "job") == [
        "r1", "r2", "r3", "r4"]

    data = api.get(f"{base}/routes.json")
    assert data.status_code == 200 and data.mimetype == "application/json"
    body = data.get_json()
    assert body["columns"] == list(COLUMNS) and body["timezone"] == "Europe/Berlin"
    assert len(body["stops"]) == stops
    assert [s["request_id"] for s in body["stops"]] == [r["request_id"] or None for r in rows]


def test_report_roles_and_states(api: Api) -> None:
    plan = _done_plan(api)
    base = f"/api/v1/plans/{plan['id']}"
    api.add_key("tech", "technician", "t1")
    for suffix in ("report.html", "routes.csv", "routes.json"):
        assert_problem(api.get(f"{base}/{suffix}", role="tech"), 403)
        assert_problem(api.get(f"{base}/{suffix}", role=None), 401)
        assert_problem(api.get(f"/api/v1/plans/nope/{suffix}"), 404)
    assert api.get(f"{base}/routes.json", role="manager").status_code == 200
    assert api.get(f"{base}/routes.csv", role="admin").status_code == 200

    now = datetime.fromisoformat("2026-03-02T00:00:00+00:00")
    with api.app.extensions["fieldops"].db.session() as s:
        for pid, status in (("queued1", "queued"), ("failed1", "failed")):
            s.add(PlanRow(id=pid, status=status, timezone="UTC", horizon_start=now,
                          horizon_end=now, problem={}, params={}))
    for pid in ("queued1", "failed1"):
        for suffix in ("report.html", "routes.csv", "routes.json"):
            assert_problem(api.get(f"/api/v1/plans/{pid}/{suffix}"), 409, field="status")

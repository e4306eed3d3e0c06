"""Rosters over HTTP: submit, poll, stop, publish; roles; bad input per field; Celery.

Every finished roster is re-checked with ``validate_roster`` against the problem
the server stored (``roster_fixtures.wait_roster``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from fieldops.store.models import RosterRow, utcnow

from .conftest import BROKER_URL, PG_URL, Api, assert_problem, make_app, technician
from .roster_fixtures import (
    agent,
    drain_rosters,
    roster_problem,
    solved,
    submit,
    wait_roster,
)


@pytest.fixture(autouse=True)
def _quiet(request: pytest.FixtureRequest) -> Iterator[None]:
    # Requested here, before the test runs, so that it is torn down after this.
    client = request.getfixturevalue("api") if "api" in request.fixturenames else None
    yield
    if client is not None:
        drain_rosters(client)


def test_submit_poll_and_the_finished_roster(api: Api) -> None:
    problem = roster_problem()
    resp = submit(api, problem)
    assert resp.status_code == 202, resp.get_json()
    body = resp.get_json()
    location = resp.headers["Location"]
    assert location == f"/api/v1/rosters/{body['id']}"
    assert body["status"] in ("queued", "solving", "done")
    assert body["params"] == {"time_limit": 2.0, "workers": 1, "seed": 0}
    assert body["start"] == problem["horizon"]["start"] and body["days"] == 3

    done = wait_roster(api, location)  # validated against the stored problem
    assert done["status"] == "done"
    assert done["solver_status"] in ("optimal", "feasible", "time_limit")
    result = done["result"]
    assert result["assignments"], "4 agents and 3 days of demand give shifts"
    assert {a["agent_id"] for a in result["assignments"]} <= {"a1", "a2", "a3", "a4"}
    # Coverage: one row per requirement row, in the problem's order of intervals.
    assert len(result["coverage"]) == len(problem["requirements"])
    assert {"interval_start", "queue", "required", "staffed", "short", "over"} <= set(
        result["coverage"][0])
    assert sum(r["short"] for r in result["coverage"]) == result["totals"]["short"]
    # The verdict never hides a shortfall behind a bare "optimal".
    short = result["totals"]["short"]
    assert done["verdict"] == result["verdict"]
    assert (f"{short} agent-interval" in done["verdict"]) == (short > 0)
    assert sum(result["penalties"].values()) == result["objective"]
    assert done["progress"]["solutions"] >= 1
    assert done["progress"]["best_objective"] == result["objective"]
    assert done["finished_at"] is not None and done["published_at"] is None
    assert api.get(f"{location}/problem", role="manager").get_json() == problem


def test_list_is_paginated_newest_first_without_results(api: Api) -> None:
    first, _ = solved(api, roster_problem(name="first"))
    second, _ = solved(api, roster_problem(name="second"))
    page = api.get("/api/v1/rosters?per_page=1", role="manager").get_json()
    assert page["total"] == 2 and page["per_page"] == 1
    assert [r["name"] for r in page["items"]] == ["second"]
    assert page["items"][0]["result"] is None
    page2 = api.get("/api/v1/rosters?per_page=1&page=2").get_json()
    assert [r["name"] for r in page2["items"]] == ["first"]
    assert api.get("/api/v1/rosters?status=failed").get_json()["total"] == 0
    assert api.get("/api/v1/rosters?status=done").get_json()["total"] == 2
    assert first != second


def test_stop_keeps_the_best_roster(api: Api) -> None:
    # Big enough that CP-SAT cannot prove optimality before the DELETE arrives.
    agents = [agent(f"a{i}") for i in range(1, 31)]
    problem = roster_problem(days=14, agents=agents, heads=12)
    resp = submit(api, problem, time_limit=60, workers=1)
    location = resp.headers["Location"]
    started = time.monotonic()
    wait_roster(api, location, until=("solving",), timeout=30)
    deadline = time.monotonic() + 30
    while api.get(location).get_json()["progress"]["solutions"] < 1:
        assert time.monotonic() < deadline, "no roster found within 30 s"
        time.sleep(0.1)
    stop = api.delete(location, role="manager")
    assert stop.status_code == 202, stop.get_json()
    body = wait_roster(api, location, timeout=20)  # validated
    assert body["status"] == "cancelled" and body["solver_status"] == "cancelled"
    assert body["result"] is not None and body["result"]["assignments"]
    assert body["progress"]["solutions"] >= 1
    assert time.monotonic() - started < 50  # stopped, not run to the 60 s limit
    assert_problem(api.delete(location), 409, "status")


def test_publish_needs_a_finished_valid_roster(api: Api) -> None:
    location, done = solved(api, roster_problem())
    resp = api.post(f"{location}/publish", role="manager")
    assert resp.status_code == 200, resp.get_json()
    out = resp.get_json()
    assert out["shifts"] == len(done["result"]["assignments"]) and out["agents"] == 4
    assert api.get(location).get_json()["published_at"] == out["published_at"]
    assert api.count("roster_publishes") == 1

    # A roster that is still queued or solving cannot be published.
    with api.app.extensions["fieldops"].db.session() as s:
        s.execute(update(RosterRow).values(status="solving", result=None))
    assert_problem(api.post(f"{location}/publish"), 409, "status")
    # Nor one the validator rejected (the verdict is what the worker stored).
    with api.app.extensions["fieldops"].db.session() as s:
        s.execute(update(RosterRow).values(
            status="done", result=done["result"],
            validation={"valid": False, "violations": ["a1 works 25 h in a row"]}))
    body = assert_problem(api.post(f"{location}/publish"), 409, "validation")
    assert "a1 works 25 h" in body["detail"]
    # Nor one whose search was stopped before it found any roster.
    with api.app.extensions["fieldops"].db.session() as s:
        s.execute(update(RosterRow).values(
            status="cancelled", solver_status="cancelled", solutions=0,
            validation={"valid": True, "violations": []}))
    assert_problem(api.post(f"{location}/publish"), 409, "solver_status")
    assert api.count("roster_publishes") == 1
    assert_problem(api.post("/api/v1/rosters/nope/publish"), 404)


def test_infeasible_roster_is_done_but_not_publishable(api: Api) -> None:
    # The contract wants 8 h of work but every agent is off every day: no roster keeps
    # every hard rule, and publishing "nothing" would wipe the agents' calendars.
    problem = roster_problem(days=2)
    start = date.fromisoformat(problem["horizon"]["start"])
    off = [start.isoformat(), (start + timedelta(days=1)).isoformat()]
    problem["contracts"][0]["min_work_total"] = "PT8H"
    problem["agents"] = [agent(f"a{i}", days_off=off) for i in range(1, 3)]
    resp = submit(api, problem)
    body = wait_roster(api, resp.headers["Location"])
    assert body["status"] == "done", body
    assert body["solver_status"] in ("infeasible", "no_solution")
    assert_problem(api.post(f"{resp.headers['Location']}/publish"), 409, "solver_status")
    assert api.count("roster_publishes") == 0


# (method, path suffix) → allowed roles; every other role must get 403.
ROSTER_ROLES = {"admin", "manager"}


@pytest.fixture
def technician_key(api: Api) -> str:
    assert api.post("/api/v1/technicians", json=technician("t1")).status_code == 201
    api.add_key("technician", "technician", "t1")
    return "technician"


def test_roles_both_ways(api: Api, technician_key: str) -> None:
    location, _ = solved(api, roster_problem())
    calls: list[tuple[str, str, Any]] = [
        ("GET", "/api/v1/rosters", None),
        ("GET", location, None),
        ("GET", f"{location}/problem", None),
        ("POST", "/api/v1/rosters", {"problem": roster_problem(), "params": {"time_limit": 1}}),
        ("POST", f"{location}/publish", None),
        ("DELETE", location, None),
        ("POST", "/api/v1/agents/a1/feed-token", None),
    ]
    for method, path, body in calls:
        for role in ("admin", "dispatcher", "manager", technician_key):
            resp = api.call(method, path, role, json=body)
            if role in ROSTER_ROLES:
                # DELETE of a finished roster is a 409 conflict, not a permission error.
                assert resp.status_code not in (401, 403), (method, path, role)
                assert resp.status_code < 500
            else:
                assert_problem(resp, 403)
        assert_problem(api.call(method, path, None, json=body), 401)


BAD_INPUT: list[tuple[str, Any, str]] = [
    # (what to change, value, field named in the 422)
    ("problem", None, "problem"),
    ("problem.horizon.days", 0, "problem.horizon.days"),
    ("problem.horizon.timezone", "Mars/Olympus", "problem.horizon.timezone"),
    ("problem.horizon.start", "next monday", "problem.horizon.start"),
    ("problem.templates.0.length", "later", "problem.templates[0].length"),
    ("problem.agents.0.contract", "part-time", "problem.agents[0].contract"),
    ("problem.agents.1.skills.0.proficiency", 9, "problem.agents[1].skills[0].proficiency"),
    ("problem.requirements.3.queue", "chat", "problem.requirements[3].queue"),
    ("problem.requirements.0.required", -1, "problem.requirements[0].required"),
    ("params.time_limit", 100_000, "params.time_limit"),
    ("params.time_limit", 0, "params.time_limit"),
    ("params.workers", 0, "params.workers"),
    ("params.seed", -1, "params.seed"),
    ("params.threads", 4, "params.threads"),
    ("name", "x" * 201, "name"),
    ("problem.agents.2.id", "a" * 201, "problem.agents[2].id"),
]


def _set(body: dict[str, Any], path: str, value: Any) -> None:
    keys = path.split(".")
    target: Any = body
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = keys[-1]
    if value is None and not last.isdigit():
        del target[last]
    else:
        target[int(last) if last.isdigit() else last] = value


@pytest.mark.parametrize(("path", "value", "field"), BAD_INPUT,
                         ids=[f"{p}={v!r}"[:40] for p, v, _ in BAD_INPUT])
def test_bad_input_names_the_field_and_stores_nothing(api: Api, path: str, value: Any,
                                                      field: str) -> None:
    body: dict[str, Any] = {"problem": roster_problem(), "params": {"time_limit": 1}}
    _set(body, path, value)
    resp = api.post("/api/v1/rosters", role="manager", json=body)
    assert_problem(resp, 422, field)
    assert api.count("rosters") == 0 and api.count("roster_agents") == 0


@pytest.mark.parametrize("app_config", [{"MAX_SOLVE_SECONDS": 5.0}])
def test_time_limit_cap_is_the_server_setting(api: Api) -> None:
    resp = submit(api, roster_problem(), time_limit=6)
    body = assert_problem(resp, 422, "params.time_limit")
    assert "at most 5 s" in body["detail"]
    assert submit(api, roster_problem(), time_limit=1).status_code == 202


def test_idempotent_submit(api: Api) -> None:
    body = {"problem": roster_problem(), "params": {"time_limit": 1, "workers": 1}}
    headers = {"Idempotency-Key": "roster-week-48"}
    first = api.post("/api/v1/rosters", role="manager", json=body, headers=headers)
    again = api.post("/api/v1/rosters", role="manager", json=body, headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert api.count("rosters") == 1
    wait_roster(api, first.headers["Location"])


def test_unknown_roster_is_404(api: Api) -> None:
    for method in ("GET", "DELETE"):
        assert_problem(api.call(method, "/api/v1/rosters/nope", "manager"), 404)
    assert_problem(api.get("/api/v1/rosters/nope/problem"), 404)


def test_a_roster_whose_worker_stopped_heartbeating_fails(api: Api) -> None:
    location, _ = solved(api, roster_problem(days=1))
    lease = api.app.extensions["fieldops"].lease_seconds
    with api.app.extensions["fieldops"].db.session() as s:
        s.execute(update(RosterRow).values(
            status="solving", heartbeat_at=utcnow() - timedelta(seconds=lease + 5)))
    body = api.get(location).get_json()
    assert body["status"] == "failed"
    assert "heartbeat" in body["error"]


# docs/api.md's roster walkthrough runs as shell in tests/api/test_docs.py.


# ------------------------------------------------------------------ Celery
@pytest.mark.redis
@pytest.mark.skipif(not BROKER_URL, reason="FIELDOPS_TEST_BROKER_URL is not set: no Redis "
                    "broker to run a real Celery worker against")
@pytest.mark.parametrize("db_url", ["postgresql" if PG_URL else "sqlite"], indirect=True)
def test_celery_worker_solves_a_roster(db_url: str, tmp_path: Path) -> None:
    from .test_celery import Worker, _broker_reachable, _forget_queue

    _broker_reachable()
    queue = f"fieldops-test-{uuid.uuid4().hex[:10]}"
    app = make_app(db_url, BROKER_URL=BROKER_URL, CELERY_QUEUE=queue, LEASE_SECONDS=3)
    client = Api(app, app.test_client())
    client.add_key("admin", "admin")
    client.add_key("manager", "manager")
    worker = Worker(db_url, queue, tmp_path / "worker.log")
    try:
        worker.wait_ready()
        resp = submit(client, roster_problem(), time_limit=2)
        assert resp.status_code == 202, resp.get_json()
        body = wait_roster(client, resp.headers["Location"], timeout=60)  # validated
        assert body["status"] == "done", (body, worker.log.read_text(errors="replace"))
        assert body["result"]["assignments"]

        # A killed worker: the 3 s lease fails the roster, not the 60 s limit.
        big = roster_problem(days=14, agents=[agent(f"a{i}") for i in range(1, 31)], heads=12)
        loc = submit(client, big, time_limit=60).headers["Location"]
        wait_roster(client, loc, until=("solving",), timeout=30)
        worker.kill()
        started = time.monotonic()
        failed = wait_roster(client, loc, timeout=20)
        assert failed["status"] == "failed" and "heartbeat" in failed["error"]
        assert time.monotonic() - started < 15
    finally:
        worker.kill()
        _forget_queue(queue)
        app.extensions["fieldops"].db.dispose()

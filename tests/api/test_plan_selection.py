"""Which open requests a plan takes when the caller names none: the horizon's work."""

from __future__ import annotations

from typing import Any

from fieldops.schemas import problem_from_json

from .conftest import Api, plan_body, seed_day, service_request, shift, wait_plan

NEXT_DAY = "2026-03-03"


def _next_day(**extra: Any) -> dict[str, Any]:
    return plan_body(horizon={"start": f"{NEXT_DAY}T00:00:00+01:00",
                              "end": "2026-03-04T00:00:00+01:00"}, **extra)


def _snapshot_ids(api: Api, body: dict[str, Any]) -> list[str]:
    resp = api.post("/api/v1/plans", json=body)
    assert resp.status_code == 202, resp.get_json()
    plan = wait_plan(api, resp.headers["Location"])
    problem = problem_from_json(api.get(f"/api/v1/plans/{plan['id']}/problem").get_json())
    return sorted(r.id for r in problem.requests)


def test_default_selection_keeps_to_the_horizon(api: Api) -> None:
    # r1..r2 have windows on 2 March; "tomorrow" has a window on 3 March; "anyday"
    # has none. A plan for 2 March takes r1, r2 and anyday; publishing it schedules
    # them. A plan for 3 March then takes tomorrow only: r1/r2 are dispatched for
    # 2 March, and anyday, though windowless, is already scheduled on 2 March.
    seed_day(api, n_requests=2)
    api.post("/api/v1/shifts", json=shift("s1-next", "t1") | {
        "id": "s1-next", "start": f"{NEXT_DAY}T08:00:00+01:00",
        "end": f"{NEXT_DAY}T17:00:00+01:00"})
    tomorrow = service_request("tomorrow", windows=[
        {"start": f"{NEXT_DAY}T09:00:00+01:00", "end": f"{NEXT_DAY}T12:00:00+01:00"}])
    assert api.post("/api/v1/requests", json=tomorrow).status_code == 201
    assert api.post("/api/v1/requests", json=service_request("anyday", windows=[])
                    ).status_code == 201

    first = api.post("/api/v1/plans", json=plan_body()).get_json()
    plan = wait_plan(api, f"/api/v1/plans/{first['id']}")
    problem = problem_from_json(api.get(f"/api/v1/plans/{plan['id']}/problem").get_json())
    assert sorted(r.id for r in problem.requests) == ["anyday", "r1", "r2"]
    published = api.post(f"/api/v1/plans/{plan['id']}/publish", json={"dispatch": True})
    assert sorted(published.get_json()["dispatched"]) == ["anyday", "r1", "r2"]

    assert _snapshot_ids(api, _next_day()) == ["tomorrow"]

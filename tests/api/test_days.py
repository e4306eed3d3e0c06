"""The live day over the API: GET /days/{date} (ETag), events, releases (issue 17)."""

from __future__ import annotations

from typing import Any

from .conftest import (
    DAY,
    Api,
    assert_problem,
    plan_body,
    seed_day,
    service_request,
    wait_plan,
)

AS_OF = f"{DAY}T10:00:00+01:00"


def published_day(api: Api, n_requests: int = 6, n_techs: int = 2) -> dict[str, Any]:
    """A seeded day solved and published (dispatched); the plan's JSON."""
    seed_day(api, n_requests=n_requests, n_techs=n_techs)
    resp = api.post("/api/v1/plans", json=plan_body())
    assert resp.status_code == 202, resp.get_json()
    plan = wait_plan(api, resp.headers["Location"])
    assert plan["status"] == "done"
    resp = api.post(f"/api/v1/plans/{plan['id']}/publish", json={"dispatch": True})
    assert resp.status_code == 200, resp.get_json()
    return plan


def day(api: Api, as_of: str = AS_OF, **kw: Any) -> Any:
    return api.get(f"/api/v1/days/{DAY}", query_string={"as_of": as_of}, **kw)


def test_nothing_published_is_404(api: Api) -> None:
    body = assert_problem(api.get(f"/api/v1/days/{DAY}"), 404)
    assert body["type"].endswith("no-published-plan")
    assert_problem(api.get("/api/v1/days/2026-13-01"), 422, "date")


def test_day_view_after_publish(api: Api) -> None:
    plan = published_day(api)
    resp = day(api)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["published_plan_id"] == plan["id"]
    assert resp.headers["ETag"] == f'"{body["version"]}"'
    stops = [st for t in body["technicians"] for st in t["stops"]]
    placed = {st["request_id"] for r in plan["result"]["routes"] for st in r["steps"]
              if st.get("request_id")}
    assert {st["request_id"] for st in stops} == placed
    for st in stops:
        assert st["status"] == "dispatched"
        assert st["eta"] >= st["windows"][0]["start"] or not st["windows"]
    # The board polls with the version it has: 304 until something changes.
    again = day(api, headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304


def test_status_change_and_event_bump_the_version(api: Api) -> None:
    plan = published_day(api)
    v0 = day(api).get_json()["version"]
    first = plan["result"]["routes"][0]["steps"][1]["request_id"]
    resp = api.post(f"/api/v1/requests/{first}/status",
                    json={"status": "en_route", "at": f"{DAY}T09:00:00+01:00"})
    assert resp.status_code == 200, resp.get_json()
    v1 = day(api).get_json()["version"]
    assert v1 != v0
    resp = api.post(f"/api/v1/days/{DAY}/events", json={
        "type": "delay", "request_id": first, "expected_end": f"{DAY}T11:30:00+01:00",
        "reported_at": AS_OF})
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["version"] not in (v0, v1)
    events = api.get(f"/api/v1/days/{DAY}/events").get_json()
    assert [e["type"] for e in events] == ["delay"]
    assert events[0]["request_id"] == first and events[0]["actor"]


def test_unavailable_releases_future_jobs(api: Api) -> None:
    plan = published_day(api)
    route = max(plan["result"]["routes"], key=lambda r: len(r["steps"]))
    tech = route["technician_id"]
    jobs = [st["request_id"] for st in route["steps"] if st.get("request_id")]
    resp = api.post(f"/api/v1/days/{DAY}/events", json={
        "type": "unavailable", "technician_id": tech, "start": f"{DAY}T07:00:00+01:00",
        "end": None, "reason": "ill", "reported_at": f"{DAY}T07:00:00+01:00"})
    assert resp.status_code == 201, resp.get_json()
    out = resp.get_json()
    assert sorted(out["released"]) == sorted(jobs)
    view = day(api, f"{DAY}T07:30:00+01:00").get_json()
    mine = [t for t in view["technicians"] if t["technician_id"] == tech]
    assert all(not t["available"] and not t["stops"] for t in mine)
    released = {u["request_id"]: u for u in view["unassigned"]}
    assert set(jobs) <= set(released)
    assert all(released[j]["reasons"][0]["code"] == "released" for j in jobs)
    for rid in jobs:  # back to new, without an assignment: a re-plan places them
        req = api.get(f"/api/v1/requests/{rid}").get_json()
        assert req["status"] == "new" and req["assignment"] is None


def test_events_name_the_field_the_caller_sent(api: Api) -> None:
    published_day(api)
    assert_problem(api.post(f"/api/v1/days/{DAY}/events", json={
        "type": "unavailable", "technician_id": "nobody", "start": AS_OF}), 422,
        "technician_id")
    assert_problem(api.post(f"/api/v1/days/{DAY}/events", json={
        "type": "delay", "request_id": "nope", "expected_end": AS_OF}), 422, "request_id")
    assert_problem(api.post(f"/api/v1/days/{DAY}/events", json={
        "type": "delay", "request_id": "r1"}), 422, "expected_end")
    assert_problem(api.post("/api/v1/days/2026-03-09/events", json={
        "type": "delay", "request_id": "r1", "expected_end": AS_OF}), 404)


def test_cancel_event_cancels_the_request(api: Api) -> None:
    published_day(api)
    resp = api.post(f"/api/v1/days/{DAY}/events", json={
        "type": "cancelled", "request_id": "r2", "reason": "customer away",
        "reported_at": AS_OF})
    assert resp.status_code == 201, resp.get_json()
    assert api.get("/api/v1/requests/r2").get_json()["status"] == "cancelled"
    view = day(api).get_json()
    assert "technicians" in view, view
    stops = {st["request_id"]: st for t in view["technicians"] for st in t["stops"]}
    assert stops["r2"]["status"] == "cancelled"


def test_deleting_a_busy_technician_releases_jobs_and_plans_still_solve(api: Api) -> None:
    """Issue 17, first bullet: no later solve fails on a list the server built."""
    plan = published_day(api)
    route = max(plan["result"]["routes"], key=lambda r: len(r["steps"]))
    tech = route["technician_id"]
    jobs = [st["request_id"] for st in route["steps"] if st.get("request_id")]
    other = "late-1"  # arrives after the publish and names the technician
    assert api.post("/api/v1/requests", json=service_request(
        other, excluded_technicians=[tech], preferred_technicians=[tech])).status_code == 201
    assert api.delete(f"/api/v1/technicians/{tech}").status_code == 204
    for rid in jobs:
        assert api.get(f"/api/v1/requests/{rid}").get_json()["status"] == "new"
    after = api.get(f"/api/v1/requests/{other}").get_json()
    assert tech not in after.get("excluded_technicians", [])
    resp = api.post("/api/v1/plans", json=plan_body())
    assert resp.status_code == 202, resp.get_json()
    again = wait_plan(api, resp.headers["Location"])
    assert again["status"] == "done"
    placed = {st["request_id"] for r in again["result"]["routes"] for st in r["steps"]
              if st.get("request_id")}
    assert set(jobs) <= placed  # the released jobs went to the technician left


def test_a_request_naming_a_technician_without_shift_does_not_break_plans(api: Api) -> None:
    seed_day(api, n_requests=2, n_techs=1)
    assert api.post("/api/v1/technicians", json={
        "id": "off", "name": "Off today", "home": {"lat": 52.5, "lon": 13.4},
        "skills": []}).status_code == 201
    body = api.get("/api/v1/requests/r1").get_json()
    keep = {k: body[k] for k in ("id", "location", "duration", "windows")}
    assert api.put("/api/v1/requests/r1", json={**keep, "pinned_technician": "off"}
                   ).status_code == 200
    assert api.put("/api/v1/requests/r2", json={**keep, "id": "r2",
                                                "excluded_technicians": ["off"]}
                   ).status_code == 200
    resp = api.post("/api/v1/plans", json=plan_body())
    assert resp.status_code == 202, resp.get_json()
    plan = wait_plan(api, resp.headers["Location"])
    assert plan["status"] == "done"
    left = {u["request_id"] for u in plan["result"]["unassigned"]}
    assert left == {"r1"}  # pinned to someone not working: out, with its reason


def test_tracking_eta_is_the_live_expected_start(api: Api) -> None:
    plan = published_day(api)
    route = max(plan["result"]["routes"], key=lambda r: len(r["steps"]))
    first, second = [st for st in route["steps"] if st.get("request_id")][:2]
    planned = api.get(f"/api/v1/requests/{second['request_id']}/tracking",
                      query_string={"as_of": f"{DAY}T07:00:00+01:00"}).get_json()
    assert planned["eta"] == planned["planned_start"]  # the start of service, not arrival
    for status in ("en_route", "on_site"):
        assert api.post(f"/api/v1/requests/{first['request_id']}/status", json={
            "status": status, "at": first["start"]}).status_code == 200
    late_end = f"{DAY}T13:00:00+01:00"
    assert api.post(f"/api/v1/days/{DAY}/events", json={
        "type": "delay", "request_id": first["request_id"], "expected_end": late_end,
        "reported_at": AS_OF}).status_code == 201
    live = api.get(f"/api/v1/requests/{second['request_id']}/tracking",
                   query_string={"as_of": AS_OF}).get_json()
    assert live["eta"] >= "2026-03-02T12:00:00+00:00"  # 13:00 Berlin: pushed by the overrun
    stops = {st["request_id"]: st for t in day(api).get_json()["technicians"]
             for st in t["stops"]}
    assert stops[second["request_id"]]["eta"] == live["eta"]
    assert stops[first["request_id"]]["expected_end"] == "2026-03-02T12:00:00+00:00"


def test_tracking_never_before_the_window_opens(api: Api) -> None:
    seed_day(api, n_requests=1)
    body = service_request("w1", windows=[{"start": f"{DAY}T12:00:00+01:00",
                                           "end": f"{DAY}T16:00:00+01:00"}])
    assert api.post("/api/v1/requests", json=body).status_code == 201
    resp = api.post("/api/v1/plans", json=plan_body())
    plan = wait_plan(api, resp.headers["Location"])
    assert api.post(f"/api/v1/plans/{plan['id']}/publish", json={}).status_code == 200
    track = api.get("/api/v1/requests/w1/tracking",
                    query_string={"as_of": f"{DAY}T07:00:00+01:00"}).get_json()
    assert track["eta"] >= "2026-03-02T11:00:00+00:00"


def test_instants_far_from_the_day_are_422_not_500(api: Api) -> None:
    published_day(api)
    far = "9999-12-31T23:00:00+00:00"
    assert_problem(api.get(f"/api/v1/days/{DAY}", query_string={"as_of": far}), 422, "as_of")
    assert_problem(api.post(f"/api/v1/days/{DAY}/events", json={
        "type": "delay", "request_id": "r1", "expected_end": far}), 422, "expected_end")
    assert_problem(api.post(f"/api/v1/days/{DAY}/replans", json={"as_of": far}), 422, "as_of")
    assert_problem(api.get("/api/v1/requests/r1/tracking", query_string={"as_of": far}),
                   422, "as_of")

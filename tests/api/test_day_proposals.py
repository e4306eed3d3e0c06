"""Live-day proposals over the API: insertions, moves, re-plans and their publish
guards (issue 17): stale base, live rules, feeds of only the technicians told."""

from __future__ import annotations

import threading
from typing import Any

from .conftest import TZ, Api, assert_problem, technician, wait_plan
from .test_calendar_api import _at, _day, _feed, _token, _vevents

#: Tomorrow: the technicians' feeds (7 days back, 30 ahead of now) show the day.
THE_DAY = _day(1)
DAY = THE_DAY.isoformat()
BEFORE = _at(THE_DAY, "07:30")  # before anybody leaves: nothing is history yet
THREADS_TIMEOUT = 120.0
#: Three technicians far apart, two jobs near each.
PLACES = {"ta": (52.40, 13.20), "tb": (52.60, 13.60), "tc": (52.50, 13.90)}


def three_technicians(api: Api) -> dict[str, Any]:
    """A published day (dispatched) where each technician serves the jobs near them."""
    for i, (tid, (lat, lon)) in enumerate(PLACES.items(), start=1):
        assert api.post("/api/v1/technicians", json=technician(tid, lat, lon)).status_code == 201
        assert api.post("/api/v1/shifts", json={
            "id": f"s{i}", "technician_id": tid, "start": _at(THE_DAY, "08:00"),
            "end": _at(THE_DAY, "17:00")}).status_code == 201
        for k in (1, 2):
            body = service_request(f"{tid}-{k}", lat=lat + k / 500, lon=lon + k / 500)
            assert api.post("/api/v1/requests", json=body).status_code == 201
    resp = api.post("/api/v1/plans", json=plan_body())
    plan = wait_plan(api, resp.headers["Location"])
    assert plan["status"] == "done" and not plan["result"]["unassigned"]
    resp = api.post(f"/api/v1/plans/{plan['id']}/publish", json={"dispatch": True})
    assert resp.status_code == 200, resp.get_json()
    return plan


def service_request(rid: str, lat: float = 52.5, lon: float = 13.4, **extra: Any
                    ) -> dict[str, Any]:
    return {"id": rid, "location": {"lat": lat, "lon": lon}, "duration": "PT30M",
            "windows": [{"start": _at(THE_DAY, "08:00"), "end": _at(THE_DAY, "16:00")}],
            **extra}


def plan_body(**extra: Any) -> dict[str, Any]:
    return {"timezone": TZ, "params": {"time_limit": 1},
            "horizon": {"start": _at(THE_DAY, "00:00"), "end": _at(THE_DAY, "23:59")},
            **extra}


def tech_of(plan: dict[str, Any], rid: str) -> str:
    return next(r["technician_id"] for r in plan["result"]["routes"]
                for st in r["steps"] if st.get("request_id") == rid)


def emergency(api: Api, rid: str = "E-1", near: str = "ta") -> None:
    lat, lon = PLACES[near]
    body = service_request(rid, lat=lat + 0.001, lon=lon, priority="critical")
    assert api.post("/api/v1/requests", json=body).status_code == 201


def insert(api: Api, rid: str = "E-1", as_of: str = BEFORE) -> Any:
    return api.post(f"/api/v1/days/{DAY}/insertions", json={"request_id": rid, "as_of": as_of})


def test_insertion_is_a_plan_with_its_diff_and_publishing_applies_it(api: Api) -> None:
    morning = three_technicians(api)
    emergency(api)
    version = api.get(f"/api/v1/days/{DAY}").get_json()["version"]
    resp = insert(api)
    assert resp.status_code == 201, resp.get_json()
    out = resp.get_json()
    assert out["kind"] == "insertion" and out["base_version"] == version
    who = out["placement"]["technician_id"]
    assert out["diff"]["notify"] == [who]
    assert out["diff"]["technicians"][0]["added"] == ["E-1"]
    assert set(out["cost"]) == {"added_travel_s", "disruption", "objective_delta"}
    plan = wait_plan(api, f"/api/v1/plans/{out['plan_id']}")  # validated by the helper
    assert plan["kind"] == "insertion" and plan["diff"] == out["diff"]
    resp = api.post(f"/api/v1/plans/{out['plan_id']}/publish", json={"dispatch": True})
    assert resp.status_code == 200, resp.get_json()
    req = api.get("/api/v1/requests/E-1").get_json()
    assert req["status"] == "dispatched" and req["assignment"]["technician_id"] == who
    view = api.get(f"/api/v1/days/{DAY}", query_string={"as_of": BEFORE}).get_json()
    assert view["version"] != version and view["published_plan_id"] == out["plan_id"]
    placed = {st["request_id"]: t["technician_id"] for t in view["technicians"]
              for st in t["stops"]}
    morning_jobs = {st["request_id"] for r in morning["result"]["routes"] for st in r["steps"]
                    if st.get("request_id")}
    assert placed["E-1"] == who and morning_jobs <= set(placed)  # nothing lost


def test_publishing_an_insertion_rerenders_only_the_feeds_told(api: Api) -> None:
    three_technicians(api)
    paths = {tid: _token(api, tid)[1] for tid in PLACES}
    before = {tid: _feed(api, p).get_data() for tid, p in paths.items()}
    emergency(api, near="tb")
    out = insert(api).get_json()
    who = out["placement"]["technician_id"]
    assert api.post(f"/api/v1/plans/{out['plan_id']}/publish", json={}).status_code == 200
    after = {tid: _feed(api, p).get_data() for tid, p in paths.items()}
    for tid in PLACES:
        if tid == who:
            assert any("E-1" in uid for uid in _vevents(after[tid]))
        else:
            assert after[tid] == before[tid], tid  # byte for byte


def test_two_proposals_on_one_base_only_one_publishes(api: Api) -> None:
    three_technicians(api)
    emergency(api, "E-1", "ta")
    emergency(api, "E-2", "tc")
    first, second = insert(api, "E-1").get_json(), insert(api, "E-2").get_json()
    assert first["base_version"] == second["base_version"]
    barrier = threading.Barrier(2)
    answers: list[Any] = [None, None]

    def run(i: int, plan_id: str) -> None:
        client = api.app.test_client()
        barrier.wait(timeout=THREADS_TIMEOUT)
        answers[i] = client.post(f"/api/v1/plans/{plan_id}/publish", json={},
                                 headers=api.headers("admin"))

    threads = [threading.Thread(target=run, args=(i, p["plan_id"]))
               for i, p in enumerate((first, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=THREADS_TIMEOUT)
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 409], [a.get_json() for a in answers]
    loser = next(a for a in answers if a.status_code == 409)
    body = assert_problem(loser, 409)
    assert body["type"].endswith("stale-base") and "changed since" in body["detail"]
    # The loser's request is still new: nothing half written.
    states = {rid: api.get(f"/api/v1/requests/{rid}").get_json()["status"]
              for rid in ("E-1", "E-2")}
    assert sorted(states.values()) == ["new", "scheduled"]


def test_a_proposal_at_the_same_instant_after_a_publish_builds_on_the_new_day(
        api: Api) -> None:
    """Contexts are kept per day state and ``as_of``: after a publish, the next
    proposal of the same instant must see the published emergency, not the old day."""
    three_technicians(api)
    emergency(api, "E-1", "ta")
    emergency(api, "E-2", "ta")
    first = insert(api, "E-1").get_json()
    again = insert(api, "E-1").get_json()  # the same state and instant: the same answer
    assert (again["placement"], again["diff"]) == (first["placement"], first["diff"])
    assert api.post(f"/api/v1/plans/{first['plan_id']}/publish", json={}).status_code == 200
    second = insert(api, "E-2").get_json()
    assert second["base_version"] != first["base_version"]
    plan = wait_plan(api, f"/api/v1/plans/{second['plan_id']}")  # validated by the helper
    assert tech_of(plan, "E-1") == first["placement"]["technician_id"]
    resp = api.post(f"/api/v1/plans/{second['plan_id']}/publish", json={})
    assert resp.status_code == 200, resp.get_json()
    placed = {st["request_id"] for t in api.get(f"/api/v1/days/{DAY}", query_string={
        "as_of": BEFORE}).get_json()["technicians"] for st in t["stops"]}
    assert {"E-1", "E-2"} <= placed


def test_an_event_after_the_proposal_makes_it_stale(api: Api) -> None:
    morning = three_technicians(api)
    emergency(api)
    out = insert(api).get_json()
    job = "tc-1"
    assert api.post(f"/api/v1/days/{DAY}/events", json={
        "type": "delay", "request_id": job, "expected_end": _at(THE_DAY, "12:00"),
        "reported_at": BEFORE}).status_code == 201
    body = assert_problem(api.post(f"/api/v1/plans/{out['plan_id']}/publish", json={}), 409)
    assert body["type"].endswith("stale-base")
    assert "delay" in body["detail"]
    assert tech_of(morning, job)


def test_not_insertable_names_its_reasons(api: Api) -> None:
    three_technicians(api)
    body = service_request("E-9", required_skills=[{"name": "crane", "level": 3}])
    assert api.post("/api/v1/requests", json=body).status_code == 201
    out = assert_problem(insert(api, "E-9"), 422, "request_id")
    assert out["type"].endswith("not-insertable")
    assert out["reasons"] and out["reasons"][0]["code"] == "no_qualified_technician"
    assert_problem(insert(api, "nope"), 422, "request_id")
    assert_problem(insert(api, "ta-1"), 409, "request_id")  # already planned


def test_move_and_its_plain_word_refusals(api: Api) -> None:
    morning = three_technicians(api)
    paths = {tid: _token(api, tid)[1] for tid in PLACES}
    origin = tech_of(morning, "ta-1")
    target = next(t for t in PLACES if t != origin)
    uid = next(u for u in _vevents(_feed(api, paths[origin]).get_data()) if "ta-1" in u)
    seq = int(_vevents(_feed(api, paths[origin]).get_data())[uid]["sequence"])
    resp = api.post(f"/api/v1/days/{DAY}/moves", json={
        "request_id": "ta-1", "technician_id": target, "as_of": BEFORE})
    assert resp.status_code == 201, resp.get_json()
    out = resp.get_json()
    assert out["kind"] == "move" and out["placement"]["technician_id"] == target
    assert set(out["diff"]["notify"]) == {origin, target}
    wait_plan(api, f"/api/v1/plans/{out['plan_id']}")
    assert api.post(f"/api/v1/plans/{out['plan_id']}/publish", json={}).status_code == 200
    gone = _vevents(_feed(api, paths[origin]).get_data())[uid]
    assert str(gone["status"]) == "CANCELLED" and int(gone["sequence"]) > seq
    assert any("ta-1" in u for u in _vevents(_feed(api, paths[target]).get_data()))
    late = api.post(f"/api/v1/days/{DAY}/moves", json={
        "request_id": "ta-2", "technician_id": target, "as_of": BEFORE,
        "start": _at(THE_DAY, "16:30")})
    body = assert_problem(late, 422, "technician_id")
    assert body["type"].endswith("infeasible-move")
    assert body["violations"][0]["message"] == "would start after the window closes"
    assert_problem(api.post(f"/api/v1/days/{DAY}/moves", json={
        "request_id": "ta-2", "technician_id": "ghost", "as_of": BEFORE}), 422,
        "technician_id")


def test_replan_is_queued_and_finishes_with_diff_and_cost(api: Api) -> None:
    morning = three_technicians(api)
    ill = tech_of(morning, "tb-1")
    resp = api.post(f"/api/v1/days/{DAY}/events", json={
        "type": "unavailable", "technician_id": ill, "start": BEFORE, "end": None,
        "reason": "ill", "reported_at": BEFORE})
    released = resp.get_json()["released"]
    assert released
    resp = api.post(f"/api/v1/days/{DAY}/replans", json={"as_of": BEFORE, "time_limit": 1})
    assert resp.status_code == 202, resp.get_json()
    out = resp.get_json()
    assert out["kind"] == "replan" and out["status"] == "queued"
    plan = wait_plan(api, resp.headers["Location"])
    assert plan["status"] == "done", plan
    assert plan["kind"] == "replan" and "objective_delta" in plan["cost"]
    added = {rid for t in plan["diff"]["technicians"] for rid in t["added"]}
    assert set(released) <= added
    assert ill not in {t["technician_id"] for t in plan["diff"]["technicians"]
                       if t["added"]}
    resp = api.post(f"/api/v1/plans/{plan['id']}/publish", json={})
    assert resp.status_code == 200, resp.get_json()
    for rid in released:
        req = api.get(f"/api/v1/requests/{rid}").get_json()
        assert req["status"] == "scheduled" and req["assignment"]["technician_id"] != ill


def test_plan_of_one_emergency_cannot_double_book_published_work(api: Api) -> None:
    """Issue 17: planning only the emergency put it over published work and publish
    accepted it."""
    three_technicians(api)
    emergency(api)
    resp = api.post("/api/v1/plans", json=plan_body(request_ids=["E-1"]))
    plan = wait_plan(api, resp.headers["Location"])
    assert plan["status"] == "done"
    if plan["result"]["unassigned"]:
        return  # nothing placed: nothing to double-book (the solver saw free shifts)
    body = assert_problem(api.post(f"/api/v1/plans/{plan['id']}/publish", json={}), 409)
    assert body["type"].endswith("live-rule-broken")
    assert body["violations"][0]["code"] == "double_booked"

"""Service requests: CRUD, bulk import in one transaction, lists, status rules."""

from __future__ import annotations

import json

import pytest

from .conftest import Api, assert_problem, service_request, technician

CSV_HEAD = "id,lat,lon,duration,window_start,window_end,required_skills,priority\n"


def csv_row(i: int, **over: str) -> str:
    cells = {"id": f"r{i}", "lat": "52.5", "lon": "13.4", "duration": "PT30M",
             "window_start": "2026-03-02T08:00:00+01:00",
             "window_end": "2026-03-02T12:00:00+01:00", "required_skills": "gas:2;water",
             "priority": "high"}
    cells.update(over)
    return ",".join(cells.values()) + "\n"


def test_request_crud_and_refs(api: Api) -> None:
    api.post("/api/v1/technicians", json=technician("t1"))
    body = service_request("r1", preferred_technicians=["t1"], priority="high",
                           required_skills=[{"name": "gas", "level": 2}])
    resp = api.post("/api/v1/requests", json=body)
    assert resp.status_code == 201, resp.get_json()
    got = api.get("/api/v1/requests/r1").get_json()
    assert got["status"] == "new" and got["priority"] == "high"
    assert got["required_skills"] == [{"name": "gas", "level": 2}]
    assert got["preferred_technicians"] == ["t1"]
    assert_problem(api.post("/api/v1/requests", json=body), 409, field="id")
    for bad, field in [
        (service_request("x", pinned_technician="ghost"), "pinned_technician"),
        (service_request("x", excluded_technicians=["t1", "ghost"]), "excluded_technicians[1]"),
        (service_request("x", contract_tier="platinum",
                         created_at="2026-03-02T07:00:00+01:00"), "contract_tier"),
        (service_request("x", duration=45), "duration"),
        (service_request("x", duration="45 minutes"), "duration"),
        (service_request("x", priority="urgent"), "priority"),
        (service_request("x", windows=[{"start": "2026-03-02T08:00:00",
                                        "end": "2026-03-02T09:00:00+01:00"}]),
         "windows[0].start"),
    ]:
        assert_problem(api.post("/api/v1/requests", json=bad), 422, field=field)
    assert api.count("service_requests") == 1
    body["duration"] = "PT1H"
    assert api.put("/api/v1/requests/r1", json=body).get_json()["duration"] == "PT1H"
    assert api.delete("/api/v1/requests/r1").status_code == 204
    assert api.count("service_requests") == 0


def test_json_import_is_one_transaction(api: Api) -> None:
    rows = [service_request(f"r{i}") for i in range(1, 6)]
    resp = api.post("/api/v1/requests/import", json=rows)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["created"] == 5
    assert api.count("service_requests") == 5
    bad = [service_request(f"n{i}") for i in range(1, 6)]
    bad[3]["duration"] = "later"
    body = assert_problem(api.post("/api/v1/requests/import", json={"requests": bad}), 422,
                          field="requests[3].duration")
    assert body["row"] == 4
    assert api.count("service_requests") == 5
    dup = [service_request("z1"), service_request("r2")]  # r2 exists already
    body = assert_problem(api.post("/api/v1/requests/import", json=dup), 409)
    assert body["row"] == 2
    twice = [service_request("z1"), service_request("z1")]
    assert assert_problem(api.post("/api/v1/requests/import", json=twice), 422)["row"] == 2
    unknown_ref = [service_request("z1"), service_request("z2", pinned_technician="ghost")]
    body = assert_problem(api.post("/api/v1/requests/import", json=unknown_ref), 422,
                          field="requests[1].pinned_technician")
    assert body["row"] == 2
    assert api.count("service_requests") == 5
    assert api.count("request_status_history") == 5


def test_csv_import(api: Api) -> None:
    text = CSV_HEAD + "".join(csv_row(i) for i in range(1, 4))
    resp = api.post("/api/v1/requests/import", data=text, content_type="text/csv")
    assert resp.status_code == 201, resp.get_json()
    got = api.get("/api/v1/requests/r2").get_json()
    assert got["required_skills"] == [{"name": "gas", "level": 2}, {"name": "water", "level": 1}]
    assert got["priority"] == "high" and got["duration"] == "PT30M"
    assert len(got["windows"]) == 1


@pytest.mark.parametrize(("text", "status", "row", "field"), [
    (CSV_HEAD + csv_row(1) + csv_row(2, duration="abc"), 422, 2, "duration"),
    (CSV_HEAD + csv_row(1) + csv_row(2, lat="north"), 422, 2, "lat"),
    (CSV_HEAD + csv_row(1, window_start="2026-03-02T08:00:00"), 422, 1, "windows[0].start"),
    (CSV_HEAD + csv_row(1) + "r2,52.5\n", 400, 2, None),
    (CSV_HEAD + csv_row(1) + csv_row(2).rstrip("\n") + ",extra\n", 400, 2, None),
    ("id,lat,lon,duration,colour\nr1,1,1,PT1H,red\n", 400, None, "colour"),
    ("", 400, None, None),
    (CSV_HEAD + 'r1,"52.5,13.4\n', 400, None, None),
])
def test_malformed_csv_rejects_the_batch(api: Api, text: str, status: int,
                                         row: int | None, field: str | None) -> None:
    resp = api.post("/api/v1/requests/import", data=text, content_type="text/csv")
    body = assert_problem(resp, status, field=field)
    if row is not None:
        assert body["row"] == row
    assert api.count("service_requests") == 0


def test_csv_that_is_not_utf8(api: Api) -> None:
    data = (CSV_HEAD + csv_row(1)).encode() + b"\xff\xfe\n"
    assert_problem(api.post("/api/v1/requests/import", data=data, content_type="text/csv"), 400)
    assert api.count("service_requests") == 0


def test_fifty_thousand_rows_are_refused_and_nothing_stored(api: Api) -> None:
    text = CSV_HEAD + "".join(csv_row(i) for i in range(50_000))
    body = assert_problem(api.post("/api/v1/requests/import", data=text,
                                   content_type="text/csv"), 413)
    assert "10000" in body["detail"]
    rows = [service_request(f"r{i}") for i in range(50_000)]
    assert_problem(api.post("/api/v1/requests/import", data=json.dumps(rows),
                            content_type="application/json"), 413)
    assert api.count("service_requests") == 0


def test_import_media_types(api: Api) -> None:
    assert_problem(api.post("/api/v1/requests/import", data="x", content_type="text/plain"), 415)
    assert_problem(api.post("/api/v1/requests/import", data="[", content_type="application/json"),
                   400)
    assert_problem(api.post("/api/v1/requests/import", json={"rows": []}), 422, field="requests")
    assert_problem(api.post("/api/v1/requests/import", json=[]), 422, field="requests")


def test_list_pagination_and_date_filters(api: Api) -> None:
    for i in range(1, 8):
        api.post("/api/v1/requests", json=service_request(
            f"r{i}", created_at=f"2026-03-0{i}T10:00:00+01:00"))
    def ids(query: str) -> list[str]:
        resp = api.get(f"/api/v1/requests?{query}")
        assert resp.status_code == 200, resp.get_json()
        return [r["id"] for r in resp.get_json()["items"]]
    assert ids("per_page=3") == ["r1", "r2", "r3"]
    assert ids("per_page=3&page=3") == ["r7"]
    assert ids("from=2026-03-03T00:00:00%2B01:00&to=2026-03-05T00:00:00%2B01:00") == ["r3", "r4"]
    assert ids("status=done") == []
    assert api.get("/api/v1/requests?per_page=3").get_json()["total"] == 7
    assert_problem(api.get("/api/v1/requests?status=lost"), 422, field="status")
    assert_problem(api.get("/api/v1/requests?from=yesterday"), 422, field="from")
    assert_problem(api.get("/api/v1/requests?per_page=501"), 422, field="per_page")


def test_status_rules(api: Api) -> None:
    api.post("/api/v1/requests", json=service_request("r1"))
    body = assert_problem(api.post("/api/v1/requests/r1/status", json={"status": "done"}), 409,
                          field="status")
    assert "dispatched" in body["allowed"]
    assert_problem(api.post("/api/v1/requests/r1/status", json={"status": "lost"}), 422,
                   field="status")
    assert_problem(api.post("/api/v1/requests/r1/status",
                            json={"status": "cancelled", "at": "2026-03-02T10:00:00"}), 422,
                   field="at")
    assert_problem(api.post("/api/v1/requests/ghost/status", json={"status": "cancelled"}), 404)
    ok = api.post("/api/v1/requests/r1/status", json={"status": "cancelled", "note": "dup"})
    assert ok.get_json()["status"] == "cancelled"
    history = api.get("/api/v1/requests/r1/history").get_json()
    assert [(h["previous"], h["status"]) for h in history] == [(None, "new"),
                                                              ("new", "cancelled")]
    assert history[1]["note"] == "dup"

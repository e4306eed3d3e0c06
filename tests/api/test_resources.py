"""CRUD of technicians, shifts, tiers, skills, customers; bad input stores nothing."""

from __future__ import annotations

import pytest

from .conftest import Api, assert_problem, service_request, shift, technician


def test_technician_crud(api: Api) -> None:
    body = technician("t1", skills=[{"name": "gas", "level": 2}])
    resp = api.post("/api/v1/technicians", json=body)
    assert resp.status_code == 201
    assert resp.headers["Location"] == "/api/v1/technicians/t1"
    got = api.get("/api/v1/technicians/t1").get_json()
    assert got["skills"] == [{"name": "gas", "level": 2}]
    assert got["home"] == {"lat": 52.52, "lon": 13.40}
    assert [s["name"] for s in api.get("/api/v1/skills").get_json()["items"]] == ["gas"]
    body["skills"] = [{"name": "water", "level": 3}]
    body["name"] = "Renamed"
    put = api.put("/api/v1/technicians/t1", json=body).get_json()
    assert put["name"] == "Renamed" and put["skills"] == [{"name": "water", "level": 3}]
    assert_problem(api.post("/api/v1/technicians", json=body), 409, field="id")
    assert api.delete("/api/v1/technicians/t1").status_code == 204
    assert_problem(api.get("/api/v1/technicians/t1"), 404)
    assert_problem(api.delete("/api/v1/technicians/t1"), 404)


@pytest.mark.parametrize(("body", "field"), [
    ({"id": "t1", "home": {"lat": "north", "lon": 13.4}}, "home.lat"),
    ({"id": "t1", "home": {"lat": 52.5}}, "home.lon"),
    ({"id": "t1"}, "home"),
    ({"id": 7, "home": {"lat": 1, "lon": 1}}, "id"),
    ({"id": "t1", "home": {"lat": 1, "lon": 1}, "skills": [{"name": "x", "level": 9}]},
     "skills[0].level"),
    ({"id": "t1", "home": {"lat": 1, "lon": 1}, "skills": [{"name": "x"}, {"name": "x"}]},
     "skills[1].name"),
    ({"id": "t1", "home": {"lat": 1, "lon": 1}, "colour": "red"}, "colour"),
])
def test_bad_technician_is_rejected_and_not_stored(api: Api, body: dict, field: str) -> None:
    assert_problem(api.post("/api/v1/technicians", json=body), 422, field=field)
    assert api.count("technicians") == 0


def test_non_json_body_is_a_problem(api: Api) -> None:
    resp = api.post("/api/v1/technicians", data="{not json", content_type="application/json")
    assert resp.status_code in (400, 422)
    assert resp.mimetype == "application/problem+json"
    assert api.count("technicians") == 0


def test_shift_crud_and_checks(api: Api) -> None:
    api.post("/api/v1/technicians", json=technician("t1"))
    body = shift("s1", "t1")
    body["lunch"] = {"duration": "PT30M", "earliest_start": "2026-03-02T12:00:00+01:00",
                     "latest_start": "2026-03-02T13:00:00+01:00"}
    assert api.post("/api/v1/shifts", json=body).status_code == 201
    got = api.get("/api/v1/shifts/s1").get_json()
    assert got["lunch"]["duration"] == "PT30M"
    # 08:00+01:00 is 07:00Z; instants come back in UTC, the same instant
    from datetime import datetime

    assert datetime.fromisoformat(got["start"]) == datetime.fromisoformat(body["start"])
    # unknown technician, overlap, naive time, end before start
    assert_problem(api.post("/api/v1/shifts", json=shift("s2", "ghost")), 422,
                   field="technician_id")
    assert_problem(api.post("/api/v1/shifts", json=shift("s2", "t1", "16:00", "18:00")), 422,
                   field="start")
    naive = shift("s3", "t1")
    naive["start"] = "2026-03-03T08:00:00"
    assert_problem(api.post("/api/v1/shifts", json=naive), 422, field="start")
    assert_problem(api.post("/api/v1/shifts", json=shift("s4", "t1", "12:00", "10:00")), 422,
                   field="end")
    assert api.count("shifts") == 1
    body["end"] = "2026-03-02T18:00:00+01:00"
    assert api.put("/api/v1/shifts/s1", json=body).status_code == 200
    assert_problem(api.put("/api/v1/shifts/s1", json=shift("other", "t1")), 422, field="id")
    assert api.delete("/api/v1/shifts/s1").status_code == 204
    assert api.count("shifts") == 0


def test_shift_list_filters_by_interval_and_technician(api: Api) -> None:
    for tid in ("t1", "t2"):
        api.post("/api/v1/technicians", json=technician(tid))
    api.post("/api/v1/shifts", json=shift("a", "t1", "08:00", "12:00"))
    api.post("/api/v1/shifts", json=shift("b", "t1", "13:00", "17:00"))
    api.post("/api/v1/shifts", json=shift("c", "t2", "08:00", "17:00"))
    def ids(query: str) -> list[str]:
        return [s["id"] for s in api.get(f"/api/v1/shifts?{query}").get_json()["items"]]
    assert ids("") == ["a", "c", "b"]
    assert ids("technician_id=t1") == ["a", "b"]
    assert ids("from=2026-03-02T12:30:00%2B01:00") == ["c", "b"]
    assert ids("to=2026-03-02T12:30:00%2B01:00") == ["a", "c"]
    assert_problem(api.get("/api/v1/shifts?from=2026-03-02T12:30:00"), 422, field="from")
    page = api.get("/api/v1/shifts?per_page=2&page=2").get_json()
    assert page["total"] == 3 and [s["id"] for s in page["items"]] == ["b"]
    assert_problem(api.get("/api/v1/shifts?per_page=0"), 422, field="per_page")
    assert_problem(api.get("/api/v1/shifts?page=x"), 422, field="page")


def test_contract_tiers(api: Api) -> None:
    assert api.post("/api/v1/contract-tiers",
                    json={"name": "gold", "response_time": "PT4H"}).status_code == 201
    nbd = {"name": "basic", "next_business_day": True, "business_day_end": "16:00"}
    assert api.post("/api/v1/contract-tiers", json=nbd).status_code == 201
    assert api.get("/api/v1/contract-tiers/gold").get_json()["response_time"] == "PT4H"
    assert_problem(api.post("/api/v1/contract-tiers", json={"name": "x"}), 422,
                   field="response_time")
    assert_problem(api.post("/api/v1/contract-tiers",
                            json={"name": "y", "response_time": "soon"}), 422,
                   field="response_time")
    # in use → cannot delete
    req = service_request("r1", contract_tier="gold", created_at="2026-03-02T07:00:00+01:00")
    assert api.post("/api/v1/requests", json=req).status_code == 201
    assert_problem(api.delete("/api/v1/contract-tiers/gold"), 409)
    assert api.delete("/api/v1/contract-tiers/basic").status_code == 204
    assert api.count("contract_tiers") == 1


def test_customers_and_visit_history(api: Api) -> None:
    assert api.post("/api/v1/customers", json={"id": "c1", "name": "ACME"}).status_code == 201
    assert_problem(api.post("/api/v1/customers", json={"id": "c1"}), 409, field="id")
    assert_problem(api.post("/api/v1/customers", json={"id": ""}), 422, field="id")
    upd = api.put("/api/v1/customers/c1", json={"id": "c1", "name": "ACME Ltd"}).get_json()
    assert upd["name"] == "ACME Ltd"
    # a request with a new customer id creates that customer
    api.post("/api/v1/requests", json=service_request("r1", customer_id="c2",
                                                      customer_name="Bo"))
    assert api.get("/api/v1/customers/c2").get_json()["name"] == "Bo"
    assert api.get("/api/v1/customers/c2/visits").get_json() == []
    assert_problem(api.get("/api/v1/customers/nobody/visits"), 404)


def test_unknown_path_method_and_server_error_are_problems(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_problem(api.get("/api/v1/nowhere"), 404)
    resp = api.call("PATCH", "/api/v1/technicians")
    assert_problem(resp, 405)
    assert "GET" in resp.headers["Allow"]

    from fieldops.api.views import technicians

    def boom(*args: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(technicians, "page", boom)
    body = assert_problem(api.get("/api/v1/technicians"), 500)
    assert "kaboom" not in body["detail"]


def test_openapi_document_and_docs_page(api: Api) -> None:
    spec = api.client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/plans", "/api/v1/plans/{plan_id}", "/api/v1/requests/import",
                 "/api/v1/requests/{request_id}/status", "/api/v1/technicians"):
        assert path in spec["paths"], path
    assert "bearerAuth" in spec["components"]["securitySchemes"]
    page = api.client.get("/api/v1/docs")
    assert page.status_code == 200 and b"swagger" in page.data.lower()

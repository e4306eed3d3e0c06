"""One rule for instants and durations in every answer: instants in UTC, durations
as ``PT…`` (``PT0S``, never ``P0D``), the same after POST, PUT and GET."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from .conftest import Api, service_request, shift, technician

ISO_INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")
DURATION_KEYS = {"duration", "max_overtime", "response_time"}


def _leaves(value: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in _leaves(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [x for i, v in enumerate(value) for x in _leaves(v, f"{path}[{i}]")]
    return [(path, value)]


def _assert_one_rule(body: dict[str, Any]) -> None:
    for path, value in _leaves(body):
        if isinstance(value, str) and ISO_INSTANT.match(value):
            assert value.endswith("+00:00"), (path, value)
            assert datetime.fromisoformat(value).utcoffset().total_seconds() == 0
        if path.rsplit(".", 1)[-1] in DURATION_KEYS and value is not None:
            assert re.fullmatch(r"-?PT(\d+H)?(\d+M)?(\d+(\.\d+)?S)?", value), (path, value)
            assert value != "PT", path


def _same_after_write_and_read(api: Api, path: str, body: dict[str, Any],
                               key: str = "id") -> dict[str, Any]:
    created = api.post(path, json=body)
    assert created.status_code == 201, created.get_json()
    read = api.get(f"{path}/{body[key]}")
    assert created.get_json() == read.get_json()
    _assert_one_rule(read.get_json())
    replaced = api.put(f"{path}/{body[key]}", json=body)
    assert replaced.status_code == 200, replaced.get_json()
    assert replaced.get_json() == api.get(f"{path}/{body[key]}").get_json()
    return dict(read.get_json())


def test_every_resource_answers_instants_in_utc_after_post_put_and_get(api: Api) -> None:
    _same_after_write_and_read(api, "/api/v1/technicians", technician("t1"))
    s = shift("s1", "t1", "08:00", "17:00")
    s["lunch"] = {"duration": "PT30M", "earliest_start": "2026-03-02T11:30:00+01:00",
                  "latest_start": "2026-03-02T13:00:00+01:00"}
    out = _same_after_write_and_read(api, "/api/v1/shifts", s)
    assert out["start"] == "2026-03-02T07:00:00+00:00"  # the same instant as 08:00+01:00
    assert out["lunch"]["earliest_start"] == "2026-03-02T10:30:00+00:00"
    assert out["max_overtime"] == "PT0S"
    _same_after_write_and_read(api, "/api/v1/contract-tiers",
                               {"name": "gold", "response_time": "PT24H",
                                "lateness_weight": 1.0}, key="name")
    out = _same_after_write_and_read(
        api, "/api/v1/requests",
        service_request("r1", created_at="2026-03-01T09:00:00+01:00", contract_tier="gold",
                        customer_id="c1"))
    assert out["windows"][0]["start"] == "2026-03-02T07:00:00+00:00"
    _same_after_write_and_read(api, "/api/v1/customers", {"id": "c2", "name": "C"})
    for listing in ("/api/v1/shifts", "/api/v1/requests", "/api/v1/customers", "/api/v1/keys",
                    "/api/v1/contract-tiers"):
        _assert_one_rule(api.get(listing).get_json())
    key = api.post("/api/v1/keys", json={"role": "manager"}).get_json()
    _assert_one_rule(key)
    _assert_one_rule(api.post("/api/v1/technicians/t1/feed-token").get_json())


def test_durations_as_written_in_the_docs(api: Api) -> None:
    api.post("/api/v1/technicians", json=technician("t1"))
    cases = {"PT0S": "PT0S", "PT90M": "PT1H30M", "P1D": "PT24H", "PT1H30M": "PT1H30M"}
    for i, (given, answered) in enumerate(cases.items()):
        s = shift(f"s{i}", "t1", f"0{i}:00", f"0{i}:30")
        s["max_overtime"] = given
        resp = api.post("/api/v1/shifts", json=s)
        assert resp.status_code == 201, resp.get_json()
        assert resp.get_json()["max_overtime"] == answered, given


def _date_times(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every ``format: date-time`` property of an OpenAPI fragment, by path."""
    if isinstance(node, dict):
        here = [(path, node)] if node.get("format") == "date-time" else []
        return here + [x for k, v in node.items() for x in _date_times(v, f"{path}.{k}")]
    if isinstance(node, list):
        return [x for i, v in enumerate(node) for x in _date_times(v, f"{path}[{i}]")]
    return []


def test_the_openapi_document_shows_answered_instants_in_utc(api: Api) -> None:
    from .conftest import plan_body, seed_day, wait_plan

    spec = api.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    # Resources the API stores answer in UTC, and their documented examples say so.
    for name in ("PlanOut", "RosterOut", "RequestAssignment", "StatusEvent", "KeyOut",
                 "CustomerOut", "FeedTokenIssued"):
        found = _date_times(schemas[name]["properties"])
        assert found, name
        for path, prop in found:
            assert prop["example"].endswith("+00:00"), (name, path, prop)
            assert "UTC" in prop["description"], (name, path, prop)
    # A plan's result keeps the plan's zone: the document says that, and so does the answer.
    for name in ("PlanOut", "RosterOut"):
        assert "timezone" in schemas[name]["properties"]["result"]["description"]
    seed_day(api)
    location = api.post("/api/v1/plans", json=plan_body()).headers["Location"]
    plan = wait_plan(api, location)
    assert plan["status"] == "done"
    assert plan["created_at"].endswith("+00:00") and plan["horizon"]["start"].endswith("+00:00")
    arrival = plan["result"]["routes"][0]["steps"][1]["arrival"]
    assert arrival.endswith("+01:00"), arrival  # Europe/Berlin in March

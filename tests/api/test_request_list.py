"""GET /requests serves each row's output JSON from a cache keyed by the row's whole
state (issue 19: the list spent most of its time in marshmallow)."""

from __future__ import annotations

from typing import Any

import pytest

from fieldops.api.views import requests as views

from .conftest import Api, service_request


def test_listed_requests_are_cached_by_state_and_never_stale(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(1, 4):
        body = service_request(f"r{i}", job_type="boiler")
        assert api.post("/api/v1/requests", json=body).status_code == 201
    first = api.get("/api/v1/requests").get_json()
    assert [r["id"] for r in first["items"]] == ["r1", "r2", "r3"] and first["total"] == 3
    for item in first["items"]:  # the same JSON as the single-request endpoint
        assert item == api.get(f"/api/v1/requests/{item['id']}").get_json()

    built: list[str] = []
    real = views.request_json

    def counting(row: Any) -> dict[str, Any]:
        built.append(row.id)
        return real(row)

    monkeypatch.setattr(views, "request_json", counting)
    assert api.get("/api/v1/requests").get_json() == first
    assert built == []  # every row served from the cache
    # Any change to a row (a column, a window) gives a new state: rebuilt, never stale.
    assert api.post("/api/v1/requests/r2/status", json={"status": "cancelled"}
                    ).status_code == 200
    moved = service_request("r3", job_type="boiler",
                            windows=[{"start": "2026-03-02T09:00:00+01:00",
                                      "end": "2026-03-02T11:00:00+01:00"}])
    assert api.put("/api/v1/requests/r3", json=moved).status_code == 200
    built.clear()
    after = api.get("/api/v1/requests").get_json()
    assert sorted(built) == ["r2", "r3"]
    assert after["items"][1]["status"] == "cancelled"
    assert after["items"][2]["windows"] == api.get("/api/v1/requests/r3").get_json()["windows"]
    assert after["items"][2]["windows"] != first["items"][2]["windows"]

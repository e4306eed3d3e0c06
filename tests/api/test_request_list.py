"""GET /requests: plain column reads, each row's output JSON cached by the row's whole
state (issue 19: the list spent most of its time in ORM objects and marshmallow),
keyset pages (``after`` / ``next_after``) beside numbered ones, and an ETag."""

from __future__ import annotations

from typing import Any

import pytest

from fieldops.api import request_list as views

from .conftest import Api, service_request, technician


def test_listed_requests_are_cached_by_state_and_never_stale(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    assert api.post("/api/v1/technicians", json=technician("t1")).status_code == 201
    for i in range(1, 4):
        body = service_request(f"r{i}", job_type="boiler",
                               preferred_technicians=[] if i != 2 else ["t1"],
                               required_skills=[{"name": "gas", "level": 2}])
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

    assert after["items"][0] == first["items"][0]  # r1 unchanged: still from the cache


def _seed(api: Api, n: int) -> list[str]:
    ids = [f"k{i:03d}" for i in range(n)]
    rows = [service_request(rid, customer_id=f"c{i % 3}") for i, rid in enumerate(ids)]
    assert api.post("/api/v1/requests/import", json=rows).status_code == 201
    return ids


def test_keyset_pages_walk_every_request_once_like_numbered_pages(api: Api) -> None:
    ids = _seed(api, 23)
    numbered: list[str] = []
    for number in range(1, 4):
        body = api.get(f"/api/v1/requests?per_page=10&page={number}").get_json()
        assert body["total"] == 23
        numbered += [r["id"] for r in body["items"]]
    walked: list[str] = []
    url = "/api/v1/requests?per_page=10"
    pages = 0
    while True:
        body = api.get(url).get_json()
        pages += 1
        assert body["total"] == 23  # every match, not only those after the cursor
        walked += [r["id"] for r in body["items"]]
        if body["next_after"] is None:
            break
        url = f"/api/v1/requests?per_page=10&after={body['next_after']}"
    assert walked == numbered and sorted(walked) == ids and pages == 3
    # Filters apply to keyset pages too.
    first = api.get("/api/v1/requests?per_page=2&customer_id=c1").get_json()
    then = api.get(f"/api/v1/requests?per_page=5&customer_id=c1&after={first['next_after']}"
                   ).get_json()
    assert [r["customer_id"] for r in first["items"] + then["items"]] == ["c1"] * 7
    assert then["total"] == 8 and then["next_after"] is not None


@pytest.mark.parametrize("query", ["after=nonsense", "after=W10", "after=WyJ4IiwxXQ",
                                   "after=%00", "after=%E2%82%AC",
                                   "page=2&after=WyIyMDI2LTAzLTAyVDA3OjAwOjAwKzAwOjAwIiwiayJd"])
def test_a_bad_cursor_is_422_naming_after(api: Api, query: str) -> None:
    _seed(api, 3)
    answer = api.get(f"/api/v1/requests?{query}")
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert answer.mimetype == "application/problem+json"
    assert answer.get_json()["field"] == "after"


def test_the_list_has_an_etag_and_answers_304_until_a_row_changes(api: Api) -> None:
    _seed(api, 3)
    first = api.get("/api/v1/requests")
    etag = first.headers["ETag"]
    again = api.get("/api/v1/requests", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert api.post("/api/v1/requests/k001/status", json={"status": "cancelled"}
                    ).status_code == 200
    changed = api.get("/api/v1/requests", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_threads_asking_for_the_same_cold_rows_render_each_row_once(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    import time

    from fieldops.api.ext import session
    from fieldops.services import requests as svc

    ids = _seed(api, 6)
    with api.app.app_context(), session() as s:
        listed = svc.list_page(s, [], per_page=50)
    views._cache.clear()
    built: list[str] = []
    real = views.request_json

    def slow(row: Any) -> dict[str, Any]:  # slow enough for the threads to overlap
        built.append(row.id)
        time.sleep(0.01)
        return real(row)

    monkeypatch.setattr(views, "request_json", slow)
    start = threading.Barrier(4)
    pages: list[list[str]] = []

    def ask() -> None:
        start.wait()
        pages.append(views.listed_items(listed))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(built) == sorted(ids)  # once each, not once per thread
    assert len(pages) == 4 and all(page == pages[0] for page in pages)

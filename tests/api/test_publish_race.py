"""Publishing under races, and feeds served from what publishing stored (issue 19).

Two plans of one day published at once: exactly one wins, the other gets a 409
problem, and the requests table and every technician's feed agree afterwards. The
feed endpoint serves the document rendered at publish time: its cost does not grow
with the number of publishes, and a conditional GET answered 304 neither builds nor
reads the body.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, select

from fieldops.calendar import job_uid
from fieldops.services import feeds
from fieldops.store.models import RequestRow

from .conftest import Api, assert_problem, technician, wait_plan
from .test_calendar_api import _at, _day, _feed, _request, _shift, _token, _vevents

THREADS_TIMEOUT = 120.0


def _day_with_two_technicians(api: Api, requests: int = 6) -> Any:
    day = _day(1)
    for tid, sid in (("t1", "s1"), ("t2", "s2")):
        assert api.post("/api/v1/technicians", json=technician(tid)).status_code == 201
        assert api.post("/api/v1/shifts", json=_shift(sid, tid, day)).status_code == 201
    for i in range(1, requests + 1):
        assert api.post("/api/v1/requests", json=_request(f"r{i}", day, i)).status_code == 201
    return day


def _solved(api: Api, day: Any, **extra: Any) -> str:
    body = {"timezone": "Europe/Berlin",
            "horizon": {"start": _at(day, "00:00"), "end": _at(day, "23:59")},
            "params": {"time_limit": 1}, **extra}
    resp = api.post("/api/v1/plans", json=body)
    assert resp.status_code == 202, resp.get_json()
    plan = wait_plan(api, resp.headers["Location"])
    assert plan["status"] == "done", plan
    return str(plan["id"])


def _publish_all_at_once(api: Api, plan_ids: list[str]) -> list[Any]:
    """POST every publish from its own thread, released together."""
    barrier = threading.Barrier(len(plan_ids))
    answers: list[Any] = [None] * len(plan_ids)

    def run(i: int) -> None:
        client = api.app.test_client()
        barrier.wait(timeout=THREADS_TIMEOUT)
        answers[i] = client.post(f"/api/v1/plans/{plan_ids[i]}/publish", json={},
                                 headers=api.headers("admin"))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(plan_ids))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=THREADS_TIMEOUT)
        assert not t.is_alive(), "a publish did not answer in time"
    return answers


def _assert_feeds_match_table(api: Api, technicians: list[str]) -> None:
    """Every scheduled request is a CONFIRMED job in its technician's feed only."""
    with api.app.extensions["fieldops"].db.session() as s:
        rows = {r.id: r for r in s.scalars(select(RequestRow))}
    confirmed: dict[str, set[str]] = {}
    for tid in technicians:
        _, path = _token(api, tid)
        resp = _feed(api, path)
        assert resp.status_code == 200
        confirmed[tid] = {uid for uid, ev in _vevents(resp.get_data()).items()
                          if str(ev["status"]) == "CONFIRMED"}
    for tid in technicians:
        in_table = {job_uid(r.id) for r in rows.values()
                    if r.status == "scheduled" and r.assigned_technician_id == tid}
        assert confirmed[tid] == in_table, tid


def test_concurrent_publishes_of_one_day_one_wins(api: Api) -> None:
    day = _day_with_two_technicians(api)
    # Two plans that disagree on everything: each puts every job on another technician.
    plan_ids = [_solved(api, day, technician_ids=["t1"]),
                _solved(api, day, technician_ids=["t2"])]

    answers = _publish_all_at_once(api, plan_ids)

    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 409], [a.get_data(as_text=True) for a in answers]
    loser = next(a for a in answers if a.status_code == 409)
    body = assert_problem(loser, 409, "plan_id")
    winner = plan_ids[[a.status_code for a in answers].index(200)]
    assert winner in body["detail"] and "published" in body["detail"]
    assert body["type"].endswith("/superseded-plan")
    with api.app.extensions["fieldops"].db.session() as s:
        rows = list(s.scalars(select(RequestRow)))
        assert {r.plan_id for r in rows} == {winner}  # not split between the two plans
        assert {r.status for r in rows} == {"scheduled"}
    _assert_feeds_match_table(api, ["t1", "t2"])


def test_plan_solved_before_another_publish_of_its_day_is_refused(api: Api) -> None:
    day = _day_with_two_technicians(api, requests=3)
    first, second = _solved(api, day), _solved(api, day, technician_ids=["t2"])
    assert api.post(f"/api/v1/plans/{first}/publish", json={}).status_code == 200
    body = assert_problem(api.post(f"/api/v1/plans/{second}/publish", json={}), 409,
                          "plan_id")
    assert first in body["detail"]
    # Publishing the winner again is fine, and so is a plan made after it.
    assert api.post(f"/api/v1/plans/{first}/publish", json={}).status_code == 200
    third = _solved(api, day, technician_ids=["t2"])
    assert api.post(f"/api/v1/plans/{third}/publish", json={}).status_code == 200
    _assert_feeds_match_table(api, ["t1", "t2"])


@contextmanager
def _statements(api: Api) -> Iterator[list[str]]:
    engine = api.app.extensions["fieldops"].db.engine
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_feed_cost_does_not_grow_with_publishes(api: Api) -> None:
    day = _day_with_two_technicians(api, requests=3)
    plan_id = _solved(api, day)
    _, path = _token(api, "t1")

    def one_get() -> tuple[int, bytes]:
        with _statements(api) as seen:
            resp = _feed(api, path)
        assert resp.status_code == 200
        return len(seen), resp.get_data()

    assert api.post(f"/api/v1/plans/{plan_id}/publish", json={}).status_code == 200
    after_one, body_one = one_get()
    for _ in range(19):
        assert api.post(f"/api/v1/plans/{plan_id}/publish", json={}).status_code == 200
    after_twenty, body_twenty = one_get()
    assert after_twenty == after_one
    assert after_one <= 4  # token, document, body (+ BEGIN/COMMIT chatter of SQLite)
    assert body_twenty == body_one  # the same plan again changes nothing
    # What is stored is what replaying the publishes gives.
    with api.app.extensions["fieldops"].db.session() as s:
        live = feeds.technician_feed(s, "t1", now=datetime.now(UTC),
                                     job_url=feeds.job_urls("http://localhost"))
    assert live is not None and live.body == body_twenty


def test_not_modified_neither_builds_nor_reads_the_feed(api: Api,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    day = _day_with_two_technicians(api, requests=2)
    plan_id = _solved(api, day)
    assert api.post(f"/api/v1/plans/{plan_id}/publish", json={}).status_code == 200
    _, path = _token(api, "t1")
    first = _feed(api, path)
    assert first.status_code == 200

    def no_build(*_a: Any, **_k: Any) -> None:
        raise AssertionError("the feed was built")

    monkeypatch.setattr(feeds, "_build_technician", no_build)
    monkeypatch.setattr(feeds, "render_feed", no_build)
    with _statements(api) as seen:
        again = _feed(api, path, **{"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert not any("body" in st.lower() for st in seen), seen
    # A 200 is served from the stored document too, byte for byte.
    assert _feed(api, path).get_data() == first.get_data()


def test_status_changes_update_the_stored_feed(api: Api) -> None:
    day = _day_with_two_technicians(api, requests=3)
    plan_id = _solved(api, day, technician_ids=["t1"])
    assert api.post(f"/api/v1/plans/{plan_id}/publish", json={}).status_code == 200
    _, path = _token(api, "t1")
    before = _vevents(_feed(api, path).get_data())
    assert {str(e["status"]) for e in before.values()} == {"CONFIRMED"}

    assert api.post("/api/v1/requests/r1/status", json={"status": "cancelled"}
                    ).status_code == 200
    after = _feed(api, path)
    events = _vevents(after.get_data())
    assert str(events[job_uid("r1")]["status"]) == "CANCELLED"
    assert int(events[job_uid("r1")]["sequence"]) == 1
    with api.app.extensions["fieldops"].db.session() as s:
        live = feeds.technician_feed(s, "t1", now=datetime.now(UTC),
                                     job_url=feeds.job_urls("http://localhost"))
    assert live is not None and live.body == after.get_data()
    # The rebuilt document is stored: the next GET is served without building.
    stored = _feed(api, path, **{"If-None-Match": after.headers["ETag"]})
    assert stored.status_code == 304

"""Technician calendar feeds over HTTP: tokens, the feed, conditional GET, re-publishes.

The feed only shows 7 days back to 30 days ahead of the real clock, so these tests
plan for tomorrow and the day after (in Europe/Berlin) instead of the fixed
``conftest.DAY``. Expected events come from the plans' own routes (``GET /plans``),
and every feed is parsed back with ``icalendar`` and with the independent ``ics``.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
import ics

from fieldops.calendar import job_uid
from fieldops.domain.plan import DispatchPlan, Step, StepKind
from fieldops.schemas import plan_from_json

from .conftest import Api, assert_problem, technician, wait_plan

TZ = ZoneInfo("Europe/Berlin")


def _day(offset: int) -> date:
    return datetime.now(TZ).date() + timedelta(days=offset)


def _at(day: date, hhmm: str) -> str:
    h, m = map(int, hhmm.split(":"))
    return datetime.combine(day, time(h, m), tzinfo=TZ).isoformat()


def _shift(sid: str, tid: str, day: date, lunch: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"id": sid, "technician_id": tid, "start": _at(day, "08:00"),
                            "end": _at(day, "17:00")}
    if lunch:
        body["lunch"] = {"duration": "PT30M", "earliest_start": _at(day, "12:00"),
                         "latest_start": _at(day, "13:00")}
    return body


def _request(rid: str, day: date, i: int, start: str = "08:00", end: str = "16:00",
             **extra: Any) -> dict[str, Any]:
    body = {"id": rid, "location": {"lat": 52.50 + i / 200, "lon": 13.38 + i / 300,
                                    "address": f"Teststraße {i}, Berlin"},
            "duration": "PT30M", "windows": [{"start": _at(day, start), "end": _at(day, end)}]}
    body.update(extra)
    return body


def _plan(api: Api, day: date, **extra: Any) -> DispatchPlan:
    """Solve and publish a plan for ``day``; returns the published plan."""
    body = {"timezone": "Europe/Berlin",
            "horizon": {"start": _at(day, "00:00"), "end": _at(day + timedelta(days=1), "00:00")},
            "params": {"time_limit": 1}, **extra}
    resp = api.post("/api/v1/plans", json=body)
    assert resp.status_code == 202, resp.get_json()
    plan = wait_plan(api, resp.headers["Location"])
    assert plan["status"] == "done", plan
    assert api.post(f"/api/v1/plans/{plan['id']}/publish", json={}).status_code == 200
    return plan_from_json(plan["result"])


def _jobs(plan: DispatchPlan, tid: str) -> dict[str, Step]:
    return {job_uid(s.request_id): s for r in plan.routes if r.technician_id == tid
            for s in r.steps if s.kind is StepKind.JOB and s.request_id is not None}


def _token(api: Api, tid: str, role: str = "admin") -> tuple[str, str]:
    resp = api.post(f"/api/v1/technicians/{tid}/feed-token", role=role)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    url = urlsplit(body["url"])
    assert url.path == f"/calendars/technicians/{tid}.ics"
    assert url.query == f"token={body['token']}"
    return body["token"], f"{url.path}?{url.query}"


def _feed(api: Api, path: str, **headers: str) -> Any:
    return api.client.get(path, headers=headers)


def _vevents(body: bytes, kind: str = "job") -> dict[str, Any]:
    cal = icalendar.Calendar.from_ical(body)
    events = [c for c in cal.walk("VEVENT")
              if [str(x) for x in c.get("categories").cats] == [kind]]
    by_uid = {str(e["uid"]): e for e in events}
    assert len(by_uid) == len(events), "duplicate UIDs"
    return by_uid


def _ics_events(body: bytes) -> dict[str, Any]:
    cal = ics.Calendar(body.decode("utf-8"))
    return {e.uid: e for e in cal.events}


def test_feed_of_a_published_plan(api: Api) -> None:
    day = _day(1)
    api.post("/api/v1/technicians", json=technician("t1"))
    api.post("/api/v1/technicians", json=technician("t2"))
    api.post("/api/v1/shifts", json=_shift("s1", "t1", day))
    for i in range(1, 4):
        assert api.post("/api/v1/requests", json=_request(f"r{i}", day, i)).status_code == 201
    plan = _plan(api, day)
    expected = _jobs(plan, "t1")
    assert len(expected) == 3

    _, path = _token(api, "t1", role="dispatcher")
    resp = _feed(api, path)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/calendar; charset=utf-8"
    body = resp.get_data()
    assert resp.headers["ETag"] == f'"{hashlib.sha256(body).hexdigest()}"'  # strong
    assert resp.headers["Cache-Control"] == "private, max-age=300"
    published = api.get("/api/v1/plans?status=done").get_json()["items"][0]["published_at"]
    assert parsedate_to_datetime(resp.headers["Last-Modified"]) == datetime.fromisoformat(
        published).replace(microsecond=0)

    events = _vevents(body)
    assert set(events) == set(expected)
    for uid, step in expected.items():
        ev = events[uid]
        assert ev.decoded("dtstart") == step.start and ev.decoded("dtend") == step.end
        assert ev["dtstart"].params["TZID"] == "Europe/Berlin"
        assert str(ev["status"]) == "CONFIRMED" and int(ev["sequence"]) == 0
        rid = step.request_id
        assert str(ev["url"]) == f"http://localhost/api/v1/requests/{rid}"
        assert str(ev["location"]).startswith("Teststraße")
    other = _ics_events(body)  # the second, independent parser agrees
    for uid, step in expected.items():
        assert other[uid].begin.datetime == step.start and other[uid].end.datetime == step.end

    # Conditional GET: the ETag, or the Last-Modified date, gives 304 without a body.
    etag, last = resp.headers["ETag"], resp.headers["Last-Modified"]
    again = _feed(api, path, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert _feed(api, path, **{"If-Modified-Since": last}).status_code == 304
    earlier = format_datetime(parsedate_to_datetime(last) - timedelta(seconds=1), usegmt=True)
    assert _feed(api, path, **{"If-Modified-Since": earlier}).status_code == 200
    assert _feed(api, path, **{"If-None-Match": '"other"'}).status_code == 200
    assert _feed(api, path).get_data() == body  # unchanged plan, identical bytes

    # t2 is in no plan: an empty, valid calendar.
    _, path2 = _token(api, "t2")
    assert _vevents(_feed(api, path2).get_data()) == {}


def test_feed_tokens_rotate_and_every_bad_token_is_404(api: Api) -> None:
    for tid in ("t1", "t2"):
        api.post("/api/v1/technicians", json=technician(tid))
    old, old_path = _token(api, "t1")
    assert _feed(api, old_path).status_code == 200
    new, new_path = _token(api, "t1", role="dispatcher")
    assert new != old
    assert_problem(_feed(api, old_path), 404)  # rotation revoked the old token
    assert _feed(api, new_path).status_code == 200
    t2_token, _ = _token(api, "t2")
    for bad in (f"/calendars/technicians/t1.ics?token={t2_token}",  # another technician's
                "/calendars/technicians/t1.ics",                      # missing
                "/calendars/technicians/t1.ics?token=",
                f"/calendars/technicians/t1.ics?token={new}x",        # wrong
                f"/calendars/technicians/t1.ics?token={api.keys['admin']}",  # an API key
                f"/calendars/technicians/ghost.ics?token={new}"):     # unknown technician
        body = assert_problem(_feed(api, bad), 404)
        assert body["detail"] == "calendar not found"  # the same answer whatever was wrong
    # The old revoked-token endpoint and this one share the table.
    assert api.count("feed_tokens") == 3

    # Roles: a technician may rotate its own token only; managers not at all.
    api.add_key("tech1", "technician", "t1")
    resp = api.post("/api/v1/technicians/t1/feed-token", role="tech1")
    assert resp.status_code == 201 and resp.get_json()["revoked"] == 1
    assert_problem(_feed(api, new_path), 404)
    assert_problem(api.post("/api/v1/technicians/t2/feed-token", role="tech1"), 403)
    assert_problem(api.post("/api/v1/technicians/t1/feed-token", role="manager"), 403)
    assert_problem(api.post("/api/v1/technicians/t1/feed-token", role=None), 401)
    assert_problem(api.post("/api/v1/technicians/ghost/feed-token"), 404)


def test_republish_moves_cancels_and_keeps_jobs(api: Api) -> None:
    day = _day(1)
    for tid in ("t1", "t2"):
        api.post("/api/v1/technicians", json=technician(tid))
    api.post("/api/v1/shifts", json=_shift("s1", "t1", day))
    api.post("/api/v1/requests", json=_request("r1", day, 1, "08:00", "10:00"))
    for i in range(2, 5):
        api.post("/api/v1/requests", json=_request(f"r{i}", day, i, "08:00", "12:00"))
    first = _plan(api, day)
    assert set(_jobs(first, "t1")) == {job_uid(f"r{i}") for i in range(1, 5)}
    _, path = _token(api, "t1")
    _, path2 = _token(api, "t2")
    before = _feed(api, path)

    # Between the publishes: r1 must move to the afternoon, r2 goes to t2, r3 is
    # cancelled, and r4 is done (so no longer part of any re-plan).
    moved = _request("r1", day, 1, "13:00", "15:00", required_technicians=["t1"])
    assert api.put("/api/v1/requests/r1", json=moved).status_code == 200
    api.post("/api/v1/shifts", json=_shift("s2", "t2", day))
    assert api.put("/api/v1/requests/r2", json=_request(
        "r2", day, 2, "08:00", "12:00", required_technicians=["t2"])).status_code == 200
    assert api.post("/api/v1/requests/r3/status", json={"status": "cancelled"}).status_code == 200
    for status in ("en_route", "on_site", "done"):
        assert api.post("/api/v1/requests/r4/status", json={"status": status}).status_code == 200
    second = _plan(api, day)
    assert set(_jobs(second, "t1")) == {job_uid("r1")}
    assert set(_jobs(second, "t2")) == {job_uid("r2")}

    after = _feed(api, path, **{"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    events = _vevents(after.get_data())
    assert set(events) == {job_uid(f"r{i}") for i in range(1, 5)}  # nothing vanished
    old, new = _jobs(first, "t1"), _jobs(second, "t1")

    def check(rid: str, status: str, sequence: int, step: Step) -> None:
        ev = events[job_uid(rid)]
        assert (str(ev["status"]), int(ev["sequence"])) == (status, sequence), rid
        assert (ev.decoded("dtstart"), ev.decoded("dtend")) == (step.start, step.end), rid

    check("r1", "CONFIRMED", 1, new[job_uid("r1")])   # moved: same UID, next revision
    assert new[job_uid("r1")].start >= datetime.combine(day, time(13), tzinfo=TZ)
    check("r2", "CANCELLED", 1, old[job_uid("r2")])   # now t2's job: cancelled here
    check("r3", "CANCELLED", 1, old[job_uid("r3")])   # request cancelled
    check("r4", "CONFIRMED", 0, old[job_uid("r4")])   # done: stays as it was
    assert str(events[job_uid("r2")]["transp"]) == "TRANSPARENT"
    by_ics = _ics_events(after.get_data())
    assert {uid: e.status for uid, e in by_ics.items()} == {
        job_uid("r1"): "CONFIRMED", job_uid("r2"): "CANCELLED",
        job_uid("r3"): "CANCELLED", job_uid("r4"): "CONFIRMED"}
    # t2's feed has r2, new to it.
    t2 = _vevents(_feed(api, path2).get_data())
    assert {uid: (str(e["status"]), int(e["sequence"])) for uid, e in t2.items()} == {
        job_uid("r2"): ("CONFIRMED", 0)}


def test_next_days_plan_keeps_todays_jobs(api: Api) -> None:
    d1, d2 = _day(1), _day(2)
    api.post("/api/v1/technicians", json=technician("t1"))
    api.post("/api/v1/shifts", json=_shift("s1", "t1", d1, lunch=True))
    api.post("/api/v1/shifts", json=_shift("s2", "t1", d2, lunch=True))
    api.post("/api/v1/requests", json=_request("a", d1, 1))
    api.post("/api/v1/requests", json=_request("b", d2, 2))
    first = _plan(api, d1, request_ids=["a"])
    second = _plan(api, d2, request_ids=["b"])
    _, path = _token(api, "t1")
    resp = _feed(api, path)
    events = _vevents(resp.get_data())
    expected = {**_jobs(first, "t1"), **_jobs(second, "t1")}
    assert set(expected) == {job_uid("a"), job_uid("b")}
    for uid, step in expected.items():
        assert str(events[uid]["status"]) == "CONFIRMED" and int(events[uid]["sequence"]) == 0
        assert events[uid].decoded("dtstart") == step.start
    # Breaks are not carried over like jobs: only the horizon keeps d1's lunch.
    breaks = sorted(s.start for p in (first, second) for r in p.routes for s in r.steps
                    if s.kind is StepKind.BREAK)
    assert [b.date() for b in breaks] == [d1, d2]
    shown = _vevents(resp.get_data(), kind="break")
    assert sorted(e.decoded("dtstart") for e in shown.values()) == breaks
    last = datetime.fromisoformat(api.get("/api/v1/plans?per_page=1").get_json()["items"][0][
        "published_at"])
    assert parsedate_to_datetime(resp.headers["Last-Modified"]) == last.replace(microsecond=0)


def test_feed_window_leaves_out_old_plans(api: Api) -> None:
    """A plan 8+ days in the past is not read at all (its horizon is outside the window)."""
    api.post("/api/v1/technicians", json=technician("t1"))
    old_day = _day(-9)
    api.post("/api/v1/shifts", json=_shift("s1", "t1", old_day))
    api.post("/api/v1/requests", json=_request("old", old_day, 1))
    plan = _plan(api, old_day)
    assert set(_jobs(plan, "t1")) == {job_uid("old")}
    _, path = _token(api, "t1")
    resp = _feed(api, path)
    assert _vevents(resp.get_data()) == {}
    assert "Last-Modified" not in resp.headers
    from fieldops.services.feeds import technician_feed

    with api.app.extensions["fieldops"].db.session() as s:
        feed = technician_feed(s, "t1", now=datetime.now(UTC))
        assert feed is not None and feed.publishes == 0
        past = technician_feed(s, "t1", now=datetime.now(UTC) - timedelta(days=9))
        assert past is not None and past.publishes == 1
        assert [e.uid for e in past.events] == [job_uid("old")]


def test_feed_event_lists_the_customers_last_visit(api: Api) -> None:
    # Visit one for customer c9 is done through the technician's status updates;
    # the next job for c9, published the day after, names it in its description.
    today, tomorrow = _day(1), _day(2)
    api.post("/api/v1/technicians", json=technician("t1"))
    api.post("/api/v1/shifts", json=_shift("s1", "t1", today))
    api.post("/api/v1/shifts", json=_shift("s2", "t1", tomorrow))
    api.post("/api/v1/requests", json=_request("first", today, 1, customer_id="c9",
                                                job_type="boiler service"))
    _plan(api, today, request_ids=["first"])
    api.add_key("tech", "technician", "t1")
    for status in ("en_route", "on_site", "done"):
        resp = api.post("/api/v1/requests/first/status", role="tech", json={"status": status})
        assert resp.status_code == 200, resp.get_json()
    api.post("/api/v1/requests", json=_request("second", tomorrow, 2, customer_id="c9"))
    _plan(api, tomorrow, request_ids=["second"])

    _, path = _token(api, "t1")
    events = _vevents(_feed(api, path).get_data())
    done_on = datetime.now(TZ).date().isoformat()
    second = str(events[job_uid("second")]["description"])
    assert f"Last visits: {done_on} boiler service by t1" in second
    assert "Last visits" not in str(events[job_uid("first")]["description"])

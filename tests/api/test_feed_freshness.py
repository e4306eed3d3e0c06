"""Stored feeds never go stale: after each change that can alter what a technician's
feed shows, the served feed equals one rebuilt from scratch (publish history, request
statuses, visits, contacts, names) at the same instant.

The oracle is :func:`fieldops.services.feeds._build_technician` (the replay the stored
document is rendered from); events are compared by their content, not by the stamp of
when the document was rendered.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import icalendar
import pytest

from fieldops.services import feeds

from .conftest import Api, technician, wait_plan
from .test_calendar_api import _at, _day, _feed, _plan, _request, _shift, _token

#: Event properties a change can alter (DTSTAMP and LAST-MODIFIED say when the
#: document was rendered, not what it shows).
SHOWN = ("uid", "status", "sequence", "summary", "description", "location", "dtstart",
         "dtend", "url", "categories")


def _content(body: bytes) -> tuple[str, list[tuple[str, ...]]]:
    cal = icalendar.Calendar.from_ical(body)
    events = sorted(tuple(str(e.get(k).to_ical() if hasattr(e.get(k), "to_ical")
                              else e.get(k)) for k in SHOWN) for e in cal.walk("VEVENT"))
    return str(cal.get("x-wr-calname")), events


def _assert_fresh(api: Api, paths: dict[str, str], after: str = "publish") -> None:
    now = datetime.now(UTC)
    db = api.app.extensions["fieldops"].db
    for tid, path in paths.items():
        served = _feed(api, path)
        assert served.status_code == 200, (after, tid, served.get_data())
        with db.session() as s:
            built = feeds._build_technician(s, tid, now=now,
                                            job_url=feeds.job_urls("http://localhost"))
        assert built is not None
        assert _content(served.get_data()) == _content(built[0].body), (after, tid)


@pytest.fixture
def day_feeds(api: Api) -> dict[str, str]:
    """Tomorrow: t1 and t2 with a shift each, four requests of customer c1 and one
    of c2, solved and published; the feed paths of both technicians (read once so
    their documents are stored)."""
    day = _day(1)
    assert api.post("/api/v1/customers", json={"id": "c1", "name": "Mia"}).status_code == 201
    assert api.post("/api/v1/customers", json={"id": "c2", "name": "Leo"}).status_code == 201
    for tid in ("t1", "t2"):
        assert api.post("/api/v1/technicians", json=technician(tid)).status_code == 201
        assert api.post("/api/v1/shifts", json=_shift(f"s{tid}", tid, day)).status_code == 201
    for i in range(1, 6):
        body = _request(f"r{i}", day, i, customer_id="c1" if i < 5 else "c2")
        assert api.post("/api/v1/requests", json=body).status_code == 201
    _plan(api, day)
    paths = {tid: _token(api, tid)[1] for tid in ("t1", "t2")}
    _assert_fresh(api, paths)
    return paths


def _status(rid: str, *statuses: str) -> Callable[[Api], Any]:
    def change(api: Api) -> Any:
        for status in statuses:
            resp = api.post(f"/api/v1/requests/{rid}/status", json={"status": status})
            assert resp.status_code == 200, (status, resp.get_json())
        return resp

    return change


def _put_request(api: Api) -> Any:
    current = api.get("/api/v1/requests/r2").get_json()
    body = {k: v for k, v in current.items() if k in ("id", "location", "duration", "windows",
                                                      "customer_id", "priority")}
    body["duration"] = "PT50M"
    return api.put("/api/v1/requests/r2", json=body)


def _rename_technician(api: Api) -> Any:
    return api.put("/api/v1/technicians/t1", json={**technician("t1"), "name": "Tina Neu"})


CHANGES: dict[str, Callable[[Api], Any]] = {
    "technician renamed": _rename_technician,
    "request cancelled": _status("r1", "cancelled"),
    "request done (a visit of its customer)": _status("r3", "en_route", "on_site", "done"),
    "request cancelled then deleted": lambda api: (_status("r4", "cancelled")(api),
                                                   api.delete("/api/v1/requests/r4"))[1],
    "request replaced": _put_request,
    "shift deleted": lambda api: api.delete("/api/v1/shifts/st2"),
    "customer renamed": lambda api: api.put("/api/v1/customers/c1",
                                            json={"id": "c1", "name": "Mia Neu"}),
    "contact logged": lambda api: api.post("/api/v1/customers/c2/contacts",
                                           json={"channel": "phone", "summary": "Call first"}),
}


def _insert_live(api: Api) -> Any:
    """A live insertion of a critical job of c1, solved and published: a live
    proposal re-renders only the technicians its diff tells, every other stored
    feed must still be current."""
    day = _day(1)
    body = _request("E-1", day, 7, customer_id="c1", priority="critical")
    assert api.post("/api/v1/requests", json=body).status_code == 201
    resp = api.post(f"/api/v1/days/{day.isoformat()}/insertions",
                    json={"request_id": "E-1", "as_of": _at(day, "07:30")})
    assert resp.status_code == 201, resp.get_json()
    plan = wait_plan(api, f"/api/v1/plans/{resp.get_json()['plan_id']}")
    assert plan["status"] == "done", plan
    return api.post(f"/api/v1/plans/{plan['id']}/publish", json={})


def _event(**body: Any) -> Callable[[Api], Any]:
    return lambda api: api.post(f"/api/v1/days/{_day(1).isoformat()}/events", json=body)


CHANGES["delay reported"] = _event(type="delay", request_id="r5",
                                   expected_end=_at(_day(1), "16:30"),
                                   reported_at=_at(_day(1), "07:00"))
CHANGES["technician unavailable (jobs released)"] = _event(
    type="unavailable", technician_id="t2", start=_at(_day(1), "07:00"), end=None,
    reason="ill", reported_at=_at(_day(1), "07:00"))
CHANGES["live insertion published"] = _insert_live


def test_the_served_feeds_are_the_rebuilt_feeds_after_every_change(
        api: Api, day_feeds: dict[str, str]) -> None:
    # One published day, the changes one after the other (a solve per change would
    # cost seconds each): after each, both stored feeds are current.
    for change, apply in CHANGES.items():
        resp = apply(api)
        assert resp.status_code < 300, (change, resp.get_json())
        _assert_fresh(api, day_feeds, change)

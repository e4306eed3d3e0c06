"""The customer's tracking link: issuing and revoking it, the public page (HTML and
JSON), its 404s and rate limit, cancelling through it, and the visit rating.

Tokens expire some days after their job, so these tests plan for tomorrow (in
Europe/Berlin) rather than the fixed ``conftest.DAY``.
"""

from __future__ import annotations

import re
import threading
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from fieldops.api.tracking_page import TRACK_CSP

from .conftest import Api, assert_problem, technician, wait_plan

TZ = ZoneInfo("Europe/Berlin")
JSON = {"Accept": "application/json"}


def _day(offset: int) -> date:
    return datetime.now(TZ).date() + timedelta(days=offset)


def _at(day: date, hhmm: str) -> str:
    h, m = map(int, hhmm.split(":"))
    return datetime.combine(day, time(h, m), tzinfo=TZ).isoformat()


def _request(rid: str, day: date, start: str = "10:00", end: str = "12:00",
             **extra: Any) -> dict[str, Any]:
    body = {"id": rid, "location": {"lat": 52.53, "lon": 13.41}, "duration": "PT30M",
            "windows": [{"start": _at(day, start), "end": _at(day, end)}],
            "customer_id": "c1", **extra}
    return body


def _published_day(api: Api, *rids: str, day: date | None = None,
                   window: tuple[str, str] = ("10:00", "12:00")) -> None:
    """Technician Ann Example (t1) with a shift on ``day`` (tomorrow), the requests
    (each with ``window`` that day) planned and published."""
    day = day or _day(1)
    tech = {**technician("t1"), "name": "Ann Example"}
    assert api.post("/api/v1/technicians", json=tech).status_code == 201
    assert api.post("/api/v1/shifts", json={
        "id": "s1", "technician_id": "t1", "start": _at(day, "08:00"),
        "end": _at(day, "17:00")}).status_code == 201
    for rid in rids:
        resp = api.post("/api/v1/requests", json=_request(rid, day, *window))
        assert resp.status_code == 201, resp.get_json()
    body = {"timezone": "Europe/Berlin", "params": {"time_limit": 1},
            "horizon": {"start": _at(day, "00:00"), "end": _at(day + timedelta(days=1), "00:00")}}
    resp = api.post("/api/v1/plans", json=body)
    plan = wait_plan(api, resp.headers["Location"])
    assert plan["status"] == "done", plan
    assert api.post(f"/api/v1/plans/{plan['id']}/publish", json={}).status_code == 200


def _link(api: Api, rid: str = "r1", **body: Any) -> str:
    resp = api.post(f"/api/v1/requests/{rid}/tracking-link", json=body, role="dispatcher")
    assert resp.status_code == 201, resp.get_json()
    out = resp.get_json()
    assert out["token"].startswith("fot_") and out["request_id"] == rid
    path = urlsplit(out["url"]).path
    assert path == f"/track/{out['token']}"
    return path


def _page(api: Api, path: str) -> dict[str, Any]:
    resp = api.get(path, role=None, headers=JSON)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.mimetype == "application/json"
    return resp.get_json()  # type: ignore[no-any-return]


def _finish(api: Api, rid: str = "r1") -> None:
    api.add_key("tech", "technician", "t1")
    for status in ("en_route", "on_site", "done"):
        resp = api.post(f"/api/v1/requests/{rid}/status", role="tech", json={"status": status})
        assert resp.status_code == 200, resp.get_json()


def test_page_shows_status_window_eta_and_first_name(api: Api) -> None:
    _published_day(api, "r1")
    path = _link(api, prepare=["Keep the dog inside"])
    page = _page(api, path)
    assert page["status"] == "scheduled"
    window = page["appointment"]
    day = _day(1)
    assert datetime.fromisoformat(window["start"]) == datetime.fromisoformat(_at(day, "10:00"))
    assert datetime.fromisoformat(window["end"]) == datetime.fromisoformat(_at(day, "12:00"))
    # The technician is free from 08:00 but the customer waits for the window:
    # the ETA is the expected service start, never before the window opens.
    eta = datetime.fromisoformat(page["eta"])
    assert datetime.fromisoformat(window["start"]) <= eta <= datetime.fromisoformat(window["end"])
    staff = api.get("/api/v1/requests/r1/tracking").get_json()
    assert eta == max(datetime.fromisoformat(staff["planned_start"]),
                      datetime.fromisoformat(window["start"]))
    assert page["technician"] == {"first_name": "Ann"}
    assert page["prepare"] == ["Keep the dog inside"]
    assert page["timezone"] == "Europe/Berlin"
    assert set(page["links"]) == {"self", "reschedule", "cancel"}
    assert page["can_rate"] is False and page["rating"] is None
    # Nothing identifying staff, the plan or the customer's record leaves the server.
    # (The links carry the random token, which may spell "c1" by chance: they are
    # checked to be the token's own paths, and the rest for the staff's ids.)
    token = path.rsplit("/", 1)[-1]
    assert {link.replace(token, "TOKEN") for link in page["links"].values()} == {
        "/track/TOKEN", "/track/TOKEN/reschedule", "/track/TOKEN/cancel"}
    text = str({k: v for k, v in page.items() if k != "links"})
    assert "t1" not in text and "c1" not in text and "Example" not in text

    html = api.get(path, role=None)
    assert html.status_code == 200 and html.mimetype == "text/html"
    assert html.headers["Content-Security-Policy"] == TRACK_CSP
    assert html.headers["Cache-Control"] == "no-store"
    body = html.get_data(as_text=True)
    assert "Ann" in body and "Keep the dog inside" in body and "Europe/Berlin" in body
    assert 'name="viewport"' in body
    # No script and nothing fetched from anywhere: every URL on the page is relative.
    assert "<script" not in body
    assert not re.search(r"""(src|href|action)=["']?(https?:)?//""", body)


def test_wrong_revoked_and_expired_links_answer_the_same_404(api: Api) -> None:
    _published_day(api, "r1")
    first = _link(api)
    second = _link(api)  # a new link revokes the first
    past = _day(-(10))
    assert api.post("/api/v1/requests", json=_request("old", past)).status_code == 201
    expired = _link(api, "old")
    _page(api, second)
    made_up = "/track/fot_" + "A" * 43
    bodies = []
    for path in (first, expired, made_up, "/track/nonsense"):
        resp = api.get(path, role=None, headers=JSON)
        body = assert_problem(resp, 404)
        bodies.append({k: v for k, v in body.items() if k != "instance"})
        html = api.get(path, role=None)
        assert html.status_code == 404 and html.mimetype == "text/html"
        assert "does not exist or has expired" in html.get_data(as_text=True)
    assert all(b == bodies[0] for b in bodies), bodies
    # Revoking stops the live link too.
    resp = api.delete("/api/v1/requests/r1/tracking-link", role="dispatcher")
    assert resp.status_code == 200 and resp.get_json() == {"revoked": 1}
    assert api.get(second, role=None, headers=JSON).status_code == 404


def test_staff_endpoints_need_a_writer_key(api: Api) -> None:
    _published_day(api, "r1")
    assert api.post("/api/v1/requests/r1/tracking-link", role=None, json={}).status_code == 401
    assert api.post("/api/v1/requests/r1/tracking-link", role="manager",
                    json={}).status_code == 403
    assert_problem(api.post("/api/v1/requests/nope/tracking-link", json={}), 404)
    assert_problem(api.post("/api/v1/requests/r1/tracking-link", json={"prepare": [""]}),
                   422, "prepare[0]")


@pytest.mark.parametrize("app_config", [{"TRACK_RATE_LIMIT": 3}])
def test_requests_per_token_are_limited(api: Api) -> None:
    _published_day(api, "r1", "r2")
    one, two = _link(api, "r1"), _link(api, "r2")
    for _ in range(3):
        _page(api, one)
    resp = api.get(one, role=None, headers=JSON)
    assert_problem(resp, 429)
    assert int(resp.headers["Retry-After"]) >= 1
    html = api.get(one, role=None)  # a browser gets a page saying so
    assert html.status_code == 429 and html.mimetype == "text/html"
    assert int(html.headers["Retry-After"]) >= 1
    _page(api, two)  # another link has its own budget


def test_customer_cancels_through_the_link(api: Api) -> None:
    _published_day(api, "r1")
    path = _link(api)
    confirm = api.get(f"{path}/cancel", role=None)
    assert confirm.status_code == 200 and "Yes, cancel it" in confirm.get_data(as_text=True)
    resp = api.post(f"{path}/cancel", role=None, data={})
    assert resp.status_code == 303 and urlsplit(resp.headers["Location"]).path == path
    page = _page(api, path)
    assert page["status"] == "cancelled" and page["eta"] is None
    assert page["technician"] is None and set(page["links"]) == {"self"}
    history = api.get("/api/v1/requests/r1/history").get_json()
    assert history[-1]["status"] == "cancelled"
    assert history[-1]["actor"] == "customer (tracking link)"
    again = api.post(f"{path}/cancel", role=None, headers=JSON, json={})
    assert assert_problem(again, 409)["type"].endswith("not-changeable")


def test_rating_is_asked_once_after_the_visit(api: Api) -> None:
    _published_day(api, "r1")
    path = _link(api)
    early = api.post(f"{path}/rating", role=None, json={"rating": 5})
    assert assert_problem(early, 409, "rating")["type"].endswith("not-done")
    _finish(api)
    page = _page(api, path)
    assert page["can_rate"] is True and page["links"]["rating"] == f"{path}/rating"
    html = api.get(path, role=None).get_data(as_text=True)
    assert 'name="rating"' in html and "http-equiv=\"refresh\"" not in html
    assert_problem(api.post(f"{path}/rating", role=None, json={"rating": 6}), 422, "rating")
    assert_problem(api.post(f"{path}/rating", role=None, json={"rating": "5"}), 422, "rating")
    bad_form = api.post(f"{path}/rating", role=None, data={"rating": "0"})
    assert bad_form.status_code == 422
    assert 'role="alert">Your rating must be from 1 to 5.' in bad_form.get_data(as_text=True)
    assert 'id="rating-form"' in bad_form.get_data(as_text=True)  # the form, again

    resp = api.post(f"{path}/rating", role=None,
                    data={"rating": "4", "comment": "Quick and tidy"})
    assert resp.status_code == 303
    page = _page(api, path)
    assert page["rating"] == {"score": 4, "comment": "Quick and tidy"}
    assert page["can_rate"] is False and "rating" not in page["links"]
    again = api.post(f"{path}/rating", role=None, json={"rating": 1})
    assert assert_problem(again, 409)["type"].endswith("already-rated")

    sat = api.get("/api/v1/satisfaction?timezone=Europe/Berlin").get_json()
    assert sat["count"] == 1 and sat["average"] == 4
    assert sat["by_technician"] == [{"technician_id": "t1", "name": "Ann Example", "count": 1,
                                     "average": 4.0,
                                     "scores": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}}]
    assert [d["date"] for d in sat["by_day"]] == [datetime.now(TZ).date().isoformat()]
    plan_id = api.get("/api/v1/plans?status=done").get_json()["items"][0]["id"]
    report = api.get(f"/api/v1/plans/{plan_id}/report.html").get_data(as_text=True)
    section = report[report.index('<section id="satisfaction">'):]
    section = section[:section.index("</section>")]
    assert "1 rating, average <strong>4.00</strong>" in section
    assert '<tr data-technician="t1"><td>Ann Example</td><td class="num">1</td>' in section
    assert f'data-day="{datetime.now(TZ).date().isoformat()}"' in section
    history = api.get("/api/v1/customers/c1/history").get_json()
    assert {h["kind"] for h in history} == {"visit", "rating"}
    rating = next(h for h in history if h["kind"] == "rating")
    assert rating["rating"] == 4 and rating["technician_id"] == "t1"


def test_racing_ratings_store_exactly_one(api: Api) -> None:
    _published_day(api, "r1")
    path = _link(api)
    _finish(api)
    answers: list[int] = []
    start = threading.Barrier(4)

    def rate(score: int) -> None:
        client = api.app.test_client()
        start.wait()
        answers.append(client.post(f"{path}/rating", json={"rating": score}).status_code)

    threads = [threading.Thread(target=rate, args=(n,)) for n in (1, 2, 3, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [201, 409, 409, 409]
    assert api.count("ratings") == 1


def test_satisfaction_bad_input(api: Api) -> None:
    assert_problem(api.get("/api/v1/satisfaction?timezone=Mars/Olympus"), 422, "timezone")
    assert_problem(api.get("/api/v1/satisfaction?from=yesterday"), 422, "from")
    empty = api.get("/api/v1/satisfaction").get_json()
    assert empty == {"count": 0, "average": None, "timezone": "UTC", "by_technician": [],
                     "by_day": []}


def test_customer_reschedules_to_an_offered_slot(api: Api) -> None:
    _published_day(api, "r1", window=("08:00", "17:00"))  # any time that day
    path = _link(api)
    page = api.get(f"{path}/reschedule", role=None)
    assert page.status_code == 200 and page.headers["Content-Security-Policy"] == TRACK_CSP
    offers = api.get(f"{path}/reschedule", role=None, headers=JSON).get_json()["offers"]
    assert offers and all(set(o) == {"slot_id", "date", "start", "end", "earliest_arrival",
                                     "latest_arrival"} for o in offers)
    current = _page(api, path)["appointment"]
    wanted = next(o for o in offers if o["start"] != current["start"])
    assert wanted["slot_id"] in page.get_data(as_text=True)
    resp = api.post(f"{path}/reschedule", role=None, data={"slot_id": wanted["slot_id"]})
    assert resp.status_code == 303, resp.get_data(as_text=True)
    moved = _page(api, path)
    assert moved["appointment"] == {"start": wanted["start"], "end": wanted["end"]}
    assert datetime.fromisoformat(wanted["start"]) <= datetime.fromisoformat(moved["eta"])
    booking = api.get("/api/v1/requests/r1/booking").get_json()
    assert booking["status"] == "booked" and booking["slot_id"] == wanted["slot_id"]
    # A made-up slot is refused with the field named; the booking stays.
    bad = api.post(f"{path}/reschedule", role=None, json={"slot_id": "tomorrow"})
    assert_problem(bad, 422, "slot_id")
    # Cancelling a booked visit goes through the booking's cancel (out of the plan).
    assert api.post(f"{path}/cancel", role=None, data={}).status_code == 303
    assert api.get("/api/v1/requests/r1/booking").get_json()["status"] == "cancelled"
    assert _page(api, path)["status"] == "cancelled"


def test_eta_follows_the_live_day(api: Api) -> None:
    # The first job of the route runs long: the customer of the second sees the
    # later expected start at once, without a re-plan.
    day = _day(1)
    _published_day(api, "r1", "r2", window=("08:00", "16:00"))
    first, second = sorted(("r1", "r2"), key=lambda r: api.get(
        f"/api/v1/requests/{r}/tracking").get_json()["planned_start"])
    path = _link(api, second)
    before = datetime.fromisoformat(_page(api, path)["eta"])
    api.add_key("tech", "technician", "t1")
    for status in ("en_route", "on_site"):  # a delay is reported for work under way
        resp = api.post(f"/api/v1/requests/{first}/status", role="tech",
                        json={"status": status})
        assert resp.status_code == 200, resp.get_json()
    late = _at(day, "14:00")
    resp = api.post(f"/api/v1/days/{day.isoformat()}/events",
                    json={"type": "delay", "request_id": first, "expected_end": late})
    assert resp.status_code == 201, resp.get_json()
    after = datetime.fromisoformat(_page(api, path)["eta"])
    assert after > before and after >= datetime.fromisoformat(late)
    staff = api.get(f"/api/v1/requests/{second}/tracking").get_json()
    assert datetime.fromisoformat(staff["eta"]) == after


def test_views_share_the_days_state_until_the_day_changes(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from fieldops.services import live
    from fieldops.services import tracking as svc
    from fieldops.store.models import RequestRow

    day = _day(1)
    _published_day(api, "r1", "r2", window=("08:00", "16:00"))
    first, second = sorted(("r1", "r2"), key=lambda r: api.get(
        f"/api/v1/requests/{r}/tracking").get_json()["planned_start"])
    path = _link(api, second)
    built: list[date] = []
    real = live.live_day
    monkeypatch.setattr(live, "live_day", lambda s, row, as_of: (
        built.append(row.day), real(s, row, as_of))[1])
    svc._STATES.clear()
    etas = {_page(api, path)["eta"] for _ in range(3)}
    assert len(etas) == 1 and len(built) == 1  # three views, one state
    monkeypatch.setattr(live, "live_day", real)
    api.add_key("tech", "technician", "t1")
    assert api.post(f"/api/v1/requests/{first}/status", role="tech",
                    json={"status": "en_route"}).status_code == 200
    _page(api, path)
    versions = sorted(key[1] for key in svc._STATES)
    assert len(versions) == 2 and versions[0] < versions[1]  # the status: a new state
    # The cached state at any instant gives the uncached ETA (the walk depends on it).
    with api.app.extensions["fieldops"].db.session() as s:
        row = s.get(RequestRow, second)
        assert row is not None
        for hhmm in ("07:00", "12:00", "15:50"):
            at = datetime.fromisoformat(_at(day, hhmm))
            assert svc.live_eta(s, row, at) == live.tracking_eta(s, row, at), hhmm

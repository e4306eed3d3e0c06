"""The board in a real browser (headless Debian Chromium through Playwright).

Loading a day, an emergency insertion through the page, a drag that a hard
constraint refuses (with the reason shown), a drag that is accepted and published,
marking a technician unavailable, the keyboard; every test asserts that the page
asked no host but 127.0.0.1 and logged no script or CSP error.

The day is tomorrow (Europe/Berlin), so the API's ``as_of`` (now) lies before it and
every job can still be moved.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from benchmarks._board_browser import CHROMIUM, Board, board_page, serve

from .conftest import Api, _empty, wait_plan

pytestmark = [pytest.mark.chromium, pytest.mark.slow]

TZ = "Europe/Berlin"
DAY = (datetime.now(ZoneInfo(TZ)).date() + timedelta(days=1)).isoformat()
#: Responses the page gets on purpose in some tests (a refused move): Chromium logs them.
EXPECTED_REFUSALS = ("status of 422", "status of 409")


def chromium_or_skip() -> None:
    """A skip where Chromium is missing; a failure with FIELDOPS_TEST_CHROMIUM=1 (CI)."""
    if CHROMIUM.exists():
        return
    if os.environ.get("FIELDOPS_TEST_CHROMIUM") == "1":
        pytest.fail(f"FIELDOPS_TEST_CHROMIUM=1 but {CHROMIUM} does not exist")
    pytest.skip(f"{CHROMIUM} not installed (set FIELDOPS_TEST_CHROMIUM=1 to require it)")


def _doc_shot(board: Board, name: str) -> None:
    """With FIELDOPS_BOARD_SCREENSHOTS=DIR, save the page as DIR/name (docs/img's
    pictures of the board come from these tests)."""
    folder = os.environ.get("FIELDOPS_BOARD_SCREENSHOTS")
    if folder:
        board.page.screenshot(path=os.path.join(folder, name))


def _at(hm: str) -> str:
    return datetime.fromisoformat(f"{DAY}T{hm}:00").replace(tzinfo=ZoneInfo(TZ)).isoformat()


def _seed(api: Api) -> dict[str, Any]:
    """Three technicians (only ann has hvac level 2), eight jobs, solved and published."""
    techs = [("ann", [{"name": "hvac", "level": 2}]), ("bob", [{"name": "hvac", "level": 1}]),
             ("cyd", [])]
    for i, (tid, skills) in enumerate(techs):
        body = {"id": tid, "name": tid.title(), "home": {"lat": 52.50 + i / 100, "lon": 13.40},
                "skills": skills}
        assert api.post("/api/v1/technicians", json=body).status_code == 201
        shift = {"id": f"{tid}-day", "technician_id": tid, "start": _at("08:00"),
                 "end": _at("17:00")}
        assert api.post("/api/v1/shifts", json=shift).status_code == 201
    for i in range(8):
        body: dict[str, Any] = {
            "id": f"job-{i}", "location": {"lat": 52.49 + i / 150, "lon": 13.37 + i / 120},
            "duration": "PT45M", "customer_id": f"cust-{i % 3}",
            "windows": [{"start": _at("08:00"), "end": _at("16:00")}]}
        if i == 0:
            body["required_skills"] = [{"name": "hvac", "level": 2}]
        assert api.post("/api/v1/requests", json=body).status_code == 201
    resp = api.post("/api/v1/plans", json={
        "timezone": TZ, "horizon": {"start": _at("00:00"), "end": _at("23:59")},
        "params": {"time_limit": 2}})
    assert resp.status_code == 202, resp.get_json()
    plan = wait_plan(api, resp.headers["Location"])
    assert plan["status"] == "done"
    published = api.post(f"/api/v1/plans/{plan['id']}/publish", json={"dispatch": True})
    assert published.status_code == 200, published.get_json()
    day = api.get(f"/api/v1/days/{DAY}").get_json()
    return day  # type: ignore[no-any-return]


def _stop_tech(day: dict[str, Any], request_id: str) -> str | None:
    for tech in day["technicians"]:
        if any(s["request_id"] == request_id for s in tech["stops"]):
            return str(tech["technician_id"])
    return None


def _published_is_valid(api: Api, kind: str) -> None:
    """The proposal the page published is the day's plan, and the independent
    validator accepts it (wait_plan re-checks every result it returns)."""
    plan_id = api.get(f"/api/v1/days/{DAY}").get_json()["published_plan_id"]
    plan = wait_plan(api, f"/api/v1/plans/{plan_id}")
    assert plan["kind"] == kind, plan.get("kind")
    assert plan["published_at"] is not None


@pytest.fixture
def db_url(_session_databases: dict[str, str]) -> str:
    """SQLite only: the browser drives the same API the other tests run on both
    databases (tests/api/test_board.py included), and a browser run costs minutes."""
    url = _session_databases["sqlite"]
    _empty(url)
    return url


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"BOARD_POLL_SECONDS": 0.5}  # the live-update test waits for one poll


@pytest.fixture
def board(api: Api) -> Iterator[tuple[Board, Api, dict[str, Any]]]:
    chromium_or_skip()
    day = _seed(api)
    with serve(api.app) as base, board_page(base, timezone=TZ) as b:
        b.sign_in(api.keys["dispatcher"], DAY)
        yield b, api, day
        assert b.outside == [], f"the board asked other hosts: {b.outside}"
        unexpected = [e for e in b.errors if not any(x in e for x in EXPECTED_REFUSALS)]
        assert unexpected == [], unexpected


def test_board_draws_the_day(board: tuple[Board, Api, dict[str, Any]]) -> None:
    b, _api, day = board
    page = b.page
    stops = [s for t in day["technicians"] for s in t["stops"]]
    assert page.locator(".tl-row").count() == 3
    assert page.locator(".tl-job").count() == len(stops) == 8
    # Map: one marker per job, one line per technician with two jobs or more.
    assert page.get_attribute("#map", "data-markers") == "8"
    assert page.locator("#map .leaflet-tile").count() == 0  # no tile server configured
    assert "3 technicians · 8 jobs · 0 unassigned" in page.inner_text("#summary")
    # Readable at 1366×768: nothing wider than the window, the map has room.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    box = page.locator("#map").bounding_box()
    assert box is not None and box["width"] > 600 and box["height"] > 250


def test_clicking_a_job_shows_details_and_customer_history(
        board: tuple[Board, Api, dict[str, Any]]) -> None:
    b, api, _day = board
    details = b.page.locator("#details")
    # A marker on the map (canvas: clicked where the page says it is drawn).
    point = b.page.evaluate("fieldopsBoard.markerPoint('job-4')")
    b.page.mouse.click(point["x"], point["y"])
    assert "job-4" in details.inner_text()
    # A block on the timeline; its customer (cust-1) was visited for job-4 meanwhile.
    for status in ("en_route", "on_site", "done"):
        resp = api.post("/api/v1/requests/job-4/status", json={"status": status})
        assert resp.status_code == 200, resp.get_json()
    b.page.click('.tl-job[data-id="job-1"]')
    assert "job-1" in details.inner_text()
    assert "cust-1" in details.inner_text()
    # The history is fetched after the click: wait for it (it reads "loading…" until
    # then, and the previous selection's history may still show for a moment).
    expect(b.page.locator("#history")).to_contain_text("job-4", timeout=10_000)


def test_keyboard_reaches_a_job_and_its_move_dialog(
        board: tuple[Board, Api, dict[str, Any]]) -> None:
    b, _api, _day = board
    page = b.page
    page.focus('.tl-job[data-id="job-2"]')
    page.keyboard.press("Enter")
    assert "job-2" in page.inner_text("#details")
    page.focus("#btn-move")
    page.keyboard.press("Enter")
    assert page.locator("dialog#dialog[open]").count() == 1
    assert page.evaluate("document.activeElement.id") == "mv-tech"
    page.keyboard.press("Escape")
    assert page.locator("dialog#dialog[open]").count() == 0


def test_emergency_insertion_through_the_page(board: tuple[Board, Api, dict[str, Any]]) -> None:
    b, api, _day = board
    page = b.page
    page.click("#btn-emergency")
    page.fill("#em-id", "E-1")
    page.fill("#em-lat", "52.515")
    page.fill("#em-lon", "13.405")
    page.fill("#em-duration", "30")
    page.fill("#em-from", "09:00")
    page.fill("#em-to", "15:00")
    page.select_option("#em-priority", "critical")
    page.click("#dialog-ok")
    page.wait_for_selector("#proposal")
    assert "Placed with" in page.inner_text("#proposal")
    assert "+ E-1" in page.inner_text("#proposal")
    page.click("#dialog-ok")  # Publish
    page.wait_for_selector('.tl-job[data-id="E-1"]')
    assert "published" in page.inner_text("#toast")
    day = api.get(f"/api/v1/days/{DAY}").get_json()
    assert _stop_tech(day, "E-1") is not None
    _published_is_valid(api, "insertion")


def test_a_refused_drag_shows_the_reason_and_changes_nothing(
        board: tuple[Board, Api, dict[str, Any]]) -> None:
    b, api, day = board
    before = api.get(f"/api/v1/days/{DAY}").get_json()["version"]
    assert _stop_tech(day, "job-0") == "ann"  # the only technician with hvac level 2
    b.page.drag_and_drop('.tl-job[data-id="job-0"]', '.tl-row[data-tech="cyd"] .tl-track')
    refusal = b.page.wait_for_selector("#refusal")
    text = refusal.inner_text()
    assert "hvac" in text, text
    _doc_shot(b, "board-move-refused.png")
    b.page.click("#dialog-cancel")
    assert api.get(f"/api/v1/days/{DAY}").get_json()["version"] == before


def test_an_accepted_drag_shows_its_diff_then_publishes(
        board: tuple[Board, Api, dict[str, Any]]) -> None:
    b, api, day = board
    job = next(s["request_id"] for t in day["technicians"] if t["technician_id"] != "cyd"
               for s in t["stops"] if s["request_id"] != "job-0")
    b.page.drag_and_drop(f'.tl-job[data-id="{job}"]', '.tl-row[data-tech="cyd"] .tl-track')
    proposal = b.page.wait_for_selector("#proposal")
    assert f"+ {job}" in proposal.inner_text()
    _doc_shot(b, "board-move-proposal.png")
    assert "added travel" in proposal.inner_text()
    b.page.click("#dialog-ok")
    b.page.wait_for_selector(f'.tl-row[data-tech="cyd"] .tl-job[data-id="{job}"]')
    assert _stop_tech(api.get(f"/api/v1/days/{DAY}").get_json(), job) == "cyd"
    _published_is_valid(api, "move")


def test_mark_unavailable_releases_the_jobs(board: tuple[Board, Api, dict[str, Any]]) -> None:
    b, api, day = board
    page = b.page
    tech = max(day["technicians"], key=lambda t: len(t["stops"]))
    page.click(f'.tech-btn[data-tech="{tech["technician_id"]}"]')
    page.fill("#un-start", "07:00")
    page.click("#dialog-ok")
    row = page.wait_for_selector(f'.tl-row.has-off[data-tech="{tech["technician_id"]}"]')
    assert "unavailable 07:00 on (ill)" in row.inner_text()
    assert row.query_selector(".tl-off") is not None
    assert "released" in page.inner_text("#toast")
    events = api.get(f"/api/v1/days/{DAY}/events").get_json()
    assert [e["type"] for e in events] == ["unavailable"]


def test_the_board_follows_changes_without_reloading(
        board: tuple[Board, Api, dict[str, Any]]) -> None:
    b, api, day = board
    job = day["technicians"][0]["stops"][0]["request_id"]
    b.page.evaluate("window.boardMarker = 1")  # survives only if the page is not reloaded
    resp = api.post(f"/api/v1/requests/{job}/status", json={"status": "en_route"})
    assert resp.status_code == 200, resp.get_json()
    b.page.wait_for_selector(f'.tl-job.st-en_route[data-id="{job}"]', timeout=15_000)
    assert b.page.evaluate("window.boardMarker") == 1


def test_replan_through_the_page_shows_the_proposal_and_publishes(
        board: tuple[Board, Api, dict[str, Any]]) -> None:
    b, api, _day = board
    page = b.page
    # Ann falls ill: her jobs are released, and the re-plan places them with others.
    resp = api.post(f"/api/v1/days/{DAY}/events", json={
        "type": "unavailable", "technician_id": "ann", "start": _at("07:00"), "end": None,
        "reason": "ill"})
    assert resp.status_code == 201, resp.get_json()
    released = resp.get_json()["released"]
    assert released
    page.click("#btn-replan")
    proposal = page.wait_for_selector("#proposal", timeout=90_000)
    text = proposal.inner_text()
    assert "disruption" in text
    page.click("#dialog-ok")  # Publish
    page.wait_for_selector("#toast:has-text('published')")
    after = api.get(f"/api/v1/days/{DAY}").get_json()
    placed = {s["request_id"] for t in after["technicians"] if t["technician_id"] != "ann"
              for s in t["stops"]}
    unplaced = {u["request_id"] for u in after["unassigned"]}
    # job-0 needs hvac level 2, which only Ann has: it cannot be placed without her.
    assert set(released) - {"job-0"} <= placed
    assert "job-0" in placed | unplaced
    _published_is_valid(api, "replan")


def test_an_emergency_nobody_can_do_shows_why(board: tuple[Board, Api, dict[str, Any]]) -> None:
    b, api, _day = board
    page = b.page
    page.click("#btn-emergency")
    page.fill("#em-id", "E-gas")
    page.fill("#em-skill", "gas:3")
    page.click("#dialog-ok")
    refusal = page.wait_for_selector("#refusal")
    assert "gas" in refusal.inner_text(), refusal.inner_text()
    page.click("#dialog-cancel")
    # Stored but not placed: the board lists it as unassigned once the day changes, and
    # "Find a place…" in its details asks again.
    assert api.get("/api/v1/requests/E-gas").status_code == 200
    assert _stop_tech(api.get(f"/api/v1/days/{DAY}").get_json(), "E-gas") is None


def test_a_manager_sees_the_board_without_actions(api: Api) -> None:
    chromium_or_skip()
    _seed(api)
    with serve(api.app) as base, board_page(base, timezone=TZ) as b:
        b.sign_in(api.keys["manager"], DAY)
        assert b.page.locator(".tl-job").count() == 8
        assert b.page.locator("#btn-emergency, #btn-replan").count() == 0
        b.page.click('.tl-job[data-id="job-1"]')
        assert b.page.locator("#btn-move, #btn-unavailable").count() == 0
        assert b.page.get_attribute('.tl-job[data-id="job-1"]', "draggable") == "false"
        assert b.outside == [] and b.errors == []


def test_a_proposal_made_stale_is_refused_at_publish_with_the_reason(
        board: tuple[Board, Api, dict[str, Any]]) -> None:
    b, api, day = board
    job = next(s["request_id"] for t in day["technicians"] if t["technician_id"] != "cyd"
               for s in t["stops"] if s["request_id"] != "job-0")
    owner = _stop_tech(day, job)
    b.page.drag_and_drop(f'.tl-job[data-id="{job}"]', '.tl-row[data-tech="cyd"] .tl-track')
    b.page.wait_for_selector("#proposal")
    # Meanwhile a job goes en route: the day's version moves past the proposal's base.
    other = next(s["request_id"] for t in day["technicians"] for s in t["stops"]
                 if s["request_id"] != job)
    assert api.post(f"/api/v1/requests/{other}/status",
                    json={"status": "en_route"}).status_code == 200
    b.page.click("#dialog-ok")  # Publish
    error = b.page.wait_for_selector("#dialog-error:not([hidden])")
    assert "changed" in error.inner_text() or "stale" in error.inner_text(), error.inner_text()
    assert _stop_tech(api.get(f"/api/v1/days/{DAY}").get_json(), job) == owner


def test_delay_and_cancellation_are_reported_from_the_details(
        board: tuple[Board, Api, dict[str, Any]]) -> None:
    b, api, day = board
    page = b.page
    first, second = [s for t in day["technicians"] for s in t["stops"]][:2]
    page.click(f'.tl-job[data-id="{first["request_id"]}"]')
    page.click("#btn-delay")
    page.fill("#dl-end", "15:30")
    page.click("#dialog-ok")
    page.wait_for_selector("#toast:has-text('delay reported')")
    page.click(f'.tl-job[data-id="{second["request_id"]}"]')
    page.click("#btn-cancel")
    page.fill("#cn-reason", "no one home")
    page.click("#dialog-ok")
    page.wait_for_selector("#toast:has-text('cancelled')")
    events = api.get(f"/api/v1/days/{DAY}/events").get_json()
    assert [(e["type"], e["request_id"]) for e in events] == [
        ("delay", first["request_id"]), ("cancelled", second["request_id"])]
    reported = datetime.fromisoformat(events[0]["expected_end"].replace("Z", "+00:00"))
    assert reported == datetime.fromisoformat(_at("15:30"))  # 15:30 on the board's clock

"""Agents' shift feeds over HTTP: tokens, the feed, conditional GET, republishes.

Rosters start tomorrow (Europe/Berlin) because feeds only show 7 days back to 30
days ahead of the real clock. Expected events come from the rosters' own
assignments (``GET /rosters/{id}``), and feeds are parsed back with ``icalendar``
and with the independent ``ics``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import icalendar
import ics
import pytest

from fieldops.calendar.roster import break_uid, shift_uid

from .conftest import Api, assert_problem
from .roster_fixtures import agent, drain_rosters, first_day, roster_problem, solved


@pytest.fixture(autouse=True)
def _quiet(request: pytest.FixtureRequest) -> Iterator[None]:
    client = request.getfixturevalue("api") if "api" in request.fixturenames else None
    yield
    if client is not None:
        drain_rosters(client)


def _token(api: Api, aid: str, role: str = "manager") -> tuple[str, str]:
    resp = api.post(f"/api/v1/agents/{aid}/feed-token", role=role)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["agent_id"] == aid
    url = urlsplit(body["url"])
    assert url.path == f"/calendars/agents/{aid}.ics"
    assert url.query == f"token={body['token']}"
    return body["token"], f"{url.path}?{url.query}"


def _feed(api: Api, path: str, **headers: str) -> Any:
    return api.client.get(path, headers=headers)


def _vevents(body: bytes, kind: str = "shift") -> dict[str, Any]:
    cal = icalendar.Calendar.from_ical(body)
    events = [c for c in cal.walk("VEVENT")
              if [str(x) for x in c.get("categories").cats] == [kind]]
    by_uid = {str(e["uid"]): e for e in events}
    assert len(by_uid) == len(events), "duplicate UIDs"
    return by_uid


def _shifts(roster: dict[str, Any], aid: str) -> dict[str, dict[str, Any]]:
    """The agent's assignments of a finished roster, by their calendar UID."""
    return {shift_uid(aid, date.fromisoformat(a["day"])): a
            for a in roster["result"]["assignments"] if a["agent_id"] == aid}


def _publish(api: Api, location: str) -> None:
    resp = api.post(f"{location}/publish", role="manager")
    assert resp.status_code == 200, resp.get_json()


def test_feed_of_a_published_roster(api: Api) -> None:
    location, roster = solved(api, roster_problem())
    _, path = _token(api, "a1")
    before = _feed(api, path)
    assert before.status_code == 200 and _vevents(before.get_data()) == {}  # not published
    assert "Last-Modified" not in before.headers

    _publish(api, location)
    resp = _feed(api, path)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/calendar; charset=utf-8"
    body = resp.get_data()
    assert resp.headers["ETag"] == f'"{hashlib.sha256(body).hexdigest()}"'
    assert resp.headers["Cache-Control"] == "private, max-age=300"
    published = api.get(location).get_json()["published_at"]
    assert parsedate_to_datetime(resp.headers["Last-Modified"]) == datetime.fromisoformat(
        published).replace(microsecond=0)

    cal = icalendar.Calendar.from_ical(body)
    assert str(cal["x-wr-calname"]) == "Agent a1 – shifts"
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    expected = _shifts(roster, "a1")
    assert expected, "a1 works at least one shift"  # 4 agents, 2–3 heads a day
    events = _vevents(body)
    assert set(events) == set(expected)
    breaks = _vevents(body, "break")
    for uid, a in expected.items():
        ev = events[uid]
        assert ev.decoded("dtstart") == datetime.fromisoformat(a["start"])
        assert ev.decoded("dtend") == datetime.fromisoformat(a["end"])
        assert ev["dtstart"].params["TZID"] == "Europe/Berlin"
        assert str(ev["status"]) == "CONFIRMED" and int(ev["sequence"]) == 0
        assert str(ev["transp"]) == "OPAQUE"
        assert str(ev["summary"]) == {"early": "Shift Early", "late": "Shift Late"}[
            a["template_id"]]
        # The break is its own busy block, inside the shift.
        brk = breaks[break_uid("a1", date.fromisoformat(a["day"]))]
        assert brk.decoded("dtstart") == datetime.fromisoformat(a["break_start"])
        assert brk.decoded("dtend") == datetime.fromisoformat(a["break_end"])
        assert str(brk["transp"]) == "OPAQUE"
        assert ev.decoded("dtstart") <= brk.decoded("dtstart") < brk.decoded("dtend") <= (
            ev.decoded("dtend"))
    assert len(breaks) == len(expected)
    other = {e.uid: e for e in ics.Calendar(body.decode("utf-8")).events}  # independent
    for uid, a in expected.items():
        assert other[uid].begin.datetime == datetime.fromisoformat(a["start"])
        assert other[uid].end.datetime == datetime.fromisoformat(a["end"])

    # Conditional GET and stable bytes.
    etag = resp.headers["ETag"]
    again = _feed(api, path, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert _feed(api, path, **{"If-Modified-Since": resp.headers["Last-Modified"]}
                 ).status_code == 304
    assert _feed(api, path, **{"If-None-Match": '"other"'}).status_code == 200
    assert _feed(api, path).get_data() == body


def test_tokens_rotate_and_every_bad_token_is_404(api: Api) -> None:
    assert_problem(api.post("/api/v1/agents/a1/feed-token"), 404)  # no roster names a1 yet
    solved(api, roster_problem(days=1))
    old, old_path = _token(api, "a1")
    assert _feed(api, old_path).status_code == 200
    new, new_path = _token(api, "a1", role="admin")
    assert new != old
    assert_problem(_feed(api, old_path), 404)  # rotation revoked the old token
    assert _feed(api, new_path).status_code == 200
    resp = api.post("/api/v1/agents/a1/feed-token", role="manager")
    assert resp.get_json()["revoked"] == 1
    newest = resp.get_json()["token"]
    a2_token, _ = _token(api, "a2")
    for bad in (f"/calendars/agents/a1.ics?token={a2_token}",   # another agent's
                "/calendars/agents/a1.ics",                      # missing
                f"/calendars/agents/a1.ics?token={newest}x",     # wrong
                f"/calendars/agents/a1.ics?token={api.keys['manager']}",  # an API key
                f"/calendars/agents/ghost.ics?token={newest}",   # unknown agent
                f"/calendars/technicians/a1.ics?token={newest}"):  # not a technician token
        body = assert_problem(_feed(api, bad), 404)
        assert body["detail"] == "calendar not found"
    assert _feed(api, f"/calendars/agents/a1.ics?token={newest}").status_code == 200
    # Only hashes are stored.
    from sqlalchemy import text

    with api.app.extensions["fieldops"].db.engine.connect() as conn:
        hashes = {r[0] for r in conn.execute(text("SELECT token_hash FROM agent_feed_tokens"))}
    assert newest not in hashes and hashlib.sha256(newest.encode()).hexdigest() in hashes
    assert_problem(api.post("/api/v1/agents/a1/feed-token", role="dispatcher"), 403)
    assert_problem(api.post("/api/v1/agents/a1/feed-token", role=None), 401)


def test_republish_moves_cancels_and_leaves_other_teams_alone(api: Api) -> None:
    start = first_day()
    days = [(start + timedelta(days=d)).isoformat() for d in range(3)]
    team = [agent(f"a{i}") for i in range(1, 5)] + [agent("z1")]
    first_loc, first = solved(api, roster_problem(start, agents=team))
    _publish(api, first_loc)
    paths = {aid: _token(api, aid)[1] for aid in ("a1", "a2", "a3", "a4", "z1")}
    before = {aid: _feed(api, p) for aid, p in paths.items()}

    # Second roster, same days, without z1 (another team's roster would not name
    # them either): one agent who worked is now off every day, another may only
    # work late shifts.
    workers = [aid for aid in ("a1", "a2", "a3", "a4") if _shifts(first, aid)]
    assert len(workers) >= 2, first["result"]["assignments"]
    early = [aid for aid in workers
             if any(a["template_id"] == "early" for a in _shifts(first, aid).values())]
    assert early, "two heads are wanted from 08:00: someone works early"
    late_only = early[0]
    gone = next(aid for aid in workers if aid != late_only)
    second_team = [agent(aid, days_off=days) if aid == gone
                   else agent(aid, templates=["late"]) if aid == late_only
                   else agent(aid) for aid in ("a1", "a2", "a3", "a4")]
    second_loc, second = solved(api, roster_problem(start, agents=second_team))
    _publish(api, second_loc)

    moves = 0
    for aid in ("a1", "a2", "a3", "a4"):
        old, new = _shifts(first, aid), _shifts(second, aid)
        resp = _feed(api, paths[aid])
        events = _vevents(resp.get_data())
        assert set(events) == set(old) | set(new), aid
        for uid, ev in events.items():
            if uid not in new:  # taken away: cancelled for its old times
                assert str(ev["status"]) == "CANCELLED" and int(ev["sequence"]) == 1
                assert str(ev["transp"]) == "TRANSPARENT"
                assert ev.decoded("dtstart") == datetime.fromisoformat(old[uid]["start"])
                continue
            assert str(ev["status"]) == "CONFIRMED"
            assert ev.decoded("dtstart") == datetime.fromisoformat(new[uid]["start"])
            moved = uid in old and (old[uid]["start"], old[uid]["end"]) != (
                new[uid]["start"], new[uid]["end"])
            assert int(ev["sequence"]) == (1 if moved else 0), (aid, uid)
            moves += moved
        # A break that left with its shift is dropped, not kept as a busy block.
        assert set(_vevents(resp.get_data(), "break")) == {
            break_uid(aid, date.fromisoformat(a["day"])) for a in new.values()}

    # The early agent now works late: the same UID moved (every hour is wanted, so
    # they keep working).
    assert moves >= 1
    off = _vevents(_feed(api, paths[gone]).get_data())
    assert off and all(str(e["status"]) == "CANCELLED" for e in off.values())
    assert _feed(api, paths[gone]).headers["ETag"] != before[gone].headers["ETag"]
    assert all(a["template_id"] == "late" for a in _shifts(second, late_only).values())
    # z1 is not in the second roster: its feed is exactly what it was.
    z1 = _feed(api, paths["z1"])
    assert z1.get_data() == before["z1"].get_data()
    assert _feed(api, paths["z1"], **{"If-None-Match": before["z1"].headers["ETag"]}
                 ).status_code == 304

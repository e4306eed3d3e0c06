"""Small roster problems (JSON, as the API takes them) and helpers shared by the
roster API tests. Days are relative to today in Europe/Berlin, because agents'
feeds only show 7 days back to 30 days ahead of the real clock."""

from __future__ import annotations

import time as _time
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .conftest import Api

TZ_NAME = "Europe/Berlin"
TZ = ZoneInfo(TZ_NAME)


def first_day(offset: int = 1) -> date:
    return datetime.now(TZ).date() + timedelta(days=offset)


def _at(day: date, hour: int) -> str:
    return datetime.combine(day, time(hour), tzinfo=TZ).isoformat()


def roster_problem(
    start: date | None = None,
    days: int = 3,
    agents: list[dict[str, Any]] | None = None,
    *,
    heads: int = 2,
    name: str = "test roster",
) -> dict[str, Any]:
    """A contact center with one voice queue open 08–20, an early and a late template.

    ``heads`` agents are wanted 08–16 and one 16–20, each hour of each day.
    """
    start = start or first_day()
    if agents is None:
        agents = [agent(f"a{i}") for i in range(1, 5)]
    requirements = []
    for d in range(days):
        day = start + timedelta(days=d)
        for hour in range(8, 20):
            requirements.append({"start": _at(day, hour), "queue": "voice",
                                 "required": heads if hour < 16 else 1})
    return {
        "name": name,
        "horizon": {"start": start.isoformat(), "days": days, "timezone": TZ_NAME,
                    "interval": "PT1H"},
        "queues": ["voice"],
        "templates": [
            {"id": "early", "name": "Early", "start": "08:00", "length": "PT8H",
             "break_length": "PT30M", "break_earliest": "PT3H", "break_latest": "PT5H"},
            {"id": "late", "name": "Late", "start": "12:00", "length": "PT8H",
             "break_length": "PT30M", "break_earliest": "PT3H", "break_latest": "PT5H"},
        ],
        "contracts": [{"id": "full", "max_work_per_week": "PT40H", "min_rest": "PT11H"}],
        "agents": agents,
        "requirements": requirements,
    }


def agent(aid: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"id": aid, "name": f"Agent {aid}", "contract": "full",
                            "skills": [{"queue": "voice", "proficiency": 3}]}
    body.update(extra)
    return body


def submit(api: Api, problem: dict[str, Any], role: str = "manager",
           **params: Any) -> Any:
    return api.post("/api/v1/rosters", role=role,
                    json={"problem": problem, "params": {"time_limit": 2, "workers": 1,
                                                         **params}})


def assert_valid_roster(api: Api, location: str, body: dict[str, Any]) -> None:
    """Every roster the API hands out is re-checked by the independent validator
    against the problem the server solved, and the server's verdict agrees."""
    from fieldops.schemas import roster_from_json, roster_problem_from_json
    from fieldops.validators.roster import validate_roster

    problem_resp = api.get(f"{location}/problem")
    assert problem_resp.status_code == 200, problem_resp.get_json()
    problem = roster_problem_from_json(problem_resp.get_json())
    found = validate_roster(problem, roster_from_json(body["result"]))
    assert body["validation"] == {"valid": not found, "violations": [str(v) for v in found]}
    if body["solver_status"] in ("infeasible", "no_solution"):
        assert body["result"]["assignments"] == []  # nothing to check but the verdict
    else:
        assert not found, found


def wait_roster(api: Api, location: str, timeout: float = 60.0,
                until: tuple[str, ...] = ("done", "failed", "cancelled"),
                role: str = "admin") -> dict[str, Any]:
    deadline = _time.monotonic() + timeout
    while True:
        body: dict[str, Any] = api.get(location, role=role).get_json()
        if body["status"] in until:
            if body.get("result") is not None:
                assert_valid_roster(api, location, body)
            return body
        if _time.monotonic() > deadline:
            raise AssertionError(f"roster still {body['status']} after {timeout} s: {body}")
        _time.sleep(0.1)


def solved(api: Api, problem: dict[str, Any], **params: Any) -> tuple[str, dict[str, Any]]:
    """Submit, wait until done; returns the Location and the finished roster."""
    resp = submit(api, problem, **params)
    assert resp.status_code == 202, resp.get_json()
    location = resp.headers["Location"]
    body = wait_roster(api, location)
    assert body["status"] == "done", body
    return location, body


def drain_rosters(api: Api, timeout: float = 30.0) -> None:
    """Stop every unfinished roster solve so the next test starts from a quiet database."""
    from sqlalchemy import func, select, update

    from fieldops.store.models import RosterRow

    db = api.app.extensions["fieldops"].db
    with db.session() as s:
        s.execute(update(RosterRow).where(RosterRow.status.in_(("queued", "solving")))
                  .values(cancel_requested=True))
    deadline = _time.monotonic() + timeout
    while _time.monotonic() < deadline:
        with db.session() as s:
            busy = s.scalar(select(func.count()).select_from(RosterRow)
                            .where(RosterRow.status == "solving"))
        if not busy:
            return
        _time.sleep(0.1)
    raise AssertionError("a roster solve did not stop within 30 s of cancellation")

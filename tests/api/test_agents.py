"""Agents over HTTP: CRUD, the HR CSV import, rosters naming stored agents, the
predicted service level of ``POST /rosters`` with volumes, and what-if scenarios.

Every finished roster is re-checked with ``validate_roster`` against the problem
the server stored (``roster_fixtures.wait_roster``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime, time, timedelta
from typing import Any

import pandas as pd
import pytest

from .conftest import Api, assert_problem
from .roster_fixtures import TZ, agent, drain_rosters, first_day, roster_problem, wait_roster

CSV = (
    "id,name,email,contract,queues,days_off,unavailable,templates\n"
    "ann,Ann Weber,ann@example.com,full,voice:5;chat:2,,,\n"
    "bo,Bo,,full,voice,{off},,early\n"
    "cy,Cy,,full,voice:4,,{start}/{end},\n"
)


def _csv() -> str:
    day = first_day()
    start = datetime.combine(day, time(9), tzinfo=TZ)
    return CSV.format(off=(day + timedelta(days=1)).isoformat(), start=start.isoformat(),
                      end=(start + timedelta(hours=2)).isoformat())


@pytest.fixture(autouse=True)
def _quiet(request: pytest.FixtureRequest) -> Iterator[None]:
    client = request.getfixturevalue("api") if "api" in request.fixturenames else None
    yield
    if client is not None:
        drain_rosters(client)


def _import(api: Api, body: str, role: str = "manager") -> Any:
    return api.post("/api/v1/agents/import", role=role, data=body.encode(),
                    content_type="text/csv")


# ---------------------------------------------------------------- CRUD
def test_agent_crud_round_trip(api: Api) -> None:
    body = agent("ann", email="ann@example.com",
                 skills=[{"queue": "voice", "proficiency": 5}, {"queue": "chat"}])
    resp = api.post("/api/v1/agents", role="manager", json=body)
    assert resp.status_code == 201, resp.get_json()
    assert resp.headers["Location"] == "/api/v1/agents/ann"
    stored = api.get("/api/v1/agents/ann", role="manager").get_json()
    assert stored["skills"] == [{"queue": "voice", "proficiency": 5},
                                {"queue": "chat", "proficiency": 3}]
    assert_problem(api.post("/api/v1/agents", role="manager", json=body), 409, "id")

    changed = {**body, "contract": "part"}
    assert api.put("/api/v1/agents/ann", role="manager", json=changed).status_code == 200
    page = api.get("/api/v1/agents?contract=part", role="manager").get_json()
    assert [a["id"] for a in page["items"]] == ["ann"] and page["total"] == 1
    assert_problem(api.put("/api/v1/agents/ann", role="manager",
                           json={**body, "id": "bo"}), 422, "id")
    assert api.delete("/api/v1/agents/ann", role="manager").status_code == 204
    assert_problem(api.get("/api/v1/agents/ann", role="manager"), 404)


@pytest.mark.parametrize(("body", "field"), [
    ({"id": "x", "skills": []}, "contract"),
    ({"id": "x", "contract": "full", "skills": [{"queue": "voice", "proficiency": 9}]},
     "skills[0].proficiency"),
    ({"id": "x", "contract": "full", "days_off": ["not a date"]}, "days_off[0]"),
])
def test_bad_agent_names_the_field(api: Api, body: dict[str, Any], field: str) -> None:
    assert_problem(api.post("/api/v1/agents", role="manager", json=body), 422, field)
    assert api.count("agents") == 0


def test_dispatcher_may_not_manage_agents(api: Api) -> None:
    assert_problem(api.get("/api/v1/agents", role="dispatcher"), 403)
    assert_problem(_import(api, _csv(), role="dispatcher"), 403)


# ---------------------------------------------------------------- CSV import
def test_csv_import_creates_then_replaces(api: Api) -> None:
    resp = _import(api, _csv())
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {"created": 3, "updated": 0, "ids": ["ann", "bo", "cy"]}
    ann = api.get("/api/v1/agents/ann", role="manager").get_json()
    assert ann == {"id": "ann", "name": "Ann Weber", "email": "ann@example.com",
                   "contract": "full", "skills": [{"queue": "voice", "proficiency": 5},
                                                  {"queue": "chat", "proficiency": 2}]}
    bo = api.get("/api/v1/agents/bo", role="manager").get_json()
    assert bo["templates"] == ["early"] and len(bo["days_off"]) == 1
    assert len(api.get("/api/v1/agents/cy", role="manager").get_json()["unavailable"]) == 1

    again = _import(api, "id,contract,queues\nann,part,voice:1\ndi,full,chat\n").get_json()
    assert again == {"created": 1, "updated": 1, "ids": ["ann", "di"]}
    assert api.get("/api/v1/agents/ann", role="manager").get_json()["contract"] == "part"
    assert api.count("agents") == 4


@pytest.mark.parametrize(("body", "status", "field", "row"), [
    ("id,contract,queues\nann,full,voice:high\n", 422, "queues[0].proficiency", 1),
    ("id,contract,queues\nann,full,voice\nbo,,voice\n", 422, "contract", 2),
    ("id,contract,queues\nann,full,voice\nann,full,chat\n", 422, "id", 2),
    ("id,contract,unavailable\nann,full,2026-12-07T09:00+01:00\n", 422, "unavailable[0]", 1),
    ("id,contract,shoe_size\nann,full,44\n", 400, "shoe_size", None),
])
def test_a_bad_csv_row_rejects_the_batch_naming_row_and_field(
        api: Api, body: str, status: int, field: str, row: int | None) -> None:
    problem = assert_problem(_import(api, body), status, field)
    assert problem.get("row") == row
    assert api.count("agents") == 0


def test_json_import_names_the_array_path(api: Api) -> None:
    resp = api.post("/api/v1/agents/import", role="manager",
                    json=[agent("a1"), {"id": "a2", "contract": "full", "skills": "voice"}])
    body = assert_problem(resp, 422, "agents[1].skills")
    assert body["row"] == 2 and api.count("agents") == 0


# ---------------------------------------------------------------- rosters naming agents
def test_roster_names_stored_agents_instead_of_carrying_them(api: Api) -> None:
    assert _import(api, "id,name,contract,queues\n"
                   + "".join(f"a{i},Agent {i},full,voice:3\n" for i in range(1, 5))
                   ).status_code == 200
    problem = roster_problem(agents=["a1", "a2", "a3", agent("a9")])  # type: ignore[list-item]
    resp = api.post("/api/v1/rosters", role="manager",
                    json={"problem": problem, "params": {"time_limit": 2, "workers": 1}})
    assert resp.status_code == 202, resp.get_json()
    location = resp.headers["Location"]
    stored = api.get(f"{location}/problem", role="manager").get_json()
    assert [a["id"] for a in stored["agents"]] == ["a1", "a2", "a3", "a9"]
    assert stored["agents"][0]["name"] == "Agent 1"
    done = wait_roster(api, location)  # validated against the stored (resolved) problem
    assert done["status"] == "done"
    assert {a["agent_id"] for a in done["result"]["assignments"]} <= {"a1", "a2", "a3", "a9"}


def test_unknown_agent_id_is_422_and_nothing_is_stored(api: Api) -> None:
    problem = roster_problem(agents=[agent("a1"), "nobody"])  # type: ignore[list-item]
    resp = api.post("/api/v1/rosters", role="manager", json={"problem": problem})
    assert_problem(resp, 422, "problem.agents[1]")
    assert api.count("rosters") == 0


# ---------------------------------------------------------------- predicted service level
def _volumes(problem: dict[str, Any], calls: float) -> list[dict[str, Any]]:
    """``calls`` voice calls of 3 minutes in each requirement hour."""
    return [{"interval_start": r["start"], "queue": "voice", "offered": calls,
             "aht_seconds": 180} for r in problem["requirements"]]


def _predicted(api: Api, body: dict[str, Any], rows: int | None = None) -> dict[str, Any]:
    resp = api.post("/api/v1/rosters", role="manager", json=body)
    assert resp.status_code == 202, resp.get_json()
    done = wait_roster(api, resp.headers["Location"])
    assert done["status"] == "done", done
    predicted: dict[str, Any] = done["result"]["predicted"]
    assert done["predict"]["volumes"] == (len(body["volumes"]) if rows is None else rows)
    assert done["predict"]["forecast_id"] == body.get("forecast_id")
    assert "predict" not in done["params"]
    return predicted


def test_post_rosters_with_volumes_predicts_the_service_level(api: Api) -> None:
    problem = roster_problem(days=1)
    params = {"time_limit": 2, "workers": 1}
    base = _predicted(api, {"problem": problem, "params": params,
                            "volumes": _volumes(problem, 20),
                            "target": {"service_level": 0.8, "answer_time": 20}})
    rows = base["intervals"]
    assert len(rows) == len(problem["requirements"])
    assert {"interval_start", "queue", "offered", "staffed", "service_level",
            "meets_target"} <= set(rows[0])
    assert base["summary"][0]["queue"] == "voice"
    assert base["below_target"] == sum(not r["meets_target"] for r in rows)
    assert base["what_if"] == {"volume_factor": 1.0, "aht_factor": 1.0, "shrinkage": None}

    # The same roster problem, with 50 % more calls: never a better service level.
    more = _predicted(api, {"problem": problem, "params": params,
                            "volumes": _volumes(problem, 20),
                            "what_if": {"volume_factor": 1.5}})
    assert more["what_if"]["volume_factor"] == 1.5
    for a, b in zip(base["intervals"], more["intervals"], strict=True):
        assert b["offered"] == pytest.approx(1.5 * a["offered"])
        if a["staffed"] == b["staffed"] and a["service_level"] is not None:
            assert b["service_level"] <= a["service_level"] + 1e-9


@pytest.mark.parametrize(("extra", "field"), [
    ({"target": {"service_level": 0.8}}, "target"),
    ({"volumes": [{"interval_start": "2026-12-07T08:07:00+01:00", "queue": "voice",
                   "offered": 1, "aht_seconds": 60}]}, "volumes[0].interval_start"),
    ({"volumes": "many"}, "volumes"),
    ({"what_if": {"volume_factor": -1}}, "what_if"),
])
def test_bad_prediction_input_is_422_naming_the_field(api: Api, extra: dict[str, Any],
                                                      field: str) -> None:
    problem = roster_problem(days=1)
    body = {"problem": problem, **extra}
    if "what_if" in extra:
        body["volumes"] = _volumes(problem, 5)
    resp = api.post("/api/v1/rosters", role="manager", json=body)
    found = assert_problem(resp, 422)
    assert found["field"].startswith(field), found
    assert api.count("rosters") == 0


# ---------------------------------------------------------------- what-if on staffing
def test_staffing_what_if_scales_volume_handle_time_and_shrinkage(api: Api) -> None:
    demand = [{"interval_start": "2026-12-07T09:00:00+01:00", "queue": "voice/en",
               "offered": 100, "aht_seconds": 180}]

    def staff(what_if: dict[str, Any] | None) -> dict[str, Any]:
        resp = api.post("/api/v1/staffing", role="manager",
                        json={"demand": demand, "interval": "PT30M", "what_if": what_if,
                              "target": {"shrinkage": 0.3}})
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()["rows"][0]  # type: ignore[no-any-return]

    base = staff(None)
    assert base["agents"] == 14  # 10 Erlangs at 80/20 (docs/workforce.md)
    assert staff({"volume_factor": 1.2})["offered"] == pytest.approx(120)
    assert staff({"volume_factor": 1.2})["agents"] > base["agents"]
    assert staff({"aht_factor": 1.2})["aht_seconds"] == pytest.approx(216)
    assert staff({"shrinkage": 0.5})["scheduled"] == pytest.approx(base["agents"] / 0.5)
    assert_problem(api.post("/api/v1/staffing", role="manager",
                            json={"demand": demand, "what_if": {"aht_factor": 0}}),
                   422, "what_if.aht_factor")


# ---------------------------------------------------------------- races
THREADS = 4
THREADS_TIMEOUT = 60.0


def _all_at_once(api: Api, send: Callable[[Any], Any]) -> list[Any]:
    """Call ``send(client)`` from THREADS threads released together."""
    barrier = threading.Barrier(THREADS)
    answers: list[Any] = [None] * THREADS

    def run(i: int) -> None:
        client = api.app.test_client()
        barrier.wait(timeout=THREADS_TIMEOUT)
        answers[i] = send(client)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=THREADS_TIMEOUT)
        assert not t.is_alive(), "a request did not answer in time"
    return answers


def test_racing_creates_of_one_agent_store_it_once(api: Api) -> None:
    answers = _all_at_once(api, lambda c: c.post("/api/v1/agents", json=agent("ann"),
                                                 headers=api.headers("manager")))
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] + [409] * (THREADS - 1), [a.get_data(as_text=True) for a in answers]
    assert api.count("agents") == 1


def test_racing_imports_of_the_same_agents_all_succeed(api: Api) -> None:
    body = ("id,contract,queues\n" + "".join(f"a{i},full,voice:{1 + i % 5}\n"
                                             for i in range(20))).encode()
    answers = _all_at_once(api, lambda c: c.post("/api/v1/agents/import", data=body,
                                                 content_type="text/csv",
                                                 headers=api.headers("manager")))
    assert [a.status_code for a in answers] == [200] * THREADS, \
        [a.get_data(as_text=True) for a in answers]
    assert api.count("agents") == 20
    assert sum(a.get_json()["created"] for a in answers) >= 20  # each counts what it saw


# ---------------------------------------------------------------- a stored forecast
def test_a_stored_forecast_is_named_by_id_and_what_if_applies(api: Api) -> None:
    from fieldops.data.workforce_sample import sample_history
    from fieldops.solver.forecast import volumes_from_frame, volumes_to_records

    # A real forecast of the problem's first day from four weeks of hourly history.
    day = first_day()
    hourly = sample_history(days=28, start=day - timedelta(days=28)).frame
    hourly = (hourly[hourly["queue"] == "voice/en"]
              .set_index("interval_start").resample("1h")
              .agg({"offered": "sum", "aht_seconds": "mean"}).reset_index())
    hourly["queue"] = "voice"
    history = volumes_to_records(volumes_from_frame(hourly, timedelta(hours=1)))
    resp = api.post("/api/v1/forecasts", role="manager", json={
        "history": history, "interval": "PT1H",
        "settings": {"horizon_days": 1, "backtest_weeks": 1,
                     "methods": ["seasonal_profile"]}})  # Holt-Winters costs seconds
    assert resp.status_code == 200, resp.get_json()
    made = resp.get_json()
    assert resp.headers["Location"] == f"/api/v1/forecasts/{made['id']}"
    kept = api.get(resp.headers["Location"], role="manager").get_json()
    assert kept == made and made["forecast"][0]["interval_start"].startswith(day.isoformat())

    problem = roster_problem(days=1)
    params = {"time_limit": 0.5, "workers": 1}
    named = _predicted(api, {"problem": problem, "params": params, "forecast_id": made["id"]},
                       rows=len(made["forecast"]))
    # The forecast named is the one predicted against: its contacts, hour by hour.
    offered = {pd.Timestamp(r["interval_start"]): r["offered"] for r in made["forecast"]}
    assert named["intervals"]
    for row in named["intervals"]:
        assert row["offered"] == pytest.approx(offered[pd.Timestamp(row["interval_start"])],
                                               abs=1e-3)
    more = _predicted(api, {"problem": problem, "params": params, "forecast_id": made["id"],
                            "what_if": {"volume_factor": 2}}, rows=len(made["forecast"]))
    for a, b in zip(named["intervals"], more["intervals"], strict=True):
        assert b["offered"] == pytest.approx(2 * a["offered"], abs=1e-3)


def test_a_bad_forecast_id_is_422_naming_it(api: Api) -> None:
    stored = api.post("/api/v1/forecasts", role="manager", json={
        "history": _quarter_hour_history(), "settings": {"horizon_days": 1,
                                                         "backtest_weeks": 1,
                                                         "methods": ["seasonal_profile"]}})
    assert stored.status_code == 200, stored.get_json()
    quarter_hourly = stored.get_json()["id"]
    for extra, message in [
        ({"forecast_id": "no-such-forecast"}, "no stored forecast"),
        ({"forecast_id": "x" * 300}, "no stored forecast"),
        ({"forecast_id": quarter_hourly, "volumes": []}, "not both"),
        ({"forecast_id": quarter_hourly}, "interval"),   # the problem is hourly
    ]:
        body = {"problem": roster_problem(days=1), **extra}
        found = assert_problem(api.post("/api/v1/rosters", role="manager", json=body), 422,
                               field="forecast_id")
        assert message in found["detail"], found
    assert api.count("rosters") == 0
    assert_problem(api.get("/api/v1/forecasts/no-such-forecast", role="manager"), 404)


def _quarter_hour_history() -> list[dict[str, Any]]:
    from fieldops.data.workforce_sample import sample_history
    from fieldops.solver.forecast import volumes_to_records

    rows = volumes_to_records(sample_history(days=21))
    return [r for r in rows if r["queue"] == "voice/en"]

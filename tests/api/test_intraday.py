"""POST /intraday: the rest of today re-forecast from actuals, required staff against
the published roster with the predicted service level; bad input per field."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from .conftest import Api, assert_problem
from .roster_fixtures import TZ, drain_rosters, first_day, roster_problem, solved

QUARTER = timedelta(minutes=15)


@pytest.fixture(autouse=True)
def _quiet(request: pytest.FixtureRequest) -> Iterator[None]:
    client = request.getfixturevalue("api") if "api" in request.fixturenames else None
    yield
    if client is not None:
        drain_rosters(client)


def _records(day: date, calls: float, until: int = 20) -> list[dict[str, Any]]:
    start = datetime.combine(day, time(8), tzinfo=TZ)
    steps = int((until - 8) * 4)
    return [{"interval_start": (start + k * QUARTER).isoformat(), "queue": "voice",
             "offered": calls, "aht_seconds": 180} for k in range(steps)]


def _body(day: date, morning_calls: float, **extra: Any) -> dict[str, Any]:
    return {"forecast": _records(day, 10), "actuals": _records(day, morning_calls, until=12),
            "now": datetime.combine(day, time(12), tzinfo=TZ).isoformat(), **extra}


def test_a_busier_morning_raises_the_rest_of_day_and_the_staff_needed(api: Api) -> None:
    day = first_day()
    flat = api.post("/api/v1/intraday", role="manager", json=_body(day, 10)).get_json()
    busy = api.post("/api/v1/intraday", role="manager", json=_body(day, 15)).get_json()
    assert flat["roster_id"] is None and busy["roster_id"] is None
    assert flat["ratios"][0]["volume_ratio"] == pytest.approx(1.0)
    assert busy["ratios"][0]["volume_ratio"] > 1.3
    assert len(busy["intervals"]) == 32  # 12:00-20:00 in quarter hours
    first = busy["intervals"][0]
    assert first["day_ahead"] == 10 and first["offered"] > 13
    assert first["rostered"] is None and first["service_level"] is None
    more = busy["summary"][0]["required_agent_intervals"]
    assert more > flat["summary"][0]["required_agent_intervals"]


def test_required_against_the_published_roster(api: Api) -> None:
    day = first_day()
    location, _ = solved(api, roster_problem(start=day, days=1))
    roster_id = location.rsplit("/", 1)[1]
    assert api.post(f"{location}/publish", role="manager").status_code == 200
    resp = api.post("/api/v1/intraday", role="manager", json=_body(day, 15))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["roster_id"] == roster_id  # the published roster covering now
    rows = body["intervals"]
    assert all(r["rostered"] is not None for r in rows)
    assert all(r["short"] == max(0, r["required"] - r["rostered"]) for r in rows)
    assert all(isinstance(r["meets_target"], bool) for r in rows)
    staffed = [r for r in rows if r["rostered"] > 0]
    assert staffed and all(0 <= r["service_level"] <= 1 for r in staffed)
    summary = body["summary"][0]
    assert summary["short_agent_intervals"] == sum(r["short"] for r in rows)
    assert summary["intervals_below_target"] == sum(not r["meets_target"] for r in rows)
    # Naming the roster gives the same comparison.
    named = api.post("/api/v1/intraday", role="manager",
                     json=_body(day, 15, roster_id=roster_id)).get_json()
    assert named["intervals"] == rows


@pytest.mark.parametrize(("change", "status", "field"), [
    ({"now": "2026-12-07T12:00:00"}, 422, "now"),
    ({"actuals": [{"interval_start": "2026-12-07T08:00:00+01:00", "queue": "chat",
                   "offered": 1, "aht_seconds": 60}]}, 422, "actuals"),
    ({"queues": {"chat": {"concurrency": 2}}}, 422, "queues.chat"),
    ({"settings": {"half_life": 0}}, 422, "settings.half_life"),
    ({"forecast": [{"interval_start": "x", "queue": "voice", "offered": 1,
                    "aht_seconds": 1}]}, 422, "forecast[0].interval_start"),
    ({"roster_id": "nope"}, 404, None),
    ({"timezone": "Mars/Olympus"}, 422, "timezone"),
    ({"interval": "PT7M"}, 422, "interval"),
])
def test_bad_input_names_the_field(api: Api, change: dict[str, Any], status: int,
                                   field: str | None) -> None:
    body = {**_body(first_day(), 10), **change}
    assert_problem(api.post("/api/v1/intraday", role="manager", json=body), status, field)


def test_technician_keys_are_refused(api: Api) -> None:
    assert_problem(api.post("/api/v1/intraday", role="dispatcher",
                            json=_body(first_day(), 10)), 403)


def test_no_actuals_yet_keep_the_day_ahead_forecast(api: Api) -> None:
    day = first_day()
    body = {**_body(day, 10), "actuals": [],
            "now": datetime.combine(day, time(8, 5), tzinfo=TZ).isoformat()}
    resp = api.post("/api/v1/intraday", role="manager", json=body)
    assert resp.status_code == 200, resp.get_json()
    out = resp.get_json()
    assert out["ratios"][0]["observed_intervals"] == 0
    assert all(r["offered"] == r["day_ahead"] for r in out["intervals"])
    assert len(out["intervals"]) == 48  # 08:00-20:00, the current interval included


def test_a_stored_forecast_is_the_day_ahead_of_the_day_of_now(api: Api) -> None:
    from fieldops.data.workforce_sample import sample_history
    from fieldops.solver.forecast import volumes_to_records

    day = first_day()
    history = [r for r in volumes_to_records(sample_history(
        days=21, start=day - timedelta(days=21))) if r["queue"] == "voice/en"]
    made = api.post("/api/v1/forecasts", role="manager", json={
        "history": history, "settings": {"horizon_days": 2, "backtest_weeks": 1,
                                         "methods": ["seasonal_profile"]}}).get_json()
    today = [r for r in made["forecast"] if r["interval_start"].startswith(day.isoformat())]
    assert 0 < len(today) < len(made["forecast"])  # two days forecast, one is today
    now = datetime.combine(day, time(12), tzinfo=TZ)
    actuals = [dict(r, offered=1.5 * r["offered"]) for r in today
               if datetime.fromisoformat(r["interval_start"]) + QUARTER <= now]
    sent = api.post("/api/v1/intraday", role="manager", json={
        "forecast": today, "actuals": actuals, "now": now.isoformat()})
    named = api.post("/api/v1/intraday", role="manager", json={
        "forecast_id": made["id"], "actuals": actuals, "now": now.isoformat()})
    assert sent.status_code == named.status_code == 200, named.get_json()
    assert named.get_json()["intervals"] == sent.get_json()["intervals"]
    assert named.get_json()["ratios"][0]["volume_ratio"] > 1.2
    for body, field in [({"forecast_id": "nope"}, "forecast_id"),
                        ({"forecast_id": made["id"], "forecast": today}, "forecast_id"),
                        ({"forecast_id": made["id"], "interval": "PT30M"}, "forecast_id"),
                        ({}, "forecast")]:
        assert_problem(api.post("/api/v1/intraday", role="manager", json={
            "actuals": [], "now": now.isoformat(), **body}), 422, field=field)

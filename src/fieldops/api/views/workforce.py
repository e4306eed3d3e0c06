"""Contact-center demand: forecasts, required staff and intraday (docs/workforce.md).

All run synchronously: a forecast of a few weeks of 15-minute history takes
seconds, staffing and the intraday re-forecast well under a second. A forecast is
kept under the ``id`` it is answered with (``GET /forecasts/<id>``), so a roster
request can name it (``forecast_id``) instead of sending its volumes.
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import fields

from fieldops.api.auth import principal, roles
from fieldops.api.ext import session
from fieldops.api.schemas import Duration, Strict
from fieldops.services.crud import get
from fieldops.services.intraday import intraday
from fieldops.services.workforce import (
    forecast_json,
    forecast_records,
    staffing_records,
    store_forecast,
)
from fieldops.store.models import ForecastRow

blp = Blueprint("workforce", __name__, url_prefix="/api/v1",
                description="Contact-center forecasts and staffing (manager role).")

RECORD = {"description": "{interval_start, queue, offered, aht | aht_seconds}"}


class ForecastIn(Strict):
    history = fields.List(fields.Dict(), required=True, metadata=RECORD)
    interval = Duration(load_default="PT15M")
    settings = fields.Dict(allow_none=True, metadata={"description": "ForecastSettings"})


class ForecastOut(Strict):
    id = fields.String(metadata={"description": "the stored forecast's id: name it as "
                                                "`forecast_id` in POST /rosters"})
    timezone = fields.String()
    interval = fields.String()
    forecast = fields.List(fields.Dict())
    backtest = fields.List(fields.Dict())
    missing_intervals = fields.Dict()
    fit_seconds = fields.Float()


class StaffingIn(Strict):
    demand = fields.List(fields.Dict(), required=True, metadata=RECORD)
    interval = Duration(load_default="PT15M")
    target = fields.Dict(allow_none=True, metadata={"description": "StaffingTarget"})
    queues = fields.Dict(allow_none=True, metadata={"description": "{queue id: QueueSpec}"})
    what_if = fields.Dict(allow_none=True, metadata={
        "description": "scenario: {volume_factor, aht_factor, shrinkage} (1, 1, target's)"})


class StaffingOut(Strict):
    rows = fields.List(fields.Dict())


class IntradayIn(Strict):
    forecast = fields.List(fields.Dict(), load_default=None, allow_none=True, metadata={
        "description": "the day-ahead forecast of today: " + RECORD["description"]})
    forecast_id = fields.String(allow_none=True, metadata={
        "description": "instead of forecast: a forecast kept by POST /forecasts (the "
                       "local day of now is used)"})
    actuals = fields.List(fields.Dict(), required=True, metadata={
        "description": "today's contacts so far: " + RECORD["description"]})
    now = fields.String(required=True, metadata={"format": "date-time", "description":
                                                  "instant with a UTC offset"})
    interval = Duration(load_default="PT15M")
    settings = fields.Dict(allow_none=True, metadata={
        "description": "IntradaySettings: half_life, prior_contacts, min_ratio, max_ratio"})
    target = fields.Dict(allow_none=True, metadata={"description": "StaffingTarget"})
    queues = fields.Dict(allow_none=True, metadata={"description": "{queue id: QueueSpec}"})
    what_if = fields.Dict(allow_none=True, metadata={
        "description": "scenario on the re-forecast: {volume_factor, aht_factor, shrinkage}"})
    roster_id = fields.String(allow_none=True, metadata={
        "description": "roster to compare; default: the last published covering now"})
    timezone = fields.String(allow_none=True, metadata={
        "description": "zone of the instants answered without a roster (default UTC)"})


class IntradayOut(Strict):
    now = fields.String()
    roster_id = fields.String(allow_none=True)
    settings = fields.Dict()
    what_if = fields.Dict()
    ratios = fields.List(fields.Dict(), metadata={
        "description": "per queue: observed_intervals, actual_contacts, day_ahead_contacts, "
                       "volume_ratio, aht_ratio"})
    summary = fields.List(fields.Dict())
    intervals = fields.List(fields.Dict(), metadata={
        "description": "rest of today per interval and queue: day_ahead, offered (re-forecast), "
                       "aht_seconds, required, rostered (capacity: a learner is half an agent), "
                       "short, service_level, meets_target"})


@blp.route("/forecasts", methods=["POST"])
@roles("admin", "manager")
@blp.arguments(ForecastIn)
@blp.response(200, ForecastOut)
def create_forecast(body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Forecast contact volume per interval and queue from history; the forecast is
    kept under the ``id`` answered (``Location``), for roster requests to name."""
    document = forecast_records(body["history"], body["interval"], body.get("settings"))
    with session() as s:
        forecast_id = store_forecast(s, document, created_by=principal().key_id)
    return ({"id": forecast_id, **document}, 200,
            {"Location": f"/api/v1/forecasts/{forecast_id}"})


@blp.route("/forecasts/<string:forecast_id>", methods=["GET"])
@roles("admin", "manager")
@blp.response(200, ForecastOut)
def get_forecast(forecast_id: str) -> dict[str, Any]:
    """A forecast made by ``POST /forecasts``, as it was answered."""
    with session() as s:
        return forecast_json(get(s, ForecastRow, forecast_id, "forecast"))


@blp.route("/staffing", methods=["POST"])
@roles("admin", "manager")
@blp.arguments(StaffingIn)
@blp.response(200, StaffingOut)
def create_staffing(body: dict[str, Any]) -> dict[str, Any]:
    """Required agents per interval and queue (Erlang C / A, deadlines for email)."""
    return {"rows": staffing_records(body["demand"], body["interval"], body.get("target"),
                                     body.get("queues"), body.get("what_if"))}


@blp.route("/intraday", methods=["POST"])
@roles("admin", "manager")
@blp.arguments(IntradayIn)
@blp.response(200, IntradayOut)
def create_intraday(body: dict[str, Any]) -> dict[str, Any]:
    """Re-forecast the rest of today from today's actuals; required staff against the
    published roster with the predicted service level, interval by interval."""
    with session() as s:
        return intraday(s, body)

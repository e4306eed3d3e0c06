"""Intraday: the rest of today re-forecast from today's actuals, the staff it needs,
and what the published roster gives (docs/workforce.md, Intraday).

The day-ahead forecast is sent with the request, or named by ``forecast_id`` (a
forecast kept by ``POST /forecasts``, of which the local day of ``now`` is used);
today's actuals are sent with it (nothing of them is stored). The roster compared
is the one named, else the one published last whose horizon covers ``now``.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldops.domain.errors import FieldError
from fieldops.domain.roster import Roster, RosterProblem
from fieldops.domain.workforce import ContactVolumes
from fieldops.schemas import parse_instant
from fieldops.schemas.workforce import (
    intraday_settings_from_json,
    queue_specs_from_json,
    staffing_target_from_json,
    what_if_from_json,
)
from fieldops.services.crud import get
from fieldops.services.errors import Conflict
from fieldops.services.workforce import interval, stored_forecast
from fieldops.store.models import RosterPublish, RosterRow

#: Decimals of the contact and handle-time figures answered.
DECIMALS = 4


def published_roster(s: Session, now: datetime, roster_id: str | None = None
                     ) -> RosterRow | None:
    """The roster named, else the last published one whose horizon covers ``now``."""
    if roster_id is not None:
        row = get(s, RosterRow, roster_id, "roster")
        if row.result is None:
            raise Conflict(f"roster {roster_id!r} has no result yet ({row.status})",
                           field="roster_id")
        return row
    return s.scalars(
        select(RosterRow).join(RosterPublish, RosterPublish.roster_id == RosterRow.id)
        .where(RosterRow.horizon_start <= now, RosterRow.horizon_end > now)
        .order_by(RosterPublish.published_at.desc()).limit(1)
    ).first()


def _roster_of(row: RosterRow | None) -> tuple[Roster | None, RosterProblem | None]:
    if row is None:
        return None, None
    from fieldops.schemas import roster_from_json, roster_problem_from_json

    return roster_from_json(row.result), roster_problem_from_json(row.problem)


def _zone(name: Any) -> str | None:
    """``timezone`` of the request: an IANA name, or ``None`` for UTC."""
    if name is None:
        return None
    try:
        ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise FieldError("timezone", f"unknown time zone {name!r}") from None
    return str(name)


def _number(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, DECIMALS) if math.isfinite(value) else None
    return value


def _agents(value: Any) -> Any:
    """A count of agents: whole when whole, else to the quarter agent a learner's
    capacity makes (``None`` stays)."""
    if isinstance(value, float | np.floating) and math.isfinite(value):
        return int(value) if float(value).is_integer() else round(float(value), DECIMALS)
    return value


def _records(frame: pd.DataFrame, tz: str | None) -> list[dict[str, Any]]:
    out = []
    for rec in frame.to_dict(orient="records"):
        stamp = pd.Timestamp(rec["interval_start"])
        rec["interval_start"] = (stamp.tz_convert(tz) if tz else stamp).isoformat()
        for key in ("required", "rostered", "short"):
            rec[key] = _agents(rec.get(key))
        out.append({k: _number(v) for k, v in rec.items()})
    return out


def _summary(frame: pd.DataFrame, has_roster: bool) -> list[dict[str, Any]]:
    out = []
    for queue, part in frame.groupby("queue", sort=True):
        row: dict[str, Any] = {
            "queue": str(queue), "intervals": len(part),
            "day_ahead_contacts": round(float(part["day_ahead"].sum()), 2),
            "reforecast_contacts": round(float(part["offered"].sum()), 2),
            "required_agent_intervals": int(part["required"].sum()),
        }
        if has_roster:
            row["rostered_agent_intervals"] = _agents(float(part["rostered"].sum()))
            row["short_agent_intervals"] = _agents(float(part["short"].sum()))
            row["intervals_below_target"] = int((~part["meets_target"].astype(bool)).sum())
        out.append(row)
    return out


def _day_ahead_records(s: Session, body: dict[str, Any], step: Any, now: datetime
                       ) -> tuple[list[dict[str, Any]], str]:
    """The day-ahead records (sent, or the stored forecast's day of ``now``) and the
    request field their errors are named under."""
    from fieldops.schemas import parse_duration

    if body.get("forecast_id") is None:
        if body.get("forecast") is None:
            raise FieldError("forecast", "is required (or forecast_id, a stored forecast)")
        return list(body["forecast"]), "forecast"
    if body.get("forecast") is not None:
        raise FieldError("forecast_id", "give forecast or forecast_id, not both")
    row = stored_forecast(s, body["forecast_id"], "forecast_id")
    if parse_duration(row.interval, "forecast_id") != step:
        raise FieldError("forecast_id", f"is a forecast per {row.interval}; the request's "
                         "interval differs")
    local = pd.Timestamp(now).tz_convert(row.timezone or "UTC")
    day = (local.normalize(), local.normalize() + pd.DateOffset(days=1))
    records = [r for r in row.document.get("forecast") or []
               if day[0] <= pd.Timestamp(r["interval_start"]) < day[1]]
    if not records:
        raise FieldError("forecast_id", f"has no interval on {local.date().isoformat()}, "
                         "the day of now")
    return records, "forecast_id"


def intraday(s: Session, body: dict[str, Any]) -> dict[str, Any]:
    """Re-forecast the rest of today and compare the staff it needs with the roster.

    ``body``: ``forecast`` (or ``forecast_id``) and ``actuals`` (volume records),
    ``now``, ``interval``, and optionally ``settings``
    (:class:`~fieldops.domain.workforce.IntradaySettings`), ``target``, ``queues``,
    ``what_if`` and ``roster_id``.
    """
    from fieldops.solver.forecast import volumes_from_records
    from fieldops.solver.forecast.intraday import reforecast
    from fieldops.solver.staffing.predict import intraday_staffing

    step = interval(body.get("interval") or "PT15M")
    now = parse_instant(body["now"], "now")
    settings = intraday_settings_from_json(body.get("settings"), "settings")
    scenario = what_if_from_json(body.get("what_if"), "what_if")
    target = scenario.target(staffing_target_from_json(body.get("target"), "target"))
    queues = queue_specs_from_json(body.get("queues"), "queues")
    records, source = _day_ahead_records(s, body, step, now)
    day_ahead = volumes_from_records(records, step, source)
    # Before the first interval has ended there is nothing to send: no actuals yet.
    actuals = (volumes_from_records(body["actuals"], step, "actuals") if body["actuals"]
               else ContactVolumes(day_ahead.frame.iloc[0:0], step))
    result = reforecast(day_ahead, actuals, now, settings)
    unknown = sorted(set(queues) - set(result.volumes.queues))
    if unknown:
        raise FieldError(f"queues.{unknown[0]}", "is not a queue of the forecast")
    row = published_roster(s, now, body.get("roster_id"))
    roster, problem = _roster_of(row)
    frame = intraday_staffing(scenario.volumes(result.volumes), result.day_ahead, target,
                              queues, roster, problem)
    tz = problem.timezone if problem is not None else _zone(body.get("timezone"))
    ratios = result.ratios.to_dict(orient="records")
    return {
        "now": now.isoformat(), "roster_id": row.id if row is not None else None,
        "settings": {"half_life_seconds": settings.half_life.total_seconds(),
                     "prior_contacts": settings.prior_contacts,
                     "min_ratio": settings.min_ratio, "max_ratio": settings.max_ratio},
        "what_if": scenario.to_json(),
        "ratios": [{k: _number(v) for k, v in r.items()} for r in ratios],
        "summary": _summary(frame, roster is not None),
        "intervals": _records(frame, tz),
    }

"""forecast/model.py: seasonality, holidays, daylight saving, gaps, too little
history, and the WAPE and bias of a forecast."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from fieldops.domain.errors import FieldError
from fieldops.domain.workforce import ForecastSettings, SpecialDay
from fieldops.solver.forecast import forecast, forecast_to_json, volumes_from_frame, wape_bias

TZ = "Europe/Berlin"
DOW_LEVEL = np.array([1.2, 1.0, 1.0, 0.9, 0.8, 0.4, 0.25])


def shape(hours: np.ndarray) -> np.ndarray:
    return 1.0 + 40.0 * np.exp(-(((hours - 10.5) / 2.0) ** 2))


def synthetic(first: date, days: int, holidays_at: float | None = None,
              queue: str = "voice/en") -> pd.DataFrame:
    """Exactly weekly-periodic volumes on the local wall clock (DE holidays scaled)."""
    import holidays

    local = pd.date_range(pd.Timestamp(first).tz_localize(TZ),
                          pd.Timestamp(first + timedelta(days=days)).tz_localize(TZ),
                          freq="15min", inclusive="left")
    hours = (local.hour + local.minute / 60).to_numpy(float)
    level = DOW_LEVEL[local.dayofweek.to_numpy()] * shape(hours)
    if holidays_at is not None:
        de = holidays.country_holidays("DE", years=[first.year])
        level = np.where([d in de for d in local.date], level * holidays_at, level)
    return pd.DataFrame({"interval_start": [t.isoformat() for t in local], "queue": queue,
                         "offered": level, "aht_seconds": 200.0 + 20.0 * (hours >= 12)})


def normal_total(dow: int) -> float:
    # A 96-interval day: the shape summed over the 96 quarter-hours, times the weekday level.
    return float(DOW_LEVEL[dow] * shape(np.arange(96) / 4).sum())


def daily(fc_frame: pd.DataFrame) -> pd.Series:
    local = fc_frame["interval_start"].dt.tz_convert(TZ)
    return fc_frame.groupby(local.dt.date)["offered"].agg(["sum", "size"])


def test_periodic_history_is_recovered_across_spring_dst() -> None:
    # 7 weeks Mon 2026-02-02 .. Sun 2026-03-22, then a week containing 2026-03-29,
    # when Berlin skips 02:00-03:00 (a 23-hour day of 92 quarter-hours).
    history = volumes_from_frame(synthetic(date(2026, 2, 2), 49))
    result = forecast(history, ForecastSettings(horizon_days=7, country=None, backtest_weeks=2))
    scores = {s.method: s for s in result.scores}
    assert scores["seasonal_profile"].wape < 1e-9  # a periodic series is its own profile
    assert scores["holt_winters"].wape < 0.02
    best = result.chosen()["voice/en"]
    assert best.wape == min(s.wape for s in result.scores)
    days = daily(result.volumes.frame)
    assert days.loc[date(2026, 3, 29), "size"] == 92
    assert (days["size"].drop(date(2026, 3, 29)) == 96).all()
    # Ties go to the first method listed; here the profile is exact and wins.
    assert best.method == "seasonal_profile"
    for d, row in days.iterrows():
        assert row["sum"] == pytest.approx(normal_total(d.weekday()), rel=1e-9)
    payload = json.loads(json.dumps(forecast_to_json(result)))
    assert payload["interval"] == "PT15M"
    assert len(payload["forecast"]) == len(result.volumes.frame)
    assert {b["method"] for b in payload["backtest"]} == {"seasonal_profile", "holt_winters"}
    assert payload["forecast"][0]["interval_start"].endswith("+01:00")
    # The local peak stays at 10:30 wall-clock time after the clocks change.
    fc = result.volumes.frame
    local = fc["interval_start"].dt.tz_convert(TZ)
    for d in (date(2026, 3, 28), date(2026, 3, 29)):
        day = fc[local.dt.date == d]
        peak = local[day["offered"].idxmax()]
        assert (peak.hour, peak.minute) == (10, 30)


def test_history_with_autumn_dst_day_forecasts_a_normal_week() -> None:
    # 2026-10-25 has 100 quarter-hours (02:00-03:00 twice). History 2026-09-14 .. 11-01.
    frame = synthetic(date(2026, 9, 14), 49)
    history = volumes_from_frame(frame)
    per_day = daily(history.frame)
    assert per_day.loc[date(2026, 10, 25), "size"] == 100
    result = forecast(history, ForecastSettings(horizon_days=7, country=None, backtest_weeks=2,
                                                methods=("seasonal_profile",)))
    days = daily(result.volumes.frame)
    assert (days["size"] == 96).all()
    for d, row in days.iterrows():
        # The Sunday profile averages in the 100-interval day: its shares are renormalised,
        # so the week is recovered to within the night's tiny share of volume.
        assert row["sum"] == pytest.approx(normal_total(d.weekday()), rel=0.01)


def test_holidays_are_learnt_and_special_days_applied() -> None:
    # 10 weeks from Mon 2026-03-02 with DE holidays (Good Friday 04-03, Easter Monday
    # 04-06, Labour Day 05-01) at 30 % of normal volume. The next week contains
    # Ascension Day, Thursday 2026-05-14, which must come out at 30 % of a Thursday;
    # Tuesday 2026-05-12 is added by hand at 50 %.
    history = volumes_from_frame(synthetic(date(2026, 3, 2), 70, holidays_at=0.3))
    settings = ForecastSettings(horizon_days=7, country="DE", backtest_weeks=2,
                                methods=("seasonal_profile",),
                                special_days=(SpecialDay(date(2026, 5, 12), "sale", 0.5),))
    days = daily(forecast(history, settings).volumes.frame)["sum"]
    assert days[date(2026, 5, 14)] == pytest.approx(0.3 * normal_total(3), rel=1e-6)
    assert days[date(2026, 5, 12)] == pytest.approx(0.5 * normal_total(1), rel=1e-6)
    assert days[date(2026, 5, 11)] == pytest.approx(normal_total(0), rel=1e-6)


def test_missing_intervals_are_imputed_and_counted() -> None:
    frame = synthetic(date(2026, 2, 2), 49)
    rng = np.random.default_rng(1)
    drop = rng.choice(np.arange(1, len(frame) - 1), size=150, replace=False)
    history = volumes_from_frame(frame.drop(index=drop))
    result = forecast(history, ForecastSettings(horizon_days=7, country=None, backtest_weeks=2,
                                                methods=("seasonal_profile",)))
    assert result.missing_intervals == {"voice/en": 150}
    days = daily(result.volumes.frame)["sum"]
    # Imputation uses the weekday-slot mean of the same periodic series: exact again.
    for d, total in days.items():
        assert total == pytest.approx(normal_total(d.weekday()), rel=1e-9)


def test_partial_first_and_last_days_are_dropped() -> None:
    # History starting Monday 12:30 and ending Sunday 11:45: both partial days would
    # understate their weekday's total; they are left out, so the week stays exact.
    frame = synthetic(date(2026, 2, 2), 49).iloc[50:-49]
    result = forecast(volumes_from_frame(frame),
                      ForecastSettings(horizon_days=7, country=None, backtest_weeks=2,
                                       methods=("seasonal_profile",)))
    days = daily(result.volumes.frame)["sum"]
    assert min(days.index) == date(2026, 3, 22)  # the day after the last whole day (Sat)
    for d, total in days.items():
        assert total == pytest.approx(normal_total(d.weekday()), rel=1e-9)


def test_a_silent_queue_forecasts_zero_next_to_a_busy_one() -> None:
    busy = synthetic(date(2026, 2, 2), 42)
    silent = busy.assign(queue="backoffice/x", offered=0.0, aht_seconds=0.0)
    result = forecast(volumes_from_frame(pd.concat([busy, silent])),
                      ForecastSettings(horizon_days=3, country=None, backtest_weeks=2))
    fc = result.volumes.frame
    assert (fc[fc["queue"] == "backoffice/x"]["offered"] == 0).all()
    assert fc[fc["queue"] == "voice/en"]["offered"].sum() > 0
    assert np.isfinite(fc["offered"]).all()


def test_too_many_missing_intervals_is_an_error() -> None:
    frame = synthetic(date(2026, 2, 2), 49)
    holey = frame.iloc[::2]  # every other interval gone: 50 % missing
    with pytest.raises(FieldError) as exc:
        forecast(volumes_from_frame(holey), ForecastSettings(country=None))
    assert exc.value.field == "history.voice/en"
    assert "missing" in exc.value.message


def test_too_short_history_is_an_error() -> None:
    history = volumes_from_frame(synthetic(date(2026, 2, 2), 21))
    with pytest.raises(FieldError) as exc:
        forecast(history, ForecastSettings(country=None, backtest_weeks=4))
    assert exc.value.field == "history.voice/en"


def test_wape_and_bias_by_hand() -> None:
    # actual 10, 20, 30 (sum 60); forecast 12, 18, 36: |err| 2+2+6 = 10, signed +2-2+6 = 6.
    wape, bias = wape_bias(np.array([12.0, 18.0, 36.0]), np.array([10.0, 20.0, 30.0]))
    assert wape == pytest.approx(10 / 60) and bias == pytest.approx(6 / 60)



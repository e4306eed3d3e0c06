"""Intraday re-forecast: today's actuals so far rescale the rest of the day."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from fieldops.domain.errors import FieldError
from fieldops.domain.workforce import ContactVolumes
from fieldops.solver.forecast.intraday import IntradaySettings, reforecast

TZ = ZoneInfo("Europe/Berlin")
DAY = datetime(2026, 3, 2, tzinfo=TZ)
STEP = timedelta(minutes=15)


def volumes(per_interval: dict[str, float], hours: tuple[int, int] = (8, 18),
            aht: float = 200.0) -> ContactVolumes:
    starts = pd.date_range(DAY + timedelta(hours=hours[0]), DAY + timedelta(hours=hours[1]),
                           freq=STEP, inclusive="left").tz_convert("UTC")
    rows = [(t, q, v, aht) for q, v in per_interval.items() for t in starts]
    frame = pd.DataFrame(rows, columns=["interval_start", "queue", "offered", "aht_seconds"])
    return ContactVolumes(frame.sort_values(["queue", "interval_start"]).reset_index(drop=True))


def at(hour: int, minute: int = 0) -> datetime:
    return DAY + timedelta(hours=hour, minutes=minute)


def test_a_busier_morning_raises_the_rest_of_the_day() -> None:
    """The issue's check: the morning 50 % up must move the rest-of-day forecast."""
    day_ahead = volumes({"voice": 10.0})
    flat = reforecast(day_ahead, volumes({"voice": 10.0}, (8, 10)), at(10))
    busy = reforecast(day_ahead, volumes({"voice": 15.0}, (8, 10)), at(10))
    assert flat.ratios["volume_ratio"].tolist() == [pytest.approx(1.0)]
    assert flat.volumes.frame["offered"].tolist() == pytest.approx([10.0] * 32)
    ratio = busy.ratios["volume_ratio"].iloc[0]
    assert 1.3 < ratio < 1.5  # toward 1.5, shrunk by the prior
    assert busy.volumes.frame["offered"].tolist() == pytest.approx([10.0 * ratio] * 32)
    assert busy.day_ahead.frame["offered"].tolist() == [10.0] * 32  # kept for comparison
    assert busy.volumes.frame["interval_start"].min() == pd.Timestamp(at(10))


def test_the_ratio_is_the_documented_weighted_formula() -> None:
    """Two observed intervals, ages 0 and 15 min at a half-life of 15 min."""
    settings = IntradaySettings(half_life=STEP, prior_contacts=4.0)
    actual = volumes({"voice": 0.0}, (8, 9))
    frame = actual.frame.copy()
    frame.loc[frame["interval_start"] == pd.Timestamp(at(8, 0)), ["offered", "aht_seconds"]] = \
        [12.0, 300.0]
    frame.loc[frame["interval_start"] == pd.Timestamp(at(8, 15)), ["offered", "aht_seconds"]] = \
        [20.0, 250.0]
    got = reforecast(volumes({"voice": 10.0}), ContactVolumes(frame), at(8, 30), settings)
    # weights: 08:15-08:30 ended now (w = 1), 08:00-08:15 15 min ago (w = 0.5)
    expected = (0.5 * 12 + 1 * 20 + 4) / (0.5 * 10 + 1 * 10 + 4)
    assert got.ratios["volume_ratio"].iloc[0] == pytest.approx(expected)
    aht = (0.5 * 12 * 300 + 20 * 250 + 4 * 200) / (0.5 * 12 * 200 + 20 * 200 + 4 * 200)
    assert got.ratios["aht_ratio"].iloc[0] == pytest.approx(aht)
    assert got.volumes.frame["aht_seconds"].iloc[0] == pytest.approx(200 * aht)
    assert got.ratios["observed_intervals"].iloc[0] == 2


def test_ratios_are_per_queue_and_bounded() -> None:
    day_ahead = volumes({"voice": 10.0, "chat": 4.0})
    actuals = volumes({"voice": 100.0, "chat": 4.0}, (8, 12))
    got = reforecast(day_ahead, actuals, at(12), IntradaySettings(max_ratio=2.0))
    ratios = dict(zip(got.ratios["queue"], got.ratios["volume_ratio"], strict=True))
    assert ratios == {"chat": pytest.approx(1.0), "voice": 2.0}


def test_no_actuals_leave_the_forecast_as_it_is() -> None:
    none = ContactVolumes(volumes({"voice": 1.0}, (8, 9)).frame.iloc[0:0])
    got = reforecast(volumes({"voice": 10.0}), none, at(9, 7))
    assert got.ratios["observed_intervals"].tolist() == [0]
    # 09:00-09:15 is under way at 09:07: it is still forecast.
    assert got.volumes.frame["interval_start"].min() == pd.Timestamp(at(9))
    assert got.volumes.frame["offered"].tolist() == pytest.approx([10.0] * 36)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"actuals": volumes({"email": 1.0}, (8, 9))}, "actuals"),
    ({"now": at(18, 30)}, "now"),
    ({"now": datetime(2026, 3, 2, 10)}, "now"),
])
def test_bad_input_names_the_field(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"day_ahead": volumes({"voice": 1.0}),
                               "actuals": volumes({"voice": 1.0}, (8, 9)), "now": at(10)}
    args.update(kwargs)
    with pytest.raises(FieldError) as err:
        reforecast(**args)  # type: ignore[arg-type]
    assert err.value.field == field


def test_settings_are_checked() -> None:
    with pytest.raises(FieldError, match="max_ratio"):
        IntradaySettings(min_ratio=2, max_ratio=1)
    with pytest.raises(FieldError, match="half_life"):
        IntradaySettings(half_life=timedelta(0))

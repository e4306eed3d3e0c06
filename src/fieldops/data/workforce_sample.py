"""Deterministic sample contact history: four queues, a year of 15-minute intervals.

Generated on demand (no large file in the repository): a fixed seed gives the
same history on every machine. The shape is that of a European multi-channel
contact center: weekday peaks at 10:00 and 14:00, quieter Saturdays and
Sundays, public holidays of ``country`` at a fraction of normal volume, a mild
annual cycle and trend, day-to-day noise on top of Poisson arrivals, and the
clock in local time (so the daylight-saving days have 92 and 100 intervals).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from fieldops.domain.workforce import ContactVolumes

SAMPLE_QUEUES: tuple[str, ...] = ("voice/en", "voice/de", "chat/en", "email/en")

# queue: (contacts per average weekday, mean AHT s, open hour, close hour, Sunday level)
_QUEUES: dict[str, tuple[float, float, float, float, float]] = {
    "voice/en": (5200.0, 300.0, 7.0, 22.0, 0.30),
    "voice/de": (2600.0, 330.0, 7.0, 20.0, 0.20),
    "chat/en": (2000.0, 540.0, 8.0, 23.0, 0.45),
    "email/en": (1400.0, 420.0, 0.0, 24.0, 0.50),
}
_WEEKDAY = np.array([1.15, 1.05, 1.0, 0.98, 0.92, 0.55, 1.0])  # Sunday from _QUEUES
_HOLIDAY_LEVEL = 0.35


def _intraday(hours: np.ndarray, open_h: float, close_h: float) -> np.ndarray:
    """Relative arrival intensity by local hour: two peaks, a trickle outside opening."""
    peaks = np.exp(-0.5 * ((hours - 10.5) / 1.6) ** 2) + 0.8 * np.exp(
        -0.5 * ((hours - 14.5) / 2.0) ** 2
    ) + 0.25
    open_mask = (hours >= open_h) & (hours < close_h)
    return np.where(open_mask, peaks, 0.02)


def sample_history(
    days: int = 364,
    seed: int = 7,
    start: date = date(2025, 1, 6),
    timezone: str = "Europe/Berlin",
    country: str = "DE",
) -> ContactVolumes:
    """The sample history as validated :class:`ContactVolumes` (UTC instants)."""
    import holidays

    tz = ZoneInfo(timezone)
    rng = np.random.default_rng(seed)
    first = pd.Timestamp(start).tz_localize(tz)
    last = pd.Timestamp(start + timedelta(days=days)).tz_localize(tz)
    ts = pd.date_range(first, last, freq="15min", inclusive="left")
    local_days = ts.date
    hours = (ts.hour + ts.minute / 60.0).to_numpy(dtype=float)
    dow = ts.dayofweek.to_numpy()
    day_index = np.array([(d - start).days for d in local_days])
    hol = holidays.country_holidays(country, years=range(start.year, start.year + 2))
    is_holiday = np.array([d in hol for d in local_days])
    annual = 1.0 + 0.08 * np.cos(2 * np.pi * (day_index - 20) / 365.0)
    trend = 1.0 + 0.10 * day_index / 365.0
    frames = []
    for queue, (per_day, aht, open_h, close_h, sunday) in _QUEUES.items():
        weekly = _WEEKDAY.copy()
        weekly[6] = sunday
        shape = _intraday(hours, open_h, close_h)
        # Normalise the intraday shape so the weekday total is ``per_day``.
        per_interval = shape / shape[:96].sum() * per_day
        noise = rng.gamma(60.0, 1 / 60.0, size=days)[day_index]  # day-to-day +-13 %
        level = per_interval * weekly[dow] * annual * trend * noise
        level = np.where(is_holiday, level * _HOLIDAY_LEVEL, level)
        offered = rng.poisson(level).astype(float)
        intraday_aht = aht * (1.0 + 0.08 * np.sin(2 * np.pi * (hours - 9) / 24.0))
        handled = np.maximum(offered, 1.0)
        # The mean of n handle times wobbles less when n is large.
        aht_obs = intraday_aht * rng.gamma(handled * 4, 1 / (handled * 4))
        frames.append(pd.DataFrame({
            "interval_start": ts.tz_convert("UTC"),
            "queue": queue,
            "offered": offered,
            "aht_seconds": np.where(offered > 0, np.round(aht_obs, 1), 0.0),
        }))
    frame = pd.concat(frames, ignore_index=True)
    frame = frame.sort_values(["queue", "interval_start"], kind="stable").reset_index(drop=True)
    return ContactVolumes(frame=frame, interval=timedelta(minutes=15))


def write_sample(path: str | Path, days: int = 364, seed: int = 7) -> ContactVolumes:
    """Write the sample history as CSV (or JSON for ``.json``) and return it."""
    from fieldops.solver.forecast.io import write_volumes

    volumes = sample_history(days=days, seed=seed)
    write_volumes(volumes, path, timezone="Europe/Berlin")
    return volumes

"""Intraday re-forecast: the rest of today from today's actuals so far.

The day-ahead forecast gets the shape of a day right (the intraday profile) and
its level wrong by the day's own noise: a Monday 12 % busier than usual is busier
all day. The re-forecast therefore keeps the day-ahead shape and rescales its
level per queue by how today has run so far:

* an interval is **observed** when it has ended by ``now`` and has an actual;
  each observed interval ``i`` gets the weight ``w_i = 0.5 ** (age_i / half_life)``
  (``age_i`` = ``now`` − the interval's end), so the last hours count most;
* the volume ratio is ``r = (Σ w_i·A_i + P) / (Σ w_i·F_i + P)`` with ``A`` the
  actual and ``F`` the day-ahead contacts, ``P`` = ``prior_contacts``: a
  pseudo-count that shrinks the ratio toward 1 while little has been seen (at
  08:15 two calls against one forecast say little), clipped to
  ``[min_ratio, max_ratio]``;
* the handle-time ratio is the same with contact-weighted handle times,
  ``(Σ w_i·A_i·aht_i + P·h) / (Σ w_i·A_i·faht_i + P·h)``, ``h`` the mean forecast
  handle time of the observed intervals;
* every interval that has not ended by ``now`` (the current one included) is
  forecast as ``F × r`` contacts of ``faht × r_aht`` seconds.

The method is back-tested on the sample history by ``python -m benchmarks.intraday``
(WAPE of the rest of the day at 10:00, 12:00 and 14:00 against the day-ahead
forecast's); docs/workforce.md quotes the figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from fieldops.domain._checks import require_aware
from fieldops.domain.errors import FieldError
from fieldops.domain.workforce import ContactVolumes, IntradaySettings

#: Columns of :attr:`IntradayForecast.ratios`.
RATIO_COLUMNS = ("queue", "observed_intervals", "actual_contacts", "day_ahead_contacts",
                 "volume_ratio", "aht_ratio")


@dataclass(frozen=True, eq=False)
class IntradayForecast:
    """The rest of the day, re-forecast.

    ``volumes`` holds the intervals not ended by ``now`` with the re-forecast
    ``offered`` and ``aht_seconds`` (a :class:`ContactVolumes` that ``staff()``
    and the roster prediction take as they are); ``day_ahead`` the same intervals
    as the day-ahead forecast had them; ``ratios`` one row per queue
    (:data:`RATIO_COLUMNS`).
    """

    volumes: ContactVolumes
    day_ahead: ContactVolumes
    ratios: pd.DataFrame
    now: datetime


def _ratio(num: float, den: float, prior: float, settings: IntradaySettings) -> float:
    if den + prior <= 0:
        return 1.0
    return float(np.clip((num + prior) / (den + prior), settings.min_ratio,
                         settings.max_ratio))


def _queue_ratios(observed: pd.DataFrame, now: pd.Timestamp, step: pd.Timedelta,
                  settings: IntradaySettings) -> tuple[float, float]:
    """Volume and handle-time ratio of one queue from its observed intervals."""
    if observed.empty:
        return 1.0, 1.0
    age = (now - (observed["interval_start"] + step)) / pd.Timedelta(settings.half_life)
    w = np.power(0.5, age.to_numpy(dtype=float))
    actual = observed["offered"].to_numpy(dtype=float)
    fc = observed["fc_offered"].to_numpy(dtype=float)
    prior = settings.prior_contacts
    volume = _ratio(float(w @ actual), float(w @ fc), prior, settings)
    aht, fc_aht = (observed[c].to_numpy(dtype=float) for c in ("aht_seconds", "fc_aht"))
    h = float(np.average(fc_aht, weights=fc)) if fc.sum() > 0 else float(fc_aht.mean())
    handle = _ratio(float(w @ (actual * aht)), float(w @ (actual * fc_aht)), prior * h,
                    settings)
    return volume, handle


def reforecast(day_ahead: ContactVolumes, actuals: ContactVolumes, now: datetime,
               settings: IntradaySettings | None = None) -> IntradayForecast:
    """Re-forecast every interval of ``day_ahead`` that has not ended by ``now``.

    Parameters
    ----------
    day_ahead
        The day-ahead forecast of (at least) today, per interval and queue.
    actuals
        Today's contacts so far (same interval length); intervals not in
        ``day_ahead`` or not yet ended are ignored.
    now
        An aware instant; the current interval counts as not yet observed.
    settings
        Half-life, prior and bounds (:class:`IntradaySettings`).

    Raises
    ------
    FieldError
        ``actuals.interval`` when the interval lengths differ, ``actuals`` when a
        queue has no day-ahead forecast, ``now`` when naive or after the forecast.
    """
    settings = settings or IntradaySettings()
    require_aware("now", now)
    if actuals.interval != day_ahead.interval:
        raise FieldError("actuals.interval", "must equal the forecast's interval")
    unknown = sorted(set(actuals.queues) - set(day_ahead.queues))
    if unknown:
        raise FieldError("actuals", f"queue {unknown[0]!r} has no day-ahead forecast")
    step = pd.Timedelta(day_ahead.interval)
    stamp = pd.Timestamp(now).tz_convert("UTC")
    fc = day_ahead.frame[["interval_start", "queue", "offered", "aht_seconds"]]
    rest = fc[fc["interval_start"] + step > stamp].reset_index(drop=True)
    if rest.empty:
        raise FieldError("now", "is after the forecast's last interval: nothing left to "
                         "re-forecast")
    seen = actuals.frame[actuals.frame["interval_start"] + step <= stamp]
    observed = seen.merge(fc.rename(columns={"offered": "fc_offered", "aht_seconds": "fc_aht"}),
                          on=["interval_start", "queue"], how="inner")
    rows, volume, handle = [], {}, {}
    for queue in sorted(rest["queue"].unique()):
        part = observed[observed["queue"] == queue]
        volume[queue], handle[queue] = _queue_ratios(part, stamp, step, settings)
        rows.append((queue, len(part), float(part["offered"].sum()),
                     float(part["fc_offered"].sum()), volume[queue], handle[queue]))
    out = rest.copy()
    out["offered"] = rest["offered"] * rest["queue"].map(volume)
    out["aht_seconds"] = rest["aht_seconds"] * rest["queue"].map(handle)
    return IntradayForecast(
        volumes=ContactVolumes(out, day_ahead.interval),
        day_ahead=ContactVolumes(rest, day_ahead.interval),
        ratios=pd.DataFrame(rows, columns=list(RATIO_COLUMNS)),
        now=now,
    )


__all__ = ["RATIO_COLUMNS", "IntradayForecast", "IntradaySettings", "reforecast"]

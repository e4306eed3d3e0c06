"""Per-queue forecast of contacts and handle time per interval.

The interval series is split into a daily total and an intraday profile, both in
the local time of ``settings.timezone``:

* daily totals are forecast by the method under test (seasonal-profile average or
  damped Holt-Winters with weekly seasonality, statsmodels) on a "normal-day"
  series where holidays are replaced by their weekday's recent mean, and
  holidays are then scaled by a factor learnt from past holidays;
* the intraday profile is the mean share of the day's volume per local
  wall-clock slot and weekday over the last ``profile_weeks`` weeks (holidays use
  the holiday profile, or Sunday's when the history has none);
* a day's slots are the real intervals of that local day, so a daylight-saving
  day has 92 or 100 quarter-hours and its shares are renormalised to sum to 1.

Fitting Holt-Winters on ~365 daily totals instead of ~35 000 intervals keeps a
year of history to well under a second per queue.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from fieldops.domain.errors import FieldError
from fieldops.domain.workforce import (
    BacktestScore,
    ContactVolumes,
    Forecast,
    ForecastSettings,
)

DayModel = Callable[[pd.Series, list[date]], np.ndarray]


# ---------------------------------------------------------------- calendar
def holiday_factors(settings: ForecastSettings, years: range) -> dict[date, float | None]:
    """Special days: date → fixed factor, or ``None`` for the learnt holiday factor."""
    days: dict[date, float | None] = {}
    if settings.country:
        import holidays

        for d in holidays.country_holidays(settings.country, subdiv=settings.subdivision,
                                           years=list(years)):
            days[d] = None
    for special in settings.special_days:
        days[special.day] = special.factor
    return days


def _local_grid(start_utc: pd.Timestamp, end_utc: pd.Timestamp, step: pd.Timedelta,
                tz: ZoneInfo) -> pd.DataFrame:
    """Every interval in ``[start, end)`` with its local date, weekday and wall-clock slot."""
    ts = pd.date_range(start_utc, end_utc, freq=step, inclusive="left", tz="UTC")
    local = ts.tz_convert(tz)
    minutes = local.hour * 60 + local.minute
    return pd.DataFrame({
        "interval_start": ts,
        "day": local.date,
        "dow": local.dayofweek,
        "slot": (minutes // int(step.total_seconds() // 60)).astype(int),
    })


def _day_bounds(first: date, last: date, tz: ZoneInfo) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(first).tz_localize(tz).tz_convert("UTC")
    end = pd.Timestamp(last + timedelta(days=1)).tz_localize(tz).tz_convert("UTC")
    return start, end


# ---------------------------------------------------------------- daily models
def seasonal_profile_days(normal: pd.Series, future: list[date], weeks: int = 6) -> np.ndarray:
    """Mean of the same weekday over the last ``weeks`` weeks of normal days."""
    recent = normal.iloc[-7 * weeks:]
    by_dow = recent.groupby([d.weekday() for d in recent.index]).mean()
    overall = float(recent.mean())
    return np.array([float(by_dow.get(d.weekday(), overall)) for d in future])


HOLT_WINTERS_WINDOW_DAYS = 182


def holt_winters_days(normal: pd.Series, future: list[date]) -> np.ndarray:
    """Damped additive trend, weekly multiplicative season (additive if a day is zero).

    Fitted on the last 26 weeks of daily totals without the brute-force start
    search: a fit then takes ~20 ms instead of ~300 ms, and older weeks add
    little to a weekly model with a damped trend.
    """
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    values = normal.to_numpy(dtype=float)[-HOLT_WINTERS_WINDOW_DAYS:]
    steps = (future[-1] - normal.index[-1]).days
    if not values.any():  # a queue with no contacts at all: nothing to fit
        return np.zeros(len(future))
    seasonal = "mul" if values.min() > 0 else "add"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on short or flat series
        model = ExponentialSmoothing(values, trend="add", damped_trend=True,
                                     seasonal=seasonal, seasonal_periods=7,
                                     initialization_method="estimated")
        fit = model.fit(optimized=True, use_brute=False)
    path = np.asarray(fit.forecast(steps), dtype=float)
    if not np.all(np.isfinite(path)):  # a failed fit must lose the back-test, not crash
        return np.full(len(future), np.nan)
    idx = [(d - normal.index[-1]).days - 1 for d in future]
    return np.clip(path[idx], 0.0, None)


METHODS: dict[str, DayModel] = {
    "seasonal_profile": seasonal_profile_days,
    "holt_winters": holt_winters_days,
}


# ---------------------------------------------------------------- one queue
class _Queue:
    """The history of one queue on the local-day grid, with its learnt profiles."""

    def __init__(self, name: str, rows: pd.DataFrame, step: pd.Timedelta, tz: ZoneInfo,
                 settings: ForecastSettings) -> None:
        self.name = name
        self.step = step
        self.tz = tz
        self.settings = settings
        local = rows["interval_start"].dt.tz_convert(tz)
        first_day = local.iloc[0].date()
        last_day = local.iloc[-1].date()
        # Only whole local days: a partial first or last day would bias its total.
        if local.iloc[0] != pd.Timestamp(first_day).tz_localize(tz):
            first_day += timedelta(days=1)
        last_end = local.iloc[-1] + step
        if last_end != pd.Timestamp(last_day + timedelta(days=1)).tz_localize(tz):
            last_day -= timedelta(days=1)
        n_days = (last_day - first_day).days + 1
        need = 7 * (settings.backtest_weeks + 2)
        if n_days < need:
            raise FieldError(f"history.{name}", f"has {max(n_days, 0)} whole days; at least "
                             f"{need} are needed (backtest_weeks + 2 weeks)")
        start, end = _day_bounds(first_day, last_day, tz)
        grid = _local_grid(start, end, step, tz)
        grid = grid.merge(rows[["interval_start", "offered", "aht_seconds"]],
                          on="interval_start", how="left")
        self.missing = int(grid["offered"].isna().sum())
        if self.missing > settings.max_missing_fraction * len(grid):
            raise FieldError(f"history.{name}", f"{self.missing} of {len(grid)} intervals are "
                             f"missing (more than max_missing_fraction "
                             f"{settings.max_missing_fraction:g})")
        grid["observed"] = grid["offered"].notna()
        # Impute a missing interval with its weekday-slot mean so day totals stay whole.
        fill = grid.groupby(["dow", "slot"])["offered"].transform("mean")
        grid["offered"] = grid["offered"].fillna(fill).fillna(0.0)
        grid["aht_seconds"] = grid["aht_seconds"].fillna(0.0)
        self.grid = grid
        self.first_day, self.last_day = first_day, last_day
        self.special = holiday_factors(settings, range(first_day.year, last_day.year + 3))

    # -- learnt pieces, all from days strictly before ``cutoff``
    def fit(self, cutoff: date) -> _Fitted:
        g = self.grid[self.grid["day"] < cutoff]
        totals = g.groupby("day")["offered"].sum()
        is_special = np.array([d in self.special for d in totals.index])
        dows = np.array([d.weekday() for d in totals.index])
        normal = totals.copy()
        # Replace special days by the mean of the same weekday in the 4 weeks before.
        ordinary = pd.Series(np.where(is_special, np.nan, totals.to_numpy()), index=totals.index)
        for i in (int(k) for k in np.flatnonzero(is_special)):
            prior = ordinary.iloc[max(0, i - 28):i][dows[max(0, i - 28):i] == dows[i]].dropna()
            if prior.empty:
                prior = ordinary[dows == dows[i]].dropna()
            normal.iloc[i] = float(prior.mean()) if not prior.empty else float(totals.iloc[i])
        ratios = [totals.iloc[i] / normal.iloc[i] for i in np.flatnonzero(is_special)
                  if normal.iloc[i] > 0 and self.special.get(totals.index[i]) is None]
        weekday_mean = float(normal[dows < 5].mean()) if (dows < 5).any() else 0.0
        sunday = float(normal[dows == 6].mean()) if (dows == 6).any() else weekday_mean
        holiday_factor = (float(np.median(ratios)) if ratios
                          else (sunday / weekday_mean if weekday_mean > 0 else 1.0))
        # Intraday shares per weekday and slot over the recent weeks (ordinary days only).
        recent_start = cutoff - timedelta(weeks=self.settings.profile_weeks)
        special_days = set(self.special)
        day_total = g.groupby("day")["offered"].transform("sum")
        share = g["offered"] / day_total.where(day_total > 0)
        g = g.assign(share=share, special=g["day"].isin(special_days))
        recent = g[(g["day"] >= recent_start) & ~g["special"]]
        profile = recent.groupby(["dow", "slot"])["share"].mean()
        hol = g[g["special"]]
        hol_profile = (hol.groupby("slot")["share"].mean() if not hol.empty
                       else profile.xs(6, level="dow") if 6 in profile.index.get_level_values(0)
                       else profile.groupby(level="slot").mean())
        # Volume-weighted handle time per weekday and slot, falling back to the queue mean.
        w = recent["offered"] * recent["aht_seconds"]
        aht = (w.groupby([recent["dow"], recent["slot"]]).sum()
               / recent.groupby(["dow", "slot"])["offered"].sum())
        total_offered = float(recent["offered"].sum())
        mean_aht = float(w.sum() / total_offered) if total_offered > 0 else 0.0
        return _Fitted(normal=normal, holiday_factor=holiday_factor, profile=profile,
                       holiday_profile=hol_profile, aht=aht, mean_aht=mean_aht)

    def predict(self, fitted: _Fitted, method: str, first: date, last: date) -> pd.DataFrame:
        future = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        totals = METHODS[method](fitted.normal, future)
        factors = []
        for d in future:
            if d in self.special:
                f = self.special[d]
                factors.append(fitted.holiday_factor if f is None else f)
            else:
                factors.append(1.0)
        day_totals = pd.Series(totals * np.array(factors), index=future)
        start, end = _day_bounds(first, last, self.tz)
        grid = _local_grid(start, end, self.step, self.tz)
        special = grid["day"].isin(set(self.special)).to_numpy()
        keys = pd.MultiIndex.from_arrays([grid["dow"], grid["slot"]])
        share = fitted.profile.reindex(keys).to_numpy()
        share[special] = fitted.holiday_profile.reindex(grid["slot"][special]).to_numpy()
        share = np.nan_to_num(share, nan=0.0)
        grid["share"] = share
        norm = grid.groupby("day")["share"].transform("sum").to_numpy()
        fallback = 1.0 / grid.groupby("day")["share"].transform("size").to_numpy()
        grid["share"] = np.where(norm > 0, share / np.where(norm > 0, norm, 1.0), fallback)
        grid["offered"] = grid["share"] * grid["day"].map(day_totals).to_numpy(dtype=float)
        aht = fitted.aht.reindex(keys).to_numpy()
        grid["aht_seconds"] = np.where(np.isfinite(aht), aht, fitted.mean_aht)
        grid["queue"] = self.name
        grid["method"] = method
        return grid


class _Fitted:
    def __init__(self, normal: pd.Series, holiday_factor: float, profile: pd.Series,
                 holiday_profile: pd.Series, aht: pd.Series, mean_aht: float) -> None:
        self.normal = normal
        self.holiday_factor = holiday_factor
        self.profile = profile
        self.holiday_profile = holiday_profile
        self.aht = aht
        self.mean_aht = mean_aht


def wape_bias(forecast: np.ndarray, actual: np.ndarray) -> tuple[float, float]:
    """WAPE = sum|f - a| / sum a and bias = sum(f - a) / sum a (NaN when sum a is 0)."""
    total = float(np.sum(actual))
    if total <= 0:
        return float("nan"), float("nan")
    return (float(np.sum(np.abs(forecast - actual)) / total),
            float(np.sum(forecast - actual) / total))


def backtest_queue(q: _Queue, methods: tuple[str, ...], weeks: int) -> list[BacktestScore]:
    """Fit on all but the last ``weeks`` weeks, score every method on those weeks."""
    cutoff = q.last_day - timedelta(weeks=weeks) + timedelta(days=1)
    fitted = q.fit(cutoff)
    test = q.grid[q.grid["day"] >= cutoff]
    observed = test["observed"].to_numpy()
    actual = test["offered"].to_numpy()[observed]
    scores = []
    for method in methods:
        pred = q.predict(fitted, method, cutoff, q.last_day)
        if len(pred) != len(test):  # same local days, same grid: a bug if it ever differs
            raise AssertionError("back-test grid mismatch")
        wape, bias = wape_bias(pred["offered"].to_numpy()[observed], actual)
        scores.append(BacktestScore(q.name, method, wape, bias))
    return scores


def _forecast_queue(name: str, rows: pd.DataFrame, step: pd.Timedelta, tz: ZoneInfo,
                    settings: ForecastSettings, parts: list[pd.DataFrame],
                    scores: list[BacktestScore], missing: dict[str, int]) -> None:
    """Back-test, choose, refit and forecast one queue (appends to the lists given)."""
    q = _Queue(name, rows.sort_values("interval_start"), step, tz, settings)
    missing[q.name] = q.missing
    queue_scores = backtest_queue(q, settings.methods, settings.backtest_weeks)
    best = min(queue_scores, key=lambda s: (np.nan_to_num(s.wape, nan=np.inf),
                                            settings.methods.index(s.method)))
    scores += [BacktestScore(s.queue, s.method, s.wape, s.bias, s is best)
               for s in queue_scores]
    fitted = q.fit(q.last_day + timedelta(days=1))
    first = q.last_day + timedelta(days=1)
    last = first + timedelta(days=settings.horizon_days - 1)
    pred = q.predict(fitted, best.method, first, last)
    if not np.all(np.isfinite(pred["offered"].to_numpy())):
        pred = q.predict(fitted, "seasonal_profile", first, last)
    parts.append(pred[["interval_start", "queue", "offered", "aht_seconds", "method"]])


def forecast(history: ContactVolumes, settings: ForecastSettings | None = None) -> Forecast:
    """Forecast every queue of ``history`` (docs/workforce.md, "Forecasting")."""
    settings = settings or ForecastSettings()
    if not isinstance(history, ContactVolumes):
        raise FieldError("history", "must be ContactVolumes (see read_volumes)")
    began = time.perf_counter()
    tz = ZoneInfo(settings.timezone)
    step = pd.Timedelta(history.interval)
    parts: list[pd.DataFrame] = []
    scores: list[BacktestScore] = []
    missing: dict[str, int] = {}
    # One BLAS thread: Holt-Winters multiplies tiny matrices, and BLAS thread pools
    # make it several times slower on a busy machine (benchmarks/workforce.py).
    with threadpool_limits(limits=1):
        for name, rows in history.frame.groupby("queue", sort=True):
            _forecast_queue(str(name), rows, step, tz, settings, parts, scores, missing)
    frame = pd.concat(parts, ignore_index=True)
    return Forecast(
        volumes=ContactVolumes(frame=frame, interval=history.interval),
        history=history,
        scores=tuple(scores),
        settings=settings,
        missing_intervals=missing,
        fit_seconds=time.perf_counter() - began,
    )

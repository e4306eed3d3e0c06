"""Discrete-event simulation (simpy) of a staffing plan, to check the Erlang figures.

Per queue and replication: Poisson arrivals at each interval's forecast rate,
exponential handle times with the interval's AHT, exponential patience (Erlang A
queues; Erlang C queues never abandon), FIFO service by the plan's agents
(times concurrency for chat). When staffing drops at an interval boundary,
agents finish the contact in hand before leaving. Each contact's wait is
booked to the interval in which it arrived. The simulation starts ``warmup``
before the first interval with that interval's rate and staffing, so the first
interval is not measured on an empty system.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd
import simpy
from scipy import stats

from fieldops.domain.errors import FieldError
from fieldops.domain.workforce import ServiceLevelBasis, SimulationResult, StaffingPlan

SIM_COLUMNS = (
    "interval_start", "queue", "agents", "offered_mean", "service_level", "service_level_ci",
    "asa_seconds", "asa_ci", "abandon_rate", "abandon_ci", "erlang_service_level",
    "erlang_abandon_rate",
)


@dataclass
class _Tally:
    arrived: np.ndarray
    answered: np.ndarray
    answered_within: np.ndarray
    abandoned: np.ndarray
    abandoned_within: np.ndarray
    wait_answered: np.ndarray


#: Student-t quantile of a two-sided 95 % confidence interval
T_QUANTILE = 0.975
#: handle times below this (seconds) are raised to it: exponential draws need a mean > 0
MIN_AHT_SECONDS = 1e-6
#: after the last interval the run goes on this many longest handle (or patience)
#: times, so contacts still queued are answered or abandoned
DRAIN_FACTOR = 20


class _QueueRun:
    """One replication of one queue as simpy processes: staffing, arrivals, contacts.

    Contacts of the warm-up are booked to a scratch slot at index ``n``.
    """

    def __init__(self, rates: Sequence[float], aht: Sequence[float], agents: Sequence[int],
                 interval: float, answer_time: float, patience: float | None,
                 rng: np.random.Generator, warmup: float) -> None:
        self.rates, self.aht, self.agents = rates, aht, agents
        self.interval, self.answer_time, self.patience = interval, answer_time, patience
        self.rng, self.warmup = rng, warmup
        self.n = len(rates)
        self.tally = _Tally(*(np.zeros(self.n + 1) for _ in range(6)))
        self.env = simpy.Environment()
        self.pool = simpy.Container(self.env, init=int(agents[0]), capacity=10**9)
        self.to_remove = 0  # agents leaving once they finish their contact

    def run(self) -> _Tally:
        env = self.env
        env.process(self.staffing())
        env.process(self.arrivals())
        env.run(until=self.warmup + self.n * self.interval
                + DRAIN_FACTOR * max(max(self.aht), self.patience or 0.0))
        tally = self.tally
        return _Tally(*(getattr(tally, f)[:self.n] for f in tally.__dataclass_fields__))

    def release(self) -> None:
        if self.to_remove > 0:
            self.to_remove -= 1
        else:
            self.pool.put(1)

    def staffing(self) -> simpy.events.ProcessGenerator:
        env, pool, agents = self.env, self.pool, self.agents
        current = int(agents[0])
        for i in range(1, self.n):
            yield env.timeout(self.warmup + i * self.interval - env.now)
            delta = int(agents[i]) - current
            current = int(agents[i])
            if delta > 0:
                cancel = min(delta, self.to_remove)
                self.to_remove -= cancel
                if delta - cancel:
                    pool.put(delta - cancel)
            elif delta < 0:
                take = min(int(pool.level), -delta)
                if take:
                    yield pool.get(take)
                self.to_remove += -delta - take

    def contact(self, idx: int, service: float,
                patience_draw: float) -> simpy.events.ProcessGenerator:
        env, tally = self.env, self.tally
        arrived = env.now
        request = self.pool.get(1)
        if math.isinf(patience_draw):
            yield request
        else:
            yield request | env.timeout(patience_draw)
        wait = env.now - arrived
        if request.triggered:
            tally.answered[idx] += 1
            tally.wait_answered[idx] += wait
            if wait <= self.answer_time:
                tally.answered_within[idx] += 1
            yield env.timeout(service)
            self.release()
        else:
            request.cancel()
            tally.abandoned[idx] += 1
            if wait <= self.answer_time:
                tally.abandoned_within[idx] += 1

    def arrivals(self) -> simpy.events.ProcessGenerator:
        env, rng, n, warmup, interval = self.env, self.rng, self.n, self.warmup, self.interval
        # Warm-up at the first interval's rate, then interval by interval.
        segments = [(0.0, warmup, -1)] + [
            (warmup + i * interval, warmup + (i + 1) * interval, i) for i in range(n)
        ]
        for begin, end, idx in segments:
            k = max(idx, 0)
            rate = float(self.rates[k])
            if env.now < begin:
                yield env.timeout(begin - env.now)
            if rate <= 0:
                continue
            t = begin + rng.exponential(1 / rate)
            while t < end:
                yield env.timeout(t - env.now)
                if idx >= 0:
                    self.tally.arrived[idx] += 1
                draw = rng.exponential(self.patience) if self.patience else math.inf
                env.process(self.contact(idx if idx >= 0 else n,
                                         rng.exponential(self.aht[k]), draw))
                t += rng.exponential(1 / rate)


def simulate_queue(
    rates: Sequence[float],
    aht: Sequence[float],
    agents: Sequence[int],
    interval: float,
    answer_time: float,
    patience: float | None,
    rng: np.random.Generator,
    warmup: float = 1800.0,
) -> _Tally:
    """One replication of one queue; rates per second, times in seconds."""
    return _QueueRun(rates, aht, agents, interval, answer_time, patience, rng, warmup).run()


def _ratios(t: _Tally, basis: ServiceLevelBasis) -> tuple[np.ndarray, ...]:
    """Service level, ASA and abandonment per interval of one replication."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if basis is ServiceLevelBasis.ANSWERED:
            denom = t.answered
        elif basis is ServiceLevelBasis.OFFERED_EXCL_SHORT_ABANDONS:
            denom = t.arrived - t.abandoned_within
        else:
            denom = t.arrived
        return (np.where(denom > 0, t.answered_within / denom, np.nan),
                np.where(t.answered > 0, t.wait_answered / t.answered, np.nan),
                np.where(t.arrived > 0, t.abandoned / t.arrived, np.nan))


def _mean_ci(samples: list[np.ndarray], t_crit: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean over replications and the half-width of its confidence interval."""
    arr = np.vstack(samples)
    count = np.sum(np.isfinite(arr), axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # empty intervals: NaN is right
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.nanmean(arr, axis=0) if arr.size else arr
            sd = np.nanstd(arr, axis=0, ddof=1)
            half = t_crit * sd / np.sqrt(count)
    return mean, half


def _simulate_rows(plan: StaffingPlan, q: str, rows: pd.DataFrame, replications: int,
                   rng: np.random.Generator, warmup: timedelta) -> pd.DataFrame:
    """KPIs with confidence intervals of queue ``q``'s ``rows`` of the plan."""
    spec = plan.queues[q]
    seconds = plan.interval.total_seconds()
    rates = (rows["offered"].to_numpy(float) / seconds).tolist()
    aht = np.maximum(rows["aht_seconds"].to_numpy(float), MIN_AHT_SECONDS).tolist()
    servers = (rows["agents"].to_numpy(int) * spec.concurrency).tolist()
    patience = spec.patience.total_seconds() if spec.patience else None
    sl: list[np.ndarray] = []
    asa: list[np.ndarray] = []
    ab: list[np.ndarray] = []
    for _ in range(replications):
        t = simulate_queue(rates, aht, servers, seconds,
                           plan.target.answer_time.total_seconds(), patience, rng,
                           warmup.total_seconds())
        for samples, value in zip((sl, asa, ab), _ratios(t, plan.target.basis), strict=True):
            samples.append(value)
    t_crit = float(stats.t.ppf(T_QUANTILE, replications - 1))
    (sl_m, sl_h), (asa_m, asa_h), (ab_m, ab_h) = (_mean_ci(x, t_crit) for x in (sl, asa, ab))
    return pd.DataFrame({
        "interval_start": rows["interval_start"].to_numpy(),
        "queue": q,
        "agents": rows["agents"].to_numpy(int),
        "offered_mean": rows["offered"].to_numpy(float),
        "service_level": sl_m, "service_level_ci": sl_h,
        "asa_seconds": asa_m, "asa_ci": asa_h,
        "abandon_rate": ab_m, "abandon_ci": ab_h,
        "erlang_service_level": rows["service_level"].to_numpy(float),
        "erlang_abandon_rate": rows["abandon_rate"].to_numpy(float),
    })


def simulate(
    plan: StaffingPlan,
    replications: int = 20,
    seed: int = 0,
    queues: Sequence[str] | None = None,
    warmup: timedelta = timedelta(minutes=30),
    max_intervals: int | None = None,
) -> SimulationResult:
    """Simulate ``plan`` (voice and chat queues) and report KPIs with 95 % CIs.

    The service level uses ``plan.target.basis`` and ``answer_time``; ``asa_seconds``
    is the mean wait of answered contacts; ``*_ci`` are half-widths of the 95 %
    Student-t interval over replications (per-replication ratios). Erlang figures
    from the plan are carried alongside for comparison. ``max_intervals`` keeps
    only the first intervals of each queue (a day is 96 at 15 minutes).
    """
    if replications < 2:
        raise FieldError("replications", "must be at least 2 (for a confidence interval)")
    frame = plan.frame
    names = queues if queues is not None else [
        q for q, spec in plan.queues.items() if not spec.deferred
    ]
    for q in names:
        if q not in plan.queues:
            raise FieldError(f"queues.{q}", "unknown queue")
        if plan.queues[q].deferred:
            raise FieldError(f"queues.{q}", "email and back-office queues are not simulated")
    rng = np.random.default_rng(seed)
    out = []
    for q in names:
        rows = frame[frame["queue"] == q].sort_values("interval_start")
        if max_intervals is not None:
            rows = rows.iloc[:max_intervals]
        out.append(_simulate_rows(plan, q, rows, replications, rng, warmup))
    result = (pd.concat(out, ignore_index=True) if out
              else pd.DataFrame({c: [] for c in SIM_COLUMNS}))
    return SimulationResult(frame=result[list(SIM_COLUMNS)], replications=replications,
                            seed=seed)


def simulation_to_records(result: SimulationResult) -> list[dict[str, object]]:
    """JSON-ready rows of a simulation (instants ISO 8601, NaN as ``None``)."""
    records: list[dict[str, object]] = []
    for row in result.frame.itertuples(index=False):
        rec: dict[str, object] = {}
        for col, value in zip(SIM_COLUMNS, row, strict=True):
            if col == "interval_start":
                rec[col] = pd.Timestamp(value).isoformat()
            elif col == "queue":
                rec[col] = str(value)
            elif col == "agents":
                rec[col] = int(value)
            else:
                rec[col] = round(float(value), 6) if math.isfinite(float(value)) else None
        records.append(rec)
    return records

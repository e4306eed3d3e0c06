"""Smallest agent count meeting a target; deadline-driven profile for deferred work."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fieldops.domain.errors import FieldError
from fieldops.domain.workforce import StaffingTarget
from fieldops.solver.staffing.erlang import (
    _RECURSION_LIMIT,
    QueueMetrics,
    _erlang_a,
    _erlang_c,
    erlang_b_direct,
)

_TOL = 1e-9


def _meets(m: QueueMetrics, target: StaffingTarget, check_asa: bool) -> bool:
    if m.occupancy > target.max_occupancy + _TOL:
        return False
    if target.service_level is not None and m.service_level(target.basis) < target.service_level:
        return False
    if target.max_abandon is not None and m.p_abandon > target.max_abandon + _TOL:
        return False
    return not (check_asa and target.asa is not None
                and m.asa > target.asa.total_seconds() + _TOL)


def required_agents(
    arrival_rate: float, aht: float, target: StaffingTarget, patience: float | None = None
) -> tuple[int, QueueMetrics]:
    """Smallest number of agents meeting every part of ``target`` for one interval.

    ``arrival_rate`` in contacts per second, ``aht`` and ``patience`` in seconds;
    ``patience=None`` uses Erlang C, otherwise Erlang A. Every KPI improves as
    agents are added, so a linear scan upwards from a lower bound finds the
    smallest count by bracketing and bisection; Erlang B comes from its recursion
    (small counts) or its direct Poisson form (large ones), so loads of thousands
    of Erlangs cost a few milliseconds.
    """
    if not math.isfinite(arrival_rate) or arrival_rate < 0:
        raise FieldError("arrival_rate", "must be a finite number >= 0")
    if not math.isfinite(aht) or aht <= 0:
        raise FieldError("aht", "must be a finite number of seconds > 0")
    if patience is not None and (not math.isfinite(patience) or patience <= 0):
        raise FieldError("patience", "must be a finite number of seconds > 0")
    t = target.answer_time.total_seconds()
    load = arrival_rate * aht
    if load == 0:
        return 0, QueueMetrics(0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0)

    def metrics(n: int, b: float, with_asa: bool) -> QueueMetrics:
        if patience is None:
            return _erlang_c(n, arrival_rate, aht, t, b)
        return _erlang_a(n, arrival_rate, aht, patience, t, b, with_asa)

    # Erlang C needs n > load; occupancy alone needs n >= load (1 - P(ab)) / max_occupancy.
    low = max(math.floor(load) + 1, math.ceil(load / target.max_occupancy - _TOL)) \
        if patience is None else 0
    blocking = _ErlangBTable(load)

    def feasible(n: int) -> bool:
        return _meets(metrics(n, blocking[n], False), target, check_asa=False)

    # Bracket: grow an upper bound from the square-root staffing rule, then bisect.
    high = max(low, math.ceil(load + 3 * math.sqrt(load) + 1))
    while not feasible(high):
        low, high = high + 1, math.ceil(high * 1.5) + 1
    while low < high:
        mid = (low + high) // 2
        if feasible(mid):
            high = mid
        else:
            low = mid + 1
    n = high
    while True:  # the ASA ceiling is checked on full metrics only (one quadrature each)
        full = metrics(n, blocking[n], True)
        if _meets(full, target, check_asa=True):
            return n, full
        n += 1


class _ErlangBTable:
    """Erlang B for 0..n at one load, extended by the stable recursion on demand."""

    def __init__(self, load: float) -> None:
        self.load = load
        self.values = [1.0]

    def __getitem__(self, n: int) -> float:
        values, load = self.values, self.load
        if n > _RECURSION_LIMIT and n >= len(values):
            return erlang_b_direct(n, load)
        while len(values) <= n:
            b = values[-1]
            values.append(load * b / (len(values) + load * b))
        return values[n]


@dataclass(frozen=True, slots=True)
class DeadlineProfile:
    """Staff for deferred work: ``agents`` (float) per interval, ``backlog`` (contacts
    waiting at each interval's end), ``late`` (contacts past their deadline)."""

    agents: np.ndarray
    backlog: np.ndarray
    late: np.ndarray


def deadline_profile(
    volumes: Sequence[float],
    aht: Sequence[float],
    interval: float,
    deadline: float,
    max_occupancy: float = 1.0,
) -> DeadlineProfile:
    """Smallest-rate staffing that answers every item within ``deadline`` seconds.

    Work arriving during interval ``i`` (``volumes[i]`` items of ``aht[i]`` s) is
    counted as arriving at the interval's end and is due ``floor(deadline /
    interval)`` intervals later. In each interval the rule staffs the smallest
    constant rate that would still meet every pending deadline (the "optimal
    available" rule of Yao, Demers & Shenker 1995) and works earliest deadline
    first; this never misses a deadline, keeps work waiting as long as it may and
    levels the peaks of the arrival curve. Work still pending when the horizon
    ends is reported in the last ``backlog``.
    """
    v = np.asarray(volumes, dtype=float)
    h = np.asarray(aht, dtype=float)
    if v.shape != h.shape:
        raise FieldError("aht", "must have one value per interval")
    if np.any(v < 0):
        raise FieldError(f"volumes[{int(np.argmax(v < 0))}]", "must be at least 0")
    if interval <= 0:
        raise FieldError("interval", "must be > 0 seconds")
    lag = int(deadline // interval)
    if lag < 1:
        raise FieldError("response_deadline", "must be at least one interval long")
    n = len(v)
    # pending[k]: [work seconds, contacts] due at the end of interval (current + k).
    work = np.zeros(lag + 1)
    items = np.zeros(lag + 1)
    agents = np.zeros(n)
    backlog = np.zeros(n)
    late = np.zeros(n)
    capacity_per_agent = interval * max_occupancy
    for i in range(n):
        cum = np.cumsum(work[:lag])
        rate = float(np.max(cum / (np.arange(1, lag + 1) * capacity_per_agent))) if lag else 0.0
        agents[i] = rate
        budget = rate * capacity_per_agent
        for k in range(lag):  # earliest deadline first
            if budget <= 0:
                break
            done = min(budget, work[k])
            if work[k] > 0:
                items[k] -= items[k] * done / work[k]
            work[k] -= done
            budget -= done
        late[i] = items[0] if work[0] > _TOL else 0.0
        # Shift the deadlines one interval closer and add this interval's arrivals.
        work = np.append(work[1:], 0.0)
        items = np.append(items[1:], 0.0)
        work[lag - 1] += v[i] * h[i]
        items[lag - 1] += v[i]
        backlog[i] = float(items.sum())
    return DeadlineProfile(agents=agents, backlog=backlog, late=late)

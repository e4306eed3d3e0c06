"""Skill-based routing simulation (simpy): named agents with several skills, as an ACD
routes contacts to them.

Contacts arrive per queue (Poisson at each interval's rate, exponential handle
times with the interval's AHT, exponential patience when the queue has one).
Routing, as an automatic call distributor does it:

* an arriving contact goes to an idle agent with the queue's skill: the most
  proficient first, then the one idle the longest; the agent handles it in the
  contact's handle time ÷ the agent's capacity on the queue
  (:data:`~fieldops.domain.roster.PROFICIENCY_CAPACITY`: a learner takes twice as
  long), as the predicted service level counts the agent;
* an agent who becomes free takes the oldest waiting contact of the
  highest-priority queue among its skills (``RoutedQueue.priority``, lower first);
* agents come on duty and leave at the edges of their duty periods (a roster's
  work activities); one busy at the end of a period finishes the contact first.

Each contact is booked to the interval and queue in which it arrived; the
service level per interval and queue comes with a 95 % Student-t half-width
over the replications. :func:`simulate_roster` runs a roster against a forecast;
:func:`pooled_agents` finds the smallest cross-skilled team that meets every
queue's target in a stationary interval, the simulation-based staffing mode
that ``python -m benchmarks.pooling`` compares with per-queue Erlang.
"""

from __future__ import annotations

import math
import warnings
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import pandas as pd
import simpy
from scipy import stats

from fieldops.domain.errors import FieldError
from fieldops.domain.roster import PROFICIENCY_CAPACITY, Roster, RosterProblem
from fieldops.domain.workforce import ContactVolumes, QueueSpec, StaffingTarget

#: Student-t quantile of a two-sided 95 % confidence interval.
T_QUANTILE = 0.975
#: Handle times below this (seconds) are raised to it: exponential draws need a mean > 0.
MIN_AHT_SECONDS = 1e-6
#: Columns of :func:`simulate_routing`'s frame.
ROUTING_COLUMNS = ("interval", "queue", "offered_mean", "service_level", "service_level_ci",
                   "asa_seconds", "abandon_rate")


@dataclass(frozen=True)
class RoutedQueue:
    """One queue's demand: arrivals per second and mean handle time per interval."""

    id: str
    rates: Sequence[float]
    aht: Sequence[float]
    patience: float | None = None
    priority: int = 0


@dataclass(frozen=True)
class RoutedAgent:
    """An agent: proficiency per queue served, and duty periods in seconds from the start."""

    id: str
    skills: Mapping[str, int]
    periods: tuple[tuple[float, float], ...]


@dataclass
class _Contact:
    queue: int
    slot: int
    arrived: float
    handle: float
    served: bool = False


@dataclass
class _Tallies:
    arrived: np.ndarray
    within: np.ndarray
    abandoned: np.ndarray
    wait: np.ndarray
    answered: np.ndarray


@dataclass
class _State:
    idle: dict[int, float] = field(default_factory=dict)  # agent → idle since
    on_duty: set[int] = field(default_factory=set)
    busy: set[int] = field(default_factory=set)


class _Run:
    """One replication: simpy processes for arrivals, duty periods, service, patience."""

    def __init__(self, queues: Sequence[RoutedQueue], agents: Sequence[RoutedAgent],
                 interval: float, answer_time: float, rng: np.random.Generator) -> None:
        self.queues, self.agents, self.interval = queues, agents, interval
        self.answer_time, self.rng = answer_time, rng
        self.env = simpy.Environment()
        self.n = max(len(q.rates) for q in queues)
        shape = (self.n, len(queues))
        self.t = _Tallies(*(np.zeros(shape) for _ in range(5)))
        self.waiting: list[deque[_Contact]] = [deque() for _ in queues]
        self.state = _State()
        index = {q.id: k for k, q in enumerate(queues)}
        self.skill = [{index[q]: p for q, p in a.skills.items() if q in index} for a in agents]
        self.capacity = [{k: PROFICIENCY_CAPACITY.get(p, 1.0) for k, p in s.items()}
                         for s in self.skill]
        # Among an agent's queues, the order it looks for work in: priority, then listed.
        self.order = [sorted(s, key=lambda k: (queues[k].priority, k)) for s in self.skill]

    def run(self) -> _Tallies:
        for k in range(len(self.queues)):
            self.env.process(self._arrivals(k))
        for a in range(len(self.agents)):
            self.env.process(self._duty(a))
        horizon = self.n * self.interval
        longest = max((max(q.aht, default=0.0) for q in self.queues), default=0.0)
        self.env.run(until=horizon + 20 * max(longest, 1.0))
        return self.t

    # -- demand -----------------------------------------------------------------
    def _arrivals(self, k: int) -> simpy.events.ProcessGenerator:
        q = self.queues[k]
        for slot, rate in enumerate(q.rates):
            count = self.rng.poisson(rate * self.interval) if rate > 0 else 0
            times = np.sort(self.rng.uniform(0, self.interval, count))
            start = slot * self.interval
            aht = max(float(q.aht[slot]), MIN_AHT_SECONDS)
            for at in times:
                yield self.env.timeout(start + at - self.env.now)
                self._arrive(_Contact(k, slot, self.env.now, self.rng.exponential(aht)))
            yield self.env.timeout(max(0.0, start + self.interval - self.env.now))

    def _arrive(self, c: _Contact) -> None:
        self.t.arrived[c.slot, c.queue] += 1
        able = [a for a in self.state.idle if c.queue in self.skill[a]]
        if able:
            best = max(able, key=lambda a: (self.skill[a][c.queue], -self.state.idle[a]))
            self._serve(best, c)
            return
        self.waiting[c.queue].append(c)
        patience = self.queues[c.queue].patience
        if patience is not None:
            self.env.process(self._abandon(c, self.rng.exponential(patience)))

    def _abandon(self, c: _Contact, after: float) -> simpy.events.ProcessGenerator:
        yield self.env.timeout(after)
        if not c.served:
            c.served = True
            self.waiting[c.queue].remove(c)
            self.t.abandoned[c.slot, c.queue] += 1

    # -- agents -----------------------------------------------------------------
    def _serve(self, a: int, c: _Contact) -> None:
        self.state.idle.pop(a, None)
        self.state.busy.add(a)
        c.served = True
        wait = self.env.now - c.arrived
        self.t.answered[c.slot, c.queue] += 1
        self.t.wait[c.slot, c.queue] += wait
        if wait <= self.answer_time:
            self.t.within[c.slot, c.queue] += 1
        self.env.process(self._handle(a, c.handle / self.capacity[a][c.queue]))

    def _handle(self, a: int, seconds: float) -> simpy.events.ProcessGenerator:
        yield self.env.timeout(seconds)
        self.state.busy.discard(a)
        self._free(a)

    def _free(self, a: int) -> None:
        """Agent ``a`` can take work: the oldest contact of its first queue with any."""
        if a not in self.state.on_duty:
            return
        for k in self.order[a]:
            if self.waiting[k]:
                self._serve(a, self.waiting[k].popleft())
                return
        self.state.idle[a] = self.env.now

    def _duty(self, a: int) -> simpy.events.ProcessGenerator:
        for start, end in self.agents[a].periods:
            yield self.env.timeout(max(0.0, start - self.env.now))
            self.state.on_duty.add(a)
            if a not in self.state.busy:
                self._free(a)
            yield self.env.timeout(max(0.0, end - self.env.now))
            self.state.on_duty.discard(a)
            self.state.idle.pop(a, None)  # a busy agent leaves when the contact ends


def _half_width(samples: np.ndarray) -> np.ndarray:
    """95 % Student-t half-width over axis 0 (NaN with fewer than two samples)."""
    reps = samples.shape[0]
    if reps < 2:
        return np.full(samples.shape[1:], math.nan)
    with np.errstate(invalid="ignore"):
        spread = np.nanstd(samples, axis=0, ddof=1)
    return np.asarray(stats.t.ppf(T_QUANTILE, reps - 1) * spread / math.sqrt(reps))


def simulate_routing(queues: Sequence[RoutedQueue], agents: Sequence[RoutedAgent],
                     interval: float, answer_time: float = 20.0, replications: int = 10,
                     seed: int = 0) -> pd.DataFrame:
    """Simulate skill-based routing; one row per interval index and queue.

    Parameters
    ----------
    queues, agents
        Demand per queue and the agents with their skills and duty periods.
    interval
        Interval length in seconds (the rates' and the tallies' grid).
    answer_time
        The service-level threshold ``T`` in seconds (answered within ``T``).
    replications, seed
        Independent runs and the seed of the first (runs are reproducible).

    Returns
    -------
    pandas.DataFrame
        :data:`ROUTING_COLUMNS`: ``service_level`` is answered within ``T`` over
        offered (abandoned contacts count against), the mean over replications
        with its 95 % half-width; ``asa_seconds`` the mean wait of answered
        contacts; ``abandon_rate`` abandoned over offered.
    """
    if not queues:
        raise FieldError("queues", "give at least one queue")
    if replications < 1:
        raise FieldError("replications", "must be at least 1")
    runs = [_Run(queues, agents, interval, answer_time, np.random.default_rng(seed + r)).run()
            for r in range(replications)]
    with np.errstate(invalid="ignore", divide="ignore"):
        sl = np.stack([r.within / r.arrived for r in runs])
        asa = np.stack([r.wait / r.answered for r in runs])
        ab = np.stack([r.abandoned / r.arrived for r in runs])
    arrived = np.stack([r.arrived for r in runs])
    with warnings.catch_warnings():  # an interval nobody called in: NaN, not a warning
        warnings.simplefilter("ignore", RuntimeWarning)
        return _frame(queues, arrived, sl, _half_width(sl), asa, ab)


def _frame(queues: Sequence[RoutedQueue], arrived: np.ndarray, sl: np.ndarray,
           half: np.ndarray, asa: np.ndarray, ab: np.ndarray) -> pd.DataFrame:
    rows = []
    for i in range(sl.shape[1]):
        for k, q in enumerate(queues):
            with np.errstate(invalid="ignore"):
                rows.append((i, q.id, float(arrived[:, i, k].mean()),
                             float(np.nanmean(sl[:, i, k])) if arrived[:, i, k].any() else 1.0,
                             float(half[i, k]),
                             float(np.nanmean(asa[:, i, k])) if arrived[:, i, k].any() else 0.0,
                             float(np.nanmean(ab[:, i, k])) if arrived[:, i, k].any() else 0.0))
    return pd.DataFrame(rows, columns=list(ROUTING_COLUMNS))


# ---------------------------------------------------------------- a roster
def roster_agents(roster: Roster, problem: RosterProblem, start: pd.Timestamp
                  ) -> list[RoutedAgent]:
    """Each rostered agent with all its skills (the template's queues) and its work
    stretches as duty periods, in seconds from ``start``."""
    agents = problem.agent_by_id
    templates = problem.template_by_id
    periods: dict[str, list[tuple[float, float]]] = {}
    skills: dict[str, dict[str, int]] = {}
    for a in roster.assignments:
        allowed = templates[a.template_id].queues
        skills.setdefault(a.agent_id, {
            s.queue: s.proficiency for s in agents[a.agent_id].skills
            if allowed is None or s.queue in allowed})
        for act in a.activities:
            if act.kind == "work":
                periods.setdefault(a.agent_id, []).append(
                    ((pd.Timestamp(act.start) - start).total_seconds(),
                     (pd.Timestamp(act.end) - start).total_seconds()))
    return [RoutedAgent(aid, skills[aid], _merged(p)) for aid, p in sorted(periods.items())]


def _merged(periods: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    """Touching periods as one (work on one queue then another is one stretch on duty)."""
    out: list[tuple[float, float]] = []
    for lo, hi in sorted(periods):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return tuple(out)


def simulate_roster(roster: Roster, problem: RosterProblem, demand: ContactVolumes,
                    specs: Mapping[str, QueueSpec] | None = None, *,
                    answer_time: timedelta = timedelta(seconds=20),
                    priority: Sequence[str] = (), replications: int = 10,
                    seed: int = 0) -> pd.DataFrame:
    """The roster's service level per interval and queue under skill-based routing.

    ``demand`` is the forecast the roster is judged by (its interval grid);
    ``priority`` lists queues from most to least urgent (others after, in the
    problem's order); ``specs`` give each queue's patience (none: no abandonment).
    Returns :func:`simulate_routing`'s frame with ``interval_start`` (UTC) in
    place of the interval index.
    """
    frame = demand.frame[demand.frame["queue"].isin(problem.queues)]
    if frame.empty:
        raise FieldError("demand", "has no queue of the problem")
    starts = pd.DatetimeIndex(sorted(frame["interval_start"].unique()))
    grid = pd.date_range(starts[0], starts[-1], freq=demand.interval)
    rank = {q: k for k, q in enumerate(list(priority) + [q for q in problem.queues
                                                         if q not in priority])}
    queues = []
    for q, part in frame.groupby("queue", sort=True):
        part = part.set_index("interval_start").reindex(grid)
        seconds = demand.interval.total_seconds()
        spec = (specs or {}).get(str(q))
        patience = spec.patience.total_seconds() if spec and spec.patience else None
        queues.append(RoutedQueue(str(q), (part["offered"].fillna(0) / seconds).tolist(),
                                  part["aht_seconds"].fillna(0).tolist(), patience,
                                  rank[str(q)]))
    agents = roster_agents(roster, problem, grid[0])
    out = simulate_routing(queues, agents, demand.interval.total_seconds(),
                           answer_time.total_seconds(), replications, seed)
    out.insert(0, "interval_start", grid[out["interval"].to_numpy()])
    return out.drop(columns="interval")


# ---------------------------------------------------------------- staffing by simulation
def pooled_agents(queues: Sequence[RoutedQueue], service_level: float, answer_time: float,
                  interval: float, *, start: int, replications: int = 5, seed: int = 0,
                  warmup_intervals: int = 1,
                  skills: Sequence[Sequence[str]] | None = None) -> tuple[int, pd.DataFrame]:
    """The smallest team that meets ``service_level`` on every queue (mean over
    replications, intervals after the warm-up), searched upward from ``start``;
    returns it and its simulated frame.

    Every agent holds every queue's skill, or with ``skills`` agent ``k`` holds
    ``skills[k % len(skills)]`` (a partly cross-skilled team, e.g. a chain of
    queue pairs), all at proficiency 3.
    """
    pattern = [list(s) for s in skills] if skills else [[q.id for q in queues]]
    n = max(1, start)
    while True:
        agents = [RoutedAgent(f"a{k}", dict.fromkeys(pattern[k % len(pattern)], 3),
                              ((0.0, math.inf),)) for k in range(n)]
        frame = simulate_routing(queues, agents, interval, answer_time, replications, seed)
        measured = frame[frame["interval"] >= warmup_intervals]
        per_queue = measured.groupby("queue")["service_level"].mean()
        if bool((per_queue >= service_level).all()):
            return n, frame
        n += 1


#: Columns of :func:`pooled_staffing`.
POOLED_COLUMNS = ("interval_start", "per_queue_agents", "pooled_agents", "saved")
#: Quarter hours simulated per interval by :func:`pooled_staffing` (the first warms up).
POOLED_RUN_INTERVALS = 5
#: How far below the merged-queue Erlang C figure the pooled search starts.
POOLED_SEARCH_MARGIN = 2


def pooled_staffing(demand: ContactVolumes, target: StaffingTarget | None = None,
                    specs: Mapping[str, QueueSpec] | None = None, *, replications: int = 5,
                    seed: int = 0, max_intervals: int | None = None) -> pd.DataFrame:
    """Staffing by simulation: per interval, the smallest team of agents holding every
    skill that meets the service-level target on every queue under skill-based
    routing, next to the per-queue Erlang figure (Σ ``agents`` of ``staff()``).

    Each interval is simulated as a stationary stretch of
    :data:`POOLED_RUN_INTERVALS` intervals at its own rates (the first one warms
    up). Email and back-office queues are left out (they have no answer-time
    target); chat is simulated one contact per agent (its concurrency is not);
    both figures are agents before shrinkage. ``max_intervals`` keeps the first
    intervals only.
    """
    from fieldops.solver.staffing.plan import staff

    target = target or StaffingTarget()
    if target.service_level is None:
        raise FieldError("target.service_level", "pooled staffing needs a service level")
    plan = staff(demand, target, specs).frame
    live = plan[plan["model"] != "deadline"]
    patience = {q: spec.patience.total_seconds() if spec.patience else None
                for q in live["queue"].unique()
                for spec in [(specs or {}).get(str(q)) or QueueSpec.infer(str(q))]}
    starts = sorted(live["interval_start"].unique())[:max_intervals]
    seconds = demand.interval.total_seconds()
    rows = []
    for start in starts:
        part = live[live["interval_start"] == start]
        queues = [RoutedQueue(str(r.queue), [r.offered / seconds] * POOLED_RUN_INTERVALS,
                              [r.aht_seconds] * POOLED_RUN_INTERVALS, patience[r.queue])
                  for r in part.itertuples(index=False) if r.offered > 0]
        per_queue = int(part["agents"].sum())
        if not queues:
            rows.append((start, per_queue, 0, per_queue))
            continue
        load = sum(q.rates[0] * q.aht[0] for q in queues)
        n, _ = pooled_agents(queues, target.service_level,
                             target.answer_time.total_seconds(), seconds,
                             start=max(1, math.ceil(load) - POOLED_SEARCH_MARGIN),
                             replications=replications, seed=seed)
        rows.append((start, per_queue, n, per_queue - n))
    return pd.DataFrame(rows, columns=list(POOLED_COLUMNS))


__all__ = [
    "POOLED_COLUMNS",
    "ROUTING_COLUMNS",
    "RoutedAgent",
    "RoutedQueue",
    "pooled_agents",
    "pooled_staffing",
    "roster_agents",
    "simulate_roster",
    "simulate_routing",
]

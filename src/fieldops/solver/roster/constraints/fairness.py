"""Fairness between agents of the same contract (soft).

For each contract with two or more agents, the spread (max − min over its
agents) of worked weekends, of night shifts and of paid hours is priced by
``RosterWeights.fairness_weekends`` / ``fairness_nights`` / ``fairness_hours``.
Hours are whole hours: the spread in minutes divided by 60, rounded down. The
model bounds max and min linearly (the minimisation makes them tight);
:func:`penalty` computes the exact figures reported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from ortools.sat.python import cp_model

from fieldops.solver.roster.aggregates import Aggregates
from fieldops.solver.roster.constraints.base import Family
from fieldops.solver.roster.context import RosterContext
from fieldops.solver.roster.model import RosterModel

MINUTES_PER_HOUR = 60
HOURS_PER_DAY = 24


def _spread(m: RosterModel, values: Sequence[cp_model.LinearExprT], ub: int,
            name: str, kind: str, agents: list[int]) -> cp_model.IntVar:
    hi = m.model.new_int_var(0, ub, f"{name}_max")
    lo = m.model.new_int_var(0, ub, f"{name}_min")
    for v in values:
        m.model.add(hi >= v)
        m.model.add(lo <= v)
    spread = m.model.new_int_var(0, ub, f"{name}_spread")
    m.model.add(spread == hi - lo)
    m.fair.append((kind, agents, hi, lo, spread))
    return spread


def _by_contract(ctx: RosterContext) -> dict[str, list[int]]:
    by_contract: dict[str, list[int]] = defaultdict(list)
    for a, agent in enumerate(ctx.problem.agents):
        by_contract[agent.contract].append(a)
    return by_contract


def add(m: RosterModel) -> None:
    """Spread of weekends, nights and whole paid hours per contract of 2+ agents."""
    ctx = m.ctx
    w = ctx.problem.weights
    by_contract = _by_contract(ctx)
    weekends: list[cp_model.LinearExprT] = []
    nights: list[cp_model.LinearExprT] = []
    hours: list[cp_model.LinearExprT] = []
    n_days = ctx.problem.days
    for cid, agents in sorted(by_contract.items()):
        if len(agents) < 2:
            continue
        if w.fairness_weekends:
            worked = [sum(m.weekend_var(a, k) for k in m.weekends()) for a in agents]
            weekends.append(w.fairness_weekends * _spread(m, worked, n_days, f"we_{cid}",
                                                          "weekends", agents))
        if w.fairness_nights:
            nightly = [m.nights(a) for a in agents]
            nights.append(w.fairness_nights * _spread(m, nightly, n_days, f"n_{cid}",
                                                      "nights", agents))
        if w.fairness_hours:
            minutes = [m.paid_minutes(a) for a in agents]
            spread = _spread(m, minutes, n_days * HOURS_PER_DAY * MINUTES_PER_HOUR,
                             f"h_{cid}", "minutes", agents)
            whole = m.model.new_int_var(0, n_days * HOURS_PER_DAY, f"h_{cid}_hours")
            # whole >= floor(spread / 60)
            m.model.add(MINUTES_PER_HOUR * whole >= spread - (MINUTES_PER_HOUR - 1))
            m.hours[cid] = (whole, spread)
            hours.append(w.fairness_hours * whole)
    m.add_penalty("fairness_weekends", sum(weekends))
    m.add_penalty("fairness_nights", sum(nights))
    m.add_penalty("fairness_hours", sum(hours))


def penalty(ctx: RosterContext, roster: Aggregates) -> dict[str, int]:
    """The exact fairness penalties of the roster's shifts."""
    w = ctx.problem.weights
    weekends: dict[int, set[int]] = defaultdict(set)
    nights: dict[int, int] = defaultdict(int)
    minutes: dict[int, int] = defaultdict(int)
    for a, slot, _ in roster.chosen:
        k = ctx.weekend_of_day[slot.d]
        if k is not None:
            weekends[a].add(k)
        nights[a] += int(slot.night)
        minutes[a] += slot.paid_minutes
    by_contract = _by_contract(ctx)
    out = {"fairness_weekends": 0, "fairness_nights": 0, "fairness_hours": 0}
    for agents in by_contract.values():
        if len(agents) < 2:
            continue
        we = [len(weekends[a]) for a in agents]
        ni = [nights[a] for a in agents]
        mi = [minutes[a] for a in agents]
        out["fairness_weekends"] += w.fairness_weekends * (max(we) - min(we))
        out["fairness_nights"] += w.fairness_nights * (max(ni) - min(ni))
        out["fairness_hours"] += w.fairness_hours * ((max(mi) - min(mi)) // MINUTES_PER_HOUR)
    return out


FAMILY = Family("fairness", add, penalty, {
    "fairness_weekends": "weight × (most − fewest worked weekends), per contract",
    "fairness_nights": "weight × (most − fewest night shifts), per contract",
    "fairness_hours": "weight × whole hours of (most − least paid time), per contract",
})

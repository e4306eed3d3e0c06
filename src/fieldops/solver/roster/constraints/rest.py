"""No overlap, minimum rest and forbidden successors (hard).

For every slot an agent may work, the later slots that would overlap it, start
less than the contract's ``min_rest`` after its end, or are a forbidden successor
on the next day, are collected per later day; since an agent works at most one
shift a day, ``x[slot] + sum(x[conflicting slots of day d']) <= 1`` is exact and
one constraint per (slot, later day) instead of one clause per pair.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from fieldops.solver.roster.constraints.base import Family, no_penalty
from fieldops.solver.roster.model import RosterModel


def add(m: RosterModel) -> None:
    """One constraint per (slot, later day) with a conflicting slot."""
    ctx = m.ctx
    cache = ctx.conflict_cache
    for a in m.agents:
        agent = ctx.problem.agents[a]
        rest = ctx.contract(agent).min_rest
        for slot, var in m.by_agent[a]:
            key = (rest, slot.d, slot.t)
            if key not in cache:
                cache[key] = ctx.conflicts(slot, rest)
            per_day: dict[int, list[cp_model.IntVar]] = defaultdict(list)
            for d, t in cache[key]:
                other = m.x.get((a, d, t))
                if other is not None:
                    per_day[d].append(other)
            for others in per_day.values():
                m.model.add(var + sum(others) <= 1)


FAMILY = Family("rest", add, no_penalty, {})

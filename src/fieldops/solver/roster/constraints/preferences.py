"""Agents' wanted and unwanted shifts and days (soft).

A wanted template on a day costs its weight when the agent does not work that
template that day; a wanted day (no template) when the agent is off; an unwanted
one when the agent works it. ``RosterWeights.preference`` multiplies every weight.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from fieldops.solver.roster.aggregates import Aggregates
from fieldops.solver.roster.constraints.base import Family
from fieldops.solver.roster.context import RosterContext
from fieldops.solver.roster.model import RosterModel


def add(m: RosterModel) -> None:
    """One term per preference: ``weight × (1 − worked)`` if wanted, else ``weight × worked``."""
    ctx = m.ctx
    scale = ctx.problem.weights.preference
    t_index = {t.id: i for i, t in enumerate(ctx.problem.templates)}
    terms: list[cp_model.LinearExprT] = []
    for a, agent in enumerate(ctx.problem.agents):
        for pref in agent.preferences:
            weight = pref.weight * scale
            if not weight:
                continue
            d = (pref.day - ctx.problem.start).days
            worked: cp_model.LinearExprT
            if pref.template is None:
                worked = m.work[(a, d)]
            else:
                worked = m.x.get((a, d, t_index[pref.template]), 0)
            terms.append(weight * (1 - worked) if pref.wanted else weight * worked)
    m.add_penalty("preferences", sum(terms))


def penalty(ctx: RosterContext, roster: Aggregates) -> dict[str, int]:
    """The weight of every preference the roster does not meet."""
    p = ctx.problem
    worked = {(a, s.d): s.template.id for a, s, _ in roster.chosen}
    unmet = 0
    for a, agent in enumerate(p.agents):
        for wish in agent.preferences:
            tpl = worked.get((a, (wish.day - p.start).days))
            hit = tpl is not None and (wish.template is None or wish.template == tpl)
            if hit != wish.wanted:
                unmet += wish.weight * p.weights.preference
    return {"preferences": unmet}


FAMILY = Family("preferences", add, penalty, {
    "preferences": "preference weight × the agent's own weight, per unmet preference",
})

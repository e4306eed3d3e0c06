"""Agents' wanted and unwanted shifts and days (soft).

A wanted template on a day costs its weight when the agent does not work that
template that day; a wanted day (no template) when the agent is off; an unwanted
one when the agent works it. ``RosterWeights.preference`` multiplies every weight.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from fieldops.solver.roster.model import RosterModel

Penalty = tuple[str, cp_model.LinearExprT]


def apply(m: RosterModel) -> list[Penalty]:
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
    return [("preferences", sum(terms))]

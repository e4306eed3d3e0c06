"""Agents' wanted and unwanted shifts and days (soft).

A wanted template on a day costs its weight when the agent does not work that
template that day; a wanted day (no template) when the agent is off; an unwanted
one when the agent works it. ``RosterWeights.preference`` multiplies every weight.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ortools.sat.python import cp_model

from fieldops.solver.roster.aggregates import Aggregates
from fieldops.solver.roster.constraints.base import Family
from fieldops.solver.roster.context import RosterContext
from fieldops.solver.roster.model import RosterModel


def wishes(m: RosterModel, a: int) -> Iterator[tuple[int, bool, cp_model.IntVar | None]]:
    """``(priced weight, wanted, worked literal)`` of agent ``a``'s priced wishes.

    The literal is ``work[a, d]`` for a wish about a day, ``x[a, d, t]`` for one
    about a template, ``None`` when the agent has no such option that day. The
    heuristic's per-agent models read the same wishes.
    """
    ctx = m.ctx
    scale = ctx.problem.weights.preference
    t_index = {t.id: i for i, t in enumerate(ctx.problem.templates)}
    for pref in ctx.problem.agents[a].preferences:
        weight = pref.weight * scale
        if not weight:
            continue
        d = (pref.day - ctx.problem.start).days
        lit = m.work[(a, d)] if pref.template is None else m.x.get(
            (a, d, t_index[pref.template]))
        yield weight, pref.wanted, lit


def add(m: RosterModel) -> None:
    """One term per wish: ``weight × (1 − worked)`` if wanted, else ``weight × worked``."""
    terms: list[cp_model.LinearExprT] = []
    for a in range(len(m.ctx.problem.agents)):
        for weight, wanted, lit in wishes(m, a):
            worked: cp_model.LinearExprT = 0 if lit is None else lit
            terms.append(weight * (1 - worked) if wanted else weight * worked)
    m.add_penalty("preferences", sum(terms))


def unmet(ctx: RosterContext, a: int, worked: Mapping[int, str]) -> int:
    """The priced weight of agent ``a``'s wishes that ``worked`` (day index →
    template id of the agent's shift that day) does not meet."""
    p = ctx.problem
    total = 0
    for wish in p.agents[a].preferences:
        tpl = worked.get((wish.day - p.start).days)
        hit = tpl is not None and (wish.template is None or wish.template == tpl)
        if hit != wish.wanted:
            total += wish.weight * p.weights.preference
    return total


def penalty(ctx: RosterContext, roster: Aggregates) -> dict[str, int]:
    """The weight of every preference the roster does not meet."""
    worked: dict[int, dict[int, str]] = {a: {} for a in range(len(ctx.problem.agents))}
    for a, s, _ in roster.chosen:
        worked[a][s.d] = s.template.id
    return {"preferences": sum(unmet(ctx, a, days) for a, days in worked.items())}


FAMILY = Family("preferences", add, penalty, {
    "preferences": "preference weight × the agent's own weight, per unmet preference",
})

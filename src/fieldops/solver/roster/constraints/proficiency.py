"""Proficiency (soft): prefer the more proficient agent on a queue.

Every shift costs ``RosterWeights.proficiency × (5 − proficiency)`` on the queue
the agent serves in it: an expert costs nothing, a learner four units. Reads the
``assign`` terms built by :mod:`.coverage` (whose skill groups carry the
proficiency whenever this weight is not zero), so it is registered after it.
"""

from __future__ import annotations

from fieldops.solver.roster.aggregates import Aggregates
from fieldops.solver.roster.constraints.base import Family
from fieldops.solver.roster.context import RosterContext
from fieldops.solver.roster.model import RosterModel

EXPERT = 5
"""The highest proficiency (:class:`QueueSkill`): a shift at it costs nothing."""


def add(m: RosterModel) -> None:
    """``weight × (5 − proficiency)`` per agent serving a queue, summed over shifts."""
    weight = m.ctx.problem.weights.proficiency
    if not weight:
        m.add_penalty("proficiency", 0)
        return
    terms = []
    for (_d, _t, g, q), expr in m.assign.items():
        prof = dict(g)[q]
        if prof < EXPERT:
            terms.append((EXPERT - prof) * expr)
    m.add_penalty("proficiency", weight * sum(terms))


def penalty(ctx: RosterContext, roster: Aggregates) -> dict[str, int]:
    """The proficiency penalty of the roster's agents per queue and shift."""
    weight = ctx.problem.weights.proficiency
    gap = sum((EXPERT - dict(g)[q]) * n for (_d, _t, g, q), n in roster.assigned.items())
    return {"proficiency": weight * gap}


FAMILY = Family("proficiency", add, penalty, {
    "proficiency": "proficiency weight × (5 − the agent's proficiency), per shift on a queue",
})

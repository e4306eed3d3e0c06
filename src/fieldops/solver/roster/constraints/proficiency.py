"""Proficiency (soft): prefer the more proficient agent on a queue.

Every shift costs ``RosterWeights.proficiency × (5 − proficiency)`` on the queue
the agent serves in it: an expert costs nothing, a learner four units. Reads the
``assign`` terms built by :mod:`.coverage` (whose skill groups carry the
proficiency whenever this weight is not zero).
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from fieldops.solver.roster.model import RosterModel

Penalty = tuple[str, cp_model.LinearExprT]


def apply(m: RosterModel) -> list[Penalty]:
    weight = m.ctx.problem.weights.proficiency
    if not weight:
        return [("proficiency", 0)]
    terms = []
    for (_d, _t, g, q), expr in m.assign.items():
        prof = dict(g)[q]
        if prof < 5:
            terms.append((5 - prof) * expr)
    return [("proficiency", weight * sum(terms))]

"""What one roster constraint family makes of a roster written out by hand.

In the spirit of Timefold's constraint verifier: the test gives a tiny problem
and the shifts worked; :func:`verify` returns the family's exact penalty, the
minimum of the family's own CP-SAT terms with those shifts fixed (``None``
when its hard rules forbid them), and the violation codes the independent
validator finds in the same roster.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from fieldops.domain.roster import RosterProblem, RosterStatus, whole
from fieldops.solver.roster.constraints import coverage
from fieldops.solver.roster.constraints.base import Family
from fieldops.solver.roster.context import RosterContext
from fieldops.solver.roster.model import RosterModel
from fieldops.solver.roster.plan import from_shifts, to_roster
from fieldops.validators.roster import validate_roster

#: (agent id, day index, template id) of one shift worked
Shift = tuple[str, int, str]


@dataclass
class Verdict:
    penalty: dict[str, float]
    encoded: float | None
    violations: list[str]


def verify(family: Family, problem: RosterProblem, shifts: Iterable[Shift],
           queues: dict[str, str] | None = None) -> Verdict:
    """Judge ``shifts`` (each served on the agent's ``queues`` entry, else its first
    queue) by ``family`` alone."""
    ctx = RosterContext(problem)
    agents = {a.id: k for k, a in enumerate(problem.agents)}
    templates = {t.id: k for k, t in enumerate(problem.templates)}
    served = {}
    for aid, d, tid in shifts:
        agent = problem.agents[agents[aid]]
        q = (queues or {}).get(aid, agent.skills[0].queue)
        served[(agents[aid], d, templates[tid])] = q
    m = RosterModel(ctx)
    missing = set(served) - set(m.x)
    assert not missing, f"not an option for the agent: {missing}"
    # proficiency reads the assign terms coverage builds
    for f in ([coverage.FAMILY] if family.name == "proficiency" else []) + [family]:
        f.add(m)
    for key, var in m.x.items():
        m.model.add(var == int(key in served))
    m.model.minimize(sum(expr for key, expr in m.penalties if key in family.keys))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    code = solver.solve(m.model)
    assert code in (cp_model.OPTIMAL, cp_model.INFEASIBLE), solver.status_name(code)
    # the model counts in 1/unit of a penalty unit (capacity units, RosterContext.unit)
    encoded = (whole(round(solver.objective_value) / ctx.unit) if code == cp_model.OPTIMAL
               else None)
    agg = from_shifts(m, served)
    roster = to_roster(m, agg, RosterStatus.TIME_LIMIT, 0.0, {})
    return Verdict(dict(family.penalty(ctx, agg)), encoded,
                   [v.code for v in validate_roster(problem, roster)])

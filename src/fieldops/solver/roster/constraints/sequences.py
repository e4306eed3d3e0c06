"""Consecutive-day rules (hard), as forbidden-pattern clauses.

Instead of sliding sums, each rule forbids the day patterns that break it, one
clause per pattern and position: "at most k working days in a row" forbids k+1
worked days in any window; "at least k working days in a row" forbids every
short run ``off, work × s, off`` with s < k whose two bounding days off are
inside the horizon (a run touching the first or last day may continue outside
it, the domain's boundary rule); "at least k days off in a row" is the mirror
image. Clauses propagate better in CP-SAT than the equivalent linear sums.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from fieldops.solver.roster.constraints.base import Family, no_penalty
from fieldops.solver.roster.model import RosterModel


def forbid_short_runs(model: cp_model.CpModel, lits: list[cp_model.IntVar], minimum: int,
                      *, negate: bool = False) -> None:
    """Forbid runs of true ``lits`` (false when ``negate``) shorter than ``minimum``
    that are bounded on both sides inside the list."""
    n = len(lits)

    def on(v: cp_model.IntVar) -> cp_model.IntVar:
        return v.negated() if negate else v  # type: ignore[return-value]

    def off(v: cp_model.IntVar) -> cp_model.IntVar:
        return v if negate else v.negated()  # type: ignore[return-value]

    for length in range(1, minimum):
        for s in range(1, n - length):  # s-1 and s+length are the bounding days
            clause = [on(lits[s - 1]), on(lits[s + length])]
            clause += [off(lits[s + k]) for k in range(length)]
            model.add_bool_or(clause)


def add(m: RosterModel) -> None:
    """Maximum and minimum runs of working days, minimum runs of days off."""
    ctx = m.ctx
    n = ctx.problem.days
    for a in m.agents:
        agent = ctx.problem.agents[a]
        c = ctx.contract(agent)
        work = [m.work[(a, d)] for d in range(n)]
        if c.max_consecutive_days is not None and c.max_consecutive_days < n:
            k = c.max_consecutive_days
            for s in range(n - k):
                m.model.add_bool_or([w.negated() for w in work[s:s + k + 1]])
        if c.min_consecutive_days is not None and c.min_consecutive_days > 1:
            forbid_short_runs(m.model, work, c.min_consecutive_days)
        if c.min_consecutive_days_off is not None and c.min_consecutive_days_off > 1:
            forbid_short_runs(m.model, work, c.min_consecutive_days_off, negate=True)


FAMILY = Family("sequences", add, no_penalty, {})

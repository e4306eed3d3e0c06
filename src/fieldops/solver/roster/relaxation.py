"""The LP relaxation of a roster model, to guide the LNS (:mod:`.lns`).

The roster model emits only linear constraints, clauses (``bool_or``) and
``lin_max`` (an agent's weekend = the max of its weekend days' work, all 0/1),
so the relaxation is a direct translation of the CP-SAT proto, solved by an LP
solver through OR-Tools' linear solver wrapper.
"""

from __future__ import annotations

import threading

from ortools.linear_solver import pywraplp

from fieldops.solver.roster.model import RosterModel

#: the LP solver (OR-Tools' name): GLOP solved Curtois-Qu 12's LP in 10 s, HiGHS in 14 s
LP_BACKEND = "GLOP"
#: CP-SAT's "no bound" sentinels are beyond this magnitude
UNBOUNDED = 2**62


class Relaxation:
    """The LP relaxation solved in a background thread (the LP solver releases the
    GIL: it runs beside CP-SAT's whole-model phase, which holds no GIL either)."""

    def __init__(self, m: RosterModel, seconds: float) -> None:
        self._values: list[float] | None = None
        self._thread = threading.Thread(target=self._solve, args=(m, seconds), daemon=True)
        self._thread.start()

    def _solve(self, m: RosterModel, seconds: float) -> None:
        self._values = lp_values(m, seconds)

    def values(self) -> list[float] | None:
        """The LP optimum's values once solved, else ``None`` (never waits)."""
        return None if self._thread.is_alive() else self._values


def lp_values(m: RosterModel, seconds: float) -> list[float] | None:
    """Every model variable's value at the LP relaxation's optimum, or ``None``
    when the LP is not solved to optimality within ``seconds``."""
    solver = pywraplp.Solver.CreateSolver(LP_BACKEND)
    if solver is None:
        return None
    xs = _translate(m, solver)
    solver.SetTimeLimit(max(1, int(1000 * seconds)))
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    return [v.solution_value() for v in xs]


def _translate(m: RosterModel, solver: pywraplp.Solver) -> list[pywraplp.Variable]:
    proto = m.model.proto
    inf = solver.infinity()
    xs = [solver.NumVar(v.domain[0], v.domain[len(v.domain) - 1], "") for v in proto.variables]

    def bound(value: int) -> float:
        return -inf if value <= -UNBOUNDED else inf if value >= UNBOUNDED else value

    def expr(variables: list[int], coeffs: list[int], offset: int = 0) -> pywraplp.LinearExpr:
        return solver.Sum([c * xs[i] for i, c in zip(variables, coeffs, strict=True)]) + offset

    for c in proto.constraints:
        if len(c.enforcement_literal):
            raise ValueError("the roster model has no enforced constraints")
        if c.has_linear():
            domain = c.linear.domain
            row = solver.Constraint(bound(domain[0]), bound(domain[len(domain) - 1]))
            for i, coeff in zip(c.linear.vars, c.linear.coeffs, strict=True):
                row.SetCoefficient(xs[i], coeff)
        elif c.has_bool_or():
            solver.Add(solver.Sum([xs[lit] if lit >= 0 else 1 - xs[-lit - 1]
                                   for lit in c.bool_or.literals]) >= 1)
        elif c.has_lin_max():
            target = expr(list(c.lin_max.target.vars), list(c.lin_max.target.coeffs),
                          c.lin_max.target.offset)
            parts = [expr(list(e.vars), list(e.coeffs), e.offset) for e in c.lin_max.exprs]
            for part in parts:
                solver.Add(target >= part)
            solver.Add(target <= solver.Sum(parts))  # exact for 0/1 parts
        else:
            raise ValueError("constraint kind not in the roster model")
    o = proto.objective
    solver.Minimize(expr(list(o.vars), list(o.coeffs)))
    return xs

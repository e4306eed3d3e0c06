"""Dispatch solver: technicians' routes from a DispatchProblem.

Usage::

    plan = solve_dispatch(problem, SolveParams(time_limit=30))
    print(plan.summary())
"""

from fieldops.solver.dispatch.params import FirstSolution, Metaheuristic, Progress, SolveParams
from fieldops.solver.dispatch.solve import solve_dispatch

__all__ = ["FirstSolution", "Metaheuristic", "Progress", "SolveParams", "solve_dispatch"]

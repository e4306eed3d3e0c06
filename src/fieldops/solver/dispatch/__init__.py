"""Dispatch solver: technicians' routes from a DispatchProblem.

Usage::

    plan = solve_dispatch(problem, SolveParams(time_limit=30))
    print(plan.summary())

The tuning of each phase is part of the parameters::

    SolveParams(time_limit=60, engines=EngineParams(vroom_share=0.8),
                ruin=RuinParams(mean_removed=12), decompose=DecomposeParams(sub_jobs=200))

A day too large for one process is split by territory over task workers::

    SolveParams(time_limit=600, distribute=DistributeParams(enabled=True, workers=8))
"""

from fieldops.solver.dispatch.params import (
    DecomposeParams,
    DistributeParams,
    EngineParams,
    FirstSolution,
    Metaheuristic,
    Progress,
    RuinParams,
    SolveParams,
)
from fieldops.solver.dispatch.solve import solve_dispatch

__all__ = ["DecomposeParams", "DistributeParams", "EngineParams", "FirstSolution",
           "Metaheuristic", "Progress", "RuinParams", "SolveParams", "solve_dispatch"]

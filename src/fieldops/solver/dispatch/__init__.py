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

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

#: Where each public name lives. They are imported on first use (PEP 562), not with
#: the package: a child interpreter that runs one engine module (VROOM's) would
#: otherwise import the whole solver, OR-Tools and the geo layer included, before it
#: could read its input — 0.5-1.1 s of its budget on a loaded machine.
_HOMES = {name: "fieldops.solver.dispatch." + ("solve" if name == "solve_dispatch" else "params")
          for name in __all__}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value

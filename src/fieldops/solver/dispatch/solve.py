"""Entry point of the dispatch solver (being written; see the model modules)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from fieldops.domain.plan import DispatchPlan
from fieldops.domain.problem import DispatchProblem
from fieldops.solver.dispatch.params import Progress, SolveParams


def solve_dispatch(
    problem: DispatchProblem,
    params: SolveParams | None = None,
    *,
    progress: Callable[[Progress], None] | None = None,
    stop: threading.Event | None = None,
) -> DispatchPlan:
    """Solve ``problem``; returns the best plan found within ``params.time_limit``.

    ``progress`` is called each time a better plan is found. Setting ``stop`` ends
    the search early; the best plan so far is returned with status ``cancelled``.
    """
    raise NotImplementedError("solver under construction")

"""One search in this process: the phases of a solve wired in order.

See :mod:`.solve` for the phases; :mod:`.portfolio` runs this in several
processes at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

from fieldops.domain.plan import DispatchPlan, PlanStatus
from fieldops.domain.problem import DispatchProblem
from fieldops.solver.dispatch.candidates import find_candidates
from fieldops.solver.dispatch.choice import EngineChoice
from fieldops.solver.dispatch.deadline import Deadline, extraction_margin
from fieldops.solver.dispatch.engines import decompose
from fieldops.solver.dispatch.engines.pool import EnginePool
from fieldops.solver.dispatch.finish import finish
from fieldops.solver.dispatch.model import Model, build_model
from fieldops.solver.dispatch.params import FirstSolution, Progress, SolveParams
from fieldops.solver.dispatch.polish import polish
from fieldops.solver.dispatch.report import SolveReport
from fieldops.solver.dispatch.state import SolveState


def solve_single(
    problem: DispatchProblem,
    params: SolveParams,
    *,
    progress: Callable[[Progress], None] | None = None,
    stop: threading.Event | None = None,
    engine_threads: int = 1,
    deadline: Deadline | None = None,
    choice: EngineChoice | None = None,
) -> DispatchPlan:
    """One search in this process (see :func:`.solve.solve_dispatch`).

    ``deadline`` defaults to ``params.time_limit`` from when the search starts;
    ``engine_threads`` is what the engine may use (VROOM's threads, or PyVRP's
    worker processes, started now so that they are ready after the construction).
    """
    choice = choice or EngineChoice.of(problem)
    pool = None
    if (engine_threads > 1 and choice.pyvrp
            and params.first_solution is FirstSolution.AUTOMATIC
            and EnginePool.available()):
        # Started first, so its processes are ready when the construction is done.
        pool = EnginePool(engine_threads, warm_up=decompose.warm_up)
    try:
        deadline = deadline or Deadline.starting_now(params.time_limit)
        # OR-Tools never searches a day over warm_start_max_jobs from a candidate:
        # its model's constraints are left out there unless a search needs them.
        search_jobs = (params.engines.warm_start_max_jobs
                       if params.first_solution is FirstSolution.AUTOMATIC else None)
        model = build_model(problem, search_jobs=search_jobs)
        report = new_report(params, deadline, model)
        report.mark("model", deadline.start)
        if model.ctx is None:
            return model.plan([], PlanStatus.OPTIMAL, timedelta(seconds=deadline.elapsed()),
                              report.to_dict())
        state = SolveState(
            params=params, deadline=deadline,
            search=deadline.keep_back(extraction_margin(model.n_jobs, deadline.limit)),
            model=model, report=report, choice=choice, progress=progress, stop=stop,
            engine_threads=engine_threads, pool=pool)
        if params.first_solution is FirstSolution.AUTOMATIC:
            find_candidates(state)
        with report.phase("polish"):
            polish(state)
        return finish(state)
    finally:
        if pool is not None:
            pool.close()


def new_report(params: SolveParams, deadline: Deadline, model: Model) -> SolveReport:
    return SolveReport(
        engine="ortools-routing",  # the candidates and OR-Tools rename it
        time_limit=deadline.limit,
        first_solution=params.first_solution.value,
        metaheuristic=params.metaheuristic.value,
        seed=params.seed,
        jobs_modelled=model.n_jobs,
        vehicles_modelled=len(model.vehicles),
        clock_start=deadline.start,
    )

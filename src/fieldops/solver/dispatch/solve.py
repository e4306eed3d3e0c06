"""Entry point of the dispatch solver.

One search (:func:`~.pipeline.solve_single`) is a short wiring of named phases
over one typed :class:`~.state.SolveState` and one :class:`~.deadline.Deadline`:

1. :func:`~.model.build_model` — travel matrix, pre-solve diagnosis (jobs no plan
   can contain leave with a reason), the integer routing model, one constraint
   module at a time (:mod:`.constraints`);
2. :func:`~.candidates.find_candidates` — the fieldops construction, the engine
   that fits the day (PyVRP or VROOM), ruin and recreate; the best candidate
   (with ``first_solution = automatic`` only);
3. :func:`~.polish.polish` — OR-Tools from the best candidate;
4. :func:`~.finish.finish` — the :class:`DispatchPlan` with KPIs and penalties in
   real units, and the :class:`~.report.SolveReport` as ``plan.solver``.

:func:`solve_dispatch` decides how the cores are used (:mod:`.portfolio`);
:func:`evaluate_routes` prices given routes with phases 1 and 4 alone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta

from fieldops.domain.plan import DispatchPlan, PlanStatus
from fieldops.domain.problem import DispatchProblem
from fieldops.solver.dispatch.candidates import priced
from fieldops.solver.dispatch.choice import EngineChoice, hgs_candidate
from fieldops.solver.dispatch.construct import Constructor
from fieldops.solver.dispatch.context import COST_SCALE
from fieldops.solver.dispatch.deadline import Deadline
from fieldops.solver.dispatch.distributed import Solvers, solve_distributed
from fieldops.solver.dispatch.model import build_model
from fieldops.solver.dispatch.params import FirstSolution, Progress, SolveParams
from fieldops.solver.dispatch.pipeline import new_report, solve_single
from fieldops.solver.dispatch.portfolio import solve_portfolio

__all__ = ["evaluate_routes", "hgs_candidate", "solve_dispatch", "solve_single"]

# evaluate_routes searches nothing: its report names the longest limit allowed.
EVALUATION_TIME_LIMIT = 86_400


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
    With ``params.workers > 1`` several searches run in parallel processes and the
    best plan wins (:mod:`.portfolio`); with ``params.distribute.enabled`` the day is
    split by territory and solved as tasks (:mod:`.distributed`).
    """
    params = params or SolveParams()
    if params.distribute.enabled:
        return solve_distributed(problem, params, Solvers(solve_dispatch, evaluate_routes),
                                 progress=progress, stop=stop)
    choice = EngineChoice.of(problem)
    if (params.workers > 1 and params.first_solution is FirstSolution.AUTOMATIC
            and (not choice.pyvrp or len(problem.requests) >= params.decompose.min_jobs)):
        # A field day goes to VROOM, which uses the cores itself (threads); a second
        # process would only repeat the same deterministic search. A large day for
        # PyVRP uses them on one plan: whole-problem seeds side by side, then
        # sub-problems of the best at once (engines/hgs.py), which beat two whole
        # pipelines that each decompose their own plan.
        return solve_single(problem, params, progress=progress, stop=stop,
                            engine_threads=params.workers, choice=choice)
    if params.workers > 1:
        return solve_portfolio(problem, params, solve_single, progress, stop, choice)
    return solve_single(problem, params, progress=progress, stop=stop, choice=choice)


def evaluate_routes(problem: DispatchProblem,
                    routes: Mapping[str, Sequence[str]]) -> DispatchPlan:
    """The plan that visits ``routes`` (shift id → request ids, in order), priced.

    Each route is re-timed with the solver's exact schedule (windows, lunch break,
    shift end, capacity, allowed technicians); a job that does not fit there is
    taken out and listed unassigned, ``solver["repaired_jobs"]`` counts them. Used
    to compare another solver's routes under fieldops' full objective.
    """
    deadline = Deadline.starting_now(EVALUATION_TIME_LIMIT)
    model = build_model(problem, search_jobs=0)  # nothing searches: no OR-Tools model
    report = new_report(SolveParams(time_limit=EVALUATION_TIME_LIMIT), deadline, model)
    if model.ctx is None:
        return model.plan([], PlanStatus.OPTIMAL, timedelta(seconds=deadline.elapsed()),
                          report.to_dict())
    node_of = {i: j for j, i in enumerate(model.job_ids)}
    request_index = {r.id: i for i, r in enumerate(problem.requests)}
    given = [[node_of[request_index[rid]] for rid in routes.get(shift.id, ())
              if request_index.get(rid) in node_of] for shift in model.vehicles]
    builder = Constructor(model.context)
    fixed = priced(model, builder, "evaluated", builder.build(initial=given, insert=False))
    report.engine = fixed.name
    report.repaired_jobs = builder.repaired
    report.construction_seconds = round(deadline.elapsed(), 3)
    report.solutions, report.routing_status = 0, []
    report.objective_internal = fixed.cost / COST_SCALE
    # TIME_LIMIT, as the solve pipeline reported evaluations before they had a
    # path of their own (it ran them with the time limit spent).
    return model.plan(fixed.routes, PlanStatus.TIME_LIMIT,
                      timedelta(seconds=deadline.elapsed()), report.to_dict())

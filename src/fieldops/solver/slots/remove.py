"""Taking a booked job out of a plan (cancel, or the first half of a reschedule).

The job's route is re-timed with every other job at its current start (pinned
there: nobody moves because someone cancelled); the other routes are the input
plan's, unchanged. Penalties change by the re-timed route's difference.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from fieldops.domain.errors import FieldError
from fieldops.domain.plan import DispatchPlan, Route
from fieldops.domain.problem import DispatchProblem
from fieldops.solver.dispatch.extract import _plan_kpis
from fieldops.solver.dispatch.model import Model, build_model
from fieldops.solver.dispatch.schedule import RouteEvaluator
from fieldops.solver.dispatch.timed import RawRoute

ENGINE = "fieldops-slot-removal"


def _timed(problem: DispatchProblem, plan: DispatchPlan, route: Route,
           keep: list[str]) -> tuple[Model, DispatchPlan]:
    """The one-route plan of ``keep`` (ids of ``route``), each pinned at its start."""
    starts = {s.request_id: s.start for s in route.jobs}
    jobs = [dataclasses.replace(problem.request_by_id[rid], pinned_start=starts[rid],
                                pinned_technician=route.technician_id) for rid in keep]
    shift = next(s for s in problem.shifts if s.id == route.shift_id)
    sub = dataclasses.replace(problem, shifts=(shift,), requests=tuple(jobs))
    model = build_model(sub)
    raws: list[RawRoute] = []
    if keep:
        ctx = model.context
        ev = RouteEvaluator(ctx)
        nodes = list(range(len(keep)))
        sched = ev.schedule(0, nodes, thorough=True)
        if sched is None:
            raise FieldError("request_id", "the route cannot be re-timed without it")
        raws.append(RawRoute(shift=shift, jobs=[model.job_ids[j] for j in nodes],
                             starts=[model.at(x) for x in sched.starts],
                             departure=model.at(ev.departure(0, nodes, sched)),
                             break_start=(model.at(sched.break_start)
                                          if sched.break_start is not None else None)))
    return model, model.plan(raws, plan.status, timedelta(0), {})


def remove_job(problem: DispatchProblem, plan: DispatchPlan, request_id: str
               ) -> tuple[DispatchProblem, DispatchPlan]:
    """``problem`` without the request and ``plan`` without its job.

    Raises :class:`~fieldops.domain.FieldError` (``request_id``) when ``problem``
    does not hold it.
    """
    if request_id not in problem.request_by_id:
        raise FieldError("request_id", f"request {request_id!r} is not in the plan's problem")
    rest = dataclasses.replace(problem, requests=tuple(
        r for r in problem.requests if r.id != request_id))
    unassigned = [u for u in plan.unassigned if u.request_id != request_id]
    route = next((r for r in plan.routes if request_id in r.request_ids), None)
    routes = list(plan.routes)
    penalties = dict(plan.penalties)
    if route is not None:
        ids = list(route.request_ids)
        _, before = _timed(problem, plan, route, ids)
        _, after = _timed(problem, plan, route, [i for i in ids if i != request_id])
        new_route = after.route_for(route.shift_id)
        routes = [r for r in routes if r is not route]
        if new_route is not None:
            routes.insert(plan.routes.index(route), new_route)
        for k in set(before.penalties) | set(after.penalties):
            penalties[k] = round(penalties.get(k, 0.0) + after.penalties.get(k, 0.0)
                                 - before.penalties.get(k, 0.0), 3)
    else:  # unassigned: its drop penalty goes with it
        dropped = next((u for u in plan.unassigned if u.request_id == request_id), None)
        if dropped is not None and "unassigned" in penalties:
            share = problem.weights.unassigned[dropped.priority]
            penalties["unassigned"] = round(max(0.0, penalties["unassigned"] - share), 3)
    solver = {"engine": ENGINE, "removed": request_id,
              "base_engine": plan.solver.get("engine")}
    return rest, dataclasses.replace(
        plan, routes=tuple(routes), unassigned=tuple(unassigned),
        kpis=_plan_kpis(rest, routes, unassigned), penalties=penalties,
        objective=round(sum(penalties.values()), 3), solver=solver)

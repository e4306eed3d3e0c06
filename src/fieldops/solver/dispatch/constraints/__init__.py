"""Constraint families of the dispatch model, one module each.

Each module owns its whole rule: ``apply(ctx: ModelContext) -> None`` adds it to
the routing model, and a function of a timed route
(:class:`~fieldops.solver.dispatch.timed.TimedRoute`, built by
:mod:`fieldops.solver.dispatch.schedule`) returns its
:class:`~fieldops.solver.dispatch.timed.Penalty` under the module's name: soft
rules their cost in objective units (``penalty``), hard rules the size of a
violation (``check``, zero in every valid plan). ``docs/constraints.md`` lists
them all.

``HARD`` rules restrict which plans exist; ``SOFT`` rules add objective terms. The
order of ``HARD`` matters only in that the time dimension (shifts) comes first.
"""

from __future__ import annotations

from collections.abc import Callable

from fieldops.domain.problem import DispatchProblem
from fieldops.solver.dispatch.constraints import (
    breaks,
    capacity,
    disruption,
    labour,
    pins,
    preferences,
    priority,
    shifts,
    skills,
    sla,
    time_windows,
    travel,
)
from fieldops.solver.dispatch.context import ModelContext
from fieldops.solver.dispatch.timed import Penalty, TimedRoute

Apply = Callable[[ModelContext], None]
RouteRule = Callable[[DispatchProblem, TimedRoute], Penalty]

HARD: list[Apply] = [
    shifts.apply,  # creates the time dimension the others use
    skills.apply,
    time_windows.apply,
    breaks.apply,
    capacity.apply,
    pins.apply,
]
SOFT: list[Apply] = [
    travel.apply,
    labour.apply,
    preferences.apply,
    priority.apply,
    sla.apply,
    shifts.apply_overtime,
    disruption.apply,
]

# The soft rules' route penalties, in the order a route's cost adds them up.
ROUTE_PENALTIES: list[RouteRule] = [
    travel.penalty,
    sla.penalty,
    shifts.penalty,
    labour.penalty,
    preferences.penalty,
    disruption.penalty,
]
# The hard rules' checks of a timed route.
HARD_CHECKS: list[RouteRule] = [
    shifts.check,
    skills.check,
    time_windows.check,
    breaks.check,
    capacity.check,
    pins.check,
]

# The plan's ``penalties`` keys (kept as they were for the JSON format's readers)
# and the constraint module each one comes from.
PLAN_KEYS: dict[str, str] = {
    "travel": travel.NAME,
    "unassigned": priority.NAME,
    "sla": sla.NAME,
    "overtime": shifts.NAME,
    "preference": preferences.NAME,
    "labour": labour.NAME,
    "disruption": disruption.NAME,
}
MODULE_KEYS: dict[str, str] = {module: key for key, module in PLAN_KEYS.items()}

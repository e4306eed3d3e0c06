"""The reference a resumed schedule must equal, for the schedule and search tests."""

from __future__ import annotations

from fieldops.solver.dispatch.schedule import RouteEvaluator, Schedule, _cheaper


def reference_schedule(ev: RouteEvaluator, v: int, route: list[int], thorough: bool = False
                       ) -> Schedule | None:
    """:meth:`RouteEvaluator.schedule` as it was before it kept traces: both lunch
    rules from the route's start by the reference loop ``_schedule``."""
    veh = ev.vehicles[v]
    if not route:
        return ev.empty(v)
    lazy = ev._schedule(v, veh, route, eager=False)
    if veh.lunch is None or (lazy is not None and not lazy.late):
        return lazy
    best = _cheaper(lazy, ev._schedule(v, veh, route, eager=True))
    if thorough and (best is None or best.late):
        best = _cheaper(best, ev._break_anywhere(v, route))
    return best

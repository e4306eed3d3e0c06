"""Booking a slot: the emergency insertion with the slot as the job's window.

:func:`book_slot` is :func:`fieldops.solver.live.insert_job` with the request's
windows set to the slot (cut by its own windows), the candidates of the offer,
the offer's relocation (one planned job moved to another candidate route when
that costs less, :mod:`fieldops.solver.live.relocate`), the offer's rule for the
day (``SlotParams.future``: on a day not yet started a planned job may start
earlier inside its windows) and no repair: a booking
never takes another job out of the plan. It answers
``None`` when the slot has no room (taken by an earlier booking), so the caller
can answer with fresh offers.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from fieldops.domain.plan import DispatchPlan
from fieldops.domain.problem import DispatchProblem
from fieldops.domain.requests import ServiceRequest
from fieldops.domain.timewindow import TimeWindow
from fieldops.solver.live.insert import Insertion, InsertMode, InsertParams, insert_job
from fieldops.solver.slots.grid import slot_windows
from fieldops.solver.slots.offer import SlotParams

#: Seconds the repair step of insert_job may take: none (a booking never takes
#: another job out).
NO_REPAIR = 0.0
BOOKABLE_MODES = (InsertMode.NO_MOVE, InsertMode.PUSH, InsertMode.RELOCATE)


@dataclass(frozen=True)
class Booked:
    """The plan with the booked job (``insertion.problem`` holds it, windows = the
    slot), where it landed, and the promised window (``slot``)."""

    insertion: Insertion
    slot: TimeWindow
    shift_id: str
    technician_id: str
    start: datetime
    end: datetime


def booked_request(request: ServiceRequest, slot: TimeWindow) -> ServiceRequest:
    """``request`` with its windows set to ``slot`` (cut by its own windows)."""
    return dataclasses.replace(request, windows=slot_windows(request, slot))


def book_slot(problem: DispatchProblem, plan: DispatchPlan, request: ServiceRequest,
              slot: TimeWindow, params: SlotParams | None = None) -> Booked | None:
    """Insert ``request`` into ``plan`` inside ``slot``; ``None`` when it does not fit.

    Raises :class:`~fieldops.domain.FieldError` (``request.id``) when ``problem``
    already holds the request.
    """
    params = params or SlotParams()
    job = booked_request(request, slot)
    if not job.windows:
        return None
    found = insert_job(problem, plan, job, InsertParams(
        candidates=params.candidates, time_budget=NO_REPAIR, relocate=params.relocate,
        earlier=params.future))
    if found.mode not in BOOKABLE_MODES:
        return None
    for route in found.plan.routes:
        for step in route.jobs:
            if step.request_id == request.id:
                return Booked(found, slot, route.shift_id, route.technician_id,
                              step.start, step.end)
    return None

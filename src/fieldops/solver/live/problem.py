"""The re-planning problem of a live day (a pure function of the day's state).

:func:`replan_problem` turns a :class:`~fieldops.domain.live.LiveDay` into the
:class:`~fieldops.domain.DispatchProblem` of the rest of the day:

* done work is history and work under way (en route or on site) is frozen on its
  technician: both leave the problem;
* each shift starts where and when its technician is next free (the site and
  expected end of the job under way, else the last site at ``as_of``, see
  :mod:`.eta`), so nothing starts before ``as_of``;
* an unavailable period cuts the shift (a piece before it keeps the shift's id,
  a piece after it is ``<shift id>@<HHMM>``); the lunch stays on the first piece
  whose time can hold it, and is dropped once its window is past;
* a published job keeps the appointment window its published start lies in (the
  one promised to the customer), carries its published technician and start as
  its baseline (the disruption family prices every change), and, when its
  published start is before ``as_of + freeze_horizon``, is pinned to its
  technician and to its expected start (:mod:`.eta`; the start only when that
  still lies in its window and its technician's time);
* an unavailable technician's jobs from the start of the unavailability on are
  released: no baseline and no pin to that technician;
* cancelled requests leave; new requests join, free.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

from fieldops.domain.live import LiveDay, LiveParams
from fieldops.domain.problem import DispatchProblem
from fieldops.domain.requests import ServiceRequest
from fieldops.domain.resources import LunchBreak, Shift
from fieldops.domain.timewindow import TimeWindow
from fieldops.solver.live.eta import Expected, RouteState, live_routes

MIN_PIECE = timedelta(minutes=1)  # shorter pieces of a cut shift are dropped


@dataclass(frozen=True)
class Replan:
    """The re-planning problem and what it was built from.

    ``states``: every original shift's :class:`RouteState` (free time and place,
    expected times); ``frozen``: the jobs under way per technician; ``pinned``: the
    jobs pinned inside the freeze horizon; ``released``: the jobs taken off an
    unavailable technician.
    """

    day: LiveDay
    params: LiveParams
    problem: DispatchProblem
    states: dict[str, RouteState]
    frozen: dict[str, tuple[str, ...]]
    pinned: frozenset[str]
    released: frozenset[str]

    @property
    def expected(self) -> dict[str, Expected]:
        return {rid: e for s in self.states.values() for rid, e in s.expected.items()}


def _pieces(day: LiveDay, state: RouteState) -> list[tuple[datetime, datetime, bool]]:
    """The shift's working time left, minus unavailable periods: (start, end,
    reaches the shift's hard end)."""
    shift = state.shift
    free: list[tuple[datetime, datetime]] = [(state.free_at, shift.latest_end)]
    for gone in day.unavailabilities(shift.technician_id):
        cut: list[tuple[datetime, datetime]] = []
        for a, b in free:
            if not gone.covers(a, b):
                cut.append((a, b))
                continue
            if gone.start > a:
                cut.append((a, gone.start))
            if gone.end is not None and gone.end < b:
                cut.append((gone.end, b))
        free = cut
    return [(a, b, b == shift.latest_end) for a, b in free if b - a >= MIN_PIECE]


def _lunch(lunch: LunchBreak | None, start: datetime, latest_end: datetime
           ) -> LunchBreak | None:
    if lunch is None:
        return None
    earliest = max(lunch.earliest_start, start)
    if earliest > lunch.latest_start or lunch.latest_start + lunch.duration > latest_end:
        return None
    return dataclasses.replace(lunch, earliest_start=earliest)


def _shifts(day: LiveDay, state: RouteState) -> list[Shift]:
    shift = state.shift
    out: list[Shift] = []
    lunch = shift.lunch
    for a, b, to_end in _pieces(day, state):
        if to_end and a < shift.end:
            end, overtime = shift.end, shift.max_overtime
        else:
            end, overtime = b, timedelta(0)
        piece_lunch = _lunch(lunch, a, b)
        if piece_lunch is not None:
            lunch = None  # one lunch per shift
        out.append(dataclasses.replace(
            shift, id=shift.id if not out else f"{shift.id}@{a.astimezone(day.problem.tz):%H%M}",
            start=a, end=end, max_overtime=overtime, start_location=state.free_place,
            lunch=piece_lunch))
    return out


def _promised(req: ServiceRequest, start: datetime) -> tuple[TimeWindow, ...]:
    chosen = [w for w in req.windows if w.contains(start)]
    return tuple(chosen) if chosen else req.windows


def _published_request(day: LiveDay, params: LiveParams, req: ServiceRequest,
                       expected: Expected, pieces: list[Shift], released: bool
                       ) -> tuple[ServiceRequest, bool]:
    """The request with its promise, baseline and freeze; (request, pinned)."""
    planned = day.planned(req.id)
    assert planned is not None
    windows = _promised(req, planned.step.start) if params.promised_windows else req.windows
    if released:
        pinned_tech = None if req.pinned_technician == planned.technician_id \
            else req.pinned_technician
        return dataclasses.replace(req, windows=windows, pinned_technician=pinned_tech,
                                   pinned_start=None), False
    changed = dataclasses.replace(
        req, windows=windows, baseline_technician=planned.technician_id,
        baseline_start=planned.step.start)
    first = pieces[0] if pieces else None
    # A job pinned to the minute in the problem is frozen at its expected start too:
    # a delay before it may have made its pinned start impossible.
    freeze = (first is not None and req.pinned_technician in (None, planned.technician_id)
              and (planned.step.start < day.as_of + params.freeze_horizon
                   or req.pinned_start is not None))
    if not freeze:
        return changed, False
    fits = (first is not None and first.start <= expected.start <= first.latest_end
            and (not windows or any(w.contains(expected.start) for w in windows)))
    return dataclasses.replace(changed, pinned_technician=planned.technician_id,
                               pinned_start=expected.start if fits else None), True


def replan_problem(day: LiveDay, params: LiveParams | None = None) -> Replan:
    """The re-planning problem of ``day`` (see the module docstring)."""
    params = params or LiveParams()
    states = live_routes(day)
    history = day.history()
    cancelled = day.cancelled()
    shifts: list[Shift] = []
    pieces_of: dict[str, list[Shift]] = {}
    for shift_id, state in states.items():
        pieces_of[shift_id] = _shifts(day, state)
        shifts += pieces_of[shift_id]
    requests: list[ServiceRequest] = []
    pinned: set[str] = set()
    released: set[str] = set()
    for req in list(day.problem.requests) + day.new_requests():
        if req.id in history or req.id in cancelled:
            continue
        planned = day.planned(req.id)
        expected = states[planned.shift_id].expected.get(req.id) if planned else None
        if planned is None or expected is None:
            requests.append(req)
            continue
        gone = any(u.covers(expected.start, expected.end)
                   for u in day.unavailabilities(planned.technician_id))
        changed, frozen = _published_request(day, params, req, expected,
                                             pieces_of[planned.shift_id], gone)
        requests.append(changed)
        (released if gone else pinned if frozen else set()).add(req.id)
    frozen_by: dict[str, list[str]] = {}
    for state in states.values():
        if state.under_way:
            frozen_by.setdefault(state.shift.technician_id, []).extend(state.under_way)
    problem = dataclasses.replace(day.problem, shifts=tuple(shifts), requests=tuple(requests))
    return Replan(day, params, problem, states,
                  {t: tuple(ids) for t, ids in frozen_by.items()},
                  frozenset(pinned), frozenset(released))

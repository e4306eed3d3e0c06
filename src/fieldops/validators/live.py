"""The live-day rules, re-checked from the raw state (no solver code).

:func:`validate_live` checks a plan made for the rest of a
:class:`~fieldops.domain.live.LiveDay` (a re-plan or an insertion result) against
the day's published plan and events. Together with
:func:`fieldops.validators.dispatch.validate_plan` (every rule of the dispatch
model, against the re-planning problem) it is what every live result must pass.

Violation codes
---------------
=========================== ===================================================
code                        meaning
=========================== ===================================================
``starts_before_as_of``     a job of the plan starts before ``as_of``
``history_in_plan``         a job done or under way (en route, on site) is planned
                            again
``cancelled_in_plan``       a cancelled request is planned
``frozen_moved``            a published job inside the freeze horizon changed
                            technician, or (when nothing delays its route) start
``wrong_free_start``        a technician's first route does not leave from where
                            they are (the site of their job under way, else their
                            last site) or leaves before they are free
``promised_window_broken``  a published job starts outside the window its
                            published start was in
``double_booked``           two pieces of a technician's work overlap (work under
                            way included)
``unavailable_work``        a route overlaps a period its technician is unavailable
=========================== ===================================================
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fieldops.domain.live import JobStatus, LiveDay
from fieldops.domain.location import Location
from fieldops.domain.plan import DispatchPlan, Route, Step, StepKind
from fieldops.validators.dispatch import Violation

TOLERANCE = timedelta(seconds=1)
DEFAULT_FREEZE_HORIZON = timedelta(minutes=60)

__all__ = ["assert_live_valid", "validate_live"]


def _same_place(a: Location | None, b: Location) -> bool:
    return a is not None and abs(a.lat - b.lat) < 1e-9 and abs(a.lon - b.lon) < 1e-9


class _LiveCheck:
    def __init__(self, day: LiveDay, plan: DispatchPlan, freeze_horizon: timedelta) -> None:
        self.day, self.plan, self.horizon = day, plan, freeze_horizon
        self.requests = day.requests()
        self.out: list[Violation] = []
        self.placed: dict[str, tuple[str, Step]] = {
            s.request_id: (r.technician_id, s) for r in plan.routes for s in r.jobs
            if s.request_id is not None}

    def add(self, code: str, message: str, request_id: str | None = None,
            shift_id: str | None = None) -> None:
        self.out.append(Violation(code, message, shift_id, request_id))

    def run(self) -> list[Violation]:
        self.check_times()
        for route in self.day.published.routes:
            self.check_route(route)
        self.check_overlaps()
        self.check_unavailable()
        return self.out

    def check_times(self) -> None:
        history = self.day.history()
        cancelled = self.day.cancelled()
        for rid, (_, step) in self.placed.items():
            if rid in history:
                self.add("history_in_plan", f"{self.day.status(rid)} work is planned again", rid)
            if rid in cancelled:
                self.add("cancelled_in_plan", "the request was cancelled", rid)
            if step.start < self.day.as_of - TOLERANCE:
                self.add("starts_before_as_of", f"starts {step.start:%H:%M:%S}, before "
                         f"as_of {self.day.as_of:%H:%M:%S}", rid)

    # ------------------------------------------------ one published route
    def _free(self, route: Route) -> tuple[datetime, Location | None, int]:
        """When and where the technician is free, and the index of the first job
        still to do among the route's jobs."""
        day = self.day
        free_at = day.as_of
        place = None
        first = 0
        ready = route.start_step.end  # the planned end of the step before
        for k, step in enumerate(route.jobs):
            gap, ready = step.arrival - ready, step.end
            rid = step.request_id
            assert rid is not None
            status = day.status(rid)
            req = self.requests[rid]
            if status is JobStatus.DONE:
                end = day.actual_end(rid) or step.end
                free_at, place, first = max(day.as_of, end), req.location, k + 1
            elif status is JobStatus.ON_SITE:
                start = day.actual_start(rid) or step.start
                end = day.delay(rid) or start + req.duration
                free_at, place, first = max(day.as_of, end), req.location, k + 1
            elif status is JobStatus.EN_ROUTE:
                # On site once there, as planned after leaving, not before its start.
                left = day.reported_at(rid, JobStatus.EN_ROUTE) or day.as_of
                end = day.delay(rid) or max(step.start, left + gap, day.as_of) + req.duration
                free_at, place, first = max(day.as_of, end), req.location, k + 1
        return free_at, place, first

    def check_route(self, route: Route) -> None:
        free_at, place, first = self._free(route)
        tech = route.technician_id
        own = [r for r in self.plan.routes if r.technician_id == tech and r.jobs]
        if own:
            # The departure, not the first step: a lunch taken where the technician
            # is free, before leaving, comes first in a route.
            start = min(own, key=lambda r: r.start_step.start).start_step
            if start.start < free_at - TOLERANCE:
                self.add("wrong_free_start", f"leaves {start.start:%H:%M:%S}, free only at "
                         f"{free_at:%H:%M:%S}", shift_id=route.shift_id)
            if place is not None and not _same_place(start.location, place):
                self.add("wrong_free_start", "does not leave from the site of its last job",
                         shift_id=route.shift_id)
        jobs = route.jobs
        pushed = False
        if first < len(jobs):
            prev_end = jobs[first - 1].end if first > 0 else route.start_step.end
            gap = jobs[first].arrival - prev_end
            pushed = free_at + gap > jobs[first].start + TOLERANCE
        for step in jobs[first:]:
            self.check_published_job(route, step, pushed)

    def check_published_job(self, route: Route, step: Step, pushed: bool) -> None:
        rid = step.request_id
        assert rid is not None
        if rid in self.day.cancelled() or rid not in self.placed:
            return
        tech, now = self.placed[rid]
        req = self.requests[rid]
        promised = [w for w in req.windows if w.contains(step.start)]
        if promised and not any(w.contains(now.start) for w in promised):
            self.add("promised_window_broken", f"starts {now.start:%H:%M}, promised "
                     f"{promised[0].start:%H:%M}–{promised[0].end:%H:%M}", rid)
        frozen = self.day.as_of <= step.start < self.day.as_of + self.horizon
        unavailable = self.day.unavailabilities(route.technician_id)
        # A job pushed by a delay may be pushed into a later unavailable period.
        gone = any(u.covers(step.start, step.end) or (pushed and u.covers(step.start, u.start
                                                                         + TOLERANCE))
                   for u in unavailable)
        if not frozen or gone:
            return
        if tech != route.technician_id:
            self.add("frozen_moved", f"frozen on {route.technician_id}, planned on {tech}", rid)
        elif not pushed and abs(now.start - step.start) > TOLERANCE:
            self.add("frozen_moved", f"frozen at {step.start:%H:%M:%S}, planned at "
                     f"{now.start:%H:%M:%S}", rid)

    # ------------------------------------------------ the whole day
    def check_overlaps(self) -> None:
        work: dict[str, list[tuple[datetime, datetime, str]]] = {}
        for route in self.plan.routes:
            for step in route.jobs:
                work.setdefault(route.technician_id, []).append(
                    (step.start, step.end, step.request_id or ""))
        for route in self.day.published.routes:
            for step in route.jobs:
                rid = step.request_id or ""
                if self.day.status(rid) is JobStatus.ON_SITE:
                    start = self.day.actual_start(rid) or step.start
                    end = max(self.day.delay(rid) or start + self.requests[rid].duration,
                              self.day.as_of)
                    work.setdefault(route.technician_id, []).append((start, end, rid))
        for tech, items in work.items():
            items.sort()
            _, busy_until, busy = items[0]
            for start, end, rid in items[1:]:
                if start < busy_until - TOLERANCE:
                    self.add("double_booked", f"{tech}: {rid} starts {start:%H:%M} while "
                             f"{busy} runs until {busy_until:%H:%M}", rid)
                if end > busy_until:
                    busy_until, busy = end, rid

    def check_unavailable(self) -> None:
        for route in self.plan.routes:
            if not route.jobs:
                continue
            begin = route.steps[0].start
            end = next(s for s in reversed(route.steps) if s.kind is StepKind.END).end
            for gone in self.day.unavailabilities(route.technician_id):
                if gone.covers(begin + TOLERANCE, end - TOLERANCE):
                    self.add("unavailable_work", f"works {begin:%H:%M}–{end:%H:%M}, "
                             f"unavailable from {gone.start:%H:%M} ({gone.reason})",
                             shift_id=route.shift_id)


def validate_live(day: LiveDay, plan: DispatchPlan,
                  freeze_horizon: timedelta = DEFAULT_FREEZE_HORIZON) -> list[Violation]:
    """Every live-day rule ``plan`` (for the rest of ``day``) breaks; see the table."""
    return _LiveCheck(day, plan, freeze_horizon).run()


def assert_live_valid(day: LiveDay, plan: DispatchPlan,
                      freeze_horizon: timedelta = DEFAULT_FREEZE_HORIZON) -> None:
    """Raise ``AssertionError`` listing every live-day violation of ``plan``."""
    found = validate_live(day, plan, freeze_horizon)
    if found:
        lines = "\n".join(f"  {v}" for v in found)
        raise AssertionError(f"live plan has {len(found)} violation(s):\n{lines}")

"""Independent re-check of a dispatch plan against its problem.

The dispatch solver is an OR-Tools model with many moving parts; this module checks
its answer without trusting any of them. It imports no OR-Tools and nothing from
:mod:`fieldops.solver.dispatch`, recomputes every travel leg from the raw problem
(``build_matrix(problem.travel, locations)``, one call per route) and never uses a number the plan
reports except to compare it with the recomputed one. Tests and benchmarks call
:func:`assert_valid` on every plan the solver returns.

Tolerances: instants and durations agree within 1 second (the solver rounds travel
up to whole seconds); distances within 1 m + 0.1 %.

Semantics enforced
------------------
1. **Coverage** - every request id appears exactly once in total across route JOB
   steps and ``plan.unassigned``; no unknown ids, no duplicates.
2. **Routes** - the shift exists, the route's technician is that shift's technician,
   at most one route per shift. Ignoring BREAK steps the steps are START, JOB..., END
   (a BREAK may stand anywhere, also before START or after END: the lunch may be
   taken outside the route's span). START/END are at the shift's start/end location
   (default: the technician's home); a JOB is at its request's location.
3. **Timing** - for consecutive non-break steps ``a -> b``:
   ``b.start - a.end >= travel(a, b) + (durations of BREAK steps between them)``;
   ``b.arrival >= a.end + travel(a, b)``; ``b.start >= b.arrival``;
   ``b.wait == b.start - b.arrival`` less the part of it a BREAK step between them
   covers (lunch on site while waiting is a break, not waiting; with
   ``legacy_wait``, for stored plans, a route may instead have every
   ``b.wait == b.start - b.arrival``, the convention before); a job's
   ``end == start + duration``; START and END have ``arrival == start == end``. The
   reported ``travel_time`` and ``travel_distance`` of ``b`` equal the recomputed leg
   (zero on START and BREAK).
4. **Lunch** - a route with at least one job on a shift with a lunch break has
   exactly one BREAK step; it starts in ``[earliest_start, latest_start]``, lasts
   ``duration`` and lies between the previous non-break step's end and the next
   non-break step's start. A shift without lunch has no BREAK step.
5. **Shift** - ``START.start >= shift.start`` and
   ``END.end <= shift.end + shift.max_overtime`` (overtime itself is soft).
6. **Windows** - a job with appointment windows starts inside one of them (closed
   intervals; the window constrains the *start* of service).
7. **Technician rules** - required skills held at the minimum level; in
   ``required_technicians`` when that is non-empty; not in ``excluded_technicians``;
   ``pinned_technician`` and ``pinned_start`` obeyed.
8. **Capacity** - the loads of a route's jobs sum to at most the technician's capacity.
9. **Totals** - each job's ``sla_deadline`` is ``problem.sla_deadline(request)`` and
   ``sla_lateness == max(0, start - deadline)``; route KPIs ``jobs``,
   ``travel_time``, ``travel_distance``, ``service_time``, ``wait_time``,
   ``overtime == max(0, END.end - shift.end)``, ``sla_met`` and ``sla_breached``
   agree with the steps; the plan's KPIs are the sums over routes;
   ``jobs_total == len(problem.requests) == jobs_assigned + len(unassigned)``;
   counts by priority agree with the requests' priorities.
10. **Truthful reasons** - ``no_qualified_technician``: no technician holds all
    required skills at the level; ``excluded_everywhere``: every qualified technician
    is excluded; ``outside_all_shifts``: the request has windows and none overlaps
    ``[shift.start, shift.end + max_overtime]`` of any shift of an allowed technician
    (qualified, not excluded, in ``required_technicians`` if given, the pinned one if
    pinned); a ``pinned_start`` counts as the one window
    ``[pinned_start, pinned_start]`` in place of the appointment windows. Other
    reasons are not checked.

Not checked: ``span``, ``break_time``, ``utilisation``, ``cost`` and ``routes_used``,
the penalties and the objective (they depend on the objective's definition, which is
the solver's business, not a feasibility rule).

Violation codes
---------------
========================== ====================================================
code                       meaning
========================== ====================================================
``unknown_request``        a JOB step or unassigned entry names no known request
``duplicate_request``      a request is routed or listed unassigned twice
``missing_request``        a request is neither routed nor unassigned
``unknown_shift``          a route's shift id is not in the problem
``wrong_technician``       a route's technician is not its shift's technician
``duplicate_route``        two routes for the same shift
``bad_step_sequence``      non-break steps are not START, JOB..., END
``wrong_location``         START/END/JOB step not at the location it must be at
``travel_gap``             too little time between two steps for travel + breaks
``early_arrival``          arrival before the previous step's end + travel
``start_before_arrival``   service (or return) starts before arrival
``wrong_wait``             ``wait`` differs from ``start - arrival`` less breaks
``wrong_service_duration`` a job's ``end - start`` is not the request's duration
``depot_step_times``       START/END with ``arrival``, ``start``, ``end`` unequal
``wrong_travel``           reported travel time/distance differs from the leg
``missing_break``          a working shift with lunch has no BREAK step
``extra_break``            more than one BREAK, or a BREAK on a shift without lunch
``break_outside_window``   the BREAK starts outside ``[earliest, latest]_start``
``wrong_break_duration``   the BREAK's length is not the lunch duration
``break_overlap``          the BREAK overlaps its neighbouring steps
``before_shift_start``     START before the shift's start
``after_shift_end``        END after shift end + max overtime
``outside_window``         a job starts outside all its appointment windows
``missing_skill``          the technician lacks a required skill or level
``not_required_technician`` the job names required technicians; this one is not
``excluded_technician``    the technician is excluded from the job
``wrong_pinned_technician`` a pinned job is on another technician
``wrong_pinned_start``     a job with ``pinned_start`` starts at another time
``over_capacity``          a route's load exceeds the technician's capacity
``wrong_sla``              a job's SLA deadline or lateness is wrong
``wrong_route_kpi``        a route KPI disagrees with its steps
``wrong_plan_kpi``         a plan KPI disagrees with its routes or the problem
``wrong_priority_counts``  by-priority counts or an unassigned entry's priority
``false_reason``           an unassigned reason that the problem contradicts
========================== ====================================================
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fieldops.domain import (
    DispatchPlan,
    DispatchProblem,
    Location,
    Priority,
    Route,
    ServiceRequest,
    Shift,
    Step,
    StepKind,
    Technician,
    TimeWindow,
    TravelProvider,
    UnassignedReason,
)
from fieldops.geo import (
    MatrixProvider,
    SuppliedMatrixProvider,
    TravelTimes,
    build_matrix,
    matrix_with_dedup,
)

TIME_TOLERANCE = timedelta(seconds=1)
DISTANCE_TOLERANCE_M = 1.0
DISTANCE_TOLERANCE_REL = 0.001
_ZERO = timedelta(0)

__all__ = ["Violation", "assert_valid", "validate_plan"]


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule; ``code`` is from the table in the module docstring."""

    code: str
    message: str
    shift_id: str | None = None
    request_id: str | None = None

    def __str__(self) -> str:
        where = ", ".join(
            f"{name}={value}"
            for name, value in (("shift", self.shift_id), ("request", self.request_id))
            if value is not None
        )
        return f"[{self.code}]{f' ({where})' if where else ''} {self.message}"


def assert_valid(problem: DispatchProblem, plan: DispatchPlan, *,
                 legacy_wait: bool = False) -> None:
    """Raise ``AssertionError`` listing every violation of ``plan`` (no-op if none)."""
    violations = validate_plan(problem, plan, legacy_wait=legacy_wait)
    if violations:
        lines = "\n".join(f"  {v}" for v in violations)
        raise AssertionError(f"plan has {len(violations)} violation(s):\n{lines}")


def validate_plan(problem: DispatchProblem, plan: DispatchPlan, *,
                  legacy_wait: bool = False) -> list[Violation]:
    """Check ``plan`` against ``problem``; an empty list means the plan is valid.

    ``legacy_wait``: the plan was stored earlier (a file, a database row) and may
    count lunch taken on site while waiting as waiting, as plans did before that
    time became a break: a route whose every ``wait`` is ``start - arrival`` is
    then accepted too. Fresh solver output is checked without it (rule 3 as is).
    """
    return _Checker(problem, plan, legacy_wait).run()


def _on_break(step: Step, between: list[Step]) -> timedelta:
    """How much of ``[step.arrival, step.start)`` the BREAK steps in ``between`` cover:
    lunch taken on site while waiting is a break, not waiting."""
    covered = _ZERO
    for b in between:
        if _is(b, StepKind.BREAK):
            covered += max(_ZERO, min(step.start, b.end) - max(step.arrival, b.start))
    return covered


def _same_time(a: datetime | timedelta, b: datetime | timedelta) -> bool:
    if isinstance(a, datetime) and isinstance(b, datetime):
        return abs(a - b) <= TIME_TOLERANCE
    if isinstance(a, timedelta) and isinstance(b, timedelta):
        return abs(a - b) <= TIME_TOLERANCE
    raise TypeError(f"cannot compare {a!r} with {b!r}")


def _same_distance(a: float, b: float) -> bool:
    return abs(a - b) <= DISTANCE_TOLERANCE_M + DISTANCE_TOLERANCE_REL * max(abs(a), abs(b))


def _fmt(value: datetime | timedelta | None) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return f"{value.total_seconds():g}s"
    return "none"


def _is(step: Step, kind: StepKind) -> bool:
    return bool(step.kind == kind)


class _Checker:
    def __init__(self, problem: DispatchProblem, plan: DispatchPlan,
                 legacy_wait: bool = False) -> None:
        self.problem = problem
        self.plan = plan
        self.legacy_wait = legacy_wait
        self.out: list[Violation] = []
        # A supplied matrix is read into arrays once per check, not once per route:
        # per route it took 8.5 s for a plan of 120 routes on a 1 240-location
        # matrix (benchmarks/README.md, "The clock holds").
        self._supplied: MatrixProvider | None = None

    def add(
        self, code: str, message: str, shift_id: str | None = None, request_id: str | None = None
    ) -> None:
        self.out.append(Violation(code, message, shift_id, request_id))

    # ------------------------------------------------------------ driver
    def run(self) -> list[Violation]:
        self.check_coverage()
        seen_shifts: set[str] = set()
        for route in self.plan.routes:
            shift = self.problem.shift_by_id.get(route.shift_id)
            if shift is None:
                self.add("unknown_shift", f"route for unknown shift {route.shift_id!r}",
                         route.shift_id)
                continue
            if route.shift_id in seen_shifts:
                self.add("duplicate_route", "more than one route for this shift", shift.id)
            seen_shifts.add(route.shift_id)
            self.check_route(route, shift)
        self.check_plan_kpis()
        self.check_reasons()
        return self.out

    # ------------------------------------------------------------ 1. coverage
    def check_coverage(self) -> None:
        requests = self.problem.request_by_id
        counts: Counter[str] = Counter()
        for route in self.plan.routes:
            for step in route.steps:
                if not _is(step, StepKind.JOB):
                    continue
                if step.request_id is None or step.request_id not in requests:
                    self.add("unknown_request",
                             f"job step names unknown request {step.request_id!r}",
                             route.shift_id, step.request_id)
                    continue
                counts[step.request_id] += 1
        for entry in self.plan.unassigned:
            if entry.request_id not in requests:
                self.add("unknown_request",
                         f"unassigned entry names unknown request {entry.request_id!r}",
                         request_id=entry.request_id)
                continue
            counts[entry.request_id] += 1
        for request_id in requests:
            n = counts[request_id]
            if n == 0:
                self.add("missing_request", "neither routed nor listed as unassigned",
                         request_id=request_id)
            elif n > 1:
                self.add("duplicate_request", f"appears {n} times in the plan",
                         request_id=request_id)

    # ------------------------------------------------------------ travel
    def step_location(self, shift: Shift, step: Step) -> Location | None:
        """Where the problem says ``step`` happens (not where the plan says)."""
        if _is(step, StepKind.START):
            return self.problem.shift_start_location(shift)
        if _is(step, StepKind.END):
            return self.problem.shift_end_location(shift)
        if _is(step, StepKind.JOB) and step.request_id is not None:
            request = self.problem.request_by_id.get(step.request_id)
            return request.location if request is not None else None
        return None

    def legs(self, shift: Shift, steps: Sequence[Step]) -> list[tuple[timedelta, float] | None]:
        """Recomputed travel (time, metres) from each step to the next; ``None`` where
        a step's true location is unknown (an unknown request, reported elsewhere).

        One matrix per route: a route's legs need only its own few locations, which is
        far cheaper than one matrix over every location of the plan (n² pairs) for a
        geodesic or road-engine provider alike.
        """
        places = [self.step_location(shift, step) for step in steps]
        known = [loc for loc in places if loc is not None]
        if len(known) < 2:
            return [None] * max(0, len(steps) - 1)
        times = self._route_matrix(known)
        row: list[int | None] = []  # each step's row in ``times`` (known places only)
        n = 0
        for loc in places:
            row.append(None if loc is None else n)
            n += loc is not None
        result: list[tuple[timedelta, float] | None] = []
        for i, j in itertools.pairwise(row):
            if i is None or j is None:
                result.append(None)
            else:
                result.append((timedelta(seconds=float(times.durations[i, j])),
                               float(times.distances[i, j])))
        return result

    def _route_matrix(self, known: list[Location]) -> TravelTimes:
        travel = self.problem.travel
        if travel.provider is not TravelProvider.MATRIX:
            return build_matrix(travel, known)  # cheap per route (geodesic, OSRM)
        if self._supplied is None:
            assert travel.matrix is not None  # TravelSettings guarantees it
            self._supplied = SuppliedMatrixProvider(travel.matrix)
        return matrix_with_dedup(self._supplied, known)

    # ------------------------------------------------------------ 2-9 per route
    def check_route(self, route: Route, shift: Shift) -> None:
        technician = self.problem.technician_by_id[shift.technician_id]
        sid = shift.id
        if route.technician_id != shift.technician_id:
            self.add("wrong_technician",
                     f"route says technician {route.technician_id!r}, shift belongs to "
                     f"{shift.technician_id!r}", sid)
        main = [i for i, s in enumerate(route.steps) if not _is(s, StepKind.BREAK)]
        kinds = [route.steps[i].kind for i in main]
        sequence_ok = (
            len(kinds) >= 2
            and kinds[0] == StepKind.START
            and kinds[-1] == StepKind.END
            and all(k == StepKind.JOB for k in kinds[1:-1])
        )
        if not sequence_ok:
            self.add("bad_step_sequence",
                     "steps (breaks aside) must be start, job..., end; got "
                     + ", ".join(str(k) for k in kinds), sid)
        for step in route.steps:
            self.check_step(step, shift, technician)
        if sequence_ok:
            self.check_timing(route, shift, main)
            self.check_breaks(route, shift, main)
            start, end = route.steps[main[0]], route.steps[main[-1]]
            if start.start < shift.start - TIME_TOLERANCE:
                self.add("before_shift_start",
                         f"leaves at {_fmt(start.start)}, shift starts {_fmt(shift.start)}", sid)
            if end.end > shift.latest_end + TIME_TOLERANCE:
                self.add("after_shift_end",
                         f"returns at {_fmt(end.end)}, latest allowed {_fmt(shift.latest_end)}",
                         sid)
        self.check_capacity(route, technician)
        self.check_route_kpis(route, shift)

    def check_step(self, step: Step, shift: Shift, technician: Technician) -> None:
        sid = shift.id
        expected = self.step_location(shift, step)
        if expected is not None and not self.same_place(step.location, expected):
            self.add("wrong_location",
                     f"{step.kind} step at {step.location}, expected {expected}",
                     sid, step.request_id)
        depot = _is(step, StepKind.START) or _is(step, StepKind.END)
        if depot and not (
            _same_time(step.arrival, step.start)
            and _same_time(step.start, step.end)
            and (not _is(step, StepKind.START) or _same_time(step.wait, _ZERO))
        ):
            self.add("depot_step_times",
                     f"{step.kind} step needs arrival == start == end; got "
                     f"{_fmt(step.arrival)}, {_fmt(step.start)}, {_fmt(step.end)}", sid)
        if (_is(step, StepKind.START) or _is(step, StepKind.BREAK)) and not (
            _same_time(step.travel_time, _ZERO) and _same_distance(step.travel_distance, 0.0)
        ):
            self.add("wrong_travel", f"{step.kind} step must report zero travel", sid)
        if not _is(step, StepKind.JOB) or step.request_id is None:
            return
        request = self.problem.request_by_id.get(step.request_id)
        if request is None:
            return  # reported as unknown_request
        self.check_job(step, request, shift, technician)

    def same_place(self, actual: Location | None, expected: Location) -> bool:
        if actual is None:
            return False
        if (
            self.problem.travel.provider is TravelProvider.MATRIX
            and actual.matrix_index != expected.matrix_index
        ):
            return False
        # Compare coordinates only: the address text is decoration, and ~1 cm slack
        # absorbs float noise from JSON round trips.
        return abs(actual.lat - expected.lat) <= 1e-7 and abs(actual.lon - expected.lon) <= 1e-7

    def check_job(
        self, step: Step, request: ServiceRequest, shift: Shift, technician: Technician
    ) -> None:
        sid, rid = shift.id, request.id
        if not _same_time(step.end - step.start, request.duration):
            self.add("wrong_service_duration",
                     f"service lasts {_fmt(step.end - step.start)}, request needs "
                     f"{_fmt(request.duration)}", sid, rid)
        if request.windows and not any(
            w.start - TIME_TOLERANCE <= step.start <= w.end + TIME_TOLERANCE
            for w in request.windows
        ):
            self.add("outside_window",
                     f"starts {_fmt(step.start)}, outside every appointment window", sid, rid)
        missing = [
            f"{s.name}>={s.level}" for s in request.required_skills
            if technician.skill_level(s.name) < s.level
        ]
        if missing:
            self.add("missing_skill", f"{technician.id} lacks {', '.join(missing)}", sid, rid)
        if request.required_technicians and technician.id not in request.required_technicians:
            self.add("not_required_technician",
                     f"{technician.id} is not among {list(request.required_technicians)}",
                     sid, rid)
        if technician.id in request.excluded_technicians:
            self.add("excluded_technician", f"{technician.id} is excluded from this job", sid, rid)
        if request.pinned_technician is not None and request.pinned_technician != technician.id:
            self.add("wrong_pinned_technician",
                     f"pinned to {request.pinned_technician}, routed to {technician.id}", sid, rid)
        if request.pinned_start is not None and not _same_time(step.start, request.pinned_start):
            self.add("wrong_pinned_start",
                     f"pinned to start {_fmt(request.pinned_start)}, starts {_fmt(step.start)}",
                     sid, rid)
        deadline = self.problem.sla_deadline(request)
        if deadline is None:
            if step.sla_deadline is not None or not _same_time(step.sla_lateness, _ZERO):
                self.add("wrong_sla", "request has no SLA but the step reports one", sid, rid)
        else:
            lateness = max(_ZERO, step.start - deadline)
            if step.sla_deadline is None or not _same_time(step.sla_deadline, deadline):
                self.add("wrong_sla",
                         f"SLA deadline {_fmt(step.sla_deadline)}, expected {_fmt(deadline)}",
                         sid, rid)
            elif not _same_time(step.sla_lateness, lateness):
                self.add("wrong_sla",
                         f"SLA lateness {_fmt(step.sla_lateness)}, expected {_fmt(lateness)}",
                         sid, rid)

    def check_timing(self, route: Route, shift: Shift, main: list[int]) -> None:
        sid = shift.id
        steps = route.steps
        legs = self.legs(shift, [steps[i] for i in main])
        wrong_wait: list[Violation] = []
        legacy_ok = True
        for (ia, ib), leg in zip(itertools.pairwise(main), legs, strict=True):
            if leg is None:
                continue  # unknown request: already reported, no leg to recompute
            a, b = steps[ia], steps[ib]
            travel, distance = leg
            breaks = sum((max(_ZERO, steps[k].end - steps[k].start) for k in range(ia + 1, ib)),
                         _ZERO)
            rid = b.request_id
            if b.start - a.end < travel + breaks - TIME_TOLERANCE:
                self.add("travel_gap",
                         f"{_fmt(b.start - a.end)} between steps, needs travel {_fmt(travel)}"
                         f" + breaks {_fmt(breaks)}", sid, rid)
            if b.arrival < a.end + travel - TIME_TOLERANCE:
                self.add("early_arrival",
                         f"arrives {_fmt(b.arrival)}, earliest possible "
                         f"{_fmt(a.end + travel)}", sid, rid)
            if b.start < b.arrival - TIME_TOLERANCE:
                self.add("start_before_arrival",
                         f"starts {_fmt(b.start)} before arriving {_fmt(b.arrival)}", sid, rid)
            idle = b.start - b.arrival - _on_break(b, [steps[k] for k in range(ia + 1, ib)])
            if not _same_time(b.wait, idle):
                wrong_wait.append(Violation(
                    "wrong_wait",
                    f"wait {_fmt(b.wait)}, start - arrival less breaks is {_fmt(idle)}",
                    sid, rid))
            legacy_ok = legacy_ok and _same_time(b.wait, b.start - b.arrival)
            if not _same_time(b.travel_time, travel) or not _same_distance(
                b.travel_distance, distance
            ):
                self.add("wrong_travel",
                         f"reports {_fmt(b.travel_time)} / {b.travel_distance:g} m, leg is "
                         f"{_fmt(travel)} / {distance:g} m", sid, rid)
        # A plan stored before lunch on site stopped counting as waiting has, on the
        # routes where lunch fell in a wait, every wait equal to start - arrival:
        # accepted for stored plans (legacy_wait), whole routes only, never mixed.
        if not (self.legacy_wait and legacy_ok):
            self.out.extend(wrong_wait)

    def check_breaks(self, route: Route, shift: Shift, main: list[int]) -> None:
        sid = shift.id
        steps = route.steps
        breaks = [i for i, s in enumerate(steps) if _is(s, StepKind.BREAK)]
        has_jobs = any(_is(s, StepKind.JOB) for s in steps)
        lunch = shift.lunch
        if lunch is None:
            if breaks:
                self.add("extra_break", "break step on a shift without lunch", sid)
            return
        if has_jobs and not breaks:
            self.add("missing_break", "the shift has a lunch break but the route has none", sid)
        if len(breaks) > 1:
            self.add("extra_break", f"{len(breaks)} break steps, expected one", sid)
        for i in breaks:
            brk = steps[i]
            if not (lunch.earliest_start - TIME_TOLERANCE <= brk.start
                    <= lunch.latest_start + TIME_TOLERANCE):
                self.add("break_outside_window",
                         f"break starts {_fmt(brk.start)}, allowed "
                         f"{_fmt(lunch.earliest_start)}..{_fmt(lunch.latest_start)}", sid)
            if not _same_time(brk.end - brk.start, lunch.duration):
                self.add("wrong_break_duration",
                         f"break lasts {_fmt(brk.end - brk.start)}, lunch is "
                         f"{_fmt(lunch.duration)}", sid)
            before = [k for k in main if k < i]
            after = [k for k in main if k > i]
            if before and brk.start < steps[before[-1]].end - TIME_TOLERANCE:
                self.add("break_overlap",
                         f"break starts {_fmt(brk.start)} before the previous step ends "
                         f"{_fmt(steps[before[-1]].end)}", sid)
            if after and brk.end > steps[after[0]].start + TIME_TOLERANCE:
                self.add("break_overlap",
                         f"break ends {_fmt(brk.end)} after the next step starts "
                         f"{_fmt(steps[after[0]].start)}", sid)

    def check_capacity(self, route: Route, technician: Technician) -> None:
        if technician.capacity is None:
            return
        load = sum(
            self.problem.request_by_id[s.request_id].load
            for s in route.steps
            if _is(s, StepKind.JOB) and s.request_id in self.problem.request_by_id
        )
        if load > technician.capacity + 1e-9:
            self.add("over_capacity",
                     f"load {load:g} exceeds capacity {technician.capacity:g}", route.shift_id)

    def check_route_kpis(self, route: Route, shift: Shift) -> None:
        k = route.kpis
        jobs = [s for s in route.steps if _is(s, StepKind.JOB)]
        ends = [s for s in route.steps if _is(s, StepKind.END)]
        overtime = max(_ZERO, ends[-1].end - shift.end) if ends else _ZERO
        expected_times = {
            "travel_time": (k.travel_time, _total(s.travel_time for s in route.steps)),
            "service_time": (k.service_time, _total(s.end - s.start for s in jobs)),
            "wait_time": (k.wait_time, _total(s.wait for s in route.steps)),
            "overtime": (k.overtime, overtime),
        }
        for name, (got, want) in expected_times.items():
            if not _same_time(got, want):
                self.add("wrong_route_kpi", f"{name} {_fmt(got)}, steps give {_fmt(want)}",
                         shift.id)
        distance = sum(s.travel_distance for s in route.steps)
        if not _same_distance(k.travel_distance, distance):
            self.add("wrong_route_kpi",
                     f"travel_distance {k.travel_distance:g}, steps give {distance:g}", shift.id)
        with_sla = [s for s in jobs if s.sla_deadline is not None]
        counts = {
            "jobs": (k.jobs, len(jobs)),
            "sla_met": (k.sla_met, sum(1 for s in with_sla if s.sla_lateness <= _ZERO)),
            "sla_breached": (k.sla_breached, sum(1 for s in with_sla if s.sla_lateness > _ZERO)),
        }
        for name, (got_n, want_n) in counts.items():
            if got_n != want_n:
                self.add("wrong_route_kpi", f"{name} {got_n}, steps give {want_n}", shift.id)

    # ------------------------------------------------------------ 9. plan totals
    def check_plan_kpis(self) -> None:
        k = self.plan.kpis
        routes = [r.kpis for r in self.plan.routes]
        times = {
            "travel_time": (k.travel_time, _total(r.travel_time for r in routes)),
            "service_time": (k.service_time, _total(r.service_time for r in routes)),
            "wait_time": (k.wait_time, _total(r.wait_time for r in routes)),
            "overtime": (k.overtime, _total(r.overtime for r in routes)),
        }
        for name, (got, want) in times.items():
            if not _same_time(got, want):
                self.add("wrong_plan_kpi", f"{name} {_fmt(got)}, routes give {_fmt(want)}")
        distance = sum(r.travel_distance for r in routes)
        if not _same_distance(k.travel_distance, distance):
            self.add("wrong_plan_kpi",
                     f"travel_distance {k.travel_distance:g}, routes give {distance:g}")
        total = len(self.problem.requests)
        counts = {
            "jobs_total": (k.jobs_total, total),
            "jobs_assigned": (k.jobs_assigned, sum(r.jobs for r in routes)),
            "jobs_assigned + unassigned": (k.jobs_assigned + len(self.plan.unassigned), total),
            "sla_met": (k.sla_met, sum(r.sla_met for r in routes)),
            "sla_breached": (k.sla_breached, sum(r.sla_breached for r in routes)),
        }
        for name, (got_n, want_n) in counts.items():
            if got_n != want_n:
                self.add("wrong_plan_kpi", f"{name} is {got_n}, expected {want_n}")
        self.check_priorities()

    def check_priorities(self) -> None:
        requests = self.problem.request_by_id
        assigned: Counter[Priority] = Counter(
            requests[s.request_id].priority
            for r in self.plan.routes
            for s in r.steps
            if _is(s, StepKind.JOB) and s.request_id in requests
        )
        unassigned: Counter[Priority] = Counter()
        for u in self.plan.unassigned:
            request = requests.get(u.request_id)
            if request is None:
                continue
            unassigned[request.priority] += 1
            if u.priority != request.priority:
                self.add("wrong_priority_counts",
                         f"unassigned entry says priority {u.priority}, request has "
                         f"{request.priority}", request_id=u.request_id)
        k = self.plan.kpis
        for name, reported, actual in (
            ("assigned_by_priority", k.assigned_by_priority, assigned),
            ("unassigned_by_priority", k.unassigned_by_priority, unassigned),
        ):
            for p in Priority:
                if reported.get(p, 0) != actual[p]:
                    self.add("wrong_priority_counts",
                             f"{name}[{p}] is {reported.get(p, 0)}, plan has {actual[p]}")

    # ------------------------------------------------------------ 10. reasons
    def check_reasons(self) -> None:
        for u in self.plan.unassigned:
            request = self.problem.request_by_id.get(u.request_id)
            if request is None:
                continue
            qualified = [
                t for t in self.problem.technicians if t.qualifies_for(request.required_skills)
            ]
            not_excluded = [t for t in qualified if t.id not in request.excluded_technicians]
            if u.reason == UnassignedReason.NO_QUALIFIED_TECHNICIAN and qualified:
                self.add("false_reason",
                         f"no_qualified_technician, but {qualified[0].id} qualifies",
                         request_id=request.id)
            elif u.reason == UnassignedReason.EXCLUDED_EVERYWHERE and not_excluded:
                self.add("false_reason",
                         f"excluded_everywhere, but {not_excluded[0].id} qualifies and is "
                         "not excluded", request_id=request.id)
            elif u.reason == UnassignedReason.OUTSIDE_ALL_SHIFTS:
                self.check_outside_all_shifts(request, not_excluded)

    def check_outside_all_shifts(
        self, request: ServiceRequest, candidates: Iterable[Technician]
    ) -> None:
        # A pinned start is a window of one instant, and replaces the appointment windows.
        windows = (
            [TimeWindow(request.pinned_start, request.pinned_start)]
            if request.pinned_start is not None
            else list(request.windows)
        )
        if not windows:
            self.add("false_reason", "outside_all_shifts, but the request has no windows",
                     request_id=request.id)
            return
        allowed = {
            t.id for t in candidates
            if (not request.required_technicians or t.id in request.required_technicians)
            and (request.pinned_technician is None or t.id == request.pinned_technician)
        }
        for shift in self.problem.shifts:
            if shift.technician_id not in allowed:
                continue
            for w in windows:
                if w.start <= shift.latest_end and shift.start <= w.end:
                    self.add("false_reason",
                             f"outside_all_shifts, but window {_fmt(w.start)}..{_fmt(w.end)} "
                             f"overlaps shift {shift.id}", shift.id, request.id)
                    return


def _total(values: Iterable[timedelta]) -> timedelta:
    return sum(values, _ZERO)

"""Curtois–Qu shift scheduling instances: loader, mapping onto a RosterProblem, evaluator.

The 24 instances of Curtois & Qu (2014), "Computational results on new staff
scheduling benchmark instances", live in ``shift-scheduling/`` under the benchmark data directory
(:func:`benchmarks._data.data_dir`: ``$FIELDOPS_BENCHMARK_DATA`` or ``--data-dir``,
default ``<repo>/../shared/benchmarks``; its README lists the best-known
objectives of instances 1–19). A file has the sections
``SECTION_HORIZON``, ``SECTION_SHIFTS``, ``SECTION_STAFF``, ``SECTION_DAYS_OFF``,
``SECTION_SHIFT_ON_REQUESTS``, ``SECTION_SHIFT_OFF_REQUESTS`` and
``SECTION_COVER``; :func:`parse_instance` reads them as written into a
:class:`CurtoisQuInstance`.

The published problem
---------------------
Every employee works at most one shift per day. Hard rules (per employee): the
days off; a shift type may not be followed on the next day by one of its
forbidden successors; at most ``MaxShifts`` shifts of each type; total worked
minutes within ``[MinTotalMinutes, MaxTotalMinutes]``; at most
``MaxConsecutiveShifts`` days worked in a row; every run of worked days at least
``MinConsecutiveShifts`` long and every run of days off at least
``MinConsecutiveDaysOff`` long, where a run touching the first or last day of the
horizon is exempt (the employee is assumed to have worked / rested for ever
before and after the horizon); at most ``MaxWeekends`` weekends worked, a weekend
(Saturday + Sunday; every instance starts on a Monday) counting as worked when
there is a shift on either day. The objective (all soft): for each shift-on
request not granted its weight, for each shift-off request not granted its
weight, and for each (day, shift type) cover row ``under × max(0, req − x) +
over × max(0, x − req)`` where ``x`` is the number of employees on that shift
that day.

How it is posed to fieldops (:func:`to_roster_problem`)
-------------------------------------------------------
* Horizon: ``EPOCH`` (Monday 2026-01-05) for the instance's days, time zone UTC
  (no daylight-saving day), 15-minute intervals. Our horizon is at most 42 days,
  so instances 1–15 can be posed and 16–24 (56–364 days) cannot
  (:func:`to_roster_problem` raises ``FieldError("days", …)``) unless the
  benchmark's ``--beyond-horizon`` raised the cap in its worker process
  (:func:`benchmarks.roster.lift_horizon`).
* One queue per shift type (queue id = shift id) and one :class:`ShiftTemplate`
  per shift type, restricted to its own queue (``queues={id}``), paid length =
  the file's minutes, no break, ``forbidden_successors`` from the file. The
  start time only places the shift on the clock (the instances have none); it
  is chosen from the id's first letter: ``E``/``e``/``a`` 06:00, ``D``/``d``
  09:00, ``L``/``p`` 14:00, ``N``/``n`` 22:00, anything else 08:00, plus half an hour
  per numeric suffix above 1 (``a2`` 06:30). The loader checks that no two shift
  types that the file lets follow each other overlap on consecutive days, so
  the clock adds no rule the instance does not have.
* One :class:`Contract` per employee (id = the employee id):
  ``MaxShifts`` → ``max_shifts_per_template``, ``Max/MinTotalMinutes`` →
  ``max_work_total`` / ``min_work_total``, ``MaxConsecutiveShifts`` →
  ``max_consecutive_days``, ``MinConsecutiveShifts`` → ``min_consecutive_days``,
  ``MinConsecutiveDaysOff`` → ``min_consecutive_days_off``, ``MaxWeekends`` →
  ``max_weekends``; no minimum rest, no weekly rule.
* One agent per employee, skilled (proficiency 3) on every shift-type queue, so
  the template alone decides the queue; days off → ``days_off``; shift-on
  requests → ``ShiftPreference(day, shift, wanted=True, weight)``, shift-off
  requests → ``wanted=False``.
* Each cover row → one :class:`CoverageRequirement` on the shift's queue at the
  template's start instant that day, ``required`` and the row's under/over
  weights. Only that shift's agents serve that queue, and only they are at work
  at that instant on it, so staffed heads there = employees on the shift.
* ``RosterWeights(under=100, over=1, preference=1, fairness_*=0,
  proficiency=0)``: the cover rows carry their own weights, so our objective is
  the instance's objective.

Where our domain expresses the rules, and where it differs
----------------------------------------------------------
* Same: at most one shift per agent per day; forbidden successors (next day
  only); caps per shift type; total minutes; max consecutive worked days; min
  consecutive worked days and days off with the boundary runs exempt
  (``Contract`` docstring: "a run touching the first or last day of the horizon
  is not held to a minimum"); weekends worked = shift starting on Saturday or
  Sunday; hard days off; soft requests per (day, shift); cover per (day,
  shift) with its own weights.
* Different, and harmless here: our cover is per interval and queue, so a
  shift-type cover becomes a one-interval requirement on a shift-only queue;
  templates carry clock times the instances do not have (checked not to add
  overlaps, see above); our horizon is at most six weeks (instances 16–24 are
  out of reach); the "weekend" rule in the contract is per calendar Saturday
  and Sunday, which equals the published definition because every instance
  starts on a Monday and runs whole weeks.

:func:`curtois_objective` and :func:`curtois_violations` re-derive the objective
and the hard rules from the instance and the roster's assignments alone (not from
our coverage table or penalties), so the benchmark cross-checks our objective
against the instance's own definition.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from benchmarks._data import data_dir
from fieldops.domain.errors import FieldError
from fieldops.domain.roster import (
    Agent,
    Contract,
    CoverageRequirement,
    QueueSkill,
    Roster,
    RosterAssignment,
    RosterProblem,
    RosterWeights,
    ShiftPreference,
    ShiftTemplate,
)

EPOCH = date(2026, 1, 5)  # a Monday, as every instance starts on one
assert EPOCH.weekday() == 0

# Best objectives of a published table of 60-minute runs (the data README).
BEST_KNOWN: dict[int, int] = {
    1: 607, 2: 828, 3: 1001, 4: 1716, 5: 1143, 6: 1950, 7: 1056, 8: 1308, 9: 439,
    10: 4631, 11: 3443, 12: 4040, 13: 1905, 14: 1279, 15: 3928, 16: 3225, 17: 5750,
    18: 4650, 19: 3218,
}

_FAMILY_START = {"e": 6, "a": 6, "d": 9, "l": 14, "p": 14, "n": 22}
_SECTIONS = (
    "SECTION_HORIZON", "SECTION_SHIFTS", "SECTION_STAFF", "SECTION_DAYS_OFF",
    "SECTION_SHIFT_ON_REQUESTS", "SECTION_SHIFT_OFF_REQUESTS", "SECTION_COVER",
)


def instance_path(number: int) -> Path:
    return data_dir() / "shift-scheduling" / f"Instance{number}.txt"


@dataclass(frozen=True, slots=True)
class CQShift:
    id: str
    minutes: int
    forbidden_next: frozenset[str]


@dataclass(frozen=True, slots=True)
class CQStaff:
    id: str
    max_shifts: Mapping[str, int]
    max_total_minutes: int
    min_total_minutes: int
    max_consecutive_shifts: int
    min_consecutive_shifts: int
    min_consecutive_days_off: int
    max_weekends: int


@dataclass(frozen=True, slots=True)
class CQRequest:
    staff: str
    day: int
    shift: str
    weight: int


@dataclass(frozen=True, slots=True)
class CQCover:
    day: int
    shift: str
    requirement: int
    under: int
    over: int


@dataclass(frozen=True, slots=True)
class CurtoisQuInstance:
    """One instance file, as written (day indexes from 0, minutes, weights)."""

    name: str
    days: int
    shifts: tuple[CQShift, ...]
    staff: tuple[CQStaff, ...]
    days_off: Mapping[str, frozenset[int]]
    on_requests: tuple[CQRequest, ...]
    off_requests: tuple[CQRequest, ...]
    cover: tuple[CQCover, ...]
    best_known: int | None = None
    shift_by_id: Mapping[str, CQShift] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "shift_by_id", {s.id: s for s in self.shifts})


def _int(value: str, where: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise FieldError(where, f"expected an integer, got {value!r}") from None


def parse_instance(path: str | Path, number: int | None = None) -> CurtoisQuInstance:
    """Read a Curtois–Qu instance file; errors name ``<file>:<line>``."""
    path = Path(path)
    name = path.stem
    if number is None:
        m = re.search(r"(\d+)$", name)
        number = int(m.group(1)) if m else None
    rows: dict[str, list[tuple[int, list[str]]]] = {s: [] for s in _SECTIONS}
    section: str | None = None
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("SECTION_"):
            if line not in rows:
                raise FieldError(f"{name}:{lineno}", f"unknown section {line!r}")
            section = line
            continue
        if section is None:
            raise FieldError(f"{name}:{lineno}", "data before the first section")
        rows[section].append((lineno, [part.strip() for part in line.split(",")]))

    def where(lineno: int) -> str:
        return f"{name}:{lineno}"

    if len(rows["SECTION_HORIZON"]) != 1:
        raise FieldError(f"{name}.SECTION_HORIZON", "must hold exactly one number")
    h_line, h_parts = rows["SECTION_HORIZON"][0]
    days = _int(h_parts[0], where(h_line))

    shifts = []
    for lineno, parts in rows["SECTION_SHIFTS"]:
        if len(parts) != 3:
            raise FieldError(where(lineno), "expected ShiftID, minutes, successors")
        forbidden = frozenset(p for p in parts[2].split("|") if p)
        shifts.append(CQShift(parts[0], _int(parts[1], where(lineno)), forbidden))
    shift_ids = {s.id for s in shifts}
    for s in shifts:
        for succ in sorted(s.forbidden_next - shift_ids):
            raise FieldError(f"{name}.shifts.{s.id}", f"unknown successor {succ!r}")

    staff = []
    for lineno, parts in rows["SECTION_STAFF"]:
        if len(parts) != 8:
            raise FieldError(where(lineno), "expected 8 staff fields")
        caps: dict[str, int] = {}
        for item in (p for p in parts[1].split("|") if p):
            sid, _, n = item.partition("=")
            if sid not in shift_ids:
                raise FieldError(where(lineno), f"unknown shift {sid!r}")
            caps[sid] = _int(n, where(lineno))
        v = [_int(p, where(lineno)) for p in parts[2:]]
        staff.append(CQStaff(parts[0], caps, *v))
    staff_ids = {s.id for s in staff}

    days_off: dict[str, frozenset[int]] = {}
    for lineno, parts in rows["SECTION_DAYS_OFF"]:
        if parts[0] not in staff_ids:
            raise FieldError(where(lineno), f"unknown employee {parts[0]!r}")
        days_off[parts[0]] = frozenset(_int(p, where(lineno)) for p in parts[1:] if p)

    def requests(section: str) -> tuple[CQRequest, ...]:
        out = []
        for lineno, parts in rows[section]:
            if len(parts) != 4 or parts[0] not in staff_ids or parts[2] not in shift_ids:
                raise FieldError(where(lineno), "expected known EmployeeID, Day, ShiftID, Weight")
            out.append(CQRequest(parts[0], _int(parts[1], where(lineno)), parts[2],
                                 _int(parts[3], where(lineno))))
        return tuple(out)

    cover = []
    for lineno, parts in rows["SECTION_COVER"]:
        if len(parts) != 5 or parts[1] not in shift_ids:
            raise FieldError(where(lineno), "expected Day, known ShiftID, Req, Under, Over")
        d, req, under, over = (_int(parts[i], where(lineno)) for i in (0, 2, 3, 4))
        cover.append(CQCover(d, parts[1], req, under, over))
    on_requests = requests("SECTION_SHIFT_ON_REQUESTS")
    off_requests = requests("SECTION_SHIFT_OFF_REQUESTS")
    used_days = [("cover", c.day) for c in cover]
    used_days += [("requests", r.day) for r in (*on_requests, *off_requests)]
    used_days += [("days_off", d) for ds in days_off.values() for d in ds]
    for what, d in used_days:
        if not 0 <= d < days:
            raise FieldError(f"{name}.{what}", f"day {d} outside the horizon of {days} days")
    return CurtoisQuInstance(
        name=name,
        days=days,
        shifts=tuple(shifts),
        staff=tuple(staff),
        days_off=days_off,
        on_requests=on_requests,
        off_requests=off_requests,
        cover=tuple(cover),
        best_known=BEST_KNOWN.get(number) if number is not None else None,
    )


def load_instance(number: int) -> CurtoisQuInstance:
    return parse_instance(instance_path(number), number)


def start_time(shift_id: str) -> time:
    """A plausible clock start for a shift id (module doc, "How it is posed")."""
    minutes = 60 * _FAMILY_START.get(shift_id[:1].lower(), 8)
    m = re.search(r"(\d+)$", shift_id)
    if m:  # a2, a3, ... start half an hour apart, capped before midnight
        minutes = min(minutes + 30 * (int(m.group(1)) - 1), 23 * 60 + 45)
    return time(minutes // 60, minutes % 60)


def _check_no_new_overlaps(instance: CurtoisQuInstance) -> None:
    """Fail if two shift types allowed on consecutive days would overlap on the clock."""
    day = timedelta(days=1)
    for a in instance.shifts:
        sa = start_time(a.id)
        end_a = timedelta(hours=sa.hour, minutes=sa.minute + a.minutes)
        for b in instance.shifts:
            if b.id in a.forbidden_next:
                continue
            sb = start_time(b.id)
            start_b = day + timedelta(hours=sb.hour, minutes=sb.minute)
            if end_a > start_b:
                raise FieldError(f"{instance.name}.shifts.{a.id}",
                                 f"would overlap {b.id} on the next day; choose other start times")


def to_roster_problem(instance: CurtoisQuInstance) -> RosterProblem:
    """The instance as a :class:`RosterProblem` (module doc, "How it is posed")."""
    _check_no_new_overlaps(instance)
    tz = UTC
    templates = tuple(
        ShiftTemplate(
            id=s.id,
            start=start_time(s.id),
            length=timedelta(minutes=s.minutes),
            queues=frozenset({s.id}),
            forbidden_successors=s.forbidden_next,
            name=f"shift type {s.id}",
        )
        for s in instance.shifts
    )
    contracts = tuple(
        Contract(
            id=e.id,
            min_work_total=timedelta(minutes=e.min_total_minutes),
            max_work_total=timedelta(minutes=e.max_total_minutes),
            max_shifts_per_template=dict(e.max_shifts),
            max_consecutive_days=e.max_consecutive_shifts,
            min_consecutive_days=e.min_consecutive_shifts,
            min_consecutive_days_off=e.min_consecutive_days_off,
            max_weekends=e.max_weekends,
        )
        for e in instance.staff
    )
    prefs: dict[str, list[ShiftPreference]] = {e.id: [] for e in instance.staff}
    for wanted, reqs in ((True, instance.on_requests), (False, instance.off_requests)):
        for r in reqs:
            prefs[r.staff].append(ShiftPreference(
                day=EPOCH + timedelta(days=r.day), template=r.shift, wanted=wanted,
                weight=r.weight))
    skills = tuple(QueueSkill(s.id) for s in instance.shifts)
    agents = tuple(
        Agent(
            id=e.id,
            contract=e.id,
            skills=skills,
            name=f"employee {e.id}",
            days_off=frozenset(EPOCH + timedelta(days=d)
                               for d in instance.days_off.get(e.id, frozenset())),
            preferences=tuple(prefs[e.id]),
        )
        for e in instance.staff
    )
    requirements = tuple(
        CoverageRequirement(
            start=datetime.combine(EPOCH + timedelta(days=c.day), start_time(c.shift),
                                   tzinfo=tz),
            queue=c.shift,
            required=c.requirement,
            under_weight=c.under,
            over_weight=c.over,
        )
        for c in instance.cover
    )
    return RosterProblem(
        start=EPOCH,
        days=instance.days,
        queues=tuple(s.id for s in instance.shifts),
        templates=templates,
        contracts=contracts,
        agents=agents,
        requirements=requirements,
        timezone="UTC",
        interval=timedelta(minutes=15),
        weights=RosterWeights(under=100, over=1, preference=1, fairness_weekends=0,
                              fairness_nights=0, fairness_hours=0, proficiency=0),
        name=f"Curtois-Qu {instance.name}",
    )


def _grid(instance: CurtoisQuInstance,
          roster: Roster | Iterable[RosterAssignment]) -> tuple[dict[tuple[str, int], str],
                                                                 list[str]]:
    """(employee, day index) → shift id, and the problems met while reading."""
    assignments = roster.assignments if isinstance(roster, Roster) else tuple(roster)
    grid: dict[tuple[str, int], str] = {}
    problems: list[str] = []
    staff_ids = {e.id for e in instance.staff}
    for a in assignments:
        d = (a.day - EPOCH).days
        if a.agent_id not in staff_ids:
            problems.append(f"{a.agent_id}: unknown employee")
        elif not 0 <= d < instance.days:
            problems.append(f"{a.agent_id}: shift on day {d}, outside the horizon")
        elif a.template_id not in instance.shift_by_id:
            problems.append(f"{a.agent_id} day {d}: unknown shift {a.template_id!r}")
        elif (a.agent_id, d) in grid:
            problems.append(f"{a.agent_id} day {d}: two shifts on one day")
        else:
            grid[(a.agent_id, d)] = a.template_id
    return grid, problems


def curtois_objective(instance: CurtoisQuInstance,
                      roster: Roster | Iterable[RosterAssignment]) -> int:
    """The published objective of the roster's assignments, from the instance alone.

    Unmet shift-on requests + granted-against shift-off requests (their weights)
    + Σ over cover rows of ``under·max(0, req − x) + over·max(0, x − req)``.
    Hard rules are not looked at here: see :func:`curtois_violations`.
    """
    grid, problems = _grid(instance, roster)
    if problems:
        raise ValueError("; ".join(problems[:5]))
    total = 0
    for r in instance.on_requests:
        if grid.get((r.staff, r.day)) != r.shift:
            total += r.weight
    for r in instance.off_requests:
        if grid.get((r.staff, r.day)) == r.shift:
            total += r.weight
    on_shift: dict[tuple[int, str], int] = {}
    for (_, d), s in grid.items():
        on_shift[(d, s)] = on_shift.get((d, s), 0) + 1
    for c in instance.cover:
        x = on_shift.get((c.day, c.shift), 0)
        total += c.under * max(0, c.requirement - x) + c.over * max(0, x - c.requirement)
    return total


def _runs(worked: list[bool]) -> list[tuple[bool, int, int]]:
    """Maximal runs as (worked?, first day, length)."""
    runs: list[tuple[bool, int, int]] = []
    for d, w in enumerate(worked):
        if runs and runs[-1][0] == w:
            kind, first, n = runs[-1]
            runs[-1] = (kind, first, n + 1)
        else:
            runs.append((w, d, 1))
    return runs


def curtois_violations(instance: CurtoisQuInstance,
                       roster: Roster | Iterable[RosterAssignment]) -> list[str]:
    """Every hard rule of the instance the assignments break (empty: feasible)."""
    grid, problems = _grid(instance, roster)
    n = instance.days
    for e in instance.staff:
        row = [grid.get((e.id, d)) for d in range(n)]
        worked = [s is not None for s in row]
        for d in sorted(instance.days_off.get(e.id, frozenset())):
            if 0 <= d < n and row[d] is not None:
                problems.append(f"{e.id} day {d}: works on a day off")
        for d in range(n - 1):
            s, t = row[d], row[d + 1]
            if s is not None and t is not None and t in instance.shift_by_id[s].forbidden_next:
                problems.append(f"{e.id} day {d}: {t} may not follow {s}")
        for sid, cap in e.max_shifts.items():
            count = sum(1 for s in row if s == sid)
            if count > cap:
                problems.append(f"{e.id}: {count} shifts {sid} > {cap}")
        minutes = sum(instance.shift_by_id[s].minutes for s in row if s is not None)
        if not e.min_total_minutes <= minutes <= e.max_total_minutes:
            problems.append(f"{e.id}: {minutes} min outside "
                            f"[{e.min_total_minutes}, {e.max_total_minutes}]")
        for w, first, length in _runs(worked):
            inner = first > 0 and first + length < n  # boundary runs are exempt from minima
            if w and length > e.max_consecutive_shifts:
                problems.append(f"{e.id}: {length} shifts in a row from day {first}")
            if w and inner and length < e.min_consecutive_shifts:
                problems.append(f"{e.id}: only {length} shifts in a row from day {first}")
            if not w and inner and length < e.min_consecutive_days_off:
                problems.append(f"{e.id}: only {length} days off in a row from day {first}")
        weekends = sum(1 for sat in range(5, n, 7)
                       if worked[sat] or (sat + 1 < n and worked[sat + 1]))
        if weekends > e.max_weekends:
            problems.append(f"{e.id}: {weekends} weekends > {e.max_weekends}")
    return problems

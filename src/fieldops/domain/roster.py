"""Contact-center rostering types: agents, contracts, shift templates, coverage, roster.

A :class:`RosterProblem` asks which agent works which :class:`ShiftTemplate` on which
day of a horizon of 1 to 42 days, so that the staffed heads per interval and queue
meet :class:`CoverageRequirement` rows as closely as possible, without breaking any
:class:`Contract` rule or availability. The answer is a :class:`Roster`.

Units, stated once: days are local calendar dates in ``RosterProblem.timezone``;
template start times are local wall-clock times; lengths, breaks and rests are
``timedelta``; intervals are real (UTC) instants of ``RosterProblem.interval``
length counted from local midnight of the first day, so a DST day has 92 or 100
quarter hours. Weights are non-negative integers (penalty units per agent-interval
of deviation, per unmet preference, per unit of unfairness). See docs/roster.md.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from fieldops.domain._checks import (
    optional,
    require_aware,
    require_bool,
    require_date,
    require_duration,
    require_id,
    require_int,
    unique_ids,
)
from fieldops.domain.errors import FieldError

if TYPE_CHECKING:
    import pandas as pd

MAX_HORIZON_DAYS = 42
MAX_WORKERS = 64  # CP-SAT search workers a roster solve may ask for
WEEKDAYS = frozenset(range(7))  # 0 = Monday … 6 = Sunday, as date.weekday()


#: Throughput of an agent per proficiency level, as a share of the forecast's: a
#: learner (1) takes twice the forecast handle time, level 2 a third longer. Levels
#: 3-5 work at the forecast handle time: the forecast's AHT is what the center's
#: agents achieve, so nobody counts as more than one agent.
PROFICIENCY_CAPACITY: dict[int, float] = {1: 0.5, 2: 0.75, 3: 1.0, 4: 1.0, 5: 1.0}


@dataclass(frozen=True, slots=True)
class QueueSkill:
    """A queue an agent can serve, with a proficiency from 1 (learning) to 5 (expert).

    The agent counts its :attr:`capacity` toward the roster's coverage, as in the
    predicted service level and the routing simulation (handle time ÷ capacity):
    two learners staff one required agent. The solver also prefers the more
    proficient agent when it has the choice (``RosterWeights.proficiency``).
    """

    queue: str
    proficiency: int = 3

    def __post_init__(self) -> None:
        require_id("queue", self.queue, segment=False)
        require_int("proficiency", self.proficiency, minimum=1, maximum=5)

    @property
    def capacity(self) -> float:
        """Share of a fully proficient agent's throughput (:data:`PROFICIENCY_CAPACITY`)."""
        return PROFICIENCY_CAPACITY[self.proficiency]


@dataclass(frozen=True, slots=True)
class ShiftTemplate:
    """A shift pattern agents can be given: start, length and break.

    ``length`` is the whole shift, break included, in real elapsed time; it may
    cross midnight (a night shift starting 22:00 with a length of 9 h ends at
    07:00 the next day, 08:00 across a spring DST change, and belongs to the day
    it starts on). An agent counts toward an interval's coverage only for
    intervals the shift covers entirely, outside the break. The break of
    ``break_length`` starts between ``break_earliest`` and ``break_latest`` after
    the shift start, on the interval grid when a grid instant lies in that
    window; the solver places it. An unpaid break does not count toward worked
    hours. ``days`` are the weekdays the template may be used on. ``queues``
    limits which queues an agent may serve during this shift (``None``: any
    queue the agent can serve).
    ``forbidden_successors`` are templates that may not be worked on the next day
    after this one (beyond the contract's minimum rest).
    """

    id: str
    start: time
    length: timedelta
    break_length: timedelta = timedelta(0)
    break_earliest: timedelta | None = None
    break_latest: timedelta | None = None
    break_paid: bool = False
    days: frozenset[int] = WEEKDAYS
    queues: frozenset[str] | None = None
    forbidden_successors: frozenset[str] = frozenset()
    name: str = ""

    def __post_init__(self) -> None:
        require_id("id", self.id)
        if not isinstance(self.start, time) or self.start.tzinfo is not None:
            raise FieldError("start", "must be a local wall-clock time like 08:00")
        require_duration("length", self.length, allow_zero=False)
        if self.length > timedelta(hours=16):
            raise FieldError("length", "must be at most 16 hours")
        require_duration("break_length", self.break_length)
        if self.break_length >= self.length:
            raise FieldError("break_length", "must be shorter than the shift")
        if self.break_length:
            earliest = self.break_earliest if self.break_earliest is not None else timedelta(0)
            latest = (
                self.break_latest
                if self.break_latest is not None
                else self.length - self.break_length
            )
            require_duration("break_earliest", earliest)
            require_duration("break_latest", latest)
            if latest < earliest:
                raise FieldError("break_latest", "must not be before break_earliest")
            if latest + self.break_length > self.length:
                raise FieldError("break_latest", "the break must end inside the shift")
            object.__setattr__(self, "break_earliest", earliest)
            object.__setattr__(self, "break_latest", latest)
        elif self.break_earliest is not None or self.break_latest is not None:
            raise FieldError("break_earliest", "needs a break_length")
        require_bool("break_paid", self.break_paid)
        days = frozenset(self.days)
        if not days or not days <= WEEKDAYS:
            raise FieldError("days", "must be weekday numbers 0 (Monday) to 6 (Sunday)")
        object.__setattr__(self, "days", days)
        if self.queues is not None:
            queues = frozenset(self.queues)
            if not queues:
                raise FieldError("queues", "must name at least one queue (or be omitted)")
            object.__setattr__(self, "queues", queues)
        object.__setattr__(self, "forbidden_successors", frozenset(self.forbidden_successors))

    @property
    def paid(self) -> timedelta:
        """Worked time counted toward the contract's hours."""
        return self.length if self.break_paid else self.length - self.break_length

    @property
    def crosses_midnight(self) -> bool:
        start = timedelta(hours=self.start.hour, minutes=self.start.minute,
                          seconds=self.start.second)
        return start + self.length > timedelta(days=1)

    @property
    def is_night(self) -> bool:
        """A night shift: it works through 03:00 local time (used for fairness)."""
        start = timedelta(hours=self.start.hour, minutes=self.start.minute,
                          seconds=self.start.second)
        three = timedelta(hours=3)
        return start <= three < start + self.length or start + self.length > three + timedelta(
            days=1)

    def starts_on(self, day: date, tz: zoneinfo.ZoneInfo) -> datetime:
        """The aware start instant when worked on ``day`` (DST-resolved by zoneinfo)."""
        return datetime.combine(day, self.start, tzinfo=tz)


@dataclass(frozen=True, slots=True)
class Contract:
    """Hard rules an agent's roster must keep. ``None`` switches a rule off.

    Hours are paid time (:attr:`ShiftTemplate.paid`). ``*_per_week`` rules apply
    to each full or partial calendar week (Monday–Sunday) of the horizon, the
    partial ones pro rata for the minimum; ``*_total`` rules to the whole horizon.
    ``max_shifts_per_template`` caps how often one template may be worked.
    Consecutive-day rules count calendar days with or without a shift; a run
    touching the first or last day of the horizon is not held to a minimum (it
    may continue outside). ``min_rest`` is the least time from a shift's end to
    the next shift's start. A weekend counts as worked when the agent has a shift
    starting on its Saturday or Sunday.
    """

    id: str
    min_work_per_week: timedelta | None = None
    max_work_per_week: timedelta | None = None
    min_work_total: timedelta | None = None
    max_work_total: timedelta | None = None
    max_shifts: int | None = None
    max_shifts_per_template: Mapping[str, int] = field(default_factory=dict)
    max_consecutive_days: int | None = None
    min_consecutive_days: int | None = None
    min_consecutive_days_off: int | None = None
    min_rest: timedelta | None = None
    max_weekends: int | None = None
    max_nights: int | None = None

    def __post_init__(self) -> None:
        require_id("id", self.id)
        for name in ("min_work_per_week", "max_work_per_week", "min_work_total",
                     "max_work_total", "min_rest"):
            optional(require_duration, name, getattr(self, name))
        for low, high in (("min_work_per_week", "max_work_per_week"),
                          ("min_work_total", "max_work_total")):
            a, b = getattr(self, low), getattr(self, high)
            if a is not None and b is not None and a > b:
                raise FieldError(low, f"must not exceed {high}")
        for name, least in (("max_shifts", 0), ("max_consecutive_days", 1),
                            ("min_consecutive_days", 1), ("min_consecutive_days_off", 1),
                            ("max_weekends", 0), ("max_nights", 0)):
            optional(require_int, name, getattr(self, name), minimum=least)
        if (self.min_consecutive_days is not None and self.max_consecutive_days is not None
                and self.min_consecutive_days > self.max_consecutive_days):
            raise FieldError("min_consecutive_days", "must not exceed max_consecutive_days")
        caps = dict(self.max_shifts_per_template)
        for key, value in caps.items():
            require_id("max_shifts_per_template", key)
            require_int(f"max_shifts_per_template.{key}", value, minimum=0)
        object.__setattr__(self, "max_shifts_per_template", caps)


@dataclass(frozen=True, slots=True)
class ShiftPreference:
    """An agent's wish for ``day``: a template (or any shift when ``template`` is
    ``None``) wanted (``wanted=True``) or not wanted. Unmet, it costs ``weight``."""

    day: date
    template: str | None = None
    wanted: bool = True
    weight: int = 1

    def __post_init__(self) -> None:
        require_date("day", self.day)
        if self.template is not None:
            require_id("template", self.template)
        require_bool("wanted", self.wanted)
        require_int("weight", self.weight, minimum=0)


@dataclass(frozen=True, slots=True)
class Unavailability:
    """A period the agent cannot work (approved time off, training, a doctor's visit).

    No shift of the agent may overlap ``[start, end)``.
    """

    start: datetime
    end: datetime
    reason: str = "time off"

    def __post_init__(self) -> None:
        require_aware("start", self.start)
        require_aware("end", self.end)
        if self.end <= self.start:
            raise FieldError("end", "must be after start")


@dataclass(frozen=True, slots=True)
class Agent:
    """A named agent, the queues they serve and the contract they work under.

    ``days_off`` are whole local days off (hard): no shift starts on them (a night
    shift of the day before may still end on one). ``unavailable`` are periods
    off (hard). ``templates`` limits which templates the agent may work
    (``None``: all). An agent works at most one shift per local day, never two
    overlapping shifts, and serves one queue (among its skills and the
    template's ``queues``) for a whole shift.
    """

    id: str
    contract: str
    skills: tuple[QueueSkill, ...]
    name: str = ""
    days_off: frozenset[date] = frozenset()
    unavailable: tuple[Unavailability, ...] = ()
    preferences: tuple[ShiftPreference, ...] = ()
    templates: frozenset[str] | None = None
    email: str | None = None

    def __post_init__(self) -> None:
        require_id("id", self.id)
        require_id("contract", self.contract)
        skills = tuple(self.skills)
        queues = [s.queue for s in skills]
        if len(set(queues)) != len(queues):
            raise FieldError("skills", "names a queue twice")
        for i, skill in enumerate(skills):
            if not isinstance(skill, QueueSkill):
                raise FieldError(f"skills[{i}]", "must be a QueueSkill")
        object.__setattr__(self, "skills", skills)
        object.__setattr__(self, "days_off", frozenset(self.days_off))
        object.__setattr__(self, "unavailable", tuple(self.unavailable))
        object.__setattr__(self, "preferences", tuple(self.preferences))
        if self.templates is not None:
            object.__setattr__(self, "templates", frozenset(self.templates))

    @property
    def queues(self) -> frozenset[str]:
        return frozenset(s.queue for s in self.skills)

    def proficiency(self, queue: str) -> int:
        """Proficiency on ``queue``; 0 when the agent cannot serve it."""
        for skill in self.skills:
            if skill.queue == queue:
                return skill.proficiency
        return 0

    def capacity(self, queue: str) -> float:
        """Throughput on ``queue`` as a share of the forecast's (0 when not skilled)."""
        level = self.proficiency(queue)
        return PROFICIENCY_CAPACITY[level] if level else 0.0


@dataclass(frozen=True, slots=True)
class CoverageRequirement:
    """Agents needed on ``queue`` during the interval starting at ``start``.

    Intervals without a row carry no requirement and no penalty. ``under_weight``
    and ``over_weight`` override :class:`RosterWeights` for this row (penalty per
    head short or over).
    """

    start: datetime
    queue: str
    required: int
    under_weight: int | None = None
    over_weight: int | None = None

    def __post_init__(self) -> None:
        require_aware("start", self.start)
        require_id("queue", self.queue, segment=False)
        require_int("required", self.required, minimum=0)
        optional(require_int, "under_weight", self.under_weight, minimum=0)
        optional(require_int, "over_weight", self.over_weight, minimum=0)

    def prices(self, weights: RosterWeights) -> tuple[int, int]:
        """Penalty per head short and per head over: the row's own, else ``weights``'."""
        under = weights.under if self.under_weight is None else self.under_weight
        over = weights.over if self.over_weight is None else self.over_weight
        return under, over


@dataclass(frozen=True, slots=True)
class RosterWeights:
    """Soft-constraint weights (penalty units).

    ``under`` per head short per interval, ``over`` per head over (``under`` is
    meant to dwarf ``over``); ``preference`` multiplies each preference's own
    weight; the fairness weights price the spread (max − min over agents sharing
    a contract) of worked weekends, nights and paid hours (whole hours, rounded
    down); ``proficiency`` prices each shift at ``5 − proficiency`` on the queue
    the agent serves in it (an expert costs nothing, a learner four units).
    """

    under: int = 100
    over: int = 1
    preference: int = 1
    fairness_weekends: int = 5
    fairness_nights: int = 5
    fairness_hours: int = 1
    proficiency: int = 0

    def __post_init__(self) -> None:
        for name in ("under", "over", "preference", "fairness_weekends", "fairness_nights",
                     "fairness_hours", "proficiency"):
            require_int(name, getattr(self, name), minimum=0)


@dataclass(frozen=True, slots=True)
class RosterProblem:
    """Everything a roster solve needs; validated and cross-checked on construction."""

    start: date
    days: int
    queues: tuple[str, ...]
    templates: tuple[ShiftTemplate, ...]
    contracts: tuple[Contract, ...]
    agents: tuple[Agent, ...]
    requirements: tuple[CoverageRequirement, ...]
    timezone: str = "UTC"
    interval: timedelta = timedelta(minutes=15)
    weights: RosterWeights = field(default_factory=RosterWeights)
    name: str = ""

    def __post_init__(self) -> None:
        require_date("start", self.start)
        require_int("days", self.days, minimum=1)
        if self.days > MAX_HORIZON_DAYS:
            raise FieldError("days", f"must be at most {MAX_HORIZON_DAYS} (six weeks)")
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
            raise FieldError("timezone", f"unknown time zone {self.timezone!r} "
                             "(use an IANA name like Europe/Berlin)") from None
        require_duration("interval", self.interval, allow_zero=False)
        if self.interval < timedelta(minutes=5) or timedelta(days=1) % self.interval:
            raise FieldError("interval", "must be at least 5 minutes and divide a day")
        for name in ("queues", "templates", "contracts", "agents", "requirements"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if not self.queues:
            raise FieldError("queues", "must name at least one queue")
        for i, q in enumerate(self.queues):
            require_id(f"queues[{i}]", q, segment=False)
        if len(set(self.queues)) != len(self.queues):
            raise FieldError("queues", "names a queue twice")
        if not self.templates:
            raise FieldError("templates", "must hold at least one shift template")
        unique_ids("templates", [t.id for t in self.templates])
        unique_ids("contracts", [c.id for c in self.contracts])
        unique_ids("agents", [a.id for a in self.agents])
        self._cross_check()

    def _cross_check(self) -> None:
        queues = set(self.queues)
        templates = {t.id for t in self.templates}
        contracts = {c.id for c in self.contracts}
        for i, t in enumerate(self.templates):
            for succ in sorted(t.forbidden_successors - templates):
                raise FieldError(f"templates[{i}].forbidden_successors",
                                 f"unknown template {succ!r}")
            for q in sorted((t.queues or frozenset()) - queues):
                raise FieldError(f"templates[{i}].queues", f"unknown queue {q!r}")
        for i, c in enumerate(self.contracts):
            for t_id in sorted(set(c.max_shifts_per_template) - templates):
                raise FieldError(f"contracts[{i}].max_shifts_per_template",
                                 f"unknown template {t_id!r}")
        first, last = self.start, self.end_day
        for i, a in enumerate(self.agents):
            where = f"agents[{i}]"
            if a.contract not in contracts:
                raise FieldError(f"{where}.contract", f"unknown contract {a.contract!r}")
            for k, s in enumerate(a.skills):
                if s.queue not in queues:
                    raise FieldError(f"{where}.skills[{k}].queue", f"unknown queue {s.queue!r}")
            for t_id in sorted((a.templates or frozenset()) - templates):
                raise FieldError(f"{where}.templates", f"unknown template {t_id!r}")
            for k, p in enumerate(a.preferences):
                if p.template is not None and p.template not in templates:
                    raise FieldError(f"{where}.preferences[{k}].template",
                                     f"unknown template {p.template!r}")
                if not first <= p.day <= last:
                    raise FieldError(f"{where}.preferences[{k}].day",
                                     "must fall inside the horizon")
        horizon_start, horizon_end = self.horizon
        for i, r in enumerate(self.requirements):
            if r.queue not in queues:
                raise FieldError(f"requirements[{i}].queue", f"unknown queue {r.queue!r}")
            if not horizon_start <= r.start < horizon_end:
                raise FieldError(f"requirements[{i}].start", "must fall inside the horizon")
            offset = r.start - horizon_start
            if offset % self.interval:
                raise FieldError(f"requirements[{i}].start",
                                 f"must be on the {self.interval} grid from local midnight")

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def end_day(self) -> date:
        """The last day of the horizon (inclusive)."""
        return self.start + timedelta(days=self.days - 1)

    @property
    def day_list(self) -> list[date]:
        return [self.start + timedelta(days=d) for d in range(self.days)]

    @property
    def horizon(self) -> tuple[datetime, datetime]:
        """Local midnight of the first day to local midnight after the last day.

        Night shifts of the last day may run past the end; their work past it
        counts toward no requirement.
        """
        tz = self.tz
        start = datetime.combine(self.start, time(0), tzinfo=tz)
        end = datetime.combine(self.end_day + timedelta(days=1), time(0), tzinfo=tz)
        return start, end

    @property
    def template_by_id(self) -> dict[str, ShiftTemplate]:
        return {t.id: t for t in self.templates}

    @property
    def contract_by_id(self) -> dict[str, Contract]:
        return {c.id: c for c in self.contracts}

    @property
    def agent_by_id(self) -> dict[str, Agent]:
        return {a.id: a for a in self.agents}


class RosterStatus(StrEnum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    TIME_LIMIT = "time_limit"
    CANCELLED = "cancelled"
    INFEASIBLE = "infeasible"  # no roster keeps every hard rule
    NO_SOLUTION = "no_solution"  # none found within the limit


#: What each status says about the search, before the coverage part of a verdict.
_STATUS_WORDS = {
    RosterStatus.OPTIMAL: "optimal",
    RosterStatus.FEASIBLE: "feasible (not proven optimal)",
    RosterStatus.TIME_LIMIT: "best found in the time limit (not proven optimal)",
    RosterStatus.CANCELLED: "stopped early (best found so far)",
    RosterStatus.INFEASIBLE: "infeasible: no roster keeps every hard rule",
    RosterStatus.NO_SOLUTION: "no roster found in the time limit",
}


def agents_text(value: float) -> str:
    """A count of agents (or agent-intervals) of capacity: ``334``, ``12.5``, ``0.75``."""
    return str(int(value)) if value == int(value) else f"{value:.2f}".rstrip("0")


def whole(value: float) -> float:
    """``value`` as an int when it is whole (head counts print as before)."""
    return int(value) if value == int(value) else float(value)


def roster_verdict(status: RosterStatus | str, short: float) -> str:
    """The solver status in words that do not hide a shortfall.

    A roster proven optimal may still leave required agent-intervals unstaffed:
    optimal then means "no roster of these agents, under their contracts and
    availability, covers more at a lower cost", so the verdict says
    ``optimal for the agents available, 334 agent-intervals short``. A roster that
    covers every requirement says so; a roster not proven optimal says that too.

    Parameters
    ----------
    status
        The solver's status (a :class:`RosterStatus` or its value).
    short
        Required agent-intervals not staffed (``Roster.short``), in agents of
        capacity: a learner's half leaves half an agent-interval short.
    """
    status = RosterStatus(status)
    if status in (RosterStatus.INFEASIBLE, RosterStatus.NO_SOLUTION):
        return _STATUS_WORDS[status]
    unit = "agent-interval" if short == 1 else "agent-intervals"
    if status is RosterStatus.OPTIMAL:
        if short:
            return f"optimal for the agents available, {agents_text(short)} {unit} short"
        return "optimal, every required agent-interval staffed"
    coverage = (f"{agents_text(short)} {unit} short" if short
                else "every required agent-interval staffed")
    return f"{_STATUS_WORDS[status]}, {coverage}"


@dataclass(frozen=True, slots=True)
class Activity:
    """A stretch of one shift: ``kind`` is ``work`` (on ``queue``) or ``break``."""

    start: datetime
    end: datetime
    kind: str
    queue: str | None = None


@dataclass(frozen=True, slots=True)
class RosterAssignment:
    """One shift worked by one agent: template, instants, break and queue per stretch."""

    agent_id: str
    day: date
    template_id: str
    start: datetime
    end: datetime
    break_start: datetime | None = None
    break_end: datetime | None = None
    activities: tuple[Activity, ...] = ()


@dataclass(frozen=True, slots=True)
class RosterParams:
    """How long and how to search.

    ``time_limit`` is wall-clock seconds (the best roster found is returned when it
    hits); ``workers`` the CP-SAT search workers; ``seed`` the random seed, for
    reproducible runs with ``workers=1``.
    """

    time_limit: float = 60.0
    workers: int = 2
    seed: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.time_limit, bool) or not isinstance(self.time_limit, int | float):
            raise FieldError("time_limit", "must be a number of seconds")
        if not 0 < self.time_limit <= 86_400:
            raise FieldError("time_limit", "must be between 0 and 86400 seconds")
        require_int("workers", self.workers, minimum=1, maximum=MAX_WORKERS)
        require_int("seed", self.seed, minimum=0)


@dataclass(frozen=True, slots=True)
class RosterProgress:
    """Reported each time a better roster is found."""

    objective: float
    elapsed: float
    solutions: int


@dataclass(frozen=True, slots=True)
class Roster:
    """The answer to a :class:`RosterProblem`.

    ``coverage`` is a DataFrame with one row per requirement row (``interval_start``,
    ``queue``, ``required``, ``staffed``, ``short``, ``over``); ``staffed`` is
    capacity in agents, each agent counting its proficiency's share
    (:data:`PROFICIENCY_CAPACITY`: two learners staff one required agent), so it,
    ``short`` and ``over`` may be fractions. ``penalties`` is the objective split
    per soft-constraint family (same units as the weights; coverage penalties may
    be fractions too); ``objective`` their sum. ``info`` holds solver details
    (bound, engine, phases).
    """

    status: RosterStatus
    assignments: tuple[RosterAssignment, ...]
    coverage: pd.DataFrame
    penalties: Mapping[str, float]
    objective: float
    elapsed: float
    info: Mapping[str, Any] = field(default_factory=dict)

    def for_agent(self, agent_id: str) -> list[RosterAssignment]:
        return sorted((a for a in self.assignments if a.agent_id == agent_id),
                      key=lambda a: a.start)

    @property
    def short(self) -> float:
        """Required agent-intervals left unstaffed, in agents of capacity (the coverage
        table's ``short``; an int when whole)."""
        return whole(float(self.coverage["short"].sum())) if len(self.coverage) else 0

    @property
    def verdict(self) -> str:
        """The status in words, honest about coverage (see :func:`roster_verdict`)."""
        return roster_verdict(self.status, self.short)

    def summary(self) -> str:
        """A short human-readable account (CLI and logs)."""
        cov = self.coverage
        required = int(cov["required"].sum()) if len(cov) else 0
        short = self.short
        over = float(cov["over"].sum()) if len(cov) else 0
        lines = [
            f"roster {self.verdict}: {len(self.assignments)} shifts, "
            f"objective {agents_text(self.objective)} in {self.elapsed:.1f} s",
            f"coverage: {agents_text(required - short)}/{required} required agent-intervals "
            f"staffed ({agents_text(short)} short, {agents_text(over)} over)",
        ]
        for family, value in sorted(self.penalties.items()):
            lines.append(f"  {family}: {agents_text(value)}")
        return "\n".join(lines)

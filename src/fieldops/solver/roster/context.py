"""Precomputed facts about a roster problem that the CP-SAT model is built from.

Nothing here imports OR-Tools: it turns the domain objects into integer indices
(days, templates, intervals, skill groups) once, so the constraint modules stay
short. Time is counted in real (UTC) instants so DST days come out right.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from fieldops.domain.roster import (
    PROFICIENCY_CAPACITY,
    Agent,
    Contract,
    RosterProblem,
    ShiftTemplate,
)

#: A skill group: the (queue, proficiency) pairs an agent may serve during a template.
#: Unless proficiency is priced, the level is the lowest of its capacity class
#: (:meth:`RosterContext.level`), so agents of equal capacity share a group.
Group = tuple[tuple[str, int], ...]
#: Longest stretch of a shift during which a multi-skilled agent stays on one queue:
#: outside the break window a shift is cut into blocks of at most this length, and
#: each block's agents are split over their queues anew (see constraints/coverage.py).
QUEUE_BLOCK = timedelta(hours=2)


@dataclass(frozen=True, slots=True)
class BreakOption:
    """One break placement: its UTC start and the intervals it removes from work."""

    start: datetime
    first: int
    last: int  # exclusive


@dataclass(frozen=True, slots=True)
class ShiftSlot:
    """Template ``t`` worked on day index ``d``: instants and covered intervals."""

    d: int
    t: int
    template: ShiftTemplate
    start: datetime  # UTC
    end: datetime  # UTC
    first: int  # first interval fully inside the shift
    last: int  # exclusive; may exceed the horizon's interval count
    breaks: tuple[BreakOption, ...]
    paid_minutes: int
    night: bool
    #: ``[lo, hi)`` interval ranges outside every break option, at most
    #: :data:`QUEUE_BLOCK` long: where an agent's queue may change.
    blocks: tuple[tuple[int, int], ...] = ()


def utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC)


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def capacity_unit(problem: RosterProblem) -> int:
    """The smallest number of units per agent that counts every skill's capacity whole."""
    levels = {s.proficiency for a in problem.agents for s in a.skills}
    unit = 1
    for level in levels:
        cap = PROFICIENCY_CAPACITY[level]
        while cap * unit != int(cap * unit):
            unit *= 2
    return unit


@dataclass
class RosterContext:
    """Index tables for one problem (built once per solve)."""

    problem: RosterProblem
    h0: datetime = field(init=False)
    step: int = field(init=False)  # interval length in seconds
    n_intervals: int = field(init=False)
    days: list[date] = field(init=False)
    slots: dict[tuple[int, int], ShiftSlot] = field(init=False)
    week_of_day: list[int] = field(init=False)
    weekend_of_day: list[int | None] = field(init=False)
    week_days: dict[int, list[int]] = field(init=False)
    rows_at: dict[tuple[int, str], list[int]] = field(init=False)
    row_interval: list[int] = field(init=False)
    #: capacity units per agent: coverage counts each agent's capacity on a queue
    #: (``PROFICIENCY_CAPACITY``) in 1/unit of an agent, so the CP-SAT model stays
    #: integer: 4 (quarters) when some agent is at level 2, 2 when the lowest is a
    #: learner, 1 when everyone counts fully (then the model is the head count)
    unit: int = field(init=False)
    #: (min_rest, d, t) → conflicting later slots, shared by every model of the solve
    conflict_cache: dict[tuple[timedelta | None, int, int], list[tuple[int, int]]] = field(
        init=False, default_factory=dict)

    def __post_init__(self) -> None:
        p = self.problem
        start, end = p.horizon
        self.h0 = utc(start)
        self.step = int(p.interval.total_seconds())
        self.n_intervals = int((utc(end) - self.h0).total_seconds()) // self.step
        self.days = p.day_list
        self.slots = {}
        for d, day in enumerate(self.days):
            for t, tpl in enumerate(p.templates):
                if day.weekday() in tpl.days:
                    self.slots[(d, t)] = self._slot(d, t, day, tpl)
        first_weekday = p.start.weekday()
        self.week_of_day = [(first_weekday + d) // 7 for d in range(p.days)]
        self.week_days = defaultdict(list)
        for d, w in enumerate(self.week_of_day):
            self.week_days[w].append(d)
        self.weekend_of_day = [
            self.week_of_day[d] if day.weekday() >= 5 else None for d, day in enumerate(self.days)
        ]
        self.unit = capacity_unit(p)
        self.rows_at = defaultdict(list)
        self.row_interval = []
        for r, req in enumerate(p.requirements):
            i = self.index_of(req.start)
            self.row_interval.append(i)
            self.rows_at[(i, req.queue)].append(r)

    # -- time ---------------------------------------------------------------
    def index_of(self, instant: datetime) -> int:
        """The interval an on-grid instant starts (floor for off-grid ones)."""
        return int((utc(instant) - self.h0).total_seconds()) // self.step

    def instant(self, index: int) -> datetime:
        return self.h0 + timedelta(seconds=index * self.step)

    def _slot(self, d: int, t: int, day: date, tpl: ShiftTemplate) -> ShiftSlot:
        start = utc(tpl.starts_on(day, self.problem.tz))
        end = start + tpl.length  # real elapsed time, also across a DST change
        s = int((start - self.h0).total_seconds())
        e = int((end - self.h0).total_seconds())
        first, last = ceil_div(s, self.step), e // self.step
        breaks = self._breaks(start, tpl)
        last = max(first, last)
        return ShiftSlot(d, t, tpl, start, end, first, last, breaks,
                         int(tpl.paid.total_seconds()) // 60, tpl.is_night,
                         self._blocks(first, min(last, self.n_intervals), breaks))

    def _blocks(self, first: int, last: int, breaks: tuple[BreakOption, ...]
                ) -> tuple[tuple[int, int], ...]:
        """Break-free stretches of ``[first, last)`` cut into :data:`QUEUE_BLOCK` blocks."""
        size = max(1, int(QUEUE_BLOCK.total_seconds()) // self.step)
        runs = [(first, last)]
        if breaks:
            lo, hi = min(b.first for b in breaks), max(b.last for b in breaks)
            runs = [(first, min(lo, last)), (max(hi, first), last)]
        return tuple((a, min(a + size, hi)) for lo, hi in runs for a in range(lo, hi, size))

    def _breaks(self, start: datetime, tpl: ShiftTemplate) -> tuple[BreakOption, ...]:
        """Break placements on the interval grid inside the template's window.

        When no grid instant falls inside the window, the earliest start is the
        one option (the break then blocks every interval it touches).
        """
        if not tpl.break_length:
            return ()
        assert tpl.break_earliest is not None and tpl.break_latest is not None
        lo = int((start + tpl.break_earliest - self.h0).total_seconds())
        hi = int((start + tpl.break_latest - self.h0).total_seconds())
        blen = int(tpl.break_length.total_seconds())
        starts = [k * self.step for k in range(ceil_div(lo, self.step), hi // self.step + 1)]
        if not starts:
            starts = [lo]
        return tuple(
            BreakOption(self.h0 + timedelta(seconds=b), b // self.step,
                        ceil_div(b + blen, self.step))
            for b in starts
        )

    # -- agents -------------------------------------------------------------
    def contract(self, agent: Agent) -> Contract:
        return self.problem.contract_by_id[agent.contract]

    def group(self, agent: Agent, tpl: ShiftTemplate) -> Group:
        """The queues ``agent`` may serve while working ``tpl``, with proficiency.

        The full proficiency is part of the key only when it is priced; otherwise
        only its capacity class is (:meth:`level`): agents with the same queues and
        capacities are then interchangeable for coverage, which keeps the number
        of groups (and variables) small.
        """
        priced = self.problem.weights.proficiency > 0
        return tuple(sorted(
            (s.queue, s.proficiency if priced else self.level(s.proficiency))
            for s in agent.skills if tpl.queues is None or s.queue in tpl.queues
        ))

    @staticmethod
    def level(proficiency: int) -> int:
        """The lowest proficiency of the same capacity (3 for 3-5, which count fully)."""
        cap = PROFICIENCY_CAPACITY[proficiency]
        return min(k for k, c in PROFICIENCY_CAPACITY.items() if c == cap)

    def capacity(self, level: int) -> int:
        """Capacity of an agent at ``level`` on a queue, in units (:attr:`unit`)."""
        return int(PROFICIENCY_CAPACITY[level] * self.unit)

    def options(self, a: int) -> list[ShiftSlot]:
        """Slots agent ``a`` may work: template, weekday, days off and time off allow it."""
        agent = self.problem.agents[a]
        caps = self.contract(agent).max_shifts_per_template
        out = []
        for slot in self.slots.values():
            tpl = slot.template
            if agent.templates is not None and tpl.id not in agent.templates:
                continue
            if caps.get(tpl.id, 1) == 0:
                continue
            if self.days[slot.d] in agent.days_off:
                continue
            if any(utc(u.start) < slot.end and slot.start < utc(u.end)
                   for u in agent.unavailable):
                continue
            out.append(slot)
        return out

    def conflicts(self, slot: ShiftSlot, min_rest: timedelta | None) -> list[tuple[int, int]]:
        """Later slots that may not follow ``slot``: overlap, too little rest, or a
        forbidden successor on the next day."""
        rest = min_rest or timedelta(0)
        out = []
        # A later day's slot starts at or after its local midnight (less an hour for
        # a DST change), so past this many days the gap exceeds any rest: looking only
        # that far keeps a year-long horizon's table linear in the days, not quadratic.
        reach = 2 + (slot.end - slot.start + rest + timedelta(hours=1)).days
        for d in range(slot.d + 1, min(self.problem.days, slot.d + reach + 1)):
            for t in range(len(self.problem.templates)):
                other = self.slots.get((d, t))
                if other is None:
                    continue
                if other.start - slot.end < rest or (
                        d == slot.d + 1
                        and other.template.id in slot.template.forbidden_successors):
                    out.append((d, t))
        return out

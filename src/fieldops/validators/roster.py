"""Independent roster validator: re-checks a :class:`Roster` against its problem.

It shares no code with the CP-SAT roster model (no OR-Tools import, nothing from
``fieldops.solver.roster``): every rule is recomputed from the raw problem and the
roster's assignments and activities, including the coverage table and the
penalty of every soft family, which must equal what the roster claims.

Violation codes (``RosterViolation.code``):

====================== =====================================================
code                   meaning
====================== =====================================================
unknown_agent          an assignment names an agent not in the problem
unknown_template       an assignment names a template not in the problem
outside_horizon        a shift's day is outside the horizon
shift_times            start/end differ from the template worked on that day
template_day           the template may not be used on that weekday
agent_template         the agent may not work that template
day_off                a shift starts on one of the agent's days off
unavailable            a shift overlaps one of the agent's unavailable periods
break                  break missing, of the wrong length, outside its window,
                       or off the interval grid although a grid instant fits
activities             activities do not tile the shift (gap, overlap, kind)
queue                  a work stretch serves a queue the agent cannot serve or
                       the template does not allow
one_shift_per_day      two shifts start on the same local day
overlap                two shifts of the agent overlap
min_rest               less than the contract's minimum rest between shifts
forbidden_successor    a template followed next day by a forbidden successor
max_work_week          paid time in a calendar week above the maximum
min_work_week          paid time in a calendar week below the (pro-rata) minimum
max_work_total         paid time over the horizon above the maximum
min_work_total         paid time over the horizon below the minimum
max_shifts             more shifts than the contract allows
max_shifts_template    a template worked more often than the contract allows
max_nights             more night shifts than the contract allows
max_weekends           more worked weekends than the contract allows
max_consecutive_days   a run of worked days longer than allowed
min_consecutive_days   an inner run of worked days shorter than required
min_consecutive_days_off  an inner run of days off shorter than required
coverage_mismatch      the roster's coverage table differs from the recomputed one
penalty_mismatch       a family's claimed penalty differs from the recomputed one
objective_mismatch     the objective is not the sum of the recomputed penalties
====================== =====================================================
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from fieldops.domain.roster import (
    Agent,
    Roster,
    RosterAssignment,
    RosterProblem,
    ShiftTemplate,
)

FAMILIES = ("coverage_under", "coverage_over", "preferences", "fairness_weekends",
            "fairness_nights", "fairness_hours", "proficiency")


@dataclass(frozen=True, slots=True)
class RosterViolation:
    """One broken rule: a machine-readable ``code`` and a human message."""

    code: str
    message: str
    agent_id: str | None = None
    day: date | None = None


def _u(dt: datetime) -> datetime:
    return dt.astimezone(UTC)


def _minutes(td: timedelta) -> int:
    return int(td.total_seconds()) // 60


def _close(a: float, b: float) -> bool:
    """Equal up to float rounding (capacities are quarters: exact in binary, but the
    claimed and recomputed sums may add them in another order)."""
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


class _Checker:
    def __init__(self, problem: RosterProblem, roster: Roster) -> None:
        self.p = problem
        self.r = roster
        self.out: list[RosterViolation] = []
        start, end = problem.horizon
        self.h0 = _u(start)
        self.step = problem.interval
        self.n = (_u(end) - self.h0) // self.step
        self.templates = problem.template_by_id
        self.agents = problem.agent_by_id
        self.contracts = problem.contract_by_id

    def add(self, code: str, message: str, agent: str | None = None,
            day: date | None = None) -> None:
        self.out.append(RosterViolation(code, message, agent, day))

    # -- one shift ----------------------------------------------------------
    def shift(self, s: RosterAssignment, agent: Agent, tpl: ShiftTemplate) -> None:
        p, aid, day = self.p, s.agent_id, s.day
        if not p.start <= day <= p.end_day:
            self.add("outside_horizon", f"{day} is outside the horizon", aid, day)
        start = _u(datetime.combine(day, tpl.start, tzinfo=p.tz))
        end = start + tpl.length
        if _u(s.start) != start or _u(s.end) != end:
            self.add("shift_times", f"{tpl.id} on {day} runs {start}–{end} UTC, "
                     f"not {s.start}–{s.end}", aid, day)
        if day.weekday() not in tpl.days:
            self.add("template_day", f"{tpl.id} is not used on weekday {day.weekday()}",
                     aid, day)
        if agent.templates is not None and tpl.id not in agent.templates:
            self.add("agent_template", f"{aid} may not work {tpl.id}", aid, day)
        if day in agent.days_off:
            self.add("day_off", f"{day} is a day off of {aid}", aid, day)
        for u in agent.unavailable:
            if _u(u.start) < end and start < _u(u.end):
                self.add("unavailable", f"overlaps {u.reason} {u.start}–{u.end}", aid, day)
        self.break_(s, tpl, start)
        self.activities(s, agent, tpl, start, end)

    def break_(self, s: RosterAssignment, tpl: ShiftTemplate, start: datetime) -> None:
        aid, day = s.agent_id, s.day
        if not tpl.break_length:
            if s.break_start is not None or s.break_end is not None:
                self.add("break", f"{tpl.id} has no break", aid, day)
            return
        if s.break_start is None or s.break_end is None:
            self.add("break", "break not placed", aid, day)
            return
        assert tpl.break_earliest is not None and tpl.break_latest is not None
        bs, be = _u(s.break_start), _u(s.break_end)
        if be - bs != tpl.break_length:
            self.add("break", f"break lasts {be - bs}, not {tpl.break_length}", aid, day)
        lo, hi = start + tpl.break_earliest, start + tpl.break_latest
        if not lo <= bs <= hi:
            self.add("break", f"break starts at {bs}, outside {lo}–{hi}", aid, day)
        first_grid = self.h0 + -(-(lo - self.h0) // self.step) * self.step
        if first_grid <= hi and (bs - self.h0) % self.step:
            self.add("break", f"break at {bs} is off the {self.step} grid", aid, day)

    def activities(self, s: RosterAssignment, agent: Agent, tpl: ShiftTemplate,
                   start: datetime, end: datetime) -> None:
        aid, day = s.agent_id, s.day
        acts = sorted(s.activities, key=lambda a: _u(a.start))
        cursor = start
        breaks = 0
        allowed = {q for q in agent.queues if tpl.queues is None or q in tpl.queues}
        for act in acts:
            a0, a1 = _u(act.start), _u(act.end)
            if a0 != cursor or a1 <= a0:
                self.add("activities", f"activity {a0}–{a1} does not follow {cursor}",
                         aid, day)
            cursor = a1
            if act.kind == "break":
                breaks += 1
                if s.break_start is None or (a0, a1) != (_u(s.break_start),
                                                        _u(s.break_end or s.break_start)):
                    self.add("activities", "break activity differs from the break", aid, day)
            elif act.kind == "work":
                if act.queue is None and allowed:
                    self.add("queue", "work stretch without a queue", aid, day)
                elif act.queue is not None and act.queue not in allowed:
                    self.add("queue", f"{aid} may not serve {act.queue} on {tpl.id}",
                             aid, day)
            else:
                self.add("activities", f"unknown activity kind {act.kind!r}", aid, day)
        if cursor != end:
            self.add("activities", f"activities end at {cursor}, shift at {end}", aid, day)
        if breaks != (1 if tpl.break_length and s.break_start is not None else 0):
            self.add("activities", f"{breaks} break activities", aid, day)

    # -- one agent's sequence ----------------------------------------------
    def agent_rules(self, agent: Agent, shifts: list[RosterAssignment]) -> None:
        p, aid = self.p, agent.id
        c = self.contracts[agent.contract]
        shifts = sorted(shifts, key=lambda s: _u(s.start))
        per_day: dict[date, int] = defaultdict(int)
        for s in shifts:
            per_day[s.day] += 1
        for day, k in sorted(per_day.items()):
            if k > 1:
                self.add("one_shift_per_day", f"{k} shifts on {day}", aid, day)
        spans = [(_u(s.start), _u(s.start) + self.templates[s.template_id].length, s)
                 for s in shifts]
        for k, (_s0, e0, a) in enumerate(spans):
            for s1, _e1, b in spans[k + 1:]:
                if s1 >= e0:
                    if s1 - e0 < (c.min_rest or timedelta(0)) and b is spans[k + 1][2]:
                        self.add("min_rest", f"{s1 - e0} rest before {b.template_id} "
                                 f"on {b.day}", aid, b.day)
                    break
                self.add("overlap", f"{a.template_id} on {a.day} overlaps "
                         f"{b.template_id} on {b.day}", aid, b.day)
        by_day = {s.day: s for s in shifts}
        for s in shifts:
            nxt = by_day.get(s.day + timedelta(days=1))
            if nxt is not None and nxt.template_id in \
                    self.templates[s.template_id].forbidden_successors:
                self.add("forbidden_successor", f"{nxt.template_id} may not follow "
                         f"{s.template_id}", aid, nxt.day)
        paid = {s.day: _minutes(self.templates[s.template_id].paid) for s in shifts}
        weeks: dict[date, list[date]] = defaultdict(list)
        for day in p.day_list:
            weeks[day - timedelta(days=day.weekday())].append(day)
        for monday, days in sorted(weeks.items()):
            worked = sum(paid.get(d, 0) for d in days)
            if c.max_work_per_week is not None and worked > _minutes(c.max_work_per_week):
                self.add("max_work_week", f"{worked} min in the week of {monday}", aid, monday)
            if c.min_work_per_week is not None:
                need = _minutes(c.min_work_per_week) * len(days) // 7
                if worked < need:
                    self.add("min_work_week", f"{worked} < {need} min in the week of "
                             f"{monday}", aid, monday)
        total = sum(paid.get(d, 0) for d in p.day_list)
        if c.max_work_total is not None and total > _minutes(c.max_work_total):
            self.add("max_work_total", f"{total} min worked", aid)
        if c.min_work_total is not None and total < _minutes(c.min_work_total):
            self.add("min_work_total", f"{total} min worked", aid)
        if c.max_shifts is not None and len(shifts) > c.max_shifts:
            self.add("max_shifts", f"{len(shifts)} shifts", aid)
        for tpl_id, cap in c.max_shifts_per_template.items():
            k = sum(1 for s in shifts if s.template_id == tpl_id)
            if k > cap:
                self.add("max_shifts_template", f"{k} × {tpl_id} (max {cap})", aid)
        nights = sum(1 for s in shifts if self.templates[s.template_id].is_night)
        if c.max_nights is not None and nights > c.max_nights:
            self.add("max_nights", f"{nights} nights", aid)
        weekends = self.weekends(shifts)
        if c.max_weekends is not None and weekends > c.max_weekends:
            self.add("max_weekends", f"{weekends} weekends", aid)
        self.runs(agent, c.max_consecutive_days, c.min_consecutive_days,
                  c.min_consecutive_days_off, {s.day for s in shifts})

    def weekends(self, shifts: list[RosterAssignment]) -> int:
        return len({s.day - timedelta(days=s.day.weekday()) for s in shifts
                    if s.day.weekday() >= 5})

    def runs(self, agent: Agent, max_on: int | None, min_on: int | None,
             min_off: int | None, worked: set[date]) -> None:
        days = self.p.day_list
        k = 0
        while k < len(days):
            on = days[k] in worked
            j = k
            while j < len(days) and (days[j] in worked) == on:
                j += 1
            length, inner = j - k, k > 0 and j < len(days)
            if on and max_on is not None and length > max_on:
                self.add("max_consecutive_days", f"{length} days in a row from {days[k]}",
                         agent.id, days[k])
            if on and inner and min_on is not None and length < min_on:
                self.add("min_consecutive_days", f"only {length} days in a row from "
                         f"{days[k]}", agent.id, days[k])
            if not on and inner and min_off is not None and length < min_off:
                self.add("min_consecutive_days_off", f"only {length} days off from "
                         f"{days[k]}", agent.id, days[k])
            k = j

    # -- coverage and penalties ----------------------------------------------
    def coverage(self) -> dict[tuple[int, str], list[str]]:
        """Agents counted per (interval, queue): work stretches covering it fully.

        Each agent counts its capacity on the queue (:meth:`Agent.capacity`) in
        :meth:`penalties`.
        """
        counted: dict[tuple[int, str], list[str]] = defaultdict(list)
        for s in self.r.assignments:
            for act in s.activities:
                if act.kind != "work" or act.queue is None:
                    continue
                a0, a1 = _u(act.start) - self.h0, _u(act.end) - self.h0
                first = -(-a0 // self.step)
                last = a1 // self.step
                for i in range(max(0, first), min(last, self.n)):
                    counted[(i, act.queue)].append(s.agent_id)
        return counted

    def penalties(self, counted: dict[tuple[int, str], list[str]]) -> dict[str, float]:
        p, w = self.p, self.p.weights
        pen: dict[str, float] = dict.fromkeys(FAMILIES, 0)
        rows = []
        for req in p.requirements:
            i = (_u(req.start) - self.h0) // self.step
            # capacity, not heads: a learner (proficiency 1) answers half the calls
            staffed = sum(self.agents[a].capacity(req.queue)
                          for a in counted.get((i, req.queue), []))
            short, over = max(0, req.required - staffed), max(0, staffed - req.required)
            rows.append((_u(req.start), req.queue, req.required, staffed, short, over))
            under, over_price = req.prices(w)
            pen["coverage_under"] += under * short
            pen["coverage_over"] += over_price * over
        self.compare_coverage(rows)
        shifts: dict[str, list[RosterAssignment]] = defaultdict(list)
        for s in self.r.assignments:
            shifts[s.agent_id].append(s)
        for agent in p.agents:
            for pref in agent.preferences:
                on_day = [s for s in shifts[agent.id] if s.day == pref.day]
                hit = any(pref.template is None or s.template_id == pref.template
                          for s in on_day)
                if hit != pref.wanted:
                    pen["preferences"] += pref.weight * w.preference
        by_contract: dict[str, list[Agent]] = defaultdict(list)
        for agent in p.agents:
            by_contract[agent.contract].append(agent)
        for agents in by_contract.values():
            if len(agents) < 2:
                continue
            we = [self.weekends(shifts[a.id]) for a in agents]
            ni = [sum(1 for s in shifts[a.id] if self.templates[s.template_id].is_night)
                  for a in agents]
            mi = [sum(_minutes(self.templates[s.template_id].paid) for s in shifts[a.id])
                  for a in agents]
            pen["fairness_weekends"] += w.fairness_weekends * (max(we) - min(we))
            pen["fairness_nights"] += w.fairness_nights * (max(ni) - min(ni))
            pen["fairness_hours"] += w.fairness_hours * ((max(mi) - min(mi)) // 60)
        if w.proficiency:
            # Priced per shift and queue served, however many requirement rows it covers.
            for s in self.r.assignments:
                for queue in {a.queue for a in s.activities if a.kind == "work" and a.queue}:
                    pen["proficiency"] += w.proficiency * (
                        5 - self.agents[s.agent_id].proficiency(queue))
        return pen

    def compare_coverage(self, rows: list[tuple[datetime, str, int, float, float, float]]
                         ) -> None:
        cov = self.r.coverage
        cols = ["interval_start", "queue", "required", "staffed", "short", "over"]
        if list(cov.columns) != cols or len(cov) != len(rows):
            self.add("coverage_mismatch", f"coverage has {len(cov)} rows and columns "
                     f"{list(cov.columns)}; expected {len(rows)} rows of {cols}")
            return
        for k, (claimed, expected) in enumerate(zip(
                cov.itertuples(index=False, name=None), rows, strict=True)):
            got = (_u(claimed[0]), *claimed[1:2], *(float(v) for v in claimed[2:]))
            if len(got) != len(expected) or got[:2] != expected[:2] or any(
                    not _close(a, b) for a, b in zip(got[2:], expected[2:], strict=True)):
                self.add("coverage_mismatch", f"row {k}: roster says {got}, "
                         f"recomputed {expected}")


def validate_roster(problem: RosterProblem, roster: Roster) -> list[RosterViolation]:
    """Every hard-rule violation and every mismatch between claims and facts."""
    ch = _Checker(problem, roster)
    per_agent: dict[str, list[RosterAssignment]] = defaultdict(list)
    known = []
    for s in roster.assignments:
        agent = ch.agents.get(s.agent_id)
        tpl = ch.templates.get(s.template_id)
        if agent is None:
            ch.add("unknown_agent", f"unknown agent {s.agent_id!r}", s.agent_id, s.day)
        if tpl is None:
            ch.add("unknown_template", f"unknown template {s.template_id!r}", s.agent_id,
                   s.day)
        if agent is None or tpl is None:
            continue
        known.append(s)
        ch.shift(s, agent, tpl)
        per_agent[s.agent_id].append(s)
    for agent in problem.agents:
        ch.agent_rules(agent, per_agent.get(agent.id, []))
    if len(known) == len(roster.assignments):
        pen = ch.penalties(ch.coverage())
        for family in FAMILIES:
            claimed = float(roster.penalties.get(family, 0))
            if not _close(claimed, pen[family]):
                ch.add("penalty_mismatch", f"{family}: roster says {claimed}, "
                       f"recomputed {pen[family]}")
        if not _close(float(roster.objective), sum(pen.values())):
            ch.add("objective_mismatch", f"objective {roster.objective}, recomputed "
                   f"{sum(pen.values())}")
    return ch.out


def assert_roster_valid(problem: RosterProblem, roster: Roster) -> None:
    """Raise ``AssertionError`` listing every violation (tests and benchmarks)."""
    violations = validate_roster(problem, roster)
    if violations:
        lines = [f"{v.code}: {v.message}" + (f" [{v.agent_id}]" if v.agent_id else "")
                 for v in violations[:50]]
        more = f"\n… and {len(violations) - 50} more" if len(violations) > 50 else ""
        raise AssertionError(f"{len(violations)} roster violations:\n" + "\n".join(lines)
                             + more)

"""A deterministic, realistic contact center to roster (issue 7).

:func:`realistic_center` builds a :class:`~fieldops.domain.roster.RosterProblem`
from a seed: named agents, eight queues in two languages, 24/7 opening on the
busiest queues, Europe/Berlin wall clock (the default start, Monday 2026-03-16,
puts the spring daylight-saving change on Sunday 29 March inside the four
weeks), 15-minute intervals. Nothing is stored; the same seed gives the same
problem on every machine.

How it is built
---------------
* **Demand.** A synthetic forecast per queue: contacts per interval with a daily
  shape (a morning and an afternoon peak, a trickle at night on the 24/7
  queues), a weekly one (Monday busiest, weekends quiet; back office closed at
  weekends) and ±10 % day-to-day noise, in local time (so the DST day has 92
  quarter hours). :func:`fieldops.solver.staffing.staff` turns it into required
  agents per interval and queue (80 % in 20 s, occupancy ≤ 85 %, chat 2
  sessions per agent, email and back office within 4 h, no shrinkage: the
  roster places breaks itself). Each queue gets a
  :class:`~fieldops.domain.roster.CoverageRequirement` for every interval it is
  open or needs someone; VIP rows are short-priced three times higher.
* **Scale.** The volume is scaled so that the agents' contracted maximum paid
  hours, less their days off, are ``capacity_ratio`` (default 1.0) times the
  required agent-hours. Contract rules (rest, weekends, consecutive days) and
  the demand's shape keep real coverage below that, so a good roster covers
  roughly 85–100 % of the need and must trade shortfall between queues.
* **Agents.** 60 % full-time (40 h a week), the rest part-time (30 h or 20 h);
  a quarter of the full-timers may work nights. Languages: bilingual, English
  only or German only; one or two channels each; some senior English voice
  agents serve the VIP line; proficiency 2–5. Every queue is guaranteed
  agents. About a fifth have a block of leave, some a short appointment, some
  shift or day-off wishes.
* **Contracts.** 11 h minimum rest, at most 6 days in a row, days off in runs of
  at least 2, at most half the weekends, at most two nights per week for night
  workers; full-time at most 40 h a week and at least 80 % of that over the
  horizon, part-time the same at 30 h or 20 h (at least 75 %). Leave is
  credited: an agent with ``n`` days of leave works under ``<contract>-leave<n>``,
  whose minimum is cut pro rata (without it the minimum could be impossible).
* **Shift templates.** Twelve: early/day/mid/late/night 8 h and 9 h shifts with
  an unpaid 30 or 45 min break in a window, 6 h shifts with a 30 min break,
  and 4 h peak shifts without one. Full-timers work the 8–9 h ones,
  part-timers the 4–8 h ones; only night workers get the night shift.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from fieldops.domain.errors import FieldError
from fieldops.domain.roster import (
    Agent,
    Contract,
    CoverageRequirement,
    QueueSkill,
    RosterProblem,
    RosterWeights,
    ShiftPreference,
    ShiftTemplate,
    Unavailability,
)
from fieldops.domain.workforce import Channel, QueueSpec, StaffingTarget

TIMEZONE = "Europe/Berlin"
DEFAULT_START = date(2026, 3, 16)  # a Monday; DST starts Sunday 2026-03-29
INTERVAL = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class _Queue:
    id: str
    language: str
    channel: Channel
    share: float  # relative contacts per average weekday
    aht: float  # seconds
    open_hour: float  # local opening hours; 0–24 is round the clock
    close_hour: float
    weekend: float  # Saturday/Sunday level relative to a weekday
    under_weight: int | None = None


QUEUES: tuple[_Queue, ...] = (
    _Queue("voice/en", "en", Channel.VOICE, 1.00, 300.0, 0.0, 24.0, 0.45),
    _Queue("voice/de", "de", Channel.VOICE, 0.70, 330.0, 7.0, 22.0, 0.35),
    _Queue("voice/en-vip", "en", Channel.VOICE, 0.10, 420.0, 7.0, 23.0, 0.40, under_weight=300),
    _Queue("chat/en", "en", Channel.CHAT, 0.55, 600.0, 0.0, 24.0, 0.55),
    _Queue("chat/de", "de", Channel.CHAT, 0.35, 600.0, 8.0, 22.0, 0.45),
    _Queue("email/en", "en", Channel.EMAIL, 0.40, 480.0, 7.0, 21.0, 0.40),
    _Queue("email/de", "de", Channel.EMAIL, 0.30, 480.0, 7.0, 21.0, 0.40),
    _Queue("backoffice/en", "en", Channel.BACKOFFICE, 0.12, 900.0, 8.0, 18.0, 0.0),
)
QUEUE_IDS: tuple[str, ...] = tuple(q.id for q in QUEUES)
_WEEKDAY = np.array([1.15, 1.05, 1.0, 0.98, 0.92])  # Monday–Friday
_NIGHT_LEVEL = 0.08  # 24/7 queues at night, relative to the daytime shape's floor


def _template(tid: str, name: str, start: time, hours: float, brk: int = 0,
              earliest: float = 0.0, latest: float = 0.0) -> ShiftTemplate:
    """A template of ``hours`` paid hours plus an unpaid ``brk``-minute break."""
    length = timedelta(hours=hours, minutes=brk)
    if not brk:
        return ShiftTemplate(tid, start, length, name=name)
    return ShiftTemplate(tid, start, length, break_length=timedelta(minutes=brk),
                         break_earliest=timedelta(hours=earliest),
                         break_latest=timedelta(hours=latest), name=name)


TEMPLATES: tuple[ShiftTemplate, ...] = (
    _template("E8", "early 8 h", time(6), 8, 30, 3, 5),
    _template("D8", "day 8 h", time(8), 8, 30, 3, 5),
    _template("D9", "day 9 h", time(9), 9, 45, 3.5, 5.5),
    _template("M8", "mid 8 h", time(11), 8, 30, 3, 5),
    _template("L8", "late 8 h", time(14), 8, 30, 3, 5),
    _template("L9", "late 9 h", time(13), 9, 45, 3.5, 5.5),
    _template("N8", "night 8 h", time(22), 8, 30, 3, 5),
    _template("E6", "early 6 h", time(7), 6, 30, 2.5, 4),
    _template("D6", "day 6 h", time(10), 6, 30, 2.5, 4),
    _template("V6", "evening 6 h", time(16), 6, 30, 2.5, 4),
    _template("P4", "peak 4 h", time(10), 4),
    _template("P4E", "evening peak 4 h", time(18), 4),
)
_FULL_TIME_TEMPLATES = frozenset({"E8", "D8", "D9", "M8", "L8", "L9"})
_PART_TIME_TEMPLATES = frozenset({"E8", "D8", "M8", "L8", "E6", "D6", "V6", "P4", "P4E"})
_NIGHT = "N8"

_FIRST = ("Anna", "Ben", "Clara", "David", "Elif", "Felix", "Greta", "Hannah", "Ivan", "Jonas",
          "Katrin", "Lukas", "Mara", "Niklas", "Olivia", "Paul", "Quentin", "Rosa", "Sven",
          "Tara", "Uwe", "Vera", "Willem", "Yasmin", "Zoe", "Emma", "Leon", "Mia", "Noah",
          "Sofia", "James", "Aisha", "Marco", "Lea", "Tom", "Nina", "Omar", "Ines", "Karl",
          "Sara")
_LAST = ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
         "Hoffmann", "Schulz", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Schwarz",
         "Smith", "Brown", "Taylor", "Wilson", "Evans", "Yilmaz", "Kowalski", "Rossi",
         "Novak", "García", "Jensen", "Dubois", "Costa", "O'Brien")


def _contracts(weeks: int) -> tuple[Contract, ...]:
    def contract(hours: int, least: float, nights: int) -> Contract:
        return Contract(
            f"{'full' if hours == 40 else 'part'}-time-{hours}",
            max_work_per_week=timedelta(hours=hours),
            min_work_total=timedelta(hours=least * hours * weeks),
            min_rest=timedelta(hours=11), max_consecutive_days=6,
            min_consecutive_days_off=2, max_weekends=max(1, weeks // 2), max_nights=nights)

    return (contract(40, 0.8, 2 * weeks), contract(30, 0.75, 0), contract(20, 0.75, 0))


def _volumes(rng: np.random.Generator, queues: tuple[_Queue, ...], start: date, days: int,
             tz: ZoneInfo) -> pd.DataFrame:
    """Relative contacts per local interval and queue (scaled later), UTC instants."""
    first = pd.Timestamp(start).tz_localize(tz)
    last = pd.Timestamp(start + timedelta(days=days)).tz_localize(tz)
    ts = pd.date_range(first, last, freq="15min", inclusive="left")
    hours = (ts.hour + ts.minute / 60.0).to_numpy(dtype=float)
    dow = ts.dayofweek.to_numpy()
    day_index = np.array([(d - start).days for d in ts.date])
    base = (np.exp(-0.5 * ((hours - 10.5) / 1.7) ** 2)
            + 0.8 * np.exp(-0.5 * ((hours - 15.0) / 2.2) ** 2) + 0.2)
    frames = []
    for q in queues:
        if q.open_hour == 0 and q.close_hour == 24:
            # Round the clock: the daytime shape, falling to a night trickle.
            evening = np.clip((hours - 6.0) / 2.0, 0, 1) * np.clip((23.5 - hours) / 2.5, 0, 1)
            shape = base * (_NIGHT_LEVEL + (1 - _NIGHT_LEVEL) * evening)
        else:
            shape = np.where((hours >= q.open_hour) & (hours < q.close_hour), base, 0.0)
        weekly = np.where(dow < 5, _WEEKDAY[np.minimum(dow, 4)], q.weekend)
        noise = rng.gamma(100.0, 1 / 100.0, size=days)[day_index]  # day-to-day ±10 %
        level = q.share * shape * weekly * noise
        frames.append(pd.DataFrame({
            "interval_start": ts.tz_convert("UTC"),
            "queue": q.id,
            "offered": level,
            "aht_seconds": q.aht * (1.0 + 0.06 * np.sin(2 * np.pi * (hours - 9) / 24.0)),
        }))
    return pd.concat(frames, ignore_index=True)


def _staffing(queues: tuple[_Queue, ...], volumes: pd.DataFrame, scale: float) -> pd.DataFrame:
    from fieldops.solver.forecast import volumes_from_frame
    from fieldops.solver.staffing import staff

    frame = volumes.assign(offered=volumes["offered"] * scale)
    specs = {q.id: QueueSpec(q.id, q.channel, concurrency=2 if q.channel == Channel.CHAT else 1,
                             response_deadline=timedelta(hours=4)
                             if q.channel in (Channel.EMAIL, Channel.BACKOFFICE) else None)
             for q in queues}
    target = StaffingTarget(service_level=0.8, answer_time=timedelta(seconds=20),
                            max_occupancy=0.85)
    plan = staff(volumes_from_frame(frame, INTERVAL, path="forecast"), target, specs)
    return plan.frame[["interval_start", "queue", "agents"]]


def _agents(rng: np.random.Generator, pool: tuple[_Queue, ...], n: int, days: list[date],
            tz: ZoneInfo, weeks: int) -> tuple[Agent, ...]:
    by_lang = {lang: [q for q in pool if q.language == lang and not q.id.endswith("-vip")]
               for lang in ("en", "de")}
    ids = [q.id for q in pool]
    agents = []
    used_names: set[str] = set()
    n_full = round(0.6 * n)
    for i in range(n):
        name = f"{_FIRST[int(rng.integers(len(_FIRST)))]} {_LAST[int(rng.integers(len(_LAST)))]}"
        while name in used_names:  # keep names unique, deterministically
            name = f"{name.split(' (')[0]} ({len(used_names)})"
        used_names.add(name)
        full = i < n_full
        contract = "full-time-40" if full else ("part-time-30" if i % 2 else "part-time-20")
        langs = str(rng.choice(["en+de", "en", "de"], p=[0.45, 0.35, 0.20])).split("+")
        channels = {str(rng.choice(["voice", "chat", "email", "backoffice"],
                                   p=[0.5, 0.25, 0.15, 0.10]))}
        if rng.random() < 0.5:
            channels.add(str(rng.choice(["voice", "chat", "email"])))
        queues = {q.id for lang in langs for q in by_lang[lang] if q.channel.value in channels}
        guaranteed = pool[i % len(pool)]  # every queue has agents, even in a small center
        queues.add(guaranteed.id)
        if guaranteed.id == "voice/en-vip" and "voice/en" in ids:
            queues.add("voice/en")
        if "voice/en" in queues and "voice/en-vip" in ids and rng.random() < 0.2:
            queues.add("voice/en-vip")
        skills = tuple(QueueSkill(q, int(rng.integers(2, 6))) for q in ids if q in queues)
        templates = set(_FULL_TIME_TEMPLATES if full else _PART_TIME_TEMPLATES)
        if full and rng.random() < 0.25 and queues & {"voice/en", "chat/en"}:
            templates.add(_NIGHT)
        days_off: frozenset[date] = frozenset()
        unavailable: tuple[Unavailability, ...] = ()
        prefs: list[ShiftPreference] = []
        if rng.random() < 0.2:  # a block of leave
            length = int(rng.integers(1, 6))
            first = int(rng.integers(0, len(days) - length + 1))
            days_off = frozenset(days[first:first + length])
        if rng.random() < 0.1:  # a doctor's appointment
            day = days[int(rng.integers(len(days)))]
            begin = datetime.combine(day, time(int(rng.integers(9, 16))), tzinfo=tz)
            unavailable = (Unavailability(begin, begin + timedelta(hours=2), "appointment"),)
        if rng.random() < 0.3:
            for _ in range(int(rng.integers(1, 2 + weeks))):
                day = days[int(rng.integers(len(days)))]
                if day in days_off:
                    continue
                if rng.random() < 0.6:
                    prefs.append(ShiftPreference(day, None, wanted=False,
                                                 weight=int(rng.integers(2, 6))))
                else:
                    wish = str(rng.choice(sorted(templates - {_NIGHT})))
                    prefs.append(ShiftPreference(day, wish, wanted=True,
                                                 weight=int(rng.integers(1, 4))))
        agents.append(Agent(
            id=f"a{i + 1:03d}", contract=contract, skills=skills, name=name,
            days_off=days_off, unavailable=unavailable, preferences=tuple(prefs),
            templates=frozenset(templates),
            email=f"a{i + 1:03d}@example.com",
        ))
    return tuple(agents)


def _credit_leave(agents: tuple[Agent, ...], contracts: tuple[Contract, ...],
                  days: int) -> tuple[tuple[Agent, ...], tuple[Contract, ...]]:
    """Give agents on leave a contract whose minimum hours are cut pro rata.

    Leave is paid time the contract's minimum must not demand again: a full-timer
    away 5 of 7 days cannot work 32 h that week. One contract per (contract, leave
    days), id ``<contract>-leave<n>``, is what a real center's leave credit does.
    """
    by_id = {c.id: c for c in contracts}
    extra: dict[str, Contract] = {}
    out = []
    for a in agents:
        n = len(a.days_off)
        if not n:
            out.append(a)
            continue
        base = by_id[a.contract]
        cid = f"{base.id}-leave{n}"
        if cid not in extra:
            least = base.min_work_total or timedelta(0)
            quarter = timedelta(minutes=15)
            extra[cid] = replace(base, id=cid,
                                 min_work_total=(least * (days - n) / days) // quarter * quarter)
        out.append(replace(a, contract=cid))
    return tuple(out), contracts + tuple(extra[k] for k in sorted(extra))


def _supply_hours(agents: tuple[Agent, ...], contracts: tuple[Contract, ...],
                  days: int) -> float:
    """Contracted maximum paid hours over the horizon, less days off (pro rata)."""
    weekly = {c.id: (c.max_work_per_week or timedelta(0)).total_seconds() / 3600
              for c in contracts}
    return sum(weekly[a.contract] * days / 7 * (1 - len(a.days_off) / days) for a in agents)


def realistic_center(seed: int = 0, agents: int = 150, weeks: int = 4,
                     start: date = DEFAULT_START, capacity_ratio: float = 1.0,
                     queues: Sequence[str] | None = None) -> RosterProblem:
    """The realistic contact center (module doc) as a :class:`RosterProblem`.

    ``capacity_ratio`` is the agents' contracted maximum paid hours divided by
    the required agent-hours. It is met unless the center is too small for its
    queues: a queue with any contact in an interval needs at least one head
    there, so a few agents on many round-the-clock queues stay short whatever the
    volume. ``queues`` picks a subset of :data:`QUEUE_IDS` (default all eight).
    """
    wanted = QUEUE_IDS if queues is None else tuple(queues)
    for i, name in enumerate(wanted):
        if name not in QUEUE_IDS:
            raise FieldError(f"queues[{i}]", f"unknown queue {name!r}; choose from "
                             + ", ".join(QUEUE_IDS))
    pool = tuple(q for q in QUEUES if q.id in wanted)
    if not pool:
        raise FieldError("queues", "must name at least one queue")
    if isinstance(agents, bool) or not isinstance(agents, int) or agents < len(pool):
        raise FieldError("agents", f"must be an integer of at least {len(pool)}")
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= 6:
        raise FieldError("weeks", "must be an integer from 1 to 6")
    if start.weekday() != 0:
        raise FieldError("start", "must be a Monday")
    if not 0.5 <= capacity_ratio <= 2.0:
        raise FieldError("capacity_ratio", "must be between 0.5 and 2")
    tz = ZoneInfo(TIMEZONE)
    rng = np.random.default_rng(seed)
    n_days = 7 * weeks
    days = [start + timedelta(days=d) for d in range(n_days)]
    people, contracts = _credit_leave(_agents(rng, pool, agents, days, tz, weeks),
                                      _contracts(weeks), n_days)
    volumes = _volumes(rng, pool, start, n_days, tz)

    # Required agents grow less than linearly with volume (Erlang's economy of scale,
    # and at least one head wherever a contact may come), so find the volume scale by
    # the secant method on (scale, required hours), which is increasing.
    target_hours = _supply_hours(people, contracts, n_days) / capacity_ratio
    hours_per_interval = INTERVAL.total_seconds() / 3600

    def hours(scale: float) -> tuple[pd.DataFrame, float]:
        frame = _staffing(pool, volumes, scale)
        return frame, float(frame["agents"].sum()) * hours_per_interval

    s0 = 50.0
    need, h0 = hours(s0)
    s1 = s0 * target_hours / max(h0, 1e-9)
    for _ in range(8):
        need, h1 = hours(s1)
        if abs(h1 - target_hours) <= 0.01 * target_hours or h1 == h0:
            break
        s2 = s1 + (target_hours - h1) * (s1 - s0) / (h1 - h0)
        s0, h0, s1 = s1, h1, (s2 if s2 > 0 else s1 / 2)

    spec = {q.id: q for q in QUEUES}
    local = pd.DatetimeIndex(need["interval_start"]).tz_convert(tz)
    hour = (local.hour + local.minute / 60.0).to_numpy(dtype=float)
    weekend = np.asarray(local.dayofweek >= 5)
    rows = []
    for k, (queue, required) in enumerate(zip(need["queue"], need["agents"], strict=True)):
        q = spec[str(queue)]
        is_open = q.open_hour <= hour[k] < q.close_hour and not (weekend[k] and q.weekend == 0)
        if required > 0 or is_open:
            rows.append(CoverageRequirement(
                start=local[k].to_pydatetime(), queue=q.id, required=int(required),
                under_weight=q.under_weight))
    return RosterProblem(
        start=start,
        days=n_days,
        queues=tuple(q.id for q in pool),
        templates=TEMPLATES,
        contracts=contracts,
        agents=people,
        requirements=tuple(rows),
        timezone=TIMEZONE,
        interval=INTERVAL,
        weights=RosterWeights(),
        name=f"realistic contact center (seed {seed}, {agents} agents, {weeks} weeks)",
    )


SMALL_QUEUES: tuple[str, ...] = ("voice/en", "voice/de", "email/en")


def small_center(seed: int = 0) -> RosterProblem:
    """A one-week, 20-agent, three-queue variant for tests; its week holds the DST change."""
    return realistic_center(seed=seed, agents=20, weeks=1, start=date(2026, 3, 23),
                            queues=SMALL_QUEUES)


def write_center(path: str | Path, seed: int = 0, agents: int = 150,
                 weeks: int = 4) -> RosterProblem:
    """Write :func:`realistic_center` as roster-problem JSON (``fieldops.schemas``)."""
    from fieldops.schemas import roster_problem_to_json

    problem = realistic_center(seed=seed, agents=agents, weeks=weeks)
    Path(path).write_text(json.dumps(roster_problem_to_json(problem), indent=1,
                                     ensure_ascii=False) + "\n", encoding="utf-8")
    return problem


def required_hours(problem: RosterProblem) -> float:
    """Required agent-hours of a problem's coverage rows."""
    return sum(r.required for r in problem.requirements) * problem.interval.total_seconds() / 3600


__all__ = ["DEFAULT_START", "QUEUE_IDS", "SMALL_QUEUES", "TEMPLATES", "TIMEZONE",
           "realistic_center", "required_hours", "small_center", "write_center"]

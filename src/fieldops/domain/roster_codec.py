"""JSON in and out for roster problems, rosters and roster parameters.

Same rules as :mod:`fieldops.domain.codec`: unknown keys are rejected (a typo
never silently drops a rule), every error is a :class:`FieldError` naming the
path (``agents[3].skills[0].proficiency``), instants are ISO 8601 with a UTC
offset, durations ISO 8601 (``PT8H``), local times ``08:00``, dates
``2026-12-07``. The format is documented key by key in docs/workforce.md
("Rostering").

Requirements usually come from the staffing table that ``fieldops staff``
writes; :func:`requirements_from_staffing` turns its ``scheduled`` column (heads
needed including shrinkage) into :class:`CoverageRequirement` rows.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import fields, is_dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fieldops.domain.codec import (
    Json,
    _build,
    _Obj,
    _time_of_day,
    format_duration,
    format_instant,
    parse_duration,
)
from fieldops.domain.errors import FieldError
from fieldops.domain.roster import (
    Activity,
    Agent,
    Contract,
    CoverageRequirement,
    QueueSkill,
    Roster,
    RosterAssignment,
    RosterParams,
    RosterProblem,
    RosterStatus,
    RosterWeights,
    ShiftPreference,
    ShiftTemplate,
    Unavailability,
)

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
COVERAGE_COLUMNS = ("interval_start", "queue", "required", "staffed", "short", "over")

TEMPLATE_FIELDS = {"id", "name", "start", "length", "break_length", "break_earliest",
                   "break_latest", "break_paid", "days", "queues", "forbidden_successors"}
CONTRACT_DURATIONS = ("min_work_per_week", "max_work_per_week", "min_work_total",
                      "max_work_total", "min_rest")
CONTRACT_INTS = ("max_shifts", "max_consecutive_days", "min_consecutive_days",
                 "min_consecutive_days_off", "max_weekends", "max_nights")
CONTRACT_FIELDS = {"id", "max_shifts_per_template", *CONTRACT_DURATIONS, *CONTRACT_INTS}
AGENT_FIELDS = {"id", "name", "contract", "skills", "days_off", "unavailable", "preferences",
                "templates", "email"}
WEIGHT_FIELDS = ("under", "over", "preference", "fairness_weekends", "fairness_nights",
                 "fairness_hours", "proficiency")
HORIZON_FIELDS = {"start", "days", "timezone", "interval"}
PROBLEM_FIELDS = {"name", "horizon", "queues", "templates", "contracts", "agents",
                  "requirements", "weights"}
PARAMS_FIELDS = {"time_limit", "workers", "seed"}


# ---------------------------------------------------------------- scalars
def parse_date(value: object, field: str) -> date:
    """A calendar date ``2026-12-07`` (no time part)."""
    if not isinstance(value, str):
        raise FieldError(field, "must be a date string like '2026-12-07'")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FieldError(field, f"{value!r} is not a date like '2026-12-07'") from None


def _weekday(value: object, field: str) -> int:
    if isinstance(value, str) and value.strip().lower()[:3] in WEEKDAY_NAMES:
        return WEEKDAY_NAMES.index(value.strip().lower()[:3])
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
        return value
    raise FieldError(field, "must be a weekday: 0 (Monday) to 6 (Sunday) or 'mon' … 'sun'")


def _format_time(value: time) -> str:
    return value.isoformat(timespec="seconds" if value.second else "minutes")


def _strings(o: _Obj, key: str) -> list[str]:
    """An array of ids; each entry must be a string (the domain checks non-empty)."""
    out = []
    for path, item in o.items(key):
        if not isinstance(item, str):
            raise FieldError(path, "must be a string")
        out.append(item)
    return out


def _optional_set(o: _Obj, key: str) -> frozenset[str] | None:
    return frozenset(_strings(o, key)) if o.raw(key) is not None else None


# ---------------------------------------------------------------- problem in
def template_from_json(data: object, path: str) -> ShiftTemplate:
    o = _Obj(data, path, TEMPLATE_FIELDS)
    kwargs: dict[str, Any] = {
        "id": o.need("id"),
        "start": _time_of_day(o.need("start"), o.at("start")),
        "length": parse_duration(o.need("length"), o.at("length")),
        "break_length": o.duration("break_length", timedelta(0)),
        "break_earliest": o.duration("break_earliest"),
        "break_latest": o.duration("break_latest"),
        "break_paid": o.raw("break_paid", False),
        "name": o.raw("name", ""),
        "queues": _optional_set(o, "queues"),
        "forbidden_successors": frozenset(_strings(o, "forbidden_successors")),
    }
    if o.raw("days") is not None:
        kwargs["days"] = frozenset(_weekday(v, p) for p, v in o.items("days"))
    return _build(path, ShiftTemplate, **kwargs)


def contract_from_json(data: object, path: str) -> Contract:
    o = _Obj(data, path, CONTRACT_FIELDS)
    kwargs: dict[str, Any] = {"id": o.need("id")}
    for key in CONTRACT_DURATIONS:
        kwargs[key] = o.duration(key)
    for key in CONTRACT_INTS:
        kwargs[key] = o.raw(key)
    caps = o.raw("max_shifts_per_template", {})
    if not isinstance(caps, Mapping):
        raise FieldError(o.at("max_shifts_per_template"),
                         "must be an object {template id: count}")
    kwargs["max_shifts_per_template"] = dict(caps)
    return _build(path, Contract, **kwargs)


def _skill(data: object, path: str) -> QueueSkill:
    o = _Obj(data, path, {"queue", "proficiency"})
    return _build(path, QueueSkill, queue=o.need("queue"), proficiency=o.raw("proficiency", 3))


def _unavailability(data: object, path: str) -> Unavailability:
    o = _Obj(data, path, {"start", "end", "reason"})
    return _build(path, Unavailability, start=o.instant("start"), end=o.instant("end"),
                  reason=o.raw("reason", "time off"))


def _preference(data: object, path: str) -> ShiftPreference:
    o = _Obj(data, path, {"day", "template", "wanted", "weight"})
    return _build(path, ShiftPreference, day=parse_date(o.need("day"), o.at("day")),
                  template=o.raw("template"), wanted=o.raw("wanted", True),
                  weight=o.raw("weight", 1))


def agent_from_json(data: object, path: str) -> Agent:
    o = _Obj(data, path, AGENT_FIELDS)
    return _build(
        path,
        Agent,
        id=o.need("id"),
        contract=o.need("contract"),
        skills=tuple(_skill(item, p) for p, item in o.items("skills")),
        name=o.raw("name", ""),
        days_off=frozenset(parse_date(item, p) for p, item in o.items("days_off")),
        unavailable=tuple(_unavailability(item, p) for p, item in o.items("unavailable")),
        preferences=tuple(_preference(item, p) for p, item in o.items("preferences")),
        templates=_optional_set(o, "templates"),
        email=o.raw("email"),
    )


def requirement_from_json(data: object, path: str) -> CoverageRequirement:
    o = _Obj(data, path, {"start", "queue", "required", "under_weight", "over_weight"})
    return _build(path, CoverageRequirement, start=o.instant("start"), queue=o.need("queue"),
                  required=o.need("required"), under_weight=o.raw("under_weight"),
                  over_weight=o.raw("over_weight"))


def roster_weights_from_json(data: object, path: str = "weights") -> RosterWeights:
    o = _Obj(data, path, set(WEIGHT_FIELDS))
    return _build(path, RosterWeights, **{k: o.raw(k) for k in WEIGHT_FIELDS if o.has(k)})


def roster_problem_from_json(
    data: object, *, requirements: Sequence[CoverageRequirement] | None = None
) -> RosterProblem:
    """Build a :class:`RosterProblem` from parsed JSON; errors name the field.

    ``requirements``, when given, supplies the coverage rows from elsewhere (a
    staffing table, see :func:`requirements_from_staffing`); the JSON must then
    not hold its own ``requirements``.
    """
    o = _Obj(data, "", PROBLEM_FIELDS)
    h = _Obj(o.need("horizon"), "horizon", HORIZON_FIELDS)
    if requirements is not None and o.raw("requirements") is not None:
        raise FieldError("requirements", "given twice: in the JSON and from a staffing table")
    reqs = (tuple(requirements) if requirements is not None
            else tuple(requirement_from_json(item, p) for p, item in o.items("requirements")))
    try:
        return _problem(o, h, reqs)
    except FieldError as exc:
        # The domain names horizon fields bare; the JSON nests them under "horizon".
        if exc.field in HORIZON_FIELDS:
            raise FieldError(f"horizon.{exc.field}", exc.message) from None
        raise


def _problem(o: _Obj, h: _Obj, reqs: tuple[CoverageRequirement, ...]) -> RosterProblem:
    return _build(
        "",
        RosterProblem,
        name=o.raw("name", ""),
        start=parse_date(h.need("start"), h.at("start")),
        days=h.need("days"),
        timezone=h.need("timezone"),
        interval=h.duration("interval", timedelta(minutes=15)),
        queues=tuple(_strings(o, "queues")),
        templates=tuple(template_from_json(item, p) for p, item in o.items("templates")),
        contracts=tuple(contract_from_json(item, p) for p, item in o.items("contracts")),
        agents=tuple(agent_from_json(item, p) for p, item in o.items("agents")),
        requirements=reqs,
        weights=roster_weights_from_json(o.raw("weights"), "weights") if o.has("weights")
        else RosterWeights(),
    )


def roster_params_from_json(data: object, path: str = "params") -> RosterParams:
    """``{"time_limit": seconds, "workers": n, "seed": n}``, each optional."""
    if data is None:
        return RosterParams()
    o = _Obj(data, path, PARAMS_FIELDS)
    return _build(path, RosterParams, **{k: o.raw(k) for k in PARAMS_FIELDS if o.has(k)})


def roster_params_to_json(params: RosterParams) -> Json:
    return {"time_limit": params.time_limit, "workers": params.workers, "seed": params.seed}


# ---------------------------------------------------------------- problem out
def _drop_empty(d: Json) -> Json:
    return {k: v for k, v in d.items() if v is not None and v != [] and v != {} and v != ""}


def _duration_or_none(value: timedelta | None) -> str | None:
    return format_duration(value) if value is not None else None


def template_to_json(t: ShiftTemplate) -> Json:
    has_break = bool(t.break_length)
    return _drop_empty({
        "id": t.id,
        "name": t.name,
        "start": _format_time(t.start),
        "length": format_duration(t.length),
        "break_length": format_duration(t.break_length) if has_break else None,
        "break_earliest": _duration_or_none(t.break_earliest) if has_break else None,
        "break_latest": _duration_or_none(t.break_latest) if has_break else None,
        "break_paid": True if t.break_paid else None,
        "days": [WEEKDAY_NAMES[d] for d in sorted(t.days)],
        "queues": sorted(t.queues) if t.queues is not None else None,
        "forbidden_successors": sorted(t.forbidden_successors),
    })


def contract_to_json(c: Contract) -> Json:
    out: Json = {"id": c.id}
    for key in CONTRACT_DURATIONS:
        out[key] = _duration_or_none(getattr(c, key))
    for key in CONTRACT_INTS:
        out[key] = getattr(c, key)
    out["max_shifts_per_template"] = dict(sorted(c.max_shifts_per_template.items()))
    return _drop_empty(out)


def agent_to_json(a: Agent) -> Json:
    return _drop_empty({
        "id": a.id,
        "name": a.name,
        "contract": a.contract,
        "skills": [{"queue": s.queue, "proficiency": s.proficiency} for s in a.skills],
        "days_off": [d.isoformat() for d in sorted(a.days_off)],
        "unavailable": [{"start": format_instant(u.start), "end": format_instant(u.end),
                         "reason": u.reason} for u in a.unavailable],
        "preferences": [_drop_empty({"day": p.day.isoformat(), "template": p.template,
                                     "wanted": p.wanted, "weight": p.weight})
                        for p in a.preferences],
        "templates": sorted(a.templates) if a.templates is not None else None,
        "email": a.email,
    })


def requirement_to_json(r: CoverageRequirement, tz: Any = None) -> Json:
    start = r.start.astimezone(tz) if tz is not None else r.start
    return _drop_empty({"start": format_instant(start), "queue": r.queue,
                        "required": r.required, "under_weight": r.under_weight,
                        "over_weight": r.over_weight})


def roster_problem_to_json(problem: RosterProblem, *, requirements: bool = True) -> Json:
    """Serialise a problem; ``requirements=False`` leaves them out (an agents.json)."""
    w = problem.weights
    out: Json = {
        "name": problem.name or None,
        "horizon": {"start": problem.start.isoformat(), "days": problem.days,
                    "timezone": problem.timezone,
                    "interval": format_duration(problem.interval)},
        "queues": list(problem.queues),
        "templates": [template_to_json(t) for t in problem.templates],
        "contracts": [contract_to_json(c) for c in problem.contracts],
        "agents": [agent_to_json(a) for a in problem.agents],
        "weights": {k: getattr(w, k) for k in WEIGHT_FIELDS},
    }
    if requirements:
        tz = problem.tz
        out["requirements"] = [requirement_to_json(r, tz) for r in problem.requirements]
    return {k: v for k, v in out.items() if v is not None}


# ---------------------------------------------------------------- roster out / in
def _jsonable(value: Any) -> Any:
    """Solver details as plain JSON: numpy scalars, enums, instants and durations."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, Enum):
        return _jsonable(value.value)
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        return format_instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return format_duration(value)
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


def _instant_out(value: datetime | None, tz: Any) -> str | None:
    if value is None:
        return None
    return format_instant(value.astimezone(tz) if tz is not None else value)


def _agent_totals(roster: Roster, problem: RosterProblem) -> list[Json]:
    """Per-agent shifts, paid time, nights and weekends, in problem order."""
    templates = problem.template_by_id
    rows = []
    for agent in problem.agents:
        mine = roster.for_agent(agent.id)
        paid = sum((templates[a.template_id].paid for a in mine if a.template_id in templates),
                   timedelta(0))
        weekends = {(a.day - timedelta(days=a.day.weekday())) for a in mine
                    if a.day.weekday() >= 5}
        nights = sum(1 for a in mine if a.template_id in templates
                     and templates[a.template_id].is_night)
        rows.append({"agent_id": agent.id, "shifts": len(mine), "paid": format_duration(paid),
                     "nights": nights, "weekends": len(weekends)})
    return rows


def coverage_to_records(coverage: pd.DataFrame, tz: Any = None) -> list[Json]:
    """Coverage rows as JSON records, instants in ``tz`` (default: as stored)."""
    records = []
    for row in coverage.itertuples(index=False):
        start = pd.Timestamp(row.interval_start).to_pydatetime()
        records.append({
            "interval_start": _instant_out(start, tz),
            "queue": str(row.queue),
            "required": int(row.required),
            "staffed": int(row.staffed),
            "short": int(row.short),
            "over": int(row.over),
        })
    return records


def roster_to_json(roster: Roster, problem: RosterProblem | None = None) -> Json:
    """Serialise a roster.

    With ``problem``, instants are written in its time zone and the output adds
    ``timezone``, ``problem_name`` and per-agent totals (``agents``: shifts, paid
    time, nights, weekends worked).
    """
    tz = problem.tz if problem is not None else None
    cov = roster.coverage
    has_rows = len(cov) > 0
    required = int(cov["required"].sum()) if has_rows else 0
    short = int(cov["short"].sum()) if has_rows else 0
    over = int(cov["over"].sum()) if has_rows else 0
    out: Json = {}
    if problem is not None:
        out["problem_name"] = problem.name
        out["timezone"] = problem.timezone
    out.update({
        "status": roster.status.value,
        "objective": int(roster.objective),
        "elapsed": round(float(roster.elapsed), 3),
        "penalties": {str(k): int(v) for k, v in sorted(roster.penalties.items())},
        "totals": {"shifts": len(roster.assignments), "required": required,
                   "staffed": required - short, "short": short, "over": over},
        "info": _jsonable(dict(roster.info)),
        "assignments": [
            _drop_empty({
                "agent_id": a.agent_id,
                "day": a.day.isoformat(),
                "template_id": a.template_id,
                "start": _instant_out(a.start, tz),
                "end": _instant_out(a.end, tz),
                "break_start": _instant_out(a.break_start, tz),
                "break_end": _instant_out(a.break_end, tz),
                "activities": [
                    _drop_empty({"start": _instant_out(x.start, tz),
                                 "end": _instant_out(x.end, tz), "kind": x.kind,
                                 "queue": x.queue})
                    for x in a.activities
                ],
            })
            for a in sorted(roster.assignments, key=lambda a: (a.start, a.agent_id))
        ],
        "coverage": coverage_to_records(cov, tz),
    })
    if problem is not None:
        out["agents"] = _agent_totals(roster, problem)
    return out


def _activity_from_json(data: object, path: str) -> Activity:
    o = _Obj(data, path, {"start", "end", "kind", "queue"})
    kind = o.need("kind")
    if kind not in ("work", "break"):
        raise FieldError(o.at("kind"), "must be 'work' or 'break'")
    start, end = o.instant("start"), o.instant("end")
    assert start is not None and end is not None  # required=True
    return Activity(start=start, end=end, kind=kind, queue=o.raw("queue"))


def _assignment_from_json(data: object, path: str) -> RosterAssignment:
    o = _Obj(data, path, {"agent_id", "day", "template_id", "start", "end", "break_start",
                          "break_end", "activities"})
    start, end = o.instant("start"), o.instant("end")
    assert start is not None and end is not None
    return RosterAssignment(
        agent_id=str(o.need("agent_id")),
        day=parse_date(o.need("day"), o.at("day")),
        template_id=str(o.need("template_id")),
        start=start,
        end=end,
        break_start=o.instant("break_start", required=False),
        break_end=o.instant("break_end", required=False),
        activities=tuple(_activity_from_json(item, p) for p, item in o.items("activities")),
    )


def _coverage_from_json(o: _Obj) -> pd.DataFrame:
    rows = []
    for path, item in o.items("coverage"):
        c = _Obj(item, path, set(COVERAGE_COLUMNS))
        start = c.instant("interval_start")
        row: dict[str, Any] = {"interval_start": pd.Timestamp(start).tz_convert("UTC"),
                               "queue": str(c.need("queue"))}
        for key in ("required", "staffed", "short", "over"):
            value = c.need(key)
            if isinstance(value, bool) or not isinstance(value, int):
                raise FieldError(c.at(key), "must be an integer")
            row[key] = value
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(COVERAGE_COLUMNS))
    if not rows:
        frame["interval_start"] = pd.to_datetime(frame["interval_start"], utc=True)
    return frame


ROSTER_FIELDS = {"problem_name", "timezone", "status", "objective", "elapsed", "penalties",
                 "totals", "info", "assignments", "coverage", "agents", "predicted"}


def roster_from_json(data: object) -> Roster:
    """Read a roster written by :func:`roster_to_json` (to validate or report on it).

    Coverage instants come back in UTC; ``totals``, ``agents`` and ``predicted``
    are derived figures and are not read.
    """
    o = _Obj(data, "", ROSTER_FIELDS)
    try:
        status = RosterStatus(o.need("status"))
    except ValueError:
        raise FieldError("status", "is not a roster status "
                         f"({', '.join(s.value for s in RosterStatus)})") from None
    penalties = o.raw("penalties", {})
    if not isinstance(penalties, Mapping):
        raise FieldError("penalties", "must be an object {family: penalty}")
    objective = o.need("objective")
    elapsed = o.raw("elapsed", 0.0)
    if isinstance(objective, bool) or not isinstance(objective, int):
        raise FieldError("objective", "must be an integer")
    if isinstance(elapsed, bool) or not isinstance(elapsed, int | float):
        raise FieldError("elapsed", "must be a number of seconds")
    info = o.raw("info", {})
    if not isinstance(info, Mapping):
        raise FieldError("info", "must be a JSON object")
    return Roster(
        status=status,
        assignments=tuple(_assignment_from_json(item, p) for p, item in o.items("assignments")),
        coverage=_coverage_from_json(o),
        penalties={str(k): int(v) for k, v in penalties.items()},
        objective=objective,
        elapsed=float(elapsed),
        info=dict(info),
    )


# ---------------------------------------------------------------- staffing table
def read_staffing(path: str | Path) -> pd.DataFrame:
    """Read a staffing table written by ``fieldops staff`` (CSV, or JSON records)."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, Mapping) and "staffing" in data:
                data = data["staffing"]
            if not isinstance(data, list):
                raise FieldError("staffing", f"{path}: expected a JSON array of rows")
            return pd.DataFrame.from_records(data)
        return pd.read_csv(path)
    except (OSError, ValueError) as exc:
        if isinstance(exc, FieldError):
            raise
        raise FieldError("staffing", f"cannot read {path}: {exc}") from None


def requirements_from_staffing(
    frame: pd.DataFrame,
    column: str = "scheduled",
    *,
    within: tuple[datetime, datetime] | None = None,
    queues: Sequence[str] | None = None,
    path: str = "staffing",
) -> tuple[CoverageRequirement, ...]:
    """Coverage rows from a staffing table (docs/workforce.md, "Staffing output").

    ``column`` holds the heads a roster must put on the queue in each interval;
    the default ``scheduled`` is agents / (1 − shrinkage), a fraction, so it is
    rounded **up** (a roster cannot staff 0.4 of an agent, and rounding down
    would miss the target). A tolerance of 1e-6 keeps 12.0000001 at 12.
    ``within`` keeps the rows whose ``interval_start`` falls in ``[start, end)``
    (a forecast usually covers more days than one roster); ``queues`` lists the
    queues allowed (a staffing queue outside it is an error naming the row).
    Intervals needing 0 heads are kept: they still price over-staffing.
    Optional ``under_weight`` / ``over_weight`` columns set per-row weights
    (empty cells: the problem's :class:`RosterWeights`).
    Errors name ``staffing[row].column`` with 0-based rows as given.
    """
    if not isinstance(frame, pd.DataFrame):
        raise FieldError(path, "must be a table (DataFrame)")
    for col in ("interval_start", "queue", column):
        if col not in frame.columns:
            raise FieldError(f"{path}.{col}", "column is missing")
    df = frame.reset_index(drop=True)
    raw = df["interval_start"]
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        starts = raw.dt.tz_convert("UTC")
    else:
        text = raw.astype(str)
        starts = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
        has_offset = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True)
        bad_rows = np.flatnonzero((starts.isna() | ~has_offset).to_numpy())
        if len(bad_rows):
            i = int(bad_rows[0])
            raise FieldError(f"{path}[{i}].interval_start",
                             f"{raw.iloc[i]!r} is not an ISO 8601 instant with a UTC offset")
    values = pd.to_numeric(df[column], errors="coerce")
    bad = np.flatnonzero((values.isna() | (values < 0)
                          | ~np.isfinite(values.fillna(0))).to_numpy())
    if len(bad):
        i = int(bad[0])
        raise FieldError(f"{path}[{i}].{column}",
                         f"{df[column].iloc[i]!r} is not a number of agents >= 0")
    weights: dict[str, list[int | None]] = {}
    for col in ("under_weight", "over_weight"):
        # Optional per-row weights (a VIP line priced higher); empty cells mean default.
        if col in df.columns:
            numbers = pd.to_numeric(df[col], errors="coerce")
            weights[col] = [None if pd.isna(v) else int(v) for v in numbers]
    allowed = set(queues) if queues is not None else None
    seen: dict[tuple[pd.Timestamp, str], int] = {}
    rows: list[CoverageRequirement] = []
    low, high = within if within is not None else (None, None)
    for i, (start, queue, value) in enumerate(zip(starts, df["queue"], values, strict=True)):
        queue = str(queue)
        if allowed is not None and queue not in allowed:
            raise FieldError(f"{path}[{i}].queue",
                             f"queue {queue!r} is not one of {', '.join(sorted(allowed))}")
        key = (start, queue)
        if key in seen:
            raise FieldError(f"{path}[{i}].interval_start",
                             f"duplicate of row {seen[key]} (same queue and interval)")
        seen[key] = i
        instant = start.to_pydatetime()
        if low is not None and high is not None and not low <= instant < high:
            continue
        heads = math.ceil(float(value) - 1e-6)
        rows.append(_build(f"{path}[{i}]", CoverageRequirement, start=instant, queue=queue,
                           required=max(heads, 0),
                           **{col: values_[i] for col, values_ in weights.items()}))
    return tuple(rows)


def staffing_from_requirements(problem: RosterProblem) -> pd.DataFrame:
    """The problem's coverage rows as a staffing table (the inverse of
    :func:`requirements_from_staffing`): ``interval_start`` in the problem's time
    zone, ``queue``, ``scheduled`` (= ``required``) and the per-row weights."""
    tz = problem.tz
    return pd.DataFrame({
        "interval_start": [format_instant(r.start.astimezone(tz)) for r in problem.requirements],
        "queue": [r.queue for r in problem.requirements],
        "scheduled": [r.required for r in problem.requirements],
        "under_weight": pd.array([r.under_weight for r in problem.requirements], dtype="Int64"),
        "over_weight": pd.array([r.over_weight for r in problem.requirements], dtype="Int64"),
    })


def load_roster_problem(path: str | Path, *,
                        requirements: Sequence[CoverageRequirement] | None = None
                        ) -> RosterProblem:
    """Read a roster problem (or an agents.json plus ``requirements``) from a file."""
    return roster_problem_from_json(read_json_file(path), requirements=requirements)


def read_json_file(path: str | Path) -> Any:
    """Parsed JSON of a file; unreadable or invalid files are a :class:`FieldError`."""
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except json.JSONDecodeError as exc:
        raise FieldError("", f"{path}: not valid JSON ({exc})") from None
    except OSError as exc:
        raise FieldError("", f"cannot read {path}: {exc}") from None


__all__ = [
    "COVERAGE_COLUMNS",
    "agent_from_json",
    "agent_to_json",
    "contract_from_json",
    "contract_to_json",
    "coverage_to_records",
    "load_roster_problem",
    "parse_date",
    "read_json_file",
    "read_staffing",
    "requirement_from_json",
    "requirements_from_staffing",
    "roster_from_json",
    "roster_params_from_json",
    "roster_params_to_json",
    "roster_problem_from_json",
    "roster_problem_to_json",
    "roster_to_json",
    "roster_weights_from_json",
    "staffing_from_requirements",
    "template_from_json",
    "template_to_json",
]

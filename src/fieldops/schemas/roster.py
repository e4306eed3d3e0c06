"""Roster problems, rosters and roster parameters: one schema per domain type.

Same rules as :mod:`fieldops.schemas.dispatch`: unknown keys are rejected (a typo
never silently drops a rule), every error is a :class:`FieldError` naming the path
(``agents[3].skills[0].proficiency``), instants are ISO 8601 with a UTC offset,
durations ISO 8601 (``PT8H``), local times ``08:00``, dates ``2026-12-07``. The
format is documented key by key in docs/workforce.md ("Rostering").
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import fields, is_dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

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
    roster_verdict,
    whole,
)
from fieldops.schemas._base import (
    Bool,
    Date,
    DomainSchema,
    Duration,
    EnumText,
    Instant,
    Int,
    Json,
    List,
    Mapping_,
    Nested,
    Num,
    Text,
    TimeOfDay,
    Weekday,
    load,
)
from fieldops.schemas.files import read_json_file
from fieldops.schemas.scalars import WEEKDAY_NAMES, format_duration, format_instant

COVERAGE_COLUMNS = ("interval_start", "queue", "required", "staffed", "short", "over")
HORIZON_FIELDS = ("start", "days", "timezone", "interval")


def _drop_empty(d: Json) -> Json:
    return {k: v for k, v in d.items() if v is not None and v != [] and v != {} and v != ""}


class _RosterSchema(DomainSchema):
    """Roster JSON leaves out ``null``, empty arrays, empty objects and empty text."""

    def omit(self, obj: Any, data: Json) -> Json:
        return _drop_empty(data) if self.omit_empty else data


# ---------------------------------------------------------------- problem
class TemplateSchema(_RosterSchema):
    id = Text(required=True)
    name = Text()
    start = TimeOfDay(required=True, metadata={"example": "08:00"})
    length = Duration(required=True)
    break_length = Duration()
    break_earliest = Duration(allow_none=True)
    break_latest = Duration(allow_none=True)
    break_paid = Bool()
    days = List(Weekday(), metadata={"description": "default: every day"})
    queues = List(Text(), allow_none=True)
    forbidden_successors = List(Text())

    def make(self, data: dict[str, Any]) -> ShiftTemplate:
        for key in ("days", "queues", "forbidden_successors"):
            if key in data:
                data[key] = frozenset(data[key])
        return ShiftTemplate(**data)

    def omit(self, obj: Any, data: Json) -> Json:
        if isinstance(obj, ShiftTemplate):
            if not obj.break_length:
                data["break_length"] = data["break_earliest"] = data["break_latest"] = None
            data["break_paid"] = True if obj.break_paid else None
            data["days"] = [WEEKDAY_NAMES[d] for d in sorted(obj.days)]
            data["queues"] = sorted(obj.queues) if obj.queues is not None else None
            data["forbidden_successors"] = sorted(obj.forbidden_successors)
        return super().omit(obj, data)


class ContractSchema(_RosterSchema):
    id = Text(required=True)
    min_work_per_week = Duration(allow_none=True)
    max_work_per_week = Duration(allow_none=True)
    min_work_total = Duration(allow_none=True)
    max_work_total = Duration(allow_none=True)
    min_rest = Duration(allow_none=True)
    max_shifts = Int(allow_none=True)
    max_consecutive_days = Int(allow_none=True)
    min_consecutive_days = Int(allow_none=True)
    min_consecutive_days_off = Int(allow_none=True)
    max_weekends = Int(allow_none=True)
    max_nights = Int(allow_none=True)
    max_shifts_per_template = Mapping_(metadata={"description": "{template id: count}"})

    model = Contract

    def omit(self, obj: Any, data: Json) -> Json:
        if isinstance(obj, Contract):
            data["max_shifts_per_template"] = dict(sorted(obj.max_shifts_per_template.items()))
        return super().omit(obj, data)


class QueueSkillSchema(_RosterSchema):
    queue = Text(required=True)
    proficiency = Int(metadata={"minimum": 1, "maximum": 5, "default": 3})

    model = QueueSkill


class UnavailabilitySchema(_RosterSchema):
    start = Instant(required=True)
    end = Instant(required=True)
    reason = Text()

    model = Unavailability


class PreferenceSchema(_RosterSchema):
    day = Date(required=True)
    template = Text(allow_none=True)
    wanted = Bool()
    weight = Int()

    model = ShiftPreference


class AgentSchema(_RosterSchema):
    id = Text(required=True)
    name = Text()
    contract = Text(required=True)
    skills = List(Nested(QueueSkillSchema))
    days_off = List(Date())
    unavailable = List(Nested(UnavailabilitySchema))
    preferences = List(Nested(PreferenceSchema))
    templates = List(Text(), allow_none=True)
    email = Text(allow_none=True)

    def make(self, data: dict[str, Any]) -> Agent:
        data["skills"] = tuple(data.get("skills", ()))
        for key in ("unavailable", "preferences"):
            if key in data:
                data[key] = tuple(data[key])
        for key in ("days_off", "templates"):
            if key in data:
                data[key] = frozenset(data[key])
        return Agent(**data)

    def omit(self, obj: Any, data: Json) -> Json:
        if isinstance(obj, Agent):
            data["days_off"] = [d.isoformat() for d in sorted(obj.days_off)]
            data["templates"] = sorted(obj.templates) if obj.templates is not None else None
        return super().omit(obj, data)


class RequirementSchema(_RosterSchema):
    start = Instant(required=True)
    queue = Text(required=True)
    required = Int(required=True)
    under_weight = Int(allow_none=True)
    over_weight = Int(allow_none=True)

    model = CoverageRequirement


class RosterWeightsSchema(_RosterSchema):
    under = Int()
    over = Int()
    preference = Int()
    fairness_weekends = Int()
    fairness_nights = Int()
    fairness_hours = Int()
    proficiency = Int()
    omit_empty = False

    model = RosterWeights


class HorizonSchema(_RosterSchema):
    start = Date(required=True)
    days = Int(required=True)
    timezone = Text(required=True, metadata={"example": "Europe/Berlin"})
    interval = Duration(metadata={"default": "PT15M"})
    omit_empty = False


class RosterProblemSchema(_RosterSchema):
    """A roster problem; ``requirements`` may come from elsewhere (a staffing table)."""

    name = Text()
    horizon = Nested(HorizonSchema, required=True, load_only=True)  # written by omit()
    queues = List(Text())
    templates = List(Nested(TemplateSchema))
    contracts = List(Nested(ContractSchema))
    agents = List(Nested(AgentSchema))
    requirements = List(Nested(RequirementSchema))
    weights = Nested(RosterWeightsSchema)
    omit_empty = False
    #: Coverage rows given beside the JSON (the JSON must then hold none).
    given_requirements: tuple[CoverageRequirement, ...] | None = None

    def make(self, data: dict[str, Any]) -> RosterProblem:
        if self.given_requirements is not None:
            if "requirements" in data:
                raise FieldError("requirements",
                                 "given twice: in the JSON and from a staffing table")
            data["requirements"] = self.given_requirements
        data.update(data.pop("horizon"))
        for key in ("queues", "templates", "contracts", "agents", "requirements"):
            data[key] = tuple(data.get(key, ()))
        try:
            return RosterProblem(**data)
        except FieldError as exc:
            # The domain names horizon fields bare; the JSON nests them under "horizon".
            if exc.field in HORIZON_FIELDS:
                raise FieldError(f"horizon.{exc.field}", exc.message) from None
            raise

    def omit(self, obj: Any, data: Json) -> Json:
        if not isinstance(obj, RosterProblem):
            return data
        data["name"] = obj.name or None
        data["horizon"] = {"start": obj.start.isoformat(), "days": obj.days,
                           "timezone": obj.timezone, "interval": format_duration(obj.interval)}
        data["queues"] = list(obj.queues)
        tz = obj.tz
        data["requirements"] = [requirement_to_json(r, tz) for r in obj.requirements]
        out = {k: data[k] for k in ("name", "horizon", "queues", "templates", "contracts",
                                    "agents", "weights", "requirements")}
        return {k: v for k, v in out.items() if v is not None}


class RosterParamsSchema(_RosterSchema):
    time_limit = Num(metadata={"description": "seconds (default 60)"})
    workers = Int(metadata={"description": "CP-SAT search workers, 1-64 (default 2)"})
    seed = Int(metadata={"description": "random seed (default 0)"})
    omit_empty = False

    model = RosterParams


# ---------------------------------------------------------------- roster
class ActivitySchema(_RosterSchema):
    start = Instant(required=True)
    end = Instant(required=True)
    kind = Text(required=True, metadata={"enum": ["work", "break"]})
    queue = Text(allow_none=True)

    def make(self, data: dict[str, Any]) -> Activity:
        if data["kind"] not in ("work", "break"):
            raise FieldError("kind", "must be 'work' or 'break'")
        return Activity(**data)


class AssignmentSchema(_RosterSchema):
    agent_id = Text(required=True)
    day = Date(required=True)
    template_id = Text(required=True)
    start = Instant(required=True)
    end = Instant(required=True)
    break_start = Instant(allow_none=True)
    break_end = Instant(allow_none=True)
    activities = List(Nested(ActivitySchema))

    def make(self, data: dict[str, Any]) -> RosterAssignment:
        data["activities"] = tuple(data.get("activities", ()))
        return RosterAssignment(**data)


class CoverageRowSchema(_RosterSchema):
    interval_start = Instant(required=True)
    queue = Text(required=True)
    required = Int(required=True)
    # capacity in agents: a learner (proficiency 1) counts half, level 2 three quarters
    staffed = Num(required=True)
    short = Num(required=True)
    over = Num(required=True)


class RosterSchema(_RosterSchema):
    """A roster as written by :func:`roster_to_json`; derived figures are not read."""

    problem_name = Text(load_only=True, allow_none=True)
    timezone = Text(load_only=True, allow_none=True)
    status = EnumText(RosterStatus, required=True)
    verdict = Text(load_only=True)
    objective = Num(required=True)
    elapsed = Num()
    penalties = Mapping_()
    totals = Mapping_(load_only=True)
    info = Mapping_()
    assignments = List(Nested(AssignmentSchema))
    coverage = List(Nested(CoverageRowSchema))
    agents = List(Mapping_(), load_only=True)
    predicted = Mapping_(load_only=True, allow_none=True)
    simulated = Mapping_(load_only=True, allow_none=True)

    def make(self, data: dict[str, Any]) -> Roster:
        rows = [{**row, "interval_start": pd.Timestamp(row["interval_start"]).tz_convert("UTC")}
                for row in data.get("coverage", ())]
        frame = pd.DataFrame(rows, columns=list(COVERAGE_COLUMNS))
        if not rows:
            frame["interval_start"] = pd.to_datetime(frame["interval_start"], utc=True)
        return Roster(
            status=data["status"],
            assignments=tuple(data.get("assignments", ())),
            coverage=frame,
            penalties={str(k): whole(v) for k, v in data.get("penalties", {}).items()},
            objective=data["objective"],
            elapsed=float(data.get("elapsed", 0.0)),
            info=dict(data.get("info", {})),
        )


# ---------------------------------------------------------------- functions in
_TEMPLATE = TemplateSchema()
_CONTRACT = ContractSchema()
_AGENT = AgentSchema()
_REQUIREMENT = RequirementSchema()
_WEIGHTS = RosterWeightsSchema()
_PROBLEM = RosterProblemSchema()
_PARAMS = RosterParamsSchema()
_ASSIGNMENT = AssignmentSchema()
_ROSTER = RosterSchema()


def template_from_json(data: object, path: str) -> ShiftTemplate:
    return load(_TEMPLATE, data, path)


def contract_from_json(data: object, path: str) -> Contract:
    return load(_CONTRACT, data, path)


def agent_from_json(data: object, path: str) -> Agent:
    return load(_AGENT, data, path)


def requirement_from_json(data: object, path: str) -> CoverageRequirement:
    return load(_REQUIREMENT, data, path)


def roster_weights_from_json(data: object, path: str = "weights") -> RosterWeights:
    return load(_WEIGHTS, data, path)


def roster_problem_from_json(
    data: object, *, requirements: Sequence[CoverageRequirement] | None = None
) -> RosterProblem:
    """Build a :class:`RosterProblem` from parsed JSON; errors name the field.

    ``requirements``, when given, supplies the coverage rows from elsewhere (a
    staffing table, see :func:`fieldops.schemas.staffing.requirements_from_staffing`);
    the JSON must then not hold its own ``requirements``.
    """
    schema = _PROBLEM
    if requirements is not None:
        schema = RosterProblemSchema()
        schema.given_requirements = tuple(requirements)
    return load(schema, data)


def load_roster_problem(path: str | Path, *,
                        requirements: Sequence[CoverageRequirement] | None = None
                        ) -> RosterProblem:
    """Read a roster problem (or an agents.json plus ``requirements``) from a file."""
    return roster_problem_from_json(read_json_file(path), requirements=requirements)


def roster_params_from_json(data: object, path: str = "params") -> RosterParams:
    """``{"time_limit": seconds, "workers": n, "seed": n}``, each optional."""
    if data is None:
        return RosterParams()
    return load(_PARAMS, data, path)


def roster_from_json(data: object) -> Roster:
    """Read a roster written by :func:`roster_to_json` (to validate or report on it).

    Coverage instants come back in UTC; ``totals``, ``agents`` and ``predicted``
    are derived figures and are not read.
    """
    return load(_ROSTER, data)


# ---------------------------------------------------------------- functions out
def template_to_json(t: ShiftTemplate) -> Json:
    return _TEMPLATE.dump(t)


def contract_to_json(c: Contract) -> Json:
    return _CONTRACT.dump(c)


def agent_to_json(a: Agent) -> Json:
    return _AGENT.dump(a)


def requirement_to_json(r: CoverageRequirement, tz: Any = None) -> Json:
    if tz is not None:
        r = dataclasses.replace(r, start=r.start.astimezone(tz))
    return _REQUIREMENT.dump(r)


def roster_problem_to_json(problem: RosterProblem, *, requirements: bool = True) -> Json:
    """Serialise a problem; ``requirements=False`` leaves them out (an agents.json)."""
    out: Json = _PROBLEM.dump(problem)
    if not requirements:
        out.pop("requirements", None)
    return out


def roster_params_to_json(params: RosterParams) -> Json:
    return _PARAMS.dump(params)


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


def _in_zone(value: datetime | None, tz: Any) -> datetime | None:
    return value.astimezone(tz) if value is not None and tz is not None else value


def _assignment_in_zone(a: RosterAssignment, tz: Any) -> RosterAssignment:
    if tz is None:
        return a
    return dataclasses.replace(
        a, start=a.start.astimezone(tz), end=a.end.astimezone(tz),
        break_start=_in_zone(a.break_start, tz), break_end=_in_zone(a.break_end, tz),
        activities=tuple(dataclasses.replace(x, start=x.start.astimezone(tz),
                                             end=x.end.astimezone(tz))
                         for x in a.activities))


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
            "interval_start": format_instant(_in_zone(start, tz)),  # type: ignore[arg-type]
            "queue": str(row.queue),
            "required": int(row.required),
            "staffed": whole(row.staffed),
            "short": whole(row.short),
            "over": whole(row.over),
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
    short = whole(cov["short"].sum()) if has_rows else 0
    over = whole(cov["over"].sum()) if has_rows else 0
    out: Json = {}
    if problem is not None:
        out["problem_name"] = problem.name
        out["timezone"] = problem.timezone
    assignments = sorted(roster.assignments, key=lambda a: (a.start, a.agent_id))
    out.update({
        "status": roster.status.value,
        "verdict": roster_verdict(roster.status, short),
        "objective": whole(roster.objective),
        "elapsed": round(float(roster.elapsed), 3),
        "penalties": {str(k): whole(v) for k, v in sorted(roster.penalties.items())},
        "totals": {"shifts": len(roster.assignments), "required": required,
                   "staffed": whole(required - short), "short": short, "over": over},
        "info": _jsonable(dict(roster.info)),
        "assignments": _ASSIGNMENT.dump([_assignment_in_zone(a, tz) for a in assignments],
                                        many=True),
        "coverage": coverage_to_records(cov, tz),
    })
    if problem is not None:
        out["agents"] = _agent_totals(roster, problem)
    return out


__all__ = [
    "COVERAGE_COLUMNS",
    "AgentSchema",
    "ContractSchema",
    "RosterParamsSchema",
    "RosterProblemSchema",
    "RosterSchema",
    "TemplateSchema",
    "agent_from_json",
    "agent_to_json",
    "contract_from_json",
    "contract_to_json",
    "coverage_to_records",
    "load_roster_problem",
    "requirement_from_json",
    "requirement_to_json",
    "roster_from_json",
    "roster_params_from_json",
    "roster_params_to_json",
    "roster_problem_from_json",
    "roster_problem_to_json",
    "roster_to_json",
    "roster_weights_from_json",
    "template_from_json",
    "template_to_json",
]

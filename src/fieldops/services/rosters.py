"""Contact-center rosters: checking, queueing, solving, validating and publishing.

A roster's problem is sent whole (contracts, templates, coverage), its agents
either as objects or as ids of stored agents (:mod:`fieldops.services.agents`,
resolved before the problem is checked). After the solve the
roster is re-checked by the independent validator and the verdict is stored next to
the result, so a roster that breaks a hard rule cannot be published.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from fieldops.domain.errors import FieldError
from fieldops.domain.roster import Roster, RosterParams, RosterProblem, RosterStatus
from fieldops.domain.workforce import ContactVolumes, QueueSpec, StaffingTarget, WhatIf
from fieldops.services import feeds
from fieldops.services.crud import get
from fieldops.services.errors import Conflict
from fieldops.services.jobs import JobKind, Store
from fieldops.services.publishing import ALL_DAYS, lock_days
from fieldops.store.models import RosterAgent, RosterPublish, RosterRow, RosterShift, utcnow

#: Solver verdicts that come with a roster (a cancelled search may or may not have one).
FOUND = (RosterStatus.OPTIMAL, RosterStatus.FEASIBLE, RosterStatus.TIME_LIMIT)
#: Solver verdicts with no roster to publish (publishing one would empty every feed).
UNPUBLISHABLE = ("infeasible", "no_solution")
#: Longest agent or template id stored (the width of their columns).
MAX_ID = 200
#: Longest roster name stored when it is taken from the problem's name.
MAX_NAME = 200
#: Violations quoted when publishing is refused.
VIOLATIONS_SHOWN = 3


# ---------------------------------------------------------------- input
def roster_problem(raw: dict[str, Any]) -> RosterProblem:
    """The submitted problem, decoded; errors are named under ``problem``."""
    from fieldops.schemas import roster_problem_from_json

    try:
        problem = roster_problem_from_json(raw)
    except FieldError as exc:
        raise exc.within("problem") from None
    # Agent and template ids become indexed columns (roster_agents, roster_shifts).
    for kind, ids in (("agents", [a.id for a in problem.agents]),
                      ("templates", [t.id for t in problem.templates])):
        for i, item_id in enumerate(ids):
            if len(item_id) > MAX_ID:
                raise FieldError(f"problem.{kind}[{i}].id", f"must be at most {MAX_ID} characters")
    return problem


def roster_params(raw: dict[str, Any], max_seconds: float) -> RosterParams:
    """The submitted ``params``, within the server's time cap."""
    from fieldops.schemas import roster_params_from_json

    params = roster_params_from_json(raw, "params")
    if params.time_limit > max_seconds:
        raise FieldError("params.time_limit",
                         f"must be at most {max_seconds:g} s on this server")
    return params


def params_json(params: RosterParams, predict: dict[str, Any] | None = None
                ) -> dict[str, Any]:
    """What is stored in ``rosters.params`` (and read back by the solve job):
    the search parameters, and under ``predict`` what to predict the service level
    against (see :func:`prediction_request`) when the request asked for it."""
    out = asdict(params)
    if predict is not None:
        out["predict"] = predict
    return out


#: Request keys that only mean something with ``volumes`` (or ``forecast_id``).
PREDICTION_OPTIONS = ("target", "queues", "what_if")


@dataclass(frozen=True)
class Prediction:
    """What a roster's service level is predicted against: demand (scenario applied,
    queues of the problem only), target, queue models, and the scenario."""

    demand: ContactVolumes
    target: StaffingTarget
    queues: dict[str, QueueSpec]
    what_if: WhatIf
    not_rostered: tuple[str, ...]


def prediction_inputs(spec: dict[str, Any], problem: RosterProblem) -> Prediction:
    """Decode a stored or submitted ``predict`` spec; errors name the request field."""
    from fieldops.schemas.workforce import (
        queue_specs_from_json,
        staffing_target_from_json,
        what_if_from_json,
    )
    from fieldops.solver.forecast import volumes_from_records

    scenario = what_if_from_json(spec.get("what_if"), "what_if")
    target = scenario.target(staffing_target_from_json(spec.get("target"), "target"))
    # A stored forecast's rows are ours: a fault in them is the forecast named.
    source = "forecast_id" if spec.get("forecast_id") is not None else "volumes"
    demand = volumes_from_records(spec["volumes"], problem.interval, source)
    not_rostered = tuple(q for q in demand.queues if q not in problem.queues)
    frame = demand.frame[demand.frame["queue"].isin(problem.queues)].reset_index(drop=True)
    if frame.empty:
        raise FieldError(source, "has no row for a queue of the problem "
                         f"({', '.join(problem.queues)})")
    demand = scenario.volumes(ContactVolumes(frame, demand.interval))
    queues = queue_specs_from_json(spec.get("queues"), "queues")
    for queue_id in queues:
        if queue_id not in demand.queues:
            raise FieldError(f"queues.{queue_id}", f"is not a queue of {source} and the problem")
    return Prediction(demand, target, queues, scenario, not_rostered)


def _stored_volumes(s: Session, forecast_id: object, problem: RosterProblem
                    ) -> list[dict[str, Any]]:
    """The records of the stored forecast named by ``forecast_id``, on the problem's
    interval grid (422 naming ``forecast_id`` otherwise)."""
    from fieldops.schemas import format_duration, parse_duration
    from fieldops.services.workforce import stored_forecast

    row = stored_forecast(s, forecast_id, "forecast_id")
    if parse_duration(row.interval, "forecast_id") != problem.interval:
        raise FieldError("forecast_id", f"is a forecast per {row.interval}; the problem's "
                         f"interval is {format_duration(problem.interval)}")
    return list(row.document.get("forecast") or [])


def prediction_request(body: dict[str, Any], problem: RosterProblem,
                       s: Session | None = None) -> dict[str, Any] | None:
    """The ``predict`` spec of a ``POST /rosters`` body, checked now (422 before
    anything is stored), or ``None`` without ``volumes`` or ``forecast_id``.

    ``forecast_id`` names a forecast kept by ``POST /forecasts`` (looked up in
    ``s``); its records are copied into the spec, so the solve needs no database
    and a later change to the forecast cannot change the roster's prediction.
    """
    forecast_id = body.get("forecast_id")
    if forecast_id is not None and body.get("volumes") is not None:
        raise FieldError("forecast_id", "give volumes or forecast_id, not both")
    if body.get("volumes") is None and forecast_id is None:
        for key in PREDICTION_OPTIONS:
            if body.get(key) is not None:
                raise FieldError(key, "only applies with volumes or forecast_id (the "
                                 "forecast to predict the service level against)")
        return None
    if forecast_id is not None:
        if s is None:
            raise FieldError("forecast_id", "stored forecasts need the server's database")
        volumes = _stored_volumes(s, forecast_id, problem)
    else:
        volumes = body["volumes"]
    spec = {"volumes": volumes, **{k: body.get(k) for k in PREDICTION_OPTIONS}}
    if forecast_id is not None:
        spec["forecast_id"] = forecast_id
    prediction_inputs(spec, problem)
    return spec


def predicted_json(spec: dict[str, Any], problem: RosterProblem, roster: Roster
                   ) -> dict[str, Any]:
    """The roster JSON's ``predicted`` member: per interval and queue, the service
    level the roster's heads give against the spec's demand (docs/api.md)."""
    from fieldops.solver.staffing.predict import predict_service_level, prediction_to_json

    p = prediction_inputs(spec, problem)
    predicted = predict_service_level(roster, p.demand, p.target, p.queues, problem=problem)
    out = prediction_to_json(predicted, p.target, problem.timezone, p.what_if)
    out["not_rostered"] = list(p.not_rostered)
    return out


# ---------------------------------------------------------------- queue
def rosters_query(status: str | None = None, start: datetime | None = None,
                  end: datetime | None = None) -> Select[Any]:
    """Rosters newest first, with ``status`` and created in ``[start, end)`` when given."""
    q = select(RosterRow).order_by(RosterRow.created_at.desc(), RosterRow.id)
    if status:
        q = q.where(RosterRow.status == status)
    if start is not None:
        q = q.where(RosterRow.created_at >= start)
    if end is not None:
        q = q.where(RosterRow.created_at < end)
    return q


def queue_roster(s: Session, problem: RosterProblem, problem_json: dict[str, Any],
                 params: RosterParams, *, created_by: int | None,
                 name: str | None = None, predict: dict[str, Any] | None = None) -> str:
    """A new ``queued`` roster and its agents; returns its id."""
    roster_id = str(uuid.uuid4())
    start, end = problem.horizon
    s.add(RosterRow(
        id=roster_id, name=name or problem.name[:MAX_NAME] or None, status="queued",
        timezone=problem.timezone, start_day=problem.start, days=problem.days,
        horizon_start=start, horizon_end=end, params=params_json(params, predict),
        problem=problem_json, created_by=created_by,
    ))
    s.flush()  # the roster row first: roster_agents refers to it
    s.add_all(RosterAgent(roster_id=roster_id, agent_id=a.id, name=a.name or None)
              for a in problem.agents)
    return roster_id


# ---------------------------------------------------------------- solve
def validation_of(problem: RosterProblem, roster: Roster) -> dict[str, Any]:
    """The independent validator's verdict as ``{"valid", "violations"}``.

    ``validate_roster`` returns the violations found (an empty list for a valid
    roster); any other answer is recorded as it is rather than trusted.
    """
    from fieldops.validators.roster import validate_roster

    try:
        found: Any = validate_roster(problem, roster)
    except AssertionError as exc:  # an assert-style validator: the message says why
        return {"valid": False, "violations": [str(exc)]}
    if found is None:
        violations: list[str] = []
    elif isinstance(found, Iterable) and not isinstance(found, str | bytes):
        violations = [str(v) for v in found]
    else:
        violations = [str(found)]
    return {"valid": not violations, "violations": violations}


def _queues(activities: Iterable[Any]) -> list[str]:
    return list(dict.fromkeys(a.queue for a in activities if a.kind == "work" and a.queue))


def shift_rows(roster_id: str, problem: RosterProblem, roster: Roster) -> list[RosterShift]:
    """One :class:`RosterShift` row per assignment (what agents' calendars show)."""
    templates = problem.template_by_id
    rows = []
    for a in roster.assignments:
        template = templates.get(a.template_id)
        rows.append(RosterShift(
            roster_id=roster_id, agent_id=a.agent_id, day=a.day, template_id=a.template_id,
            template_name=(template.name or None) if template is not None else None,
            start=a.start, end=a.end, break_start=a.break_start, break_end=a.break_end,
            queues=_queues(a.activities),
        ))
    return rows


def _solve_roster(problem_json: dict[str, Any], params_json: dict[str, Any],
                  progress: Callable[[Any], None], stop: threading.Event) -> Store:
    from fieldops.schemas import roster_problem_from_json, roster_to_json
    from fieldops.solver.roster import solve_roster

    problem = roster_problem_from_json(problem_json)
    settings = dict(params_json)
    predict = settings.pop("predict", None)
    roster = solve_roster(problem, RosterParams(**settings), progress=progress, stop=stop)
    # Encoded and validated before the transaction: a codec or validator error then
    # fails the roster instead of leaving half a result behind.
    result = roster_to_json(roster, problem)
    validation = validation_of(problem, roster)
    if predict is not None and roster.status.value not in UNPUBLISHABLE:
        result["predicted"] = predicted_json(predict, problem, roster)

    def store(s: Session, row: RosterRow, status: str, solutions: int) -> None:
        row.status, row.result, row.validation = status, result, validation
        row.solver_status = roster.status.value
        row.best_objective, row.elapsed = float(roster.objective), float(roster.elapsed)
        found = max(solutions, row.solutions or 0)
        # A cancelled search may have found nothing: keep 0 so publish can refuse it.
        row.solutions = max(found, 1) if roster.status in FOUND else found
        s.add_all(shift_rows(row.id, problem, roster))

    return store


def _roster_progress(p: Any, solutions: int) -> dict[str, Any]:
    return {"best_objective": float(p.objective), "elapsed": float(p.elapsed),
            "solutions": solutions}


#: The roster solve job (see :mod:`fieldops.services.jobs`).
ROSTER_JOB = JobKind("roster", RosterRow, _solve_roster, _roster_progress)


# ---------------------------------------------------------------- publish
@dataclass(frozen=True)
class RosterPublication:
    roster_id: str
    published_at: datetime
    agents: int
    shifts: int


def _check_publishable(row: RosterRow) -> None:
    if row.result is None or row.status not in ("done", "cancelled"):
        raise Conflict(f"roster is {row.status}; only a finished roster can be published",
                       field="status")
    if row.solver_status in UNPUBLISHABLE or (row.solver_status == "cancelled"
                                               and not row.solutions):
        raise Conflict(f"the solver found no roster ({row.solver_status}); nothing to "
                       "publish", field="solver_status")
    if not (row.validation or {}).get("valid"):
        raise Conflict("the roster failed validation and cannot be published: "
                       + "; ".join((row.validation or {}).get("violations",
                                                              [])[:VIOLATIONS_SHOWN]),
                       field="validation")


def publish_roster(s: Session, roster_id: str, *, published_by: int | None
                   ) -> RosterPublication:
    """Put the roster's shifts on its agents' calendar feeds.

    Only a finished roster (done, or cancelled with a result) that the validator
    passed can be published (:class:`Conflict` otherwise). Each publish is kept;
    agents' feeds replay them in order, so a republish of another roster for the
    same days moves, adds and cancels shifts in place.
    """
    row = get(s, RosterRow, roster_id, "roster")
    _check_publishable(row)
    # One publish at a time writes feed documents (see services.plans.lock_days).
    lock_days(s, [ALL_DAYS])
    # Microsecond-distinct stamps keep the replay order of two quick publishes.
    now = utcnow()
    last = s.scalar(select(func.max(RosterPublish.published_at)))
    if last is not None and now <= last:
        now = last + timedelta(microseconds=1)
    row.published_at = now
    s.add(RosterPublish(roster_id=roster_id, published_at=now, published_by=published_by))
    agents = s.scalar(select(func.count()).select_from(RosterAgent)
                      .where(RosterAgent.roster_id == roster_id)) or 0
    shifts = s.scalar(select(func.count()).select_from(RosterShift)
                      .where(RosterShift.roster_id == roster_id)) or 0
    s.flush()
    named = s.scalars(select(RosterAgent.agent_id).where(RosterAgent.roster_id == roster_id))
    feeds.materialise_agents(s, list(named), now=now)
    return RosterPublication(roster_id, now, agents, shifts)

"""Dispatch plans: the day's problem from the store, queueing, solving and publishing.

A plan is solved from a snapshot of the store (:func:`build_day_problem`), in the
background (:data:`PLAN_JOB`, run by :func:`fieldops.services.jobs.run_job`), and
becomes the dispatch when published (:func:`publish_plan`).
"""

from __future__ import annotations

import dataclasses
import json
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, insert, select
from sqlalchemy.orm import Session

from fieldops.domain import (
    DispatchPlan,
    DispatchProblem,
    ObjectiveWeights,
    ServiceRequest,
    StepKind,
    TimeWindow,
    TravelSettings,
)
from fieldops.domain.errors import FieldError
from fieldops.schemas import plan_from_json, plan_to_json, problem_from_json, problem_to_json
from fieldops.services import feeds, live
from fieldops.services.crud import get
from fieldops.services.errors import Conflict
from fieldops.services.jobs import JobKind, Store
from fieldops.services.publishing import ALL_DAYS, horizon_days, lock_days
from fieldops.store.convert import (
    request_from_row,
    shift_from_row,
    technician_from_row,
    tier_from_row,
)
from fieldops.store.models import (
    ContractTierRow,
    PlanAssignment,
    PlanPublish,
    PlanRow,
    PublicationDay,
    RequestRow,
    ShiftRow,
    StatusEvent,
    TechnicianRow,
    utcnow,
)

#: Request statuses a plan may (re)schedule.
OPEN_STATUSES = ("new", "scheduled", "dispatched")
#: Plan statuses with a result that can be published and reported on.
FINISHED = ("done", "cancelled")
#: Seconds per job kept back from a solve job's time limit for serialising the plan
#: and storing it with its assignment rows (measured: under 1 ms per job).
STORE_SECONDS_PER_JOB = 0.0015


# ---------------------------------------------------------------- the day's problem
def solve_params(raw: dict[str, Any], max_seconds: float) -> dict[str, Any]:
    """Check ``params`` of a plan (as :class:`SolveParams` would read them) against
    the server's time cap; returns what is stored in ``plans.params``."""
    from fieldops.solver.dispatch import SolveParams

    try:
        params = SolveParams(**raw)
    except FieldError as exc:
        raise exc.within("params") from None
    if params.time_limit > max_seconds:
        raise FieldError("params.time_limit",
                         f"must be at most {max_seconds:g} s on this server")
    return dict(raw)


def _published_slots(s: Session) -> dict[str, datetime]:
    """Planned start of every request in its latest published plan."""
    rows = s.execute(
        select(PlanAssignment.request_id, PlanAssignment.start)
        .join(PlanRow, PlanRow.id == PlanAssignment.plan_id)
        .where(PlanRow.published_at.is_not(None))
        .order_by(PlanRow.published_at)
    )
    return {request_id: start for request_id, start in rows}


def _belongs_to(req: ServiceRequest, row: RequestRow, horizon: TimeWindow,
                slots: dict[str, datetime]) -> bool:
    """Whether an open request is work for this horizon when none were named.

    A request belongs when its pinned start or one of its appointment windows falls
    in the horizon (no windows: any day will do). A scheduled or dispatched request
    stays with the day it was published for: re-planning tomorrow must not pull in
    today's dispatched work.
    """
    if row.status != "new" and row.id in slots and not horizon.contains(slots[row.id]):
        return False
    if req.pinned_start is not None:
        return horizon.contains(req.pinned_start)
    return not req.windows or any(w.overlaps(horizon) for w in req.windows)


def _technicians(s: Session, horizon: TimeWindow, tech_ids: Sequence[str] | None
                 ) -> tuple[list[TechnicianRow], list[ShiftRow]]:
    """The named technicians (all of them must exist) or, with none named, every
    technician with a shift in the horizon; and their shifts in the horizon."""
    shift_q = select(ShiftRow).where(ShiftRow.start < horizon.end, ShiftRow.end > horizon.start)
    if tech_ids is None:
        shift_rows = list(s.scalars(shift_q.order_by(ShiftRow.start)))
        with_shift = {r.technician_id for r in shift_rows}
        techs = list(s.scalars(select(TechnicianRow).where(TechnicianRow.id.in_(with_shift))
                               .order_by(TechnicianRow.id)))
        return techs, shift_rows
    found = {t.id: t for t in s.scalars(select(TechnicianRow).where(
        TechnicianRow.id.in_(tech_ids)))}
    for i, tid in enumerate(tech_ids):
        if tid not in found:
            raise FieldError(f"technician_ids[{i}]", f"unknown technician {tid!r}")
    shift_rows = list(s.scalars(shift_q.where(ShiftRow.technician_id.in_(tech_ids))
                                .order_by(ShiftRow.start)))
    return [found[t] for t in dict.fromkeys(tech_ids)], shift_rows


def _requests(s: Session, horizon: TimeWindow, req_ids: Sequence[str] | None
              ) -> list[RequestRow]:
    """The named requests (all must exist and be open) or, with none named, the open
    requests that belong to the horizon, oldest first."""
    if req_ids is None:
        candidates = s.scalars(select(RequestRow).where(RequestRow.status.in_(OPEN_STATUSES))
                               .order_by(RequestRow.received_at, RequestRow.id))
        slots = _published_slots(s)
        return [r for r in candidates if _belongs_to(request_from_row(r), r, horizon, slots)]
    found = {r.id: r for r in s.scalars(select(RequestRow).where(RequestRow.id.in_(req_ids)))}
    for i, rid in enumerate(req_ids):
        if rid not in found:
            raise FieldError(f"request_ids[{i}]", f"unknown request {rid!r}")
        if found[rid].status not in OPEN_STATUSES:
            raise FieldError(f"request_ids[{i}]",
                             f"request {rid!r} is {found[rid].status}, not open")
    return [found[r] for r in dict.fromkeys(req_ids)]


_REF_LISTS = ("preferred_technicians", "required_technicians", "excluded_technicians")


def _with_referenced(s: Session, techs: list[TechnicianRow], reqs: list[ServiceRequest]
                     ) -> tuple[list[TechnicianRow], list[ServiceRequest]]:
    """Technicians the requests name join the problem (without shifts when they have
    none in the horizon: a request pinned to one is then left out, with its reason);
    names of technicians that no longer exist are dropped. The problem never fails
    on a reference inside a list the caller did not send (issue 17)."""
    have = {t.id for t in techs}
    named = {t for r in reqs for name in _REF_LISTS for t in getattr(r, name)}
    named |= {r.pinned_technician for r in reqs if r.pinned_technician is not None}
    missing = named - have
    extra = list(s.scalars(select(TechnicianRow).where(TechnicianRow.id.in_(missing))
                           .order_by(TechnicianRow.id))) if missing else []
    known = have | {t.id for t in extra}
    if named <= known:
        return techs + extra, reqs
    out = []
    for r in reqs:
        changes: dict[str, Any] = {name: tuple(t for t in getattr(r, name) if t in known)
                                   for name in _REF_LISTS}
        if r.pinned_technician is not None and r.pinned_technician not in known:
            changes.update(pinned_technician=None, pinned_start=None)
        out.append(dataclasses.replace(r, **changes))
    return techs + extra, out


def build_day_problem(
    s: Session,
    horizon: TimeWindow,
    timezone: str,
    *,
    technician_ids: Sequence[str] | None = None,
    request_ids: Sequence[str] | None = None,
    travel: TravelSettings | None = None,
    weights: ObjectiveWeights | None = None,
    name: str | None = None,
) -> DispatchProblem:
    """The dispatch problem of ``horizon`` as the store holds it now.

    Parameters
    ----------
    s
        An open session (read only).
    horizon, timezone
        The planning period and the zone its plan is shown in.
    technician_ids
        Plan only these technicians (each must exist); default: every technician
        with a shift overlapping the horizon.
    request_ids
        Plan only these requests (each must exist and be open); default: the open
        requests whose windows or pinned start fall in the horizon, leaving out
        scheduled work published for another day.
    travel, weights, name
        Copied into the problem (defaults: the domain defaults).

    Raises
    ------
    FieldError
        ``technician_ids[i]`` / ``request_ids[i]`` naming an unknown or closed one.
    """
    techs, shift_rows = _technicians(s, horizon, technician_ids)
    reqs = [request_from_row(r) for r in _requests(s, horizon, request_ids)]
    techs, reqs = _with_referenced(s, techs, reqs)
    tiers = [tier_from_row(t) for t in s.scalars(select(ContractTierRow)
                                                 .order_by(ContractTierRow.name))]
    return DispatchProblem(
        horizon=horizon, timezone=timezone,
        technicians=tuple(technician_from_row(t) for t in techs),
        shifts=tuple(shift_from_row(r) for r in shift_rows),
        requests=tuple(reqs),
        contract_tiers=tuple(tiers), travel=travel or TravelSettings(),
        weights=weights or ObjectiveWeights(), name=name,
    )


# ---------------------------------------------------------------- queue and solve
def plans_query(status: str | None = None, start: datetime | None = None,
                end: datetime | None = None) -> Select[Any]:
    """Plans newest first, with ``status`` and created in ``[start, end)`` when given."""
    q = select(PlanRow).order_by(PlanRow.created_at.desc(), PlanRow.id)
    if status:
        q = q.where(PlanRow.status == status)
    if start is not None:
        q = q.where(PlanRow.created_at >= start)
    if end is not None:
        q = q.where(PlanRow.created_at < end)
    return q


def queue_plan(s: Session, problem: DispatchProblem, params: dict[str, Any], *,
               created_by: int | None, name: str | None = None) -> PlanRow:
    """A new ``queued`` plan holding a snapshot of ``problem`` (hand it to a backend
    with :func:`fieldops.services.jobs.submit` once committed)."""
    row = PlanRow(
        id=str(uuid.uuid4()), name=name, status="queued", timezone=problem.timezone,
        horizon_start=problem.horizon.start, horizon_end=problem.horizon.end,
        params=params, problem=problem_to_json(problem), created_by=created_by,
    )
    s.add(row)
    s.flush()
    return row


def _assignment_values(plan_id: str, plan: DispatchPlan,
                       shift_of: Callable[[str], str] | None = None) -> list[dict[str, Any]]:
    values = []
    for route in plan.routes:
        shift_id = shift_of(route.shift_id) if shift_of else route.shift_id
        jobs = [st for st in route.steps if st.kind is StepKind.JOB and st.request_id]
        for seq, step in enumerate(jobs, start=1):
            values.append({
                "plan_id": plan_id, "request_id": step.request_id, "shift_id": shift_id,
                "technician_id": route.technician_id, "sequence": seq,
                "arrival": step.arrival, "start": step.start, "end": step.end})
    return values


def assignments(plan_id: str, plan: DispatchPlan,
                shift_of: Callable[[str], str] | None = None) -> list[PlanAssignment]:
    """The plan's assigned jobs as rows; ``shift_of`` maps a route's shift id to the
    stored shift (a live proposal's routes run on pieces of the day's shifts)."""
    return [PlanAssignment(**v) for v in _assignment_values(plan_id, plan, shift_of)]


def insert_assignments(s: Session, plan_id: str, plan: DispatchPlan,
                       shift_of: Callable[[str], str] | None = None) -> None:
    """:func:`assignments` written in one multi-row insert, without ORM objects: a
    live proposal at 1 000 jobs has as many, and building and flushing them through
    the unit of work took a fifth of a second (the column type stores them in UTC)."""
    values = _assignment_values(plan_id, plan, shift_of)
    if values:
        s.execute(insert(PlanAssignment), values)


#: Statuses of work its technician was told about (a live change keeps them).
TOLD_STATUSES = ("scheduled", "dispatched")


def _solve_plan(problem_json: dict[str, Any], params_json: dict[str, Any],
                progress: Callable[[Any], None], stop: threading.Event) -> Store:
    from fieldops.solver.dispatch import SolveParams, solve_dispatch
    from fieldops.solver.dispatch.deadline import Deadline, output_margin

    # The time limit bounds the job from here to the plan serialised for storing:
    # reading the problem and writing the plan come out of it, not on top of it.
    live_args = params_json.get(live.LIVE_PARAMS)
    params = SolveParams(**{k: v for k, v in params_json.items() if k != live.LIVE_PARAMS})
    clock = Deadline.starting_now(params.time_limit)
    problem = problem_from_json(problem_json)
    params = replace(params, time_limit=clock.solve_limit(output_margin(
        len(problem.requests), per_job=STORE_SECONDS_PER_JOB)))
    solved = solve_dispatch(problem, params, progress=progress, stop=stop)
    # A plain plan is serialised here, inside the clock; a live re-plan only once it
    # is known whether the solve or the plan as it stands is kept.
    ready = None if live_args is not None else plan_to_json(solved)

    def store(s: Session, row: PlanRow, status: str, solutions: int) -> None:
        # A live re-plan keeps the plan as it stands when the solve is no cheaper.
        result = solved if live_args is None else live.finish_replan(s, row, solved, live_args)
        row.status, row.solutions = status, max(solutions, 1)
        row.result = ready if ready is not None else plan_to_json(result)
        row.result_text = json.dumps(row.result, separators=(",", ":"))
        row.best_objective = result.objective
        row.assigned = result.kpis.jobs_assigned
        row.elapsed = result.solve_time.total_seconds()
        shift_of = live.shift_mapper(s, row.day) if row.day is not None else None
        s.add_all(assignments(row.id, result, shift_of))

    return store


def _plan_progress(p: Any, solutions: int) -> dict[str, Any]:
    return {"best_objective": float(p.objective), "elapsed": float(p.elapsed),
            "solutions": solutions, "assigned": int(p.assigned)}


#: The plan solve job (see :mod:`fieldops.services.jobs`).
PLAN_JOB = JobKind("plan", PlanRow, _solve_plan, _plan_progress)


# ---------------------------------------------------------------- publish
@dataclass
class Publication:
    """What publishing a plan did to each of its problem's requests."""

    plan_id: str
    published_at: datetime
    scheduled: list[str] = field(default_factory=list)
    dispatched: list[str] = field(default_factory=list)
    unscheduled: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _check_not_superseded(plan: PlanRow, days: Sequence[PublicationDay]) -> None:
    """A plan solved before another plan of its days was published would silently
    undo that dispatch: :class:`Conflict`. Publishing the latest plan again is fine."""
    for day in days:
        if day.day == ALL_DAYS or day.plan_id in (None, plan.id):
            continue
        if day.published_at is not None and day.published_at >= plan.created_at:
            raise Conflict(
                f"plan {day.plan_id} of {day.day.isoformat()} was published at "
                f"{day.published_at.isoformat()}, after this plan was created from the "
                "requests of that time; create a new plan of the day to publish",
                field="plan_id", kind="superseded-plan")


def finished_plan(s: Session, plan_id: str, purpose: str) -> PlanRow:
    """The plan, which must have a result; :class:`Conflict` (naming ``purpose``) else."""
    row = get(s, PlanRow, plan_id, "plan")
    if row.result is None or row.status not in FINISHED:
        raise Conflict(f"plan is {row.status}; {purpose}", field="status")
    return row


def plan_and_problem(s: Session, plan_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The finished plan's result and problem JSON (for reports)."""
    row = finished_plan(s, plan_id, "reports exist once it is done")
    return row.result or {}, row.problem


def decode_finished(result: dict[str, Any], problem: dict[str, Any]
                    ) -> tuple[DispatchPlan, DispatchProblem]:
    """Decode what :func:`plan_and_problem` returned (outside the transaction)."""
    return plan_from_json(result), problem_from_json(problem)


def _apply(row: RequestRow, plan_id: str, a: PlanAssignment | None) -> None:
    """Copy the plan's assignment onto the request (or clear it when left out)."""
    if a is not None:
        row.plan_id, row.assigned_technician_id = plan_id, a.technician_id
        row.assigned_shift_id = a.shift_id
        row.planned_arrival, row.planned_start, row.planned_end = a.arrival, a.start, a.end
    else:
        row.plan_id = row.assigned_technician_id = row.assigned_shift_id = None
        row.planned_arrival = row.planned_start = row.planned_end = None


def _slot(row: RequestRow) -> tuple[str | None, datetime | None, datetime | None]:
    """Who does the request when, as its technician's feed shows it."""
    return row.assigned_technician_id, row.planned_start, row.planned_end


def publish_plan(s: Session, plan_id: str, *, dispatch: bool, actor: str,
                 published_by: int | None, url_root: str | None = None,
                 live_change: bool = False) -> Publication:
    """Make the finished plan the dispatch.

    Status machine of each request of the plan's problem that is still open:
    assigned → ``scheduled`` (``dispatched`` with ``dispatch``), left out → ``new``
    with its assignment cleared; every change, and every assignment, is a status
    event. Requests that closed meanwhile (under way, done, cancelled, deleted) are
    skipped. A plan that is not finished, or that another plan of one of its days
    published since its creation supersedes, is a :class:`Conflict`.

    The publish locks its days first (:func:`lock_days`), so two publishes of one
    day run one after the other and the second is refused: requests, publishes and
    the technicians' feed documents (rendered here, ``url_root`` being the API root
    of their job URLs) always agree.

    ``live_change`` (a booking into the day in force): publish like a live proposal,
    keeping the ``scheduled`` / ``dispatched`` status of work already told and
    re-rendering only the feeds of the technicians whose jobs or times changed.
    """
    plan = finished_plan(s, plan_id, "only a finished plan can be published")
    days = lock_days(s, [ALL_DAYS, *horizon_days(plan.horizon_start, plan.horizon_end)])
    if plan.kind is None:
        _check_not_superseded(plan, days)
        live.check_plain_publish(s, plan)
    else:  # a live proposal: built on a version of its day, checked by the live rules
        live.check_proposal(s, plan)
    target = "dispatched" if dispatch else "scheduled"
    now = _after(utcnow(), days)
    assigned = {a.request_id: a for a in s.scalars(
        select(PlanAssignment).where(PlanAssignment.plan_id == plan_id))}
    out = Publication(plan_id, now)
    changed: set[str] = set()  # technicians whose jobs or their times change
    rows = {r.id: r for r in s.scalars(
        select(RequestRow).where(RequestRow.id.in_(
            [r["id"] for r in plan.problem.get("requests", [])]))
        .execution_options(populate_existing=True))}
    for rid in (r["id"] for r in plan.problem.get("requests", [])):
        row = rows.get(rid)
        if row is None or row.status not in OPEN_STATUSES:
            out.skipped.append(rid)
            continue
        a = assigned.get(rid)
        new_status = target if a is not None else "new"
        if (plan.kind is not None or live_change) and a is not None \
                and row.status in TOLD_STATUSES:
            new_status = row.status  # a live change keeps what the technician was told
        before = _slot(row)
        _apply(row, plan_id, a)
        if _slot(row) != before:
            changed.update(tech for tech in (before[0], row.assigned_technician_id)
                           if tech is not None)
        if a is None:
            out.unscheduled.append(rid)
        else:
            (out.dispatched if new_status == "dispatched" else out.scheduled).append(rid)
        if new_status != row.status or a is not None:
            s.add(StatusEvent(request_id=rid, status=new_status, previous=row.status, at=now,
                              actor=actor, plan_id=plan_id,
                              note=f"published plan {plan_id}"))
            row.status, row.status_changed_at = new_status, now
    plan.published_at = now
    for day in days:
        day.plan_id, day.published_at, day.version = plan_id, now, day.version + 1
    s.add(PlanPublish(plan_id=plan_id, published_at=now, published_by=published_by))
    live.record_publish(s, plan, now)
    # A live proposal re-renders only the feeds of the technicians it changes: the
    # others stay byte for byte what their calendars already hold.
    if plan.kind is not None:
        touched = set((plan.diff or {}).get("notify", []))
    else:
        touched = changed if live_change else feeds.technicians_touched(s, plan)
    feeds.materialise_technicians(s, touched, now=now, url_root=url_root)
    return out


def _after(now: datetime, days: Sequence[PublicationDay]) -> datetime:
    """``now``, or just after the latest publish if the clock says otherwise: feeds
    replay publishes in time order."""
    latest = max((d.published_at for d in days if d.published_at is not None), default=None)
    return now if latest is None or now > latest else latest + timedelta(microseconds=1)

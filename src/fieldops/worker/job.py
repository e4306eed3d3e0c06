"""The solve job shared by every backend: claim a queued plan, solve, store the result.

Cancellation and liveness go through the plan row so that they work the same in a
thread, a child process or a Celery worker on another machine: a heartbeat thread
refreshes ``heartbeat_at`` (the lease), saves the latest progress and turns
``cancel_requested`` into the solver's ``stop`` event. A plan whose lease runs out
is marked ``failed`` by :func:`reap_stale`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from fieldops.domain import DispatchPlan, StepKind
from fieldops.schemas import plan_to_json, problem_from_json
from fieldops.store.db import Database
from fieldops.store.models import PlanAssignment, PlanRow, utcnow

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 1.0
DEFAULT_LEASE_SECONDS = 60.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def _claim(db: Database, plan_id: str, *, model: Any = PlanRow
           ) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Move the plan (or roster, with ``model``) from queued to solving; None when
    it is not ours to run.

    One conditional UPDATE, so two workers handed the same row (a redelivered
    message) cannot both claim it, on SQLite as on PostgreSQL.
    """
    now = utcnow()
    with db.session() as s:
        claimed = s.execute(
            update(model)
            .where(model.id == plan_id, model.status == "queued",
                   model.cancel_requested.is_(False))
            .values(status="solving", started_at=now, heartbeat_at=now, worker=worker_name())
        )
        if getattr(claimed, "rowcount", 0) != 1:
            # Cancelled while queued, gone, or already run: nothing to solve.
            s.execute(
                update(model)
                .where(model.id == plan_id, model.status == "queued")
                .values(status="cancelled", finished_at=now)
            )
            return None
        row = s.get(model, plan_id)
        assert row is not None
        return dict(row.problem), dict(row.params)


class _Heartbeat(threading.Thread):
    """Refreshes the lease of one solving row (a plan, or a roster with ``model``)."""

    def __init__(self, db: Database, plan_id: str, stop: threading.Event,
                 interval: float, model: Any = PlanRow) -> None:
        super().__init__(daemon=True, name=f"heartbeat-{plan_id}")
        self.db, self.plan_id, self.stop_solve, self.interval = db, plan_id, stop, interval
        self.model = model
        self.done = threading.Event()
        self.lock = threading.Lock()
        self.progress: dict[str, Any] = {}

    def report(self, **values: Any) -> None:
        with self.lock:
            self.progress = values

    def beat(self) -> None:
        with self.lock:
            progress = dict(self.progress)
        model = self.model
        with self.db.session() as s:
            s.execute(
                update(model)
                .where(model.id == self.plan_id, model.status == "solving")
                .values(heartbeat_at=utcnow(), **progress)
            )
            cancel = s.scalar(select(model.cancel_requested).where(model.id == self.plan_id))
        if cancel:
            self.stop_solve.set()

    def run(self) -> None:
        while not self.done.wait(self.interval):
            try:
                self.beat()
            except Exception:  # a missed beat is retried; the lease tolerates a few
                log.exception("heartbeat of plan %s failed", self.plan_id)


def _assignments(plan_id: str, plan: DispatchPlan) -> list[PlanAssignment]:
    rows = []
    for route in plan.routes:
        jobs = [s for s in route.steps if s.kind is StepKind.JOB and s.request_id]
        for seq, step in enumerate(jobs, start=1):
            assert step.request_id is not None
            rows.append(PlanAssignment(
                plan_id=plan_id, request_id=step.request_id, shift_id=route.shift_id,
                technician_id=route.technician_id, sequence=seq, arrival=step.arrival,
                start=step.start, end=step.end,
            ))
    return rows


def _finish(db: Database, plan_id: str, **values: Any) -> bool:
    with db.session() as s:
        plan = s.get(PlanRow, plan_id, with_for_update=True)
        if plan is None or plan.status != "solving":
            return False  # reaped meanwhile: keep the verdict that was reported
        result: DispatchPlan | None = values.pop("plan", None)
        for key, value in values.items():
            setattr(plan, key, value)
        plan.finished_at = utcnow()
        if result is not None:
            plan.result = plan_to_json(result)
            plan.best_objective = result.objective
            plan.assigned = result.kpis.jobs_assigned
            plan.elapsed = result.solve_time.total_seconds()
            s.add_all(_assignments(plan_id, result))
        return True


def run_plan(db: Database, plan_id: str, *, heartbeat: float = HEARTBEAT_SECONDS) -> str | None:
    """Solve the queued plan ``plan_id``; returns its final status (None: not claimed)."""
    claimed = _claim(db, plan_id)
    if claimed is None:
        return None
    problem_json, params = claimed
    stop = threading.Event()
    beat = _Heartbeat(db, plan_id, stop, heartbeat)
    solutions = 0

    def progress(p: Any) -> None:
        nonlocal solutions
        solutions = max(solutions + 1, int(getattr(p, "solutions", 0)))
        beat.report(best_objective=float(p.objective), elapsed=float(p.elapsed),
                    solutions=solutions, assigned=int(p.assigned))

    beat.start()
    try:
        from fieldops.solver.dispatch import SolveParams, solve_dispatch

        problem = problem_from_json(problem_json)
        result = solve_dispatch(problem, SolveParams(**params), progress=progress, stop=stop)
    except Exception as exc:
        log.exception("solve of plan %s failed", plan_id)
        beat.done.set()
        beat.join()
        _finish(db, plan_id, status="failed", error=f"{type(exc).__name__}: {exc}")
        return "failed"
    beat.done.set()
    beat.join()
    status = "cancelled" if stop.is_set() else "done"
    _finish(db, plan_id, status=status, plan=result, solutions=max(solutions, 1))
    return status


def reap_stale(db: Database, lease: float = DEFAULT_LEASE_SECONDS, *,
               model: Any = PlanRow) -> int:
    """Mark ``failed`` every solving plan (or roster, with ``model``) whose worker
    stopped heartbeating."""
    cutoff = utcnow() - timedelta(seconds=lease)
    with db.session() as s:
        result = s.execute(
            update(model)
            .where(model.status == "solving", model.heartbeat_at < cutoff)
            .values(
                status="failed",
                finished_at=utcnow(),
                error=f"worker lost: no heartbeat for more than {lease:g} s "
                "(the worker process was killed or stopped)",
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)


def mark_failed(db: Database, plan_id: str, reason: str, *, model: Any = PlanRow) -> None:
    """Fail a plan (or roster, with ``model``) that a backend knows will never finish
    (e.g. its process died)."""
    with db.session() as s:
        s.execute(
            update(model)
            .where(model.id == plan_id, model.status.in_(("queued", "solving")))
            .values(status="failed", error=reason, finished_at=utcnow())
        )

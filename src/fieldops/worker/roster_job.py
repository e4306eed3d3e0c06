"""The roster solve job, shared by every backend: claim, solve, validate, store.

It works like the plan job (:mod:`fieldops.worker.job`): a conditional UPDATE claims
the queued roster, a heartbeat thread keeps the lease fresh, saves progress and turns
``cancel_requested`` into the solver's ``stop`` event, and :func:`reap_stale_rosters`
fails a roster whose worker died. After the solve the roster is re-checked by the
independent validator and the verdict is stored next to the result, so the API can
show it and refuse to publish a roster that breaks a hard rule.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from fieldops.domain.roster import Roster, RosterParams, RosterProblem, RosterStatus
from fieldops.store.db import Database
from fieldops.store.models import RosterRow, RosterShift, utcnow
from fieldops.worker.job import (
    DEFAULT_LEASE_SECONDS,
    HEARTBEAT_SECONDS,
    _claim,
    _Heartbeat,
    mark_failed,
    reap_stale,
)

log = logging.getLogger(__name__)

#: Solver verdicts that come with a roster (a cancelled search may or may not have one).
FOUND = (RosterStatus.OPTIMAL, RosterStatus.FEASIBLE, RosterStatus.TIME_LIMIT)


def validation_of(problem: RosterProblem, roster: Roster) -> dict[str, Any]:
    """The independent validator's verdict as ``{"valid", "violations"}``.

    ``validate_roster`` returns the violations found (an empty list for a valid
    roster); any other answer is recorded as it is rather than trusted.
    """
    from fieldops.solver.validate_roster import validate_roster

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


def _finish(db: Database, roster_id: str, **values: Any) -> bool:
    with db.session() as s:
        row = s.get(RosterRow, roster_id, with_for_update=True)
        if row is None or row.status != "solving":
            return False  # reaped (or deleted) meanwhile: keep the verdict reported
        for key, value in values.items():
            setattr(row, key, value)
        row.finished_at = utcnow()
        return True


def _store_result(db: Database, roster_id: str, status: str, problem: RosterProblem,
                  roster: Roster, solutions: int) -> bool:
    from fieldops.schemas import roster_to_json

    # Encoded and validated before the transaction: a codec or validator error then
    # fails the roster instead of leaving half a result behind.
    result = roster_to_json(roster, problem)
    validation = validation_of(problem, roster)
    shifts = shift_rows(roster_id, problem, roster)
    with db.session() as s:
        row = s.get(RosterRow, roster_id, with_for_update=True)
        if row is None or row.status != "solving":
            return False
        row.status, row.result, row.validation = status, result, validation
        row.solver_status = roster.status.value
        row.best_objective, row.elapsed = float(roster.objective), float(roster.elapsed)
        found = max(solutions, row.solutions or 0)
        # A cancelled search may have found nothing: keep 0 so publish can refuse it.
        row.solutions = max(found, 1) if roster.status in FOUND else found
        row.finished_at = utcnow()
        s.add_all(shifts)
        return True


def run_roster(db: Database, roster_id: str, *,
               heartbeat: float = HEARTBEAT_SECONDS) -> str | None:
    """Solve the queued roster ``roster_id``; returns its final status (None: not claimed)."""
    claimed = _claim(db, roster_id, model=RosterRow)
    if claimed is None:
        return None
    problem_json, params_json = claimed
    stop = threading.Event()
    beat = _Heartbeat(db, roster_id, stop, heartbeat, model=RosterRow)
    solutions = 0

    def progress(p: Any) -> None:
        nonlocal solutions
        solutions = max(solutions + 1, int(getattr(p, "solutions", 0)))
        beat.report(best_objective=float(p.objective), elapsed=float(p.elapsed),
                    solutions=solutions)

    beat.start()
    try:
        from fieldops.schemas import roster_problem_from_json
        from fieldops.solver.roster import solve_roster

        problem = roster_problem_from_json(problem_json)
        roster = solve_roster(problem, RosterParams(**params_json), progress=progress,
                              stop=stop)
        beat.done.set()
        beat.join()
        status = "cancelled" if stop.is_set() else "done"
        _store_result(db, roster_id, status, problem, roster, solutions)
    except Exception as exc:
        log.exception("solve of roster %s failed", roster_id)
        beat.done.set()
        beat.join()
        _finish(db, roster_id, status="failed", error=f"{type(exc).__name__}: {exc}")
        return "failed"
    return status


def params_json(params: RosterParams) -> dict[str, Any]:
    """What is stored in ``rosters.params`` (and read back by :func:`run_roster`)."""
    return asdict(params)


def reap_stale_rosters(db: Database, lease: float = DEFAULT_LEASE_SECONDS) -> int:
    """Mark ``failed`` every solving roster whose worker stopped heartbeating."""
    return reap_stale(db, lease, model=RosterRow)


def mark_roster_failed(db: Database, roster_id: str, reason: str) -> None:
    """Fail a roster that a backend knows will never finish."""
    mark_failed(db, roster_id, reason, model=RosterRow)

"""Entry points the backends call: run, fail or reap a plan or roster by id.

The lifecycle itself (claim, heartbeat, finish, fail) is
:mod:`fieldops.services.jobs`; this module only names the two job kinds so that a
child process or a Celery task can be told which one to run with a string.
"""

from __future__ import annotations

from fieldops.services.jobs import (
    DEFAULT_LEASE_SECONDS,
    HEARTBEAT_SECONDS,
    JobKind,
    Reaper,
    run_job,
)
from fieldops.services.jobs import fail as fail_job
from fieldops.services.jobs import reap_stale as reap_job
from fieldops.services.plans import PLAN_JOB
from fieldops.services.rosters import ROSTER_JOB
from fieldops.store.db import Database

#: The job kinds by name (what crosses process and broker boundaries).
KINDS: dict[str, JobKind] = {PLAN_JOB.name: PLAN_JOB, ROSTER_JOB.name: ROSTER_JOB}


def run(db: Database, kind: str, job_id: str, *,
        heartbeat: float = HEARTBEAT_SECONDS) -> str | None:
    """Solve the queued ``kind`` job; its final status (None: not claimed)."""
    return run_job(db, KINDS[kind], job_id, heartbeat=heartbeat)


def fail(db: Database, kind: str, job_id: str, reason: str) -> None:
    """Fail a queued or solving job that a backend knows will never finish."""
    fail_job(db, KINDS[kind].model, job_id, reason)


def run_plan(db: Database, plan_id: str, *, heartbeat: float = HEARTBEAT_SECONDS) -> str | None:
    """Solve the queued plan ``plan_id``; returns its final status (None: not claimed)."""
    return run(db, PLAN_JOB.name, plan_id, heartbeat=heartbeat)


def run_roster(db: Database, roster_id: str, *,
               heartbeat: float = HEARTBEAT_SECONDS) -> str | None:
    """Solve the queued roster ``roster_id``; returns its final status (None: not claimed)."""
    return run(db, ROSTER_JOB.name, roster_id, heartbeat=heartbeat)


def reap_stale(db: Database, lease: float = DEFAULT_LEASE_SECONDS) -> int:
    """Fail every solving plan whose worker stopped heartbeating."""
    return reap_job(db, PLAN_JOB.model, lease)


def reap_stale_rosters(db: Database, lease: float = DEFAULT_LEASE_SECONDS) -> int:
    """Fail every solving roster whose worker stopped heartbeating."""
    return reap_job(db, ROSTER_JOB.model, lease)


def start_reaper(db: Database, lease: float = DEFAULT_LEASE_SECONDS,
                 interval: float | None = None) -> Reaper:
    """Start the periodic reaper of dead plans and rosters (a daemon thread)."""
    reaper = Reaper(db, [kind.model for kind in KINDS.values()], lease, interval)
    reaper.start()
    return reaper

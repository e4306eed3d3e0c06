"""Background solving: a local pool by default, Celery workers when a broker is set."""

from fieldops.worker.pool import CeleryBackend, LocalBackend, SolveBackend
from fieldops.worker.runner import reap_stale, reap_stale_rosters, run_plan, run_roster

__all__ = ["CeleryBackend", "LocalBackend", "SolveBackend", "reap_stale", "reap_stale_rosters",
           "run_plan", "run_roster"]

"""Background solving: a local pool by default, Celery workers when a broker is set."""

from fieldops.worker.job import reap_stale, run_plan
from fieldops.worker.pool import CeleryBackend, LocalBackend, SolveBackend

__all__ = ["CeleryBackend", "LocalBackend", "SolveBackend", "reap_stale", "run_plan"]

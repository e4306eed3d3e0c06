"""The per-app state: database, solve backend, configuration."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app
from sqlalchemy.orm import Session

from fieldops.store.db import Database
from fieldops.worker.pool import SolveBackend


@dataclass
class State:
    db: Database
    backend: SolveBackend
    lease_seconds: float
    import_max_rows: int
    max_solve_seconds: float


def state() -> State:
    st: State = current_app.extensions["fieldops"]
    return st


@contextmanager
def session() -> Iterator[Session]:
    """A transaction: committed when the block ends normally, rolled back on error."""
    with state().db.session() as s:
        yield s

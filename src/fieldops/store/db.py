"""Engine and session handling, and programmatic Alembic upgrades.

The database URL comes from the caller, else ``FIELDOPS_DATABASE_URL``, else a
SQLite file ``fieldops.sqlite3`` in the instance directory (created on first use):
:func:`database_url` is that resolution, used by every ``fieldops`` command.
PostgreSQL URLs use psycopg 3: ``postgresql+psycopg://user@host:5432/db``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
PG_CONNECT_TIMEOUT_SECONDS = 5


def database_url(explicit: str | None = None) -> str:
    """The database URL every command uses (``serve``, ``worker``, ``keys``, ``db``).

    ``explicit`` (a ``--database-url`` option) if given, else ``FIELDOPS_DATABASE_URL``,
    else the SQLite file ``fieldops.sqlite3`` in ``FIELDOPS_INSTANCE_DIR``, else in
    ``./instance`` of the current directory. One resolution for all of them, so a key
    made by ``fieldops keys create`` is in the database ``fieldops serve`` reads.
    """
    return explicit or default_url()


def default_url(instance_dir: str | os.PathLike[str] | None = None) -> str:
    """``FIELDOPS_DATABASE_URL``, else ``fieldops.sqlite3`` in the instance directory
    (``instance_dir``, ``FIELDOPS_INSTANCE_DIR`` or ``./instance``; created here)."""
    env = os.environ.get("FIELDOPS_DATABASE_URL")
    if env:
        return env
    base = Path(instance_dir or os.environ.get("FIELDOPS_INSTANCE_DIR") or "instance")
    base.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(base / 'fieldops.sqlite3').resolve()}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL + a busy timeout let the API and worker processes share one SQLite file.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # pre-ping: a pooled connection that died with a database restart is replaced
    # before use instead of failing the request; connect_timeout bounds how long a
    # request waits for a database that is away (it is answered 503, see api.errors).
    return create_engine(url, pool_pre_ping=True,
                         connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_SECONDS})


class Database:
    """One engine plus its session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        #: Set by :meth:`dispose`: the owner is done with this database (a periodic
        #: task such as the reaper stops instead of reconnecting).
        self.closed = False

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error."""
        with self.sessionmaker() as session, session.begin():
            yield session

    def upgrade(self, revision: str = "head") -> None:
        upgrade(self.engine, revision)

    def dispose(self) -> None:
        self.closed = True
        self.engine.dispose()


def alembic_config(engine: Engine | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the migrations shipped in the package up to ``revision``."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()

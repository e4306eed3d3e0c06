"""Engine and session handling, and programmatic Alembic upgrades.

The database URL comes from the caller, else ``FIELDOPS_DATABASE_URL``, else a
SQLite file ``fieldops.sqlite3`` in the instance directory (created on first use):
:func:`database_url` is that resolution, used by every ``fieldops`` command.
PostgreSQL URLs use psycopg 3: ``postgresql+psycopg://user@host:5432/db``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
PG_CONNECT_TIMEOUT_SECONDS = 5
#: SQLAlchemy's default number of pooled connections kept open; a serving process
#: keeps at least one per request thread (see :func:`make_engine`).
DEFAULT_POOL_SIZE = 5


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


def make_engine(url: str, pool_size: int = DEFAULT_POOL_SIZE) -> Engine:
    """The engine for ``url``; ``pool_size`` connections stay open in the pool.

    A pool smaller than the threads that use it closes the extra connections when
    they come back and opens new ones under the next burst: size it to the threads.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, pool_size=max(pool_size, 1),
                               connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # pre-ping: a pooled connection that died with a database restart is replaced
    # before use instead of failing the request; connect_timeout bounds how long a
    # request waits for a database that is away (it is answered 503, see api.errors).
    return create_engine(url, pool_pre_ping=True, pool_size=max(pool_size, 1),
                         connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_SECONDS})


class Database:
    """One engine plus its session factory."""

    def __init__(self, url: str, pool_size: int = DEFAULT_POOL_SIZE) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size)
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

    def warm(self, connections: int, metadata: MetaData) -> bool:
        """Open ``connections`` pooled connections at once and read every table of
        ``metadata`` on each, so a serving process's first burst of requests neither
        waits for new database connections nor for each new PostgreSQL backend to
        load the tables' catalog entries (issue 19: the slow first requests of each
        phase of the PostgreSQL load benchmark).

        Only a head start: with the database away (a worker re-forked during an
        outage) it logs, leaves the pool to fill on demand and returns False, so the
        worker still boots and answers 503 until the database is back.
        """
        held = []
        try:
            for _ in range(connections):
                conn = self.engine.connect()
                held.append(conn)
                for table in metadata.sorted_tables:
                    conn.execute(select(text("1")).select_from(table).limit(0)).all()
                conn.rollback()
        except SQLAlchemyError as exc:
            log.warning("database pool not warmed: %s", type(exc).__name__)
            return False
        finally:
            for conn in held:
                conn.close()
        return True

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

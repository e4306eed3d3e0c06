"""create_app without a database URL uses the same file as every `fieldops` command."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldops.api import create_app
from fieldops.store.db import Database, database_url
from fieldops.store.models import Base

from .conftest import BACKENDS


def test_default_database_is_the_commands_one(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("FIELDOPS_DATABASE_URL", "FIELDOPS_INSTANCE_DIR"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({"REAPER": False, "WORKER_MODE": "thread"})
    try:
        assert app.config["DATABASE_URL"] == database_url()
        assert (tmp_path / "instance" / "fieldops.sqlite3").exists()
    finally:
        app.extensions["fieldops"].db.engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_warm_leaves_a_connection_per_thread_in_the_pool(backend: str, request:
                                                         pytest.FixtureRequest) -> None:
    """`fieldops serve` warms its pool to its threads: a pool left at the default
    five would close the extra connections as they come back, and a cold one opens
    them under the first burst of requests."""
    url = request.getfixturevalue("_session_databases")[backend]
    db = Database(url, pool_size=7)
    try:
        assert db.engine.pool.checkedin() == 0
        assert db.warm(7, Base.metadata) is True
        assert db.engine.pool.checkedin() == 7
        assert db.engine.pool.checkedout() == 0
    finally:
        db.dispose()


def test_warm_with_the_database_away_leaves_the_pool_to_fill_on_demand(
        tmp_path: Path) -> None:
    # A directory where the SQLite file should be: every connection attempt fails.
    (tmp_path / "db").mkdir()
    db = Database(f"sqlite:///{tmp_path / 'db'}", pool_size=3)
    try:
        assert db.warm(3, Base.metadata) is False
        assert db.engine.pool.checkedout() == 0
    finally:
        db.dispose()


def test_a_serve_worker_builds_its_app_with_the_database_away(tmp_path: Path) -> None:
    """`fieldops serve` migrates before forking; its workers do not, so one re-forked
    during a database outage boots (gunicorn stops the whole server when a worker
    fails to boot)."""
    (tmp_path / "db").mkdir()  # a directory where the SQLite file should be
    away = f"sqlite:///{tmp_path / 'db'}"
    config = {"DATABASE_URL": away, "REAPER": False, "WORKER_MODE": "thread"}
    app = create_app({**config, "MIGRATE": False})
    app.extensions["fieldops"].db.dispose()
    with pytest.raises(Exception, match="unable to open database file"):
        create_app(config)

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
        db.warm(7, Base.metadata)
        assert db.engine.pool.checkedin() == 7
        assert db.engine.pool.checkedout() == 0
    finally:
        db.dispose()

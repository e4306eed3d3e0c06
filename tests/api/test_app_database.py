"""create_app without a database URL uses the same file as every `fieldops` command."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldops.api import create_app
from fieldops.store.db import database_url


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

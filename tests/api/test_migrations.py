"""Alembic upgrades an empty database to head, and the migrations match the models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from fieldops.store.db import Database, alembic_config, current_revision
from fieldops.store.models import Base

from .conftest import BACKENDS, PG_URL, create_pg_schema, drop_pg_schema


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    assert PG_URL
    schema, url = create_pg_schema("fo_migr")
    try:
        yield url
    finally:
        drop_pg_schema(schema)


def test_upgrade_empty_database_to_head(empty_url: str) -> None:
    db = Database(empty_url)
    try:
        assert inspect(db.engine).get_table_names() == []
        db.upgrade()
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert current_revision(db.engine) == head
        tables = set(inspect(db.engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        # Models and migrations agree: autogenerate finds nothing left to do.
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
        db.upgrade()  # a second upgrade is a no-op
        assert current_revision(db.engine) == head
    finally:
        db.dispose()


def test_app_start_creates_sqlite_file_without_setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fieldops.api import create_app

    monkeypatch.delenv("FIELDOPS_DATABASE_URL", raising=False)
    monkeypatch.setenv("FIELDOPS_INSTANCE_DIR", str(tmp_path / "inst"))
    app = create_app({"WORKER_MODE": "thread"})
    try:
        path = tmp_path / "inst" / "fieldops.sqlite3"
        assert path.exists()
        engine = app.extensions["fieldops"].db.engine
        assert "plans" in inspect(engine).get_table_names()
    finally:
        app.extensions["fieldops"].db.dispose()

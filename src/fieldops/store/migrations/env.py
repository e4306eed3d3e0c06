"""Alembic environment: runs against the engine handed over by ``fieldops.store.db``."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from fieldops.store.models import Base

target_metadata = Base.metadata


def run() -> None:
    engine = context.config.attributes.get("engine")
    if engine is None:  # plain `alembic` command line: use the configured URL
        engine = create_engine(os.environ["FIELDOPS_DATABASE_URL"])
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()

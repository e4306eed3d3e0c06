"""Persistence: SQLAlchemy models, sessions and the Alembic migrations shipped inside.

``Database(url)`` wraps one engine; ``Database.upgrade()`` applies the migrations
in ``fieldops/store/migrations`` so a new SQLite file needs no set-up.
"""

from fieldops.store.db import Database, current_revision, default_url, upgrade
from fieldops.store.models import Base

__all__ = ["Base", "Database", "current_revision", "default_url", "upgrade"]

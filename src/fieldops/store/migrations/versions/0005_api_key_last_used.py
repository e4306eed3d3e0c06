"""API keys remember when they were last used (to the minute).

Revision ID: 0005_key_last_used
Revises: 0004_tracking
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005_key_last_used"
down_revision: str | None = "0004_tracking"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("last_used_at")

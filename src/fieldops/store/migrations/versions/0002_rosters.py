"""Rosters: submitted roster problems solved in the background, their shifts,
publishes, and agents' calendar-feed tokens.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "agent_feed_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_feed_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_agent_feed_tokens_token_hash")),
    )
    with op.batch_alter_table("agent_feed_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agent_feed_tokens_agent_id"), ["agent_id"], unique=False
        )

    op.create_table(
        "rosters",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("start_day", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("horizon_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("horizon_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("problem", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("solver_status", sa.String(length=16), nullable=True),
        sa.Column("validation", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("best_objective", sa.Float(), nullable=True),
        sa.Column("elapsed", sa.Float(), nullable=True),
        sa.Column("solutions", sa.Integer(), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["api_keys.id"],
            name=op.f("fk_rosters_created_by_api_keys"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rosters")),
    )
    with op.batch_alter_table("rosters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rosters_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_rosters_status"), ["status"], unique=False)

    op.create_table(
        "roster_agents",
        sa.Column("roster_id", sa.String(length=36), nullable=False),
        sa.Column("agent_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["roster_id"],
            ["rosters.id"],
            name=op.f("fk_roster_agents_roster_id_rosters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("roster_id", "agent_id", name=op.f("pk_roster_agents")),
    )
    with op.batch_alter_table("roster_agents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roster_agents_agent_id"), ["agent_id"], unique=False)

    op.create_table(
        "roster_publishes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("roster_id", sa.String(length=36), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["published_by"],
            ["api_keys.id"],
            name=op.f("fk_roster_publishes_published_by_api_keys"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["roster_id"],
            ["rosters.id"],
            name=op.f("fk_roster_publishes_roster_id_rosters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_publishes")),
    )
    with op.batch_alter_table("roster_publishes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_roster_publishes_published_at"), ["published_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_roster_publishes_roster_id"), ["roster_id"], unique=False
        )

    op.create_table(
        "roster_shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("roster_id", sa.String(length=36), nullable=False),
        sa.Column("agent_id", sa.String(length=200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("template_id", sa.String(length=200), nullable=False),
        sa.Column("template_name", sa.Text(), nullable=True),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("break_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("break_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("queues", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["roster_id"],
            ["rosters.id"],
            name=op.f("fk_roster_shifts_roster_id_rosters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_shifts")),
    )
    with op.batch_alter_table("roster_shifts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roster_shifts_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(
            "ix_roster_shifts_roster_agent", ["roster_id", "agent_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_roster_shifts_roster_id"), ["roster_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("roster_shifts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roster_shifts_roster_id"))
        batch_op.drop_index("ix_roster_shifts_roster_agent")
        batch_op.drop_index(batch_op.f("ix_roster_shifts_agent_id"))

    op.drop_table("roster_shifts")
    with op.batch_alter_table("roster_publishes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roster_publishes_roster_id"))
        batch_op.drop_index(batch_op.f("ix_roster_publishes_published_at"))

    op.drop_table("roster_publishes")
    with op.batch_alter_table("roster_agents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roster_agents_agent_id"))

    op.drop_table("roster_agents")
    with op.batch_alter_table("rosters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rosters_status"))
        batch_op.drop_index(batch_op.f("ix_rosters_created_at"))

    op.drop_table("rosters")
    with op.batch_alter_table("agent_feed_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_feed_tokens_agent_id"))

    op.drop_table("agent_feed_tokens")

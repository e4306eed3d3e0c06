"""Slot bookings and holds (issue 18).

Revision ID: 0004_slots
Revises: 0004_live_days
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004_slots"
down_revision: str | None = "0004_live_days"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "bookings",
        sa.Column("request_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("plan_id", sa.String(length=36), nullable=True),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("original_windows", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["service_requests.id"],
                                name=op.f("fk_bookings_request_id_service_requests"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_bookings")),
    )
    op.create_index(op.f("ix_bookings_day"), "bookings", ["day"], unique=False)
    op.create_table(
        "slot_holds",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["service_requests.id"],
                                name=op.f("fk_slot_holds_request_id_service_requests"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slot_holds")),
        sa.UniqueConstraint("request_id", name=op.f("uq_slot_holds_request_id")),
    )
    op.create_index(op.f("ix_slot_holds_day"), "slot_holds", ["day"], unique=False)
    op.create_index(op.f("ix_slot_holds_expires_at"), "slot_holds", ["expires_at"],
                    unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_slot_holds_expires_at"), table_name="slot_holds")
    op.drop_index(op.f("ix_slot_holds_day"), table_name="slot_holds")
    op.drop_table("slot_holds")
    op.drop_index(op.f("ix_bookings_day"), table_name="bookings")
    op.drop_table("bookings")

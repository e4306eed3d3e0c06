"""Customers' side (issue 18, items 3-4): tracking-link tokens, visit ratings, logged
customer contacts and customers' preferred technicians.

Revision ID: 0004_tracking
Revises: 0004_slots (chained after the live day's and the slots' migrations)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004_tracking"
down_revision: str | None = "0004_slots"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "tracking_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prepare", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["service_requests.id"],
                                name=op.f("fk_tracking_tokens_request_id_service_requests"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_tracking_tokens_token_hash")),
    )
    with op.batch_alter_table("tracking_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tracking_tokens_request_id"), ["request_id"],
                              unique=False)

    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=200), nullable=False),
        sa.Column("technician_id", sa.String(length=200), nullable=True),
        sa.Column("customer_id", sa.String(length=200), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("visit_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["service_requests.id"],
                                name=op.f("fk_ratings_request_id_service_requests"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ratings")),
        sa.UniqueConstraint("request_id", name=op.f("uq_ratings_request_id")),
    )
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ratings_customer_id"), ["customer_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_ratings_technician_id"), ["technician_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_ratings_visit_at"), ["visit_at"], unique=False)

    op.create_table(
        "customer_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("request_id", sa.String(length=200), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_customer_contacts_customer_id_customers"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_contacts")),
    )
    with op.batch_alter_table("customer_contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_contacts_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_customer_contacts_customer_id"), ["customer_id"],
                              unique=False)

    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preferred_technicians", sa.JSON(), nullable=False,
                                      server_default="[]"))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("preferred_technicians")
    op.drop_table("customer_contacts")
    op.drop_table("ratings")
    op.drop_table("tracking_tokens")

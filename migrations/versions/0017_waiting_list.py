"""the waiting list: entries, one claim per person and procedure, offers; visits booked from it

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "waitlist_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_salt", text(length=32), nullable=False),
        sa.Column("procedure_id", text(length=64), nullable=False),
        sa.Column("site_ids", sa.JSON(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=True),
        sa.Column("half_days", sa.JSON(), nullable=True),
        sa.Column("name", text(length=200), nullable=True),
        sa.Column("phone", text(length=20), nullable=True),
        sa.Column("email", text(length=254), nullable=True),
        sa.Column("language", text(length=2), nullable=False),
        sa.Column("channel", text(length=16), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("declared", sa.JSON(), nullable=False),
        sa.Column("state", text(length=12), nullable=False),
        sa.Column("ended_reason", text(length=24), nullable=True),
        sa.Column("offers_sent", sa.Integer(), nullable=False),
        sa.Column("lapsed", sa.Integer(), nullable=False),
        sa.Column("last_offer_day", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entry")),
    )
    op.create_index(
        "ix_waitlist_entry_waiting", "waitlist_entry", ["procedure_id", "state", "created_at"]
    )
    op.create_table(
        "waitlist_claim",
        sa.Column("key", text(length=64), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["waitlist_entry.id"],
            name=op.f("fk_waitlist_claim_entry_id_waitlist_entry"),
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_waitlist_claim")),
    )
    op.create_index(op.f("ix_waitlist_claim_entry_id"), "waitlist_claim", ["entry_id"])
    op.create_table(
        "waitlist_offer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", text(length=32), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("state", text(length=12), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("public_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_waitlist_offer_appointment_id_appointment"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["waitlist_entry.id"],
            name=op.f("fk_waitlist_offer_entry_id_waitlist_entry"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_offer")),
        sa.UniqueConstraint("appointment_id", name=op.f("uq_waitlist_offer_appointment_id")),
        sa.UniqueConstraint("public_id", name=op.f("uq_waitlist_offer_public_id")),
    )
    op.create_index(op.f("ix_waitlist_offer_entry_id"), "waitlist_offer", ["entry_id"])
    op.create_index(op.f("ix_waitlist_offer_expires_at"), "waitlist_offer", ["expires_at"])
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("from_waitlist", sa.Boolean(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_column("from_waitlist")
    op.drop_table("waitlist_offer")
    op.drop_table("waitlist_claim")
    op.drop_table("waitlist_entry")

"""seats held while a code is awaited (the hold table; appointments gain the statuses held and
released), one claim row a person and procedure, urgent messages first

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", text(length=64), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("procedure_id", text(length=64), nullable=False),
        sa.Column("phone", text(length=20), nullable=True),
        sa.Column("state", text(length=12), nullable=False),
        sa.Column("released_reason", text(length=24), nullable=True),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("resends", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"], ["appointment.id"], name=op.f("fk_hold_appointment_id_appointment")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hold")),
        sa.UniqueConstraint("appointment_id", name=op.f("uq_hold_appointment_id")),
        sa.UniqueConstraint("digest", name=op.f("uq_hold_digest")),
    )
    op.create_index("ix_hold_expires_at", "hold", ["expires_at"])
    op.create_index("ix_hold_phone_procedure", "hold", ["phone", "procedure_id"])
    op.create_table(
        "person_claim",
        sa.Column("key", text(length=64), nullable=False),
        sa.Column("touched_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_person_claim")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("urgent", sa.Boolean(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("urgent")
    op.drop_table("person_claim")
    op.drop_index("ix_hold_phone_procedure", table_name="hold")
    op.drop_index("ix_hold_expires_at", table_name="hold")
    op.drop_table("hold")

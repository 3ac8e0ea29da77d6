"""sites that close their day by themselves; return visits linked to the first; the counter
a visitor was called to; a site's own retention period

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("auto_no_show", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("day_closes_at", sa.Time(), server_default="18:00:00", nullable=False)
        )
        batch_op.add_column(sa.Column("retention_days", sa.Integer(), nullable=True))
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("return_of", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("called_counter_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_appointment_called_counter_id_counter"),
            "counter",
            ["called_counter_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_appointment_return_of_appointment"), "appointment", ["return_of"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_appointment_return_of_appointment"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_appointment_called_counter_id_counter"), type_="foreignkey"
        )
        batch_op.drop_column("called_counter_id")
        batch_op.drop_column("return_of")
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("retention_days")
        batch_op.drop_column("day_closes_at")
        batch_op.drop_column("auto_no_show")

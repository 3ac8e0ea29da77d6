"""sites' departments; management code attempts

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True)
        )
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("code_failures", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("code_locked_until", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_column("code_locked_until")
        batch_op.drop_column("code_failures")
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("department")

"""salted manage links that can be renewed (the current salt and the next one), every limit in
one shared table (client addresses, phones, accounts), and no per-visit code lock any more

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_salt", text(length=32), nullable=True))
        batch_op.add_column(sa.Column("next_token_salt", text(length=32), nullable=True))
        batch_op.drop_column("code_failures")
        batch_op.drop_column("code_locked_until")
    op.create_table(
        "rate_limit",
        sa.Column("key", text(length=200), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_rate_limit")),
    )


def downgrade() -> None:
    op.drop_table("rate_limit")
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("code_locked_until", sa.DateTime(), nullable=True),
        )
        batch_op.add_column(
            sa.Column("code_failures", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.drop_column("next_token_salt")
        batch_op.drop_column("token_salt")

"""a waiting-list entry's contact checked by a code: messages that belong to an entry, tries

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entry_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("waitlist_entry", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("code_tries", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("waitlist_entry", schema=None) as batch_op:
        batch_op.drop_column("code_tries")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("entry_id")

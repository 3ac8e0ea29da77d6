"""what fair access refused or held back, for the figures and the site admins' page

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "access_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("site_id", text(length=64), nullable=True),
        sa.Column("kind", text(length=24), nullable=False),
        sa.Column("detail", text(length=32), nullable=True),
        sa.Column("address", text(length=64), nullable=True),
        sa.Column("phone", text(length=24), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_event")),
    )
    op.create_index("ix_access_event_site_at", "access_event", ["site_id", "at"])


def downgrade() -> None:
    op.drop_table("access_event")

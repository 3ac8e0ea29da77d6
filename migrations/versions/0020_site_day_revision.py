"""slot lists cached day by day: one load revision per site and local day

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "site_day_revision",
        sa.Column("site_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_site_day_revision_site_id_site")
        ),
        sa.PrimaryKeyConstraint("site_id", "day", name=op.f("pk_site_day_revision")),
    )


def downgrade() -> None:
    op.drop_table("site_day_revision")

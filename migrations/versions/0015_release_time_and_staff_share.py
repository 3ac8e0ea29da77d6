"""new days open at a civil hour (per-site release time, drawn moments); a staff share per site

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.add_column(sa.Column("release_time", sa.Time(), nullable=True))
        batch_op.add_column(
            sa.Column("staff_share_percent", sa.Integer(), server_default="0", nullable=False)
        )
    op.create_table(
        "day_release",
        sa.Column("site_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("jitter_seconds", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_day_release_site_id_site")),
        sa.PrimaryKeyConstraint("site_id", "day", name=op.f("pk_day_release")),
    )


def downgrade() -> None:
    op.drop_table("day_release")
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_column("staff_share_percent")
        batch_op.drop_column("release_time")

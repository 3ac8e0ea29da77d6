"""seats freed by citizens, held back from the public until a drawn moment

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "freed_seat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("first_cell", sa.Integer(), nullable=False),
        sa.Column("end_cell", sa.Integer(), nullable=False),
        sa.Column("cell_minutes", sa.Integer(), nullable=False),
        sa.Column("available_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["counter_id"], ["counter.id"], name=op.f("fk_freed_seat_counter_id_counter")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_freed_seat_site_id_site")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_freed_seat")),
    )
    op.create_index("ix_freed_seat_available_at", "freed_seat", ["available_at"])
    op.create_index("ix_freed_seat_counter_cells", "freed_seat", ["counter_id", "first_cell"])
    op.create_index("ix_freed_seat_site_id", "freed_seat", ["site_id"])


def downgrade() -> None:
    op.drop_table("freed_seat")

"""what the statistics group by: the local start and the lead time of each visit

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 20:15:00
"""

from collections.abc import Sequence
from datetime import UTC
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("local_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("local_weekday", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("local_hour", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("lead_days", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("cancelled_late", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.create_index("ix_appointment_site_local_date", ["site_id", "local_date"])
    # Existing visits: their start in their site's time; the lead time from their creation
    # (the time of a reschedule was not kept before).
    connection = op.get_bind()
    query = sa.text(
        "SELECT appointment.id, appointment.starts_at, appointment.created_at, site.timezone"
        " FROM appointment JOIN site ON site.id = appointment.site_id"
    ).columns(starts_at=sa.DateTime(), created_at=sa.DateTime())
    rows = connection.execute(query).all()
    for row in rows:
        zone = ZoneInfo(row.timezone)
        starts = row.starts_at.replace(tzinfo=UTC).astimezone(zone)
        created = row.created_at.replace(tzinfo=UTC).astimezone(zone)
        connection.execute(
            sa.text(
                "UPDATE appointment SET local_date = :day, local_weekday = :weekday,"
                " local_hour = :hour, lead_days = :lead WHERE id = :id"
            ),
            {
                "day": starts.date(),
                "weekday": starts.weekday(),
                "hour": starts.hour,
                "lead": (starts.date() - created.date()).days,
                "id": row.id,
            },
        )


def downgrade() -> None:
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_index("ix_appointment_site_local_date")
        batch_op.drop_column("cancelled_late")
        batch_op.drop_column("lead_days")
        batch_op.drop_column("local_hour")
        batch_op.drop_column("local_weekday")
        batch_op.drop_column("local_date")

"""what the figures need beyond the visit: whether the file was complete at the counter, the
wait before the call, a keyed hash of the phone that survives anonymisation and whether a visit
repeats an incomplete file, and when the survey was asked

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 21:30:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("file_complete", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("phone_key", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("wait_seconds", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("repeat_of_incomplete", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("survey_asked_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_appointment_phone_key", ["phone_key"])
    # Files already checked at the counter: complete when nothing was missing. (Phone keys
    # need the secret key: visits booked before this revision have none, hence no repeats;
    # surveys queued before it are not counted as asked.)
    connection = op.get_bind()
    query = sa.text(
        "SELECT id, missing_presented FROM appointment WHERE missing_presented IS NOT NULL"
    )
    for row in connection.execute(query).all():
        missing = row.missing_presented
        if isinstance(missing, str):
            missing = json.loads(missing)
        if missing is None:
            continue
        connection.execute(
            sa.text("UPDATE appointment SET file_complete = :complete WHERE id = :id"),
            {"complete": not missing, "id": row.id},
        )
    # Visits already called: the wait from the later of arrival and appointment time.
    called = sa.text(
        "SELECT id, starts_at, checked_in_at, called_at FROM appointment"
        " WHERE called_at IS NOT NULL"
    ).columns(starts_at=sa.DateTime(), checked_in_at=sa.DateTime(), called_at=sa.DateTime())
    for row in connection.execute(called).all():
        waited_from = max(row.checked_in_at or row.starts_at, row.starts_at)
        connection.execute(
            sa.text("UPDATE appointment SET wait_seconds = :wait WHERE id = :id"),
            {"wait": max(0, int((row.called_at - waited_from).total_seconds())), "id": row.id},
        )


def downgrade() -> None:
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_index("ix_appointment_phone_key")
        batch_op.drop_column("survey_asked_at")
        batch_op.drop_column("repeat_of_incomplete")
        batch_op.drop_column("wait_seconds")
        batch_op.drop_column("phone_key")
        batch_op.drop_column("file_complete")

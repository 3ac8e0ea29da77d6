"""a booking's lookups of a person's visits by index: the live visits of a procedure by phone
or email, a phone's earlier files at a site (the phone key's index becomes their composite)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_appointment_phone_procedure", "appointment", ["phone", "procedure_id"])
    op.create_index(
        "ix_appointment_email_procedure", "appointment", [sa.text("lower(email)"), "procedure_id"]
    )
    op.create_index(
        "ix_appointment_phone_key_site_date", "appointment", ["phone_key", "site_id", "local_date"]
    )
    op.drop_index("ix_appointment_phone_key", table_name="appointment")


def downgrade() -> None:
    op.create_index("ix_appointment_phone_key", "appointment", ["phone_key"])
    op.drop_index("ix_appointment_phone_key_site_date", table_name="appointment")
    op.drop_index("ix_appointment_email_procedure", table_name="appointment")
    op.drop_index("ix_appointment_phone_procedure", table_name="appointment")

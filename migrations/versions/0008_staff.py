"""staff accounts, sessions, sign-in failures, audit log

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 19:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

text = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "staff_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", text(length=254), nullable=False),
        sa.Column("password_hash", text(length=200), nullable=False),
        sa.Column("role", text(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_member")),
        sa.UniqueConstraint("email", name=op.f("uq_staff_member_email")),
    )
    op.create_table(
        "staff_site",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("site_id", text(length=64), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_staff_site_site_id_site")),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_member.id"], name=op.f("fk_staff_site_staff_id_staff_member")
        ),
        sa.PrimaryKeyConstraint("staff_id", "site_id", name=op.f("pk_staff_site")),
    )
    op.create_table(
        "staff_session",
        sa.Column("digest", text(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("kind", text(length=8), nullable=False),
        sa.Column("csrf", text(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_member.id"],
            name=op.f("fk_staff_session_staff_id_staff_member"),
        ),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_staff_session")),
    )
    op.create_index(op.f("ix_staff_session_staff_id"), "staff_session", ["staff_id"], unique=False)
    op.create_table(
        "sign_in_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", text(length=254), nullable=False),
        sa.Column("address", text(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failure")),
    )
    op.create_index("ix_sign_in_failure_email_at", "sign_in_failure", ["email", "at"])
    op.create_index("ix_sign_in_failure_address_at", "sign_in_failure", ["address", "at"])
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("staff_email", text(length=254), nullable=False),
        sa.Column("address", text(length=64), nullable=False),
        sa.Column("action", text(length=40), nullable=False),
        sa.Column("site_id", text(length=64), nullable=True),
        sa.Column("target", text(length=120), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_index("ix_audit_event_site_at", "audit_event", ["site_id", "at"])


def downgrade() -> None:
    op.drop_table("audit_event")
    op.drop_table("sign_in_failure")
    op.drop_index(op.f("ix_staff_session_staff_id"), table_name="staff_session")
    op.drop_table("staff_session")
    op.drop_table("staff_site")
    op.drop_table("staff_member")

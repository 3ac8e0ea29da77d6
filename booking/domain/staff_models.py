"""Tables of the staff side: accounts and their sites, sessions, sign-in failures, audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from storage.columns import utc_column


class StaffMember(SQLModel, table=True):
    __tablename__ = "staff_member"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)  # lower case
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=16)
    active: bool = True
    created_at: datetime = utc_column()


class StaffSite(SQLModel, table=True):
    __tablename__ = "staff_site"
    staff_id: int = Field(foreign_key="staff_member.id", primary_key=True)
    site_id: str = Field(foreign_key="site.id", primary_key=True, max_length=64)


class StaffSession(SQLModel, table=True):
    """A signed-in staff member: a browser (cookie) or a desk kiosk (bearer token).

    Only a digest of the secret is kept; the row is the session, so signing out, disabling an
    account or an idle time ends it in every process at once."""

    __tablename__ = "staff_session"
    digest: str = Field(primary_key=True, max_length=64)
    staff_id: int = Field(foreign_key="staff_member.id", index=True)
    kind: str = Field(max_length=8)  # "cookie" or "bearer"
    csrf: str = Field(default="", max_length=64)  # the forms' token, for cookie sessions
    created_at: datetime = utc_column()
    last_seen_at: datetime = utc_column()
    expires_at: datetime = utc_column()


class SignInFailure(SQLModel, table=True):
    __tablename__ = "sign_in_failure"
    __table_args__ = (
        Index("ix_sign_in_failure_email_at", "email", "at"),
        Index("ix_sign_in_failure_address_at", "address", "at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    address: str = Field(max_length=64)
    at: datetime = utc_column()


class AuditEvent(SQLModel, table=True):
    """Who did what, when, from where: appended by every staff action, never changed."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_site_at", "site_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = utc_column()
    staff_id: int | None = Field(default=None)
    staff_email: str = Field(max_length=254)
    address: str = Field(max_length=64)
    action: str = Field(max_length=40)
    site_id: str | None = Field(default=None, max_length=64)
    target: str = Field(default="", max_length=120)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))

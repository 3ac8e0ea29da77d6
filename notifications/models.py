"""The outbox: one row a message, written in the transaction of the change that causes it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, Index, Text, text
from sqlmodel import Field, SQLModel

from storage.columns import utc_column
from storage.metadata import metadata  # noqa: F401  (the naming convention comes first)


class Channel(enum.StrEnum):
    sms = "sms"
    email = "email"


class Kind(enum.StrEnum):
    confirmation = "confirmation"
    reminder = "reminder"
    change = "change"
    cancellation = "cancellation"
    survey = "survey"
    link = "link"  # the manage link sent again on request
    code = "code"  # a one-time code confirming a held seat
    offer = "offer"  # a freed seat held for someone of the waiting list
    waitlist = "waitlist"  # a waiting-list entry ended by the rules (lapsed, dates past)


class Status(enum.StrEnum):
    pending = "pending"  # waiting for its due time
    sending = "sending"  # claimed by a worker until its lease ends
    sent = "sent"  # accepted by the provider
    delivered = "delivered"  # the provider says it arrived
    failed = "failed"  # given up, with the reason
    cancelled = "cancelled"  # made useless by a later change (e.g. a reminder after a cancel)
    dropped = "dropped"  # could no longer arrive in time, or opted out, with the reason


class Notification(SQLModel, table=True):
    __table_args__ = (
        Index("ix_notification_due", "status", "due_at"),
        # The queue as claimed: pending messages, urgent ones apart, by due time.
        Index(
            "ix_notification_queue",
            "urgent",
            "due_at",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_notification_recipient", "recipient", "sent_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=120, unique=True)
    appointment_id: int | None = Field(default=None, index=True)
    entry_id: int | None = None  # a waiting-list entry's message (its contact's code)
    site_id: str | None = Field(default=None, max_length=64)
    channel: str = Field(max_length=8)
    kind: str = Field(max_length=16)
    language: str = Field(default="fr", max_length=2)
    # Personal data (invariant 5): emptied when the appointment is anonymised.
    recipient: str = Field(max_length=254)
    # For an SMS: the email to fall back on if the number turns out to have opted out.
    fallback_email: str | None = Field(default=None, max_length=254)
    subject: str | None = Field(default=None, max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    attachment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    attachment_method: str | None = Field(default=None, max_length=16)
    # Scheduling: never after `latest_at` (a reminder that cannot arrive in time is dropped).
    due_at: datetime = utc_column()
    latest_at: datetime | None = utc_column(nullable=True)
    quiet_hours_apply: bool = True
    # Goes first (codes, waiting-list offers): claimed before any other due message, and not
    # held back by the per-number fuse.
    urgent: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    timezone: str = Field(default="Europe/Paris", max_length=64)
    status: str = Field(default=Status.pending, max_length=16)
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = utc_column(nullable=True)
    # Given to the provider (its answer may be lost).
    handed_at: datetime | None = utc_column(nullable=True)
    provider_id: str | None = Field(default=None, max_length=64, index=True)
    error: str | None = Field(default=None, max_length=300)
    created_at: datetime = utc_column()
    updated_at: datetime = utc_column()
    sent_at: datetime | None = utc_column(nullable=True)
    delivered_at: datetime | None = utc_column(nullable=True)


class OptOut(SQLModel, table=True):
    """A phone number that answered STOP (or ARRET): no more SMS until START."""

    __tablename__ = "opt_out"
    phone: str = Field(primary_key=True, max_length=20)
    created_at: datetime = utc_column()


class SendRate(SQLModel, table=True):
    """A token bucket shared by every worker process: the sending rate across all of them."""

    __tablename__ = "send_rate"
    channel: str = Field(primary_key=True, max_length=8)
    tokens: float = 0.0
    updated_at: datetime = utc_column()

"""Column types shared by every table: times are stored as naive UTC, read back as aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, TypeDecorator
from sqlmodel import Field


class UTCDateTime(TypeDecorator[datetime]):
    """Naive UTC in the database, aware UTC in Python; a naive value is refused."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utc_column(*, nullable: bool = False, index: bool = False, primary_key: bool = False) -> Any:
    """A SQLModel field stored as a UTC instant."""
    default: dict[str, Any] = {"default": None} if nullable else {}
    column = Column(UTCDateTime(), nullable=nullable, index=index, primary_key=primary_key)
    return Field(sa_column=column, **default)

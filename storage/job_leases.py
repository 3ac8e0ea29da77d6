"""Periodic jobs that must run once per period however many processes run them: a lease row
per job (`job_lease`), taken by one guarded upsert; the process that takes it runs the job."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlmodel import Field, SQLModel

from storage.columns import utc_column
from storage.inserts import dialect_insert


class JobLease(SQLModel, table=True):
    __tablename__ = "job_lease"
    name: str = Field(primary_key=True, max_length=40)
    holder: str = Field(max_length=80)
    until: datetime = utc_column()  # nobody else runs the job before
    last_run_at: datetime = utc_column()


_table = JobLease.__table__  # type: ignore[attr-defined]


def take(connection: Connection, name: str, holder: str, now: datetime, period: timedelta) -> bool:
    """Whether this holder runs the job now (and nobody else until `now + period`)."""
    until = now + period
    insert = dialect_insert(connection)(_table).values(
        name=name, holder=holder, until=until, last_run_at=now
    )
    statement = insert.on_conflict_do_update(
        index_elements=[_table.c.name],
        set_={"holder": holder, "until": until, "last_run_at": now},
        where=_table.c.until <= now,
    )
    return connection.execute(statement.returning(_table.c.name)).first() is not None


def last_runs(connection: Connection) -> dict[str, datetime]:
    return dict(connection.execute(select(_table.c.name, _table.c.last_run_at)).all())  # type: ignore[arg-type]

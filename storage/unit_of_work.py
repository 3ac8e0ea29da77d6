"""The unit of work: the only way the application opens a transaction.

`writing()` commits on success and rolls back on any error, so nothing is ever half-written;
on SQLite it takes the write lock up front. `reading()` never writes and never takes the
write lock: on SQLite a deferred transaction (WAL readers do not wait for a writer), on
PostgreSQL autocommit (each statement reads committed data, as in a READ COMMITTED
transaction, without the BEGIN/ROLLBACK round trips).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from storage.engines import READ_ONLY


def keep(session: Session, item: object) -> None:
    """Keep an object read by the session for the session's (short) life. The identity map
    holds objects weakly: once no step holds one it is read again (a booking read its site
    four times and its counter twice)."""
    session.info.setdefault("kept", {})[id(item)] = item


@dataclass(frozen=True)
class UnitOfWork:
    engine: Engine

    @contextmanager
    def writing(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A bare connection in one write transaction, for Core statements (the outbox's
        dispatcher, the shared sending rate): committed on success, rolled back on error."""
        with self.engine.begin() as connection:
            yield connection

    @contextmanager
    def one_write(self) -> Iterator[Connection]:
        """A bare connection for a single write statement, atomic by itself: on PostgreSQL in
        autocommit (no BEGIN and COMMIT round trips: 0.35 ms less), on SQLite a write
        transaction (its lock taken up front)."""
        if self.engine.dialect.name != "postgresql":
            with self.write_connection() as connection:
                yield connection
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            yield connection

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """Objects read stay readable after the scope (closed, not expired by a rollback)."""
        with self._read_connection() as connection, Session(bind=connection) as session:
            yield session

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A bare connection for a few Core reads (the hot path of the slot search)."""
        with self._read_connection() as connection:
            yield connection

    def _read_connection(self) -> Connection:
        if self.engine.dialect.name == "postgresql":
            return self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self.engine.connect().execution_options(**{READ_ONLY: True})

"""Engines for SQLite (embedded) and PostgreSQL (scale-out), from a plain database URL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool
from sqlmodel import create_engine

READ_ONLY = "guichet_read_only"


def driver_url(url: str) -> str:
    """Turn the user's plain URL into one naming the driver Guichet uses."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite+pysqlite").render_as_string(hide_password=False)
    raise ValueError(f"unsupported database URL: {url}")


def make_engine(url: str, *, pooled: bool = True, pool_size: int = 5) -> Engine:
    full = driver_url(url)
    if full.startswith("sqlite"):
        return _sqlite_engine(full)
    # No pre-ping: it costs a round trip on every checkout; a connection broken by a server
    # restart fails one request (a 503, the web layer's answer to a lost database), the pool is
    # then invalidated and refilled. A server that does not answer fails in 5 s, not minutes.
    # hide_parameters: a failed statement's log never shows its values (emails, citizens' data).
    options: dict[str, object] = {
        "pool_recycle": 1800,
        "hide_parameters": True,
        "connect_args": {"connect_timeout": 5},
    }
    if pooled:
        options["pool_size"] = pool_size
    else:
        options["poolclass"] = NullPool
    return create_engine(full, **options)


def _sqlite_engine(url: str) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"timeout": 30, "check_same_thread": False}, hide_parameters=True
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy, not the driver, emit BEGIN (SQLAlchemy's documented recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        # A write takes the lock up front: a deferred transaction that reads then writes can
        # fail with SQLITE_BUSY whatever the timeout. A read needs no lock at all (WAL).
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine

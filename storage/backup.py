"""An online copy of the embedded database: SQLite's backup API copies a consistent snapshot
while the service keeps running (readers and writers wait only for each page step)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(ValueError):
    pass


def backup_sqlite(database_url: str, target: Path, pages_per_step: int = 1024) -> int:
    """Copy the SQLite database at `database_url` to `target` (a new file); its size in bytes."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        raise BackupError(
            "guichet backup copies the embedded SQLite database; on PostgreSQL use pg_dump"
        )
    if target.exists():
        raise BackupError(f"{target} exists already: give a new file")
    source = sqlite3.connect(f"file:{url.database}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy, pages=pages_per_step)
            problems = copy.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            copy.close()
    finally:
        source.close()
    if problems != "ok":
        raise BackupError(f"the copy does not check: {problems}")
    return target.stat().st_size

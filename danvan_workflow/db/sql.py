"""Small helpers for the set-based statements the services use on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Table, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def insert_ignore(session: Session) -> Any:
    """The dialect's `insert` that has `.on_conflict_do_nothing(...)` (PostgreSQL, SQLite)."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def analyze(session: Session, *tables: Table) -> None:
    """PostgreSQL has no statistics on a fresh temp table; without them it plans badly."""
    if session.get_bind().dialect.name == "postgresql":
        for table in tables:
            session.execute(text(f"ANALYZE {table.name}"))


@contextmanager
def temp_tables(session: Session, *tables: Table) -> Iterator[Connection]:
    """Create the temporary tables on the session's connection; drop them afterwards."""
    conn = session.connection()
    for table in tables:
        table.drop(conn, checkfirst=True)
        table.create(conn)
    try:
        yield conn
    finally:
        for table in tables:
            table.drop(conn, checkfirst=True)

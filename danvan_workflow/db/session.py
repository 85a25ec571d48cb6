"""Engine and session factory. SQLite gets WAL and foreign keys; PostgreSQL as is."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from danvan_workflow.settings import get_settings


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    # INSERT ... SELECT counts are reported to users; psycopg needs this to keep them.
    kwargs.setdefault("execution_options", {"preserve_rowcount": True})
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # SQLAlchemy emits the BEGIN itself, so a whole load is one transaction; IMMEDIATE
        # takes the write lock up front, so two writers (e.g. two dispatchers claiming
        # rows) queue on busy_timeout instead of failing half-way. WAL keeps readers free.
        @event.listens_for(engine, "connect")
        def _no_autobegin(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # No JIT: this is short transactional work, and the recursive CTEs of the roll-up are
    # estimated at millions of rows, so PostgreSQL spent ~1 s compiling a 0.2 s query.
    connect_args = {**kwargs.pop("connect_args", {}), "options": "-c jit=off"}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    return engine_for(get_settings().db_url)


_sqlite_writers: dict[str, threading.RLock] = {}


@contextmanager
def _one_writer(engine: Engine) -> Iterator[None]:
    """On SQLite, the threads of one process take turns here rather than in SQLite.

    Every SQLite transaction here is a write transaction (BEGIN IMMEDIATE). A thread that
    finds the database locked is put to sleep by SQLite's busy handler for 1, 2, 5 …
    100 ms, however soon the lock is free: sixty-four dispatcher threads spent most of
    their time asleep. A lock in the process wakes the next one at once; other processes
    still meet SQLite's lock and busy timeout. Re-entrant, as a nested unit of work in
    the same thread was before.
    """
    if engine.dialect.name != "sqlite":
        yield
        return
    lock = _sqlite_writers.setdefault(str(engine.url), threading.RLock())
    with lock:
        yield


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    engine = engine or get_engine()
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with _one_writer(engine):
        session = factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

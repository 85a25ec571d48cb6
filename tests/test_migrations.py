"""The Alembic history produces exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine, inspect

from danvan_workflow.db.migrate import current_revision, schema_diff
from danvan_workflow.db.models import Base


def test_migrations_match_models(engine: Engine) -> None:
    assert current_revision(engine) is not None
    assert schema_diff(engine) == []
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_sqlite_runs_in_wal_with_foreign_keys(sqlite_url: str) -> None:
    from danvan_workflow.db.session import engine_for

    with engine_for(sqlite_url).connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_instants_are_stored_time_zone_aware(engine: Engine) -> None:
    import datetime as dt

    import pytest
    from sqlalchemy.orm import Session

    from danvan_workflow.db.models import AuditEntry
    from danvan_workflow.timeutil import TZ

    with Session(engine) as s:
        s.add(AuditEntry(at=dt.datetime(2026, 1, 2, 7, 30, tzinfo=dt.UTC), actor="t",
                         action="a", entity="e"))
        s.commit()
        row = s.query(AuditEntry).one()
        assert row.at.utcoffset() == dt.timedelta(hours=7)
        assert row.at == dt.datetime(2026, 1, 2, 14, 30, tzinfo=TZ)
        s.add(AuditEntry(at=dt.datetime(2026, 1, 2, 7, 30), actor="t", action="a", entity="e"))
        with pytest.raises(Exception, match="naive"):
            s.commit()

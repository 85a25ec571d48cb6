"""Backup then restore into a new database: every table's row count is equal."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, inspect, select, text
from typer.testing import CliRunner

from danvan_workflow.db.backup import backup, restore
from danvan_workflow.db.models import Base
from danvan_workflow.db.session import make_engine, session_scope
from danvan_workflow.errors import UserError
from danvan_workflow.services import config, reports
from tests.conftest import _drop_pg_database, _fresh_pg_database

SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "small_config"


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in Base.metadata.sorted_tables}


def _fill(engine: Engine) -> None:
    config.load(SMALL, engine=engine)
    with session_scope(engine) as s:
        reports.submit(s, plan_code="26-KH/BCĐ", obligation_code="bc-6-thang", unit_code="PA.DU",
                       period_key="2026-H1", received_on=dt.date(2026, 6, 15),
                       document_number="12/BC", recorded_by="t", today=dt.date(2026, 7, 1))


def test_backup_restores_every_row(db_url: str, engine: Engine, tmp_path: Path) -> None:
    _fill(engine)
    before = _counts(engine)
    assert before["deadlines"] > 0 and before["submissions"] == 1 and before["audit_log"] > 0
    done = backup(db_url, tmp_path / "b" / "danvan.bak")
    assert done.path.exists() and done.size > 0
    assert not list((tmp_path / "b").glob("*.partial"))
    if db_url.startswith("postgresql"):
        fresh = _fresh_pg_database()
    else:
        fresh = f"sqlite:///{tmp_path / 'restored.db'}"
    try:
        restore(fresh, done.path)
        restored = make_engine(fresh)
        assert _counts(restored) == before
        with restored.connect() as conn:
            assert conn.execute(text("SELECT document_number FROM submissions")).scalar() \
                == "12/BC"
        assert "alembic_version" in inspect(restored).get_table_names()
        restored.dispose()
    finally:
        if fresh.startswith("postgresql"):
            _drop_pg_database(fresh)


def test_a_failed_dump_leaves_no_file(tmp_path: Path) -> None:
    from danvan_workflow.db.backup import tools_available

    if not tools_available():
        pytest.skip("pg_dump is not installed")
    bad = f"postgresql://nobody:secret-pw@127.0.0.1:1/none_{uuid.uuid4().hex[:6]}"
    with pytest.raises(UserError) as err:
        backup(bad, tmp_path / "x.dump")
    assert "secret-pw" not in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_cli_backup_writes_to_the_data_folder_and_restore_asks_first(
        sqlite_url: str, tmp_path: Path) -> None:
    from danvan_workflow.cli.main import app
    from danvan_workflow.settings import get_settings

    _fill(make_engine(sqlite_url))
    res = CliRunner().invoke(app, ["backup", "--no-prefect"])
    assert res.exit_code == 0, res.output
    files = list((get_settings().home / "backups").glob("danvan-*.sqlite"))
    assert len(files) == 1 and files[0].stat().st_size > 0
    res = CliRunner().invoke(app, ["restore", str(files[0])])
    assert res.exit_code == 1 and "--xac-nhan" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(app, ["restore", str(tmp_path / "none.sqlite"), "--xac-nhan"])
    assert res.exit_code == 1 and "không có tệp sao lưu" in res.output
    res = CliRunner().invoke(app, ["restore", str(files[0]), "--xac-nhan"])
    assert res.exit_code == 0, res.output

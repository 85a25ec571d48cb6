"""Shared fixtures: a migrated database per test (SQLite, and PostgreSQL when available)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from danvan_workflow.db.migrate import upgrade
from danvan_workflow.db.session import make_engine
from danvan_workflow.settings import reset_settings

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config"


def pg_admin_url() -> str | None:
    return os.environ.get("DANVAN_TEST_PG_URL")


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test gets its own data folder and SQLite file unless it sets its own URL."""
    monkeypatch.setenv("DANVAN_HOME", str(tmp_path / "var"))
    monkeypatch.setenv("DANVAN_CONFIG_DIR", str(CONFIG))
    monkeypatch.delenv("DANVAN_DATABASE_URL", raising=False)
    reset_settings()
    yield
    reset_settings()


def _sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = _sqlite(tmp_path)
    monkeypatch.setenv("DANVAN_DATABASE_URL", url)
    reset_settings()
    upgrade(url)
    return url


def _fresh_pg_database() -> str:
    admin = pg_admin_url()
    assert admin
    name = f"t_{uuid.uuid4().hex[:12]}"
    eng = make_engine(admin, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    return admin.rsplit("/", 1)[0] + "/" + name


def _drop_pg_database(url: str) -> None:
    admin = pg_admin_url()
    assert admin
    name = url.rsplit("/", 1)[1]
    eng = make_engine(admin, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    eng.dispose()


def require_pg() -> None:
    if not pg_admin_url():
        if os.environ.get("DANVAN_REQUIRE_PG"):
            pytest.fail("DANVAN_REQUIRE_PG is set but DANVAN_TEST_PG_URL is not")
        pytest.skip("no PostgreSQL server (set DANVAN_TEST_PG_URL; .ci/run starts one)")


@pytest.fixture
def pg_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    require_pg()
    url = _fresh_pg_database()
    monkeypatch.setenv("DANVAN_DATABASE_URL", url)
    reset_settings()
    upgrade(url)
    yield url
    from danvan_workflow.db.session import engine_for

    engine_for.cache_clear()
    _drop_pg_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The same test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_url")
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
def engine(db_url: str) -> Engine:
    from danvan_workflow.db.session import engine_for

    return engine_for(db_url)


# The longest files first: `make test` runs files on two processes (pytest-xdist,
# --dist loadfile), so starting these early keeps one long file from running alone at
# the end. Order only; every test still runs.
SLOW_FIRST = ("tests/e2e/test_runbook.py", "tests/browser/", "tests/e2e/test_crashed_runs.py",
              "tests/e2e/")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return next((i for i, p in enumerate(SLOW_FIRST) if path.startswith(p)),
                    len(SLOW_FIRST))

    items.sort(key=rank)  # stable: the order within a file is kept

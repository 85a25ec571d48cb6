"""One Prefect test harness for the whole session (it takes ~13 s to start)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.testing.utilities import prefect_test_harness

from danvan_workflow.services.config import load
from tests.conftest import CONFIG


@pytest.fixture(scope="session", autouse=True)
def prefect_harness() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture
def loaded(sqlite_url: str) -> str:
    """A database with the shipped config/ loaded."""
    load(Path(CONFIG))
    return sqlite_url

"""Targets: facts per unit, share of the population, missing units."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from danvan_workflow.db.models import AuditEntry, UnitFact
from danvan_workflow.db.session import session_scope
from danvan_workflow.errors import UserError
from danvan_workflow.services import config, targets

SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "small_config"
PLAN = "26-KH/BCĐ"


@pytest.fixture
def db(sqlite_url: str) -> Iterator[str]:
    config.load(SMALL)
    yield sqlite_url


def test_target_status(db: str) -> None:
    with session_scope() as s:
        line = targets.target_status(s, PLAN, 2026).lines[0]
    assert (line.code, line.count, line.total, line.achieved) == ("T1", 0, 2, False)
    assert [c for c, _ in line.missing] == ["TX.VP.HC", "TX.VP.TD"]
    with session_scope() as s:
        first = targets.record_fact(s, "TX.VP.HC", "plan_disseminated", 2026, actor="t")
        targets.record_fact(s, "TX.PNV", "plan_disseminated", 2026, actor="t")  # not in population
        targets.record_fact(s, "TX.VP.TD", "plan_disseminated", 2025, actor="t")  # other year
    assert first.changed and first.previous is None
    with session_scope() as s:
        line = targets.target_status(s, PLAN, 2026).lines[0]
    assert line.percent == Decimal("50.00") and not line.achieved
    assert [c for c, _ in line.missing] == ["TX.VP.TD"]
    with session_scope() as s:
        targets.record_fact(s, "TX.VP.TD", "plan_disseminated", 2026, actor="t")
        again = targets.record_fact(s, "TX.VP.TD", "plan_disseminated", 2026, actor="t")
        assert not again.changed
        line = targets.target_status(s, PLAN, 2026).lines[0]
    assert line.achieved and line.percent == Decimal("100.00") and line.missing == []
    assert line.summary.startswith("Đạt: 2/2")
    with session_scope() as s:
        off = targets.record_fact(s, "TX.VP.TD", "plan_disseminated", 2026, value=False,
                                  actor="t")
        assert off.previous is True
        assert not targets.target_status(s, PLAN, 2026).lines[0].achieved


@pytest.mark.parametrize(("args", "field"), [
    (("XX.KHONG", "plan_disseminated", 2026), "unit"),
    (("TX.VP.HC", "Phổ biến", 2026), "fact"),
    (("TX.VP.HC", "plan_disseminated", 3000), "year"),
])
def test_record_fact_refusals(db: str, args: tuple[str, str, int], field: str) -> None:
    with pytest.raises(UserError) as exc, session_scope() as s:
        targets.record_fact(s, *args, actor="t")
    assert exc.value.field == field
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(UnitFact)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "fact.recorded")) == 0


def test_cli_targets(db: str) -> None:
    from danvan_workflow.cli.main import app

    runner = CliRunner()
    res = runner.invoke(app, ["targets", "record", "--unit", "XX.KHONG", "--fact",
                              "plan_disseminated", "--year", "2026"])
    assert res.exit_code == 1 and "Lỗi" in res.output and "'unit'" in res.output
    res = runner.invoke(app, ["targets", "status", "--plan", "99-KH", "--year", "2026"])
    assert res.exit_code == 1 and "'plan'" in res.output
    res = runner.invoke(app, ["targets", "record", "--unit", "TX.VP.HC", "--fact",
                              "plan_disseminated", "--year", "2026"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["targets", "status", "--plan", PLAN, "--year", "2026"])
    assert res.exit_code == 0 and "TX.VP.TD" in res.output

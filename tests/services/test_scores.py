"""Scores: validation against the criterion, upsert, ranking, a scoring body's aggregation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from danvan_workflow.db.models import AuditEntry, Score
from danvan_workflow.db.session import session_scope
from danvan_workflow.errors import UserError
from danvan_workflow.services import config, scores

SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "small_config"
PLAN = "26-KH/BCĐ"


@pytest.fixture
def db(sqlite_url: str) -> Iterator[str]:
    config.load(SMALL)
    yield sqlite_url


def _rec(unit: str, crit: str, points: object, bonus: object = 0) -> scores.ScoreResult:
    with session_scope() as s:
        return scores.record_score(s, plan_code=PLAN, unit_code=unit, year=2026,
                                   criterion_code=crit, points=points, bonus=bonus,  # type: ignore[arg-type]
                                   actor="t")


def test_record_rank_aggregate(db: str) -> None:
    _rec("TX.PTC", "C1", 40)
    _rec("TX.PTC", "C2", "55,5", 5)
    _rec("TX.VP.HC", "C1", 30)
    _rec("TX.VP.HC", "C2", 30)
    first = _rec("TX.PNV", "C1", 10)
    corrected = _rec("TX.PNV", "C1", 30)
    _rec("TX.PNV", "C2", 30)
    assert first.previous is None and corrected.previous == (Decimal(10), Decimal(0))
    same = _rec("TX.PNV", "C2", 30)
    assert not same.changed
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Score)) == 6
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "score.recorded")) == 7  # 6 new, 1 correction
        ranked = scores.rank(s, PLAN, 2026)
    assert [(r.rank, r.unit_code, r.total, r.classification) for r in ranked] == [
        (1, "TX.PTC", Decimal("100.5"), "Tốt"),
        (2, "TX.PNV", Decimal(60), "Trung bình"),
        (2, "TX.VP.HC", Decimal(60), "Trung bình"),
    ]
    with session_scope() as s:
        agg = scores.aggregate(s, PLAN, 2026, "TX.PNV")
    # scored: state agencies under TX.UBND but the scorer itself (TX.PTC); TX.VP.HC is an
    # office; TX.PNV's own points are not part of its aggregation
    assert [r.unit_code for r in agg.scored] == ["TX.PTC"]
    assert agg.not_scored == []
    assert agg.unexpected == ["TX.PNV", "TX.VP.HC"]
    assert agg.due_on == dt.date(2026, 11, 19)  # "trước ngày 20/11"
    # the plan is for 2026: another year is refused in words, not answered with an empty list
    with session_scope() as s, pytest.raises(UserError, match="năm 2027 không thuộc"):
        scores.aggregate(s, PLAN, 2027, "TX.PNV")


@pytest.mark.parametrize(("kwargs", "field"), [
    (dict(criterion_code="C1", points=41), "C1"),
    (dict(criterion_code="C1", points=-1), "C1"),
    (dict(criterion_code="C2", points=10, bonus=6), "C2"),
    (dict(criterion_code="C9", points=1), "criterion"),
    (dict(criterion_code="C1", points="abc"), "points"),
    (dict(criterion_code="C1", points=1, unit_code="XX"), "unit"),
    (dict(criterion_code="C1", points=1, year=1990), "year"),
])
def test_refusals(db: str, kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = dict(plan_code=PLAN, unit_code="TX.PTC", year=2026, actor="t")
    args.update(kwargs)
    with pytest.raises(UserError) as exc, session_scope() as s:
        scores.record_score(s, **args)  # type: ignore[arg-type]
    assert exc.value.field == field
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Score)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "score.recorded")) == 0


def test_aggregate_unknown_scorer(db: str) -> None:
    with pytest.raises(UserError) as exc, session_scope() as s:
        scores.aggregate(s, PLAN, 2026, "TX.PTC")
    assert exc.value.field == "scorer"


def test_cli_scores(db: str) -> None:
    from danvan_workflow.cli.main import app

    runner = CliRunner()
    res = runner.invoke(app, ["scores", "record", "--plan", PLAN, "--unit", "XX.KHONG",
                              "--year", "2026", "--criterion", "C1", "--points", "10"])
    assert res.exit_code == 1 and "Lỗi" in res.output and "'unit'" in res.output
    res = runner.invoke(app, ["scores", "record", "--plan", PLAN, "--unit", "TX.PTC",
                              "--year", "2026", "--criterion", "C1", "--points", "50"])
    assert res.exit_code == 1 and "vượt quá điểm tối đa" in res.output
    res = runner.invoke(app, ["scores", "record", "--plan", PLAN, "--unit", "TX.PTC",
                              "--year", "2026", "--criterion", "C1", "--points", "35"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["scores", "aggregate", "--plan", PLAN, "--year", "2026",
                              "--scorer", "TX.PNV"])
    assert res.exit_code == 0 and "19/11/2026" in res.output and "TX.PTC" in res.output
    res = runner.invoke(app, ["scores", "rank", "--plan", PLAN, "--year", "2026"])
    assert res.exit_code == 0 and "TX.PTC" in res.output

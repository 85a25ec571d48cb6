"""Inspection rounds: default report due date, results vocabulary, status with missing results."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from danvan_workflow.db.models import AuditEntry, InspectionRound, InspectionVisit
from danvan_workflow.db.session import session_scope
from danvan_workflow.errors import UserError
from danvan_workflow.services import config, inspections, models_dvk

SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "small_config"
PLAN = "26-KH/BCĐ"
TODAY = dt.date(2026, 11, 21)


@pytest.fixture
def db(sqlite_url: str) -> Iterator[int]:
    config.load(SMALL)
    with session_scope() as s:
        mid = models_dvk.register_model(s, {
            "name": "Dân vận khéo trong cải cách hành chính", "address": "Phường An",
            "field": "xay_dung_dang", "start": "2026-02-01", "end": "2026-12-31",
            "content": "Một cửa thân thiện", "owner": "Bà Tư", "unit_code": "PA.DU",
            "batch": "first_half"}, "t", plan_code=PLAN).model_id
    yield mid


def _teams(mid: int) -> list[dict[str, Any]]:
    return [
        {"name": "Tổ 1", "members": [{"name": "Nguyễn Văn An", "role": "Tổ trưởng"}],
         "visits": [{"unit": "PA.DU", "model_id": mid, "visit_on": "2026-07-10"},
                    {"unit": "PA.DU"}]},
        {"name": "Tổ 2", "members": [{"name": "Lê Thị Cúc", "role": "Thành viên"}],
         "visits": [{"unit": "PB.DU"}, {"unit": "CB.THPT"}]},
    ]


def test_default_due_dates_and_status(db: int) -> None:
    with session_scope() as s:
        mid_year = inspections.create_round(s, plan_code=PLAN, kind="mid_year", year=2026,
                                            title="Kiểm tra 6 tháng đầu năm 2026",
                                            teams=_teams(db), actor="t")
        year_end = inspections.create_round(s, plan_code=PLAN, kind="year_end", year=2026,
                                            title="Kiểm tra cuối năm 2026",
                                            teams=_teams(db), actor="t")
    # 25/7/2026 is a Saturday: "chậm nhất" -> Friday 24/7
    assert mid_year.report_due_on == dt.date(2026, 7, 24)
    assert mid_year.due_source == "bc-kiem-tra-giua-nam"
    assert year_end.report_due_on == dt.date(2026, 12, 15)
    assert (mid_year.code, mid_year.teams, mid_year.visits) == ("mid_year-2026", 2, 4)
    with session_scope() as s:
        res = inspections.record_result(s, round_code=year_end.code, unit_code="PA.DU",
                                        model_id=db, result="xuat_sac", findings="Hiệu quả",
                                        visit_on=dt.date(2026, 11, 20), actor="t", today=TODAY)
        assert res.result_label == "Xuất sắc" and res.previous is None
        again = inspections.record_result(s, round_code=year_end.code, unit_code="PA.DU",
                                          model_id=db, result="dat", findings=None,
                                          visit_on=None, actor="t", today=TODAY)
        assert again.previous == "xuat_sac"
        inspections.record_result(s, round_code=year_end.code, unit_code="PB.DU",
                                  model_id=None, result="khong_dat", findings="Chưa đạt",
                                  visit_on=None, actor="t", today=TODAY)
    with session_scope() as s:
        st = inspections.round_status(s, year_end.code, TODAY)
    assert len(st.visits) == 4 and len(st.done) == 2
    assert {v.unit_code for v in st.missing} == {"PA.DU", "CB.THPT"}
    assert st.days_left == 24 and "còn" in st.days_left_text
    assert [v.result_label for v in st.visits if v.model_id] == ["Đạt"]


def test_refusals_write_nothing(db: int) -> None:
    with session_scope() as s:
        inspections.create_round(s, plan_code=PLAN, kind="ad_hoc", year=2026, title="Đột xuất",
                                 teams=_teams(db), actor="t")
    with session_scope() as s:
        before = (s.scalar(select(func.count()).select_from(AuditEntry)),
                  s.scalar(select(func.count()).select_from(InspectionRound)),
                  s.scalar(select(func.count()).select_from(InspectionVisit)))
    bad_teams = _teams(db)
    bad_teams[1]["visits"].append({"unit": "XX.KHONG"})
    cases: list[tuple[Any, str]] = [
        (lambda s: inspections.create_round(s, plan_code=PLAN, kind="weekly", year=2026,
                                            title="x", teams=_teams(db), actor="t"), "kind"),
        (lambda s: inspections.create_round(s, plan_code=PLAN, kind="ad_hoc", year=2026,
                                            title="x", teams=bad_teams, actor="t"),
         "teams[1].visits[2].unit"),
        (lambda s: inspections.create_round(
            s, plan_code=PLAN, kind="ad_hoc", year=2026, title="x", actor="t",
            teams=[{"name": "T", "visits": [{"unit": "PB.DU", "model_id": db}]}]),
         "teams[0].visits[0].model_id"),
        (lambda s: inspections.record_result(s, round_code="ad_hoc-2026", unit_code="PA.DU",
                                             model_id=None, result="tot", findings=None,
                                             visit_on=None, actor="t"), "result"),
        (lambda s: inspections.record_result(s, round_code="ad_hoc-2026", unit_code="TX.PNV",
                                             model_id=None, result="dat", findings=None,
                                             visit_on=None, actor="t"), "unit"),
        (lambda s: inspections.record_result(s, round_code="ad_hoc-2026", unit_code="PA.DU",
                                             model_id=None, result="dat", findings=None,
                                             visit_on=dt.date(2027, 1, 1), actor="t",
                                             today=TODAY), "visit_on"),
        (lambda s: inspections.round_status(s, "khong-co", TODAY), "round"),
    ]
    for call, field in cases:
        with pytest.raises(UserError) as exc, session_scope() as s:
            call(s)
        assert exc.value.field == field
    with session_scope() as s:
        assert before == (s.scalar(select(func.count()).select_from(AuditEntry)),
                          s.scalar(select(func.count()).select_from(InspectionRound)),
                          s.scalar(select(func.count()).select_from(InspectionVisit)))


def test_cli_inspections(db: int, tmp_path: Path) -> None:
    from danvan_workflow.cli.main import app

    teams = tmp_path / "teams.json"
    teams.write_text(json.dumps(_teams(db), ensure_ascii=False), encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(app, ["inspections", "create", "--plan", PLAN, "--kind", "mid_year",
                              "--year", "2026", "--title", "Kiểm tra giữa năm",
                              "--teams", str(teams), "--due", "31/02/2026"])
    assert res.exit_code == 1 and "Lỗi" in res.output and "'--due'" in res.output
    res = runner.invoke(app, ["inspections", "create", "--plan", PLAN, "--kind", "mid_year",
                              "--year", "2026", "--title", "Kiểm tra giữa năm",
                              "--teams", str(teams)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["inspections", "record", "mid_year-2026", "--unit", "XX.KHONG",
                              "--result", "dat"])
    assert res.exit_code == 1 and "'unit'" in res.output
    res = runner.invoke(app, ["inspections", "status", "mid_year-2026"])
    assert res.exit_code == 0 and "Chưa có kết quả" in res.output

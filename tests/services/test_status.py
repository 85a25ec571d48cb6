"""One-screen status of a unit and of a plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from danvan_workflow.db.session import session_scope
from danvan_workflow.errors import UserError
from danvan_workflow.services import config, models_dvk, reports, status

SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "small_config"
PLAN = "26-KH/BCĐ"
TODAY = dt.date(2026, 11, 21)


@pytest.fixture
def db(sqlite_url: str) -> Iterator[str]:
    config.load(SMALL)
    with session_scope() as s:
        # PA.DU: H1 on time, a request late; PB.DU: H1 overdue
        reports.submit(s, plan_code=PLAN, obligation_code="bc-6-thang", unit_code="PA.DU",
                       period_key="2026-H1", received_on=dt.date(2026, 6, 15),
                       document_number=None, recorded_by="t", today=TODAY)
        req = reports.request_report(s, plan_code=PLAN, unit_codes=["PA.DU"],
                                     due_on=dt.date(2026, 2, 13), title="Chuyên đề Tết",
                                     actor="t", requested_on=dt.date(2026, 2, 2))
        reports.submit(s, deadline_id=req.deadline_ids[0], received_on=dt.date(2026, 2, 23),
                       document_number=None, recorded_by="t", today=TODAY)
        models_dvk.register_model(s, {
            "name": "Mô hình A", "address": "Phường An", "field": "kinh_te",
            "start": "2026-02-01", "end": "2026-12-31", "content": "Nội dung",
            "owner": "Ông A", "unit_code": "PA.DU", "batch": "first_half"}, "t", plan_code=PLAN)
    yield sqlite_url


def test_unit_status(db: str) -> None:
    with session_scope() as s:
        st = status.unit_status(s, "PA.DU", TODAY)
    assert st.counts["submitted_on_time"] == 1 and st.counts["submitted_late"] == 1
    assert st.on_time_rate == Decimal("50.00")
    assert st.overdue == []
    # H2 report due 17/12/2026 is more than 14 days away
    assert st.upcoming == []
    assert st.continuous_tasks and st.continuous_tasks[0].startswith("1. ")
    assert st.models == {"registered": 1}
    assert [(q.unit_code, q.short_by) for q in st.quota_short] == [("PA.DU", 4)]
    with session_scope() as s:
        later = status.unit_status(s, "PA.DU", dt.date(2026, 12, 10))
    assert [d.period_key for d in later.upcoming] == ["2026-H2"]


def test_plan_status(db: str) -> None:
    with session_scope() as s:
        st = status.plan_status(s, PLAN, TODAY)
    overdue = {(d.reporter_code, d.period_key) for d in st.overdue}
    assert ("PB.DU", "2026-H1") in overdue and ("CB.THPT", "2026-H1") in overdue
    assert ("PA.DU", "2026-H1") not in overdue
    assert ("TX.BCD", "2026-07-25") in overdue
    assert ("TX.PNV", "2026") in overdue  # "trước ngày 20/11" -> 19/11/2026
    assert st.upcoming == []
    # one on-time rate everywhere: 1 on time / (1 on time + 1 late + 4 overdue)
    assert st.submitted_count == 2 and st.on_time_rate == Decimal("16.7")
    assert {q.unit_code for q in st.quota_short} == {"PA.DU", "PB.DU", "CB.THPT"}
    with session_scope() as s:
        later = status.plan_status(s, PLAN, dt.date(2026, 12, 5))
    assert {d.period_key for d in later.upcoming} == {"2026-12-15", "2026-H2"}


def test_unknown_unit(db: str) -> None:
    with pytest.raises(UserError) as exc, session_scope() as s:
        status.unit_status(s, "XX.KHONG", TODAY)
    assert exc.value.field == "unit"


def test_cli_status(db: str) -> None:
    from danvan_workflow.cli.main import app

    runner = CliRunner()
    res = runner.invoke(app, ["status", "--unit", "XX.KHONG"])
    assert res.exit_code == 1 and "Lỗi" in res.output and "'unit'" in res.output
    res = runner.invoke(app, ["status", "--plan", PLAN, "--on", "31/02/2026"])
    assert res.exit_code == 1 and "'--on'" in res.output
    res = runner.invoke(app, ["status", "--plan", PLAN, "--on", "2026-11-21"])
    assert res.exit_code == 0, res.output
    assert "Quá hạn" in res.output and "PB.DU" in res.output
    res = runner.invoke(app, ["status", "--unit", "PA.DU", "--on", "2026-11-21"])
    assert res.exit_code == 0 and "Nhiệm vụ thường xuyên" in res.output

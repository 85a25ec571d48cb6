"""Reports: submit (on time, late across Tết), waive, extend, request; refusals write nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from danvan_workflow.db.models import AuditEntry, Deadline, Submission
from danvan_workflow.db.session import session_scope
from danvan_workflow.errors import UserError
from danvan_workflow.services import config, reports

SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "small_config"
PLAN = "26-KH/BCĐ"
TODAY = dt.date(2026, 11, 21)


@pytest.fixture
def db(sqlite_url: str) -> Iterator[str]:
    config.load(SMALL)
    yield sqlite_url


def _counts(s: Session) -> tuple[int, int, int]:
    return (s.scalar(select(func.count()).select_from(AuditEntry)) or 0,
            s.scalar(select(func.count()).select_from(Submission)) or 0,
            s.scalar(select(func.count()).select_from(Deadline)) or 0)


def _request(s: Session, due: dt.date, units: list[str] | None = None) -> int:
    res = reports.request_report(s, plan_code=PLAN, unit_codes=units or ["PA.DU"], due_on=due,
                                 title="Báo cáo nhanh tình hình dân vận", actor="test",
                                 requested_on=dt.date(2026, 2, 2))
    return res.deadline_ids[0]


def test_config_loads(db: str) -> None:
    with session_scope() as s:
        d = reports.find_deadline(s, PLAN, "bc-6-thang", "PA.DU", "2026-H1")
        assert d.due_on == dt.date(2026, 6, 17)
        assert d.period_start == dt.date(2025, 12, 15)


def test_late_across_tet(db: str) -> None:
    with session_scope() as s:
        did = _request(s, dt.date(2026, 2, 13))  # Friday before Tết
    with session_scope() as s:
        res = reports.submit(s, deadline_id=did, received_on=dt.date(2026, 2, 23),
                             document_number="05/BC-ĐU", recorded_by="văn thư", today=TODAY)
    assert not res.on_time and res.late_working_days == 1
    assert res.status == "submitted_late"
    assert "trễ 1 ngày làm việc" in res.message
    with session_scope() as s:
        d = s.get(Deadline, did)
        assert d is not None and d.status == "submitted_late"
        sub = s.execute(select(Submission).where(Submission.deadline_id == did)).scalar_one()
        assert sub.late_working_days == 1 and sub.on_time is False
        assert sub.document_number == "05/BC-ĐU"
        actions = s.execute(select(AuditEntry.action)).scalars().all()
        assert "deadline.submitted" in actions and "deadline.requested" in actions


def test_on_time_by_reference(db: str) -> None:
    with session_scope() as s:
        res = reports.submit(s, plan_code=PLAN, obligation_code="bc-6-thang", unit_code="PB.DU",
                             period_key="2026-H1", received_on=dt.date(2026, 6, 17),
                             document_number=None, recorded_by="test", today=TODAY)
    assert res.on_time and res.late_working_days == 0 and res.status == "submitted_on_time"


@pytest.mark.parametrize(("kwargs", "field"), [
    (dict(received_on=dt.date(2026, 12, 1)), "received_on"),      # in the future
    (dict(received_on=dt.date(2025, 12, 1)), "received_on"),      # before the period began
    (dict(unit_code="XX.KHONG"), "unit"),
    (dict(period_key="2030-H1"), "period"),
    (dict(obligation_code="khong-co"), "obligation"),
    (dict(plan_code="99-KH"), "plan"),
])
def test_submit_refusals_write_nothing(db: str, kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = dict(plan_code=PLAN, obligation_code="bc-6-thang",
                                   unit_code="PA.DU", period_key="2026-H1",
                                   received_on=dt.date(2026, 6, 1))
    args.update(kwargs)
    with session_scope() as s:
        before = _counts(s)
    with pytest.raises(UserError) as exc, session_scope() as s:
        reports.submit(s, document_number=None, recorded_by="t", today=TODAY, **args)  # type: ignore[arg-type]
    assert exc.value.field == field
    with session_scope() as s:
        assert _counts(s) == before


def test_double_submission_refused(db: str) -> None:
    args = dict(plan_code=PLAN, obligation_code="bc-6-thang", unit_code="PA.DU",
                period_key="2026-H1", document_number=None, recorded_by="t", today=TODAY)
    with session_scope() as s:
        reports.submit(s, received_on=dt.date(2026, 6, 10), **args)  # type: ignore[arg-type]
        before = _counts(s)
    with pytest.raises(UserError) as exc, session_scope() as s:
        reports.submit(s, received_on=dt.date(2026, 6, 11), **args)  # type: ignore[arg-type]
    assert exc.value.field == "deadline_id"
    with session_scope() as s:
        assert _counts(s) == before


def test_waive_then_submit_refused(db: str) -> None:
    with session_scope() as s:
        d = reports.find_deadline(s, PLAN, "bc-6-thang", "CB.THPT", "2026-H2")
        res = reports.waive(s, d.id, "Chi bộ sáp nhập", "test")
        did = d.id
    assert res.status == "waived" and res.before_status == "open"
    with pytest.raises(UserError), session_scope() as s:
        reports.submit(s, deadline_id=did, received_on=dt.date(2026, 11, 1),
                       document_number=None, recorded_by="t", today=TODAY)
    with pytest.raises(UserError) as exc, session_scope() as s:
        reports.waive(s, did, "  ", "test")
    assert exc.value.field == "reason"


def test_extend_then_on_time(db: str) -> None:
    with session_scope() as s:
        did = _request(s, dt.date(2026, 2, 13))
    with pytest.raises(UserError) as exc, session_scope() as s:
        reports.extend(s, did, dt.date(2026, 2, 10), "lý do", "test")
    assert exc.value.field == "new_due"
    with session_scope() as s:
        res = reports.extend(s, did, dt.date(2026, 2, 27), "Nghỉ Tết", "test")
    assert res.status == "extended" and res.due_on == dt.date(2026, 2, 27)
    assert res.original_due_on == dt.date(2026, 2, 13)
    with session_scope() as s:
        sub = reports.submit(s, deadline_id=did, received_on=dt.date(2026, 2, 23),
                             document_number=None, recorded_by="t", today=TODAY)
    assert sub.on_time
    with session_scope() as s:
        d = s.get(Deadline, did)
        assert d is not None and d.original_due_on == dt.date(2026, 2, 13)


def test_request_numbering_and_refusals(db: str) -> None:
    with session_scope() as s:
        a = reports.request_report(s, plan_code=PLAN, unit_codes=["PA.DU", "PB.DU"],
                                   due_on=dt.date(2026, 12, 5), title="Chuyên đề 1", actor="t")
        b = reports.request_report(s, plan_code=PLAN, obligation_code="bc-theo-yeu-cau",
                                   unit_codes=["PA.DU"], due_on=dt.date(2026, 12, 6),
                                   title="Chuyên đề 2", actor="t")
    assert (a.period_key, b.period_key) == ("request:1", "request:2")
    assert len(a.deadline_ids) == 2
    for kwargs, field in ((dict(obligation_code="bc-6-thang"), "obligation"),
                          (dict(unit_codes=["XX"]), "unit"),
                          (dict(due_on=dt.date(2020, 1, 1)), "due_on")):
        args: dict[str, object] = dict(plan_code=PLAN, unit_codes=["PA.DU"],
                                       due_on=dt.date(2026, 12, 5), title="x", actor="t")
        args.update(kwargs)
        with pytest.raises(UserError) as exc, session_scope() as s:
            reports.request_report(s, **args)  # type: ignore[arg-type]
        assert exc.value.field == field


def test_cli_reports(db: str) -> None:
    from danvan_workflow.cli.main import app

    runner = CliRunner()
    res = runner.invoke(app, ["reports", "submit", "--plan", PLAN, "--obligation", "bc-6-thang",
                              "--unit", "XX.KHONG", "--period", "2026-H1",
                              "--received", "2026-06-01"])
    assert res.exit_code == 1
    assert "Lỗi" in res.output and "'unit'" in res.output and "XX.KHONG" in res.output
    res = runner.invoke(app, ["reports", "submit", "--deadline", "1", "--received", "31/02/2026"])
    assert res.exit_code == 1 and "'--received'" in res.output
    res = runner.invoke(app, ["reports", "request", "--plan", PLAN, "--unit", "PA.DU",
                              "--due", "2026-12-30", "--title", "Chuyên đề"])
    assert res.exit_code == 0, res.output

"""A submission recorded by mistake is withdrawn: kept aside with the reason, the deadline
awaits its report again, its reminders resume, and the audit trail holds both entries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from danvan_workflow.commands import parse_command
from danvan_workflow.commands.reports import WithdrawSubmission
from danvan_workflow.db import models as m
from danvan_workflow.db.session import session_scope
from danvan_workflow.errors import UserError
from danvan_workflow.services import config, reports
from danvan_workflow.services.reminders import plan_reminders
from tests.conftest import CONFIG


@pytest.fixture
def db(sqlite_url: str) -> Iterator[str]:
    config.load(CONFIG)
    yield sqlite_url


def _deadline() -> tuple[int, dt.date]:
    """An open deadline of the shipped plans due later in December 2026."""
    with session_scope() as s:
        d = s.execute(select(m.Deadline).where(
            m.Deadline.status == "open", m.Deadline.due_on > dt.date(2026, 12, 7),
            m.Deadline.due_on <= dt.date(2026, 12, 31),
            m.Deadline.period_start <= dt.date(2026, 12, 1)).order_by(m.Deadline.id)
        ).scalars().first()
        assert d is not None and d.due_on is not None
        return d.id, d.due_on


def _submit(day: dt.date) -> int:
    did, _ = _deadline()
    with session_scope() as s:
        reports.submit(s, deadline_id=did, received_on=day, document_number="20-BC/ĐU",
                       recorded_by="văn thư", today=day)
    return did


def test_withdrawn_submission_reopens_the_deadline_and_keeps_the_fact(db: str) -> None:
    _, due = _deadline()
    did = _submit(dt.date(2026, 12, 1))
    with session_scope() as s:  # submitted: its reminders stop
        plan_reminders(s, due)
        assert not s.execute(select(m.Notification.id)
                             .where(m.Notification.deadline_id == did)).all()
    cmd = parse_command(WithdrawSubmission, {"deadline_id": did, "reason": "Ghi nhầm đơn vị",
                                             "operator": "chuyên viên A"})
    res = reports.withdraw_submission(cmd)
    assert res.status == "open" and res.status_label == "Chưa nộp"
    assert res.received_on == dt.date(2026, 12, 1)
    with session_scope() as s:
        d = s.get(m.Deadline, did)
        assert d is not None and d.status == "open"
        assert s.execute(select(m.Submission).where(m.Submission.deadline_id == did)
                         ).scalar_one_or_none() is None
        kept = s.execute(select(m.WithdrawnSubmission)).scalar_one()
        assert (kept.deadline_id, kept.document_number, kept.recorded_by, kept.reason,
                kept.withdrawn_by) == (did, "20-BC/ĐU", "văn thư", "Ghi nhầm đơn vị",
                                       "chuyên viên A")
        trail = s.execute(select(m.AuditEntry.action, m.AuditEntry.note)
                          .where(m.AuditEntry.entity == "deadline",
                                 m.AuditEntry.entity_id == str(did))
                          .order_by(m.AuditEntry.id)).all()
    assert [a for a, _ in trail] == ["deadline.submitted", "deadline.submission_withdrawn"]
    assert trail[-1][1] == "Ghi nhầm đơn vị"
    # reminders follow the corrected state: the deadline is reminded again
    with session_scope() as s:
        plan_reminders(s, due)
        items = s.execute(select(m.Notification.deadline_id)
                          .where(m.Notification.deadline_id == did)).scalars().all()
    assert items
    # and it can be recorded again, correctly
    with session_scope() as s:
        again = reports.submit(s, deadline_id=did, received_on=dt.date(2026, 12, 2),
                               document_number="21-BC/ĐU", recorded_by="văn thư",
                               today=dt.date(2026, 12, 3))
    assert again.on_time


def test_withdraw_refuses_without_reason_or_submission(db: str) -> None:
    did, _ = _deadline()
    with pytest.raises(UserError) as exc:
        reports.withdraw_submission(parse_command(WithdrawSubmission, {
            "deadline_id": did, "reason": "Ghi nhầm"}))
    assert "Chỉ rút lại được báo cáo đã ghi nhận" in exc.value.render()
    _submit(dt.date(2026, 12, 1))
    with pytest.raises(UserError) as exc:
        parse_command(WithdrawSubmission, {"deadline_id": did, "reason": ""})
    assert exc.value.field == "reason"
    with session_scope() as s:
        assert s.execute(select(m.Deadline.status).where(m.Deadline.id == did)
                         ).scalar_one() == "submitted_on_time"

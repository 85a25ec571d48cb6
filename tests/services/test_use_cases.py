"""Operator commands and their use cases: one command for the CLI and the forms, one
transaction per use case (a refusal writes nothing), reads that open their own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from danvan_workflow.commands import parse_command
from danvan_workflow.commands.models_dvk import RegisterModel
from danvan_workflow.commands.reports import ChangeDeadline, RecordSubmission, RequestReport
from danvan_workflow.commands.scores import RecordScore
from danvan_workflow.db.models import AuditEntry, Deadline, Plan, Submission, Unit
from danvan_workflow.db.session import session_scope
from danvan_workflow.errors import UserError
from danvan_workflow.services import config, reports, views

SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "small_config"
PLAN = "26-KH/BCĐ"


@pytest.fixture
def db(sqlite_url: str) -> Iterator[str]:
    config.load(SMALL)
    yield sqlite_url


def _audits() -> int:
    with session_scope() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def test_use_cases_commit_and_audit(db: str) -> None:
    before = _audits()
    req = reports.request_ad_hoc_report(parse_command(RequestReport, {
        "plan": PLAN, "units": ["PA.DU"], "due_on": dt.date(2099, 1, 5),
        "title": "  Báo cáo nhanh  ", "operator": "test"}))
    assert req.title == "Báo cáo nhanh" and len(req.deadline_ids) == 1
    did = req.deadline_ids[0]
    ext = reports.change_deadline(ChangeDeadline(deadline_id=did, action="gia_han",
                                                 new_due=dt.date(2099, 1, 9), reason="Tết"))
    assert ext.status == "extended" and ext.due_on == dt.date(2099, 1, 9)
    assert _audits() == before + 2
    with session_scope() as s:
        assert s.get(Deadline, did).due_on == dt.date(2099, 1, 9)  # type: ignore[union-attr]


def test_refusals_name_the_field_and_write_nothing(db: str) -> None:
    with session_scope() as s:
        did = s.execute(select(Deadline.id).where(Deadline.status == "open")).scalars().first()
    assert did is not None
    before = _audits()
    with pytest.raises(UserError) as err:
        reports.change_deadline(ChangeDeadline(deadline_id=did, action="gia_han", reason="x"))
    assert err.value.field == "new_due"
    with pytest.raises(UserError) as err:
        reports.record_submission(RecordSubmission(deadline_id=did,
                                                   received_on=dt.date(2099, 1, 1)))
    assert err.value.field == "received_on"
    assert _audits() == before
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Submission)) == 0


def test_commands_parse_what_users_type() -> None:
    assert parse_command(RecordScore, {"plan": PLAN, "unit": "PA.DU", "year": 2026,
                                       "criterion": "C1", "points": "35,5"}).points == \
        parse_command(RecordScore, {"plan": PLAN, "unit": "PA.DU", "year": 2026,
                                    "criterion": "C1", "points": 35.5}).points
    with pytest.raises(UserError) as err:
        parse_command(RegisterModel, {
            "unit_code": "PA.DU", "name": "Mô hình", "address": "Phổ Vinh", "field": "sai",
            "start": "2026-03-01", "end": "2026-12-31", "content": "Nội dung",
            "owner": "Ông A", "batch": "first_half"})
    assert err.value.field == "field"
    assert "Lĩnh vực" in err.value.message and "kinh_te (Kinh tế)" in err.value.message
    with pytest.raises(UserError) as err:
        parse_command(ChangeDeadline, {"deadline_id": 1, "action": "mien", "reason": "x",
                                       "khong_co": 1})
    assert err.value.field == "khong_co"


def test_unit_and_plan_lists(db: str) -> None:
    units = views.view_units()
    plans = views.view_plans()
    with session_scope() as s:
        assert [u.code for u in units] == list(s.execute(
            select(Unit.code).where(Unit.archived_at.is_(None)).order_by(Unit.code)).scalars())
        assert {p.code for p in plans} == set(s.execute(
            select(Plan.code).where(Plan.archived_at.is_(None))).scalars())
        by_id = {u.id: u.code for u in s.execute(select(Unit)).scalars()}
        parents = {u.code: by_id.get(u.parent_id or -1) for u in s.execute(select(Unit)).scalars()}
    assert all(u.parent_code == parents[u.code] for u in units)
    plan = next(p for p in plans if p.code == PLAN)
    assert plan.obligations > 0 and plan.tasks >= 0
    assert len(views.view_units(show_all=True)) >= len(units)

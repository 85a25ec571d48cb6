"""Never lose recorded facts: archive on leaving config/, delete only on demand, close a year.

Every test runs on SQLite and on PostgreSQL (the `engine` fixture).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, case, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from danvan_workflow.cli.main import app
from danvan_workflow.db import models as m
from danvan_workflow.db.session import session_scope
from danvan_workflow.errors import UserError
from danvan_workflow.services import archive, reports
from danvan_workflow.services import config as config_service
from danvan_workflow.services.calendar import calendar_for
from danvan_workflow.services.outbox import dispatch
from danvan_workflow.services.queries import STATUS_LABELS, list_deadlines
from danvan_workflow.services.reminders import plan_reminders
from danvan_workflow.settings import get_settings
from danvan_workflow.timeutil import TZ
from tests.conftest import CONFIG

PLAN, PLAN_FILE = "19-KH/BCĐ", "tay-ninh-19-kh-bcd.yaml"
UNIT = "DP.DU.PHO_AN"
FACTS = ("deadlines", "submissions", "notifications", "outbox_messages")
PLAN_CONFIG = ("plan_tasks", "obligations", "obligation_reporters", "score_criteria",
               "classification_thresholds", "scoring_bodies", "quotas", "targets")


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    dst = tmp_path / "config"
    shutil.copytree(CONFIG, dst)
    monkeypatch.setenv("DANVAN_CONFIG_DIR", str(dst))
    get_settings.cache_clear()
    return dst


@pytest.fixture
def loaded(engine: Engine, cfg: Path) -> Engine:
    config_service.load(cfg, engine=engine)
    return engine


def table_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in m.Base.metadata.sorted_tables}


def plan_deadline_ids(code: str) -> Any:
    return (select(m.Deadline.id).join(m.Obligation, m.Obligation.id == m.Deadline.obligation_id)
            .join(m.Plan, m.Plan.id == m.Obligation.plan_id).where(m.Plan.code == code))


def unit_deadline_ids(code: str) -> Any:
    return select(m.Deadline.id).join(m.Unit, m.Unit.id == m.Deadline.unit_id).where(
        m.Unit.code == code)


def count(s: Session, model: type[m.Base], *where: object) -> int:
    return int(s.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def submit_first(engine: Engine, ids: Any) -> int:
    """Record, through the reports service, the report of the earliest dated deadline."""
    with session_scope(engine) as s:
        d = s.execute(select(m.Deadline).where(m.Deadline.id.in_(ids),
                                               m.Deadline.due_on.is_not(None))
                      .order_by(m.Deadline.due_on)).scalars().first()
        assert d is not None and d.due_on is not None
        reports.submit(s, deadline_id=d.id, received_on=d.due_on, document_number="01/BC",
                       recorded_by="văn thư")
        return d.id


def sweep(engine: Engine, day: dt.date) -> None:
    with session_scope(engine) as s:
        plan_reminders(s, day)


def working_day(engine: Engine, due: dt.date, offset: int) -> dt.date:
    with session_scope(engine) as s:
        return calendar_for(s).add_working_days(due, offset)


def notified(engine: Engine, ids: Any) -> int:
    with session_scope(engine) as s:
        return count(s, m.Notification, m.Notification.deadline_id.in_(ids))


def remove_unit(cfg: Path, code: str) -> None:
    """Take a unit out of config/: its entry, its contacts, and its mentions in plans."""
    units = cfg / "units" / "duc-pho.yaml"
    text = units.read_text(encoding="utf-8")
    text, n = re.subn(rf"\n  - code: {re.escape(code)}\n(?:    .*\n)+", "\n", text)
    assert n == 1
    units.write_text(text, encoding="utf-8")
    contacts = cfg / "contacts" / "duc-pho.yaml"
    text = contacts.read_text(encoding="utf-8")
    text, n = re.subn(rf"\n  - code: \S+\n(?:    .*\n)*?    unit: {re.escape(code)}\n(?:    .*\n)*",
                      "\n", text)
    assert n == 2
    contacts.write_text(text, encoding="utf-8")
    for plan in (cfg / "plans").glob("*.yaml"):
        text = plan.read_text(encoding="utf-8")
        text = re.sub(rf"{re.escape(code)},\s*", "", text)
        text = re.sub(rf",\s*{re.escape(code)}(?=\s*\])", "", text)
        plan.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- plans


def test_removed_plan_file_archives_and_keeps_every_fact(loaded: Engine, cfg: Path) -> None:
    engine = loaded
    with session_scope(engine) as s:
        ids = plan_deadline_ids(PLAN)
        due = s.execute(select(func.min(m.Deadline.due_on)).where(
            m.Deadline.id.in_(ids), m.Deadline.period_key == "2027-H1")).scalar_one()
    assert due is not None
    submit_first(engine, ids)
    sweep(engine, working_day(engine, due, -10))
    assert notified(engine, ids) > 0
    before = table_counts(engine)
    with session_scope(engine) as s:
        n_deadlines = count(s, m.Deadline, m.Deadline.id.in_(ids))
    assert before["submissions"] == 1 and before["outbox_messages"] > 0

    shutil.move(cfg / "plans" / PLAN_FILE, cfg.parent / PLAN_FILE)
    out = CliRunner().invoke(app, ["config", "load", str(cfg)])
    assert out.exit_code == 0, out.output
    note = f"Lưu trữ kế hoạch {PLAN}: {n_deadlines} hạn, 1 báo cáo đã nộp"
    assert note in out.output
    after = table_counts(engine)
    for name in (*FACTS, *PLAN_CONFIG):
        assert after[name] == before[name], name
    with session_scope(engine) as s:
        plan = s.execute(select(m.Plan).where(m.Plan.code == PLAN)).scalar_one()
        assert plan.archived_at is not None
        audit = s.execute(select(m.AuditEntry).where(m.AuditEntry.action == "plan.archived")
                          ).scalar_one()
        assert audit.entity_id == PLAN and audit.note == note
    # an unchanged load (the file still away) reports nothing and archives nothing again
    again = config_service.load(cfg, engine=engine)
    assert not again.report.any

    # a reminder planned before archiving, only about it, is not sent
    N, MSG = m.Notification, m.OutboxMessage
    with session_scope(engine) as s:
        only_it = set(s.execute(select(N.message_id).group_by(N.message_id).having(
            func.sum(case((N.deadline_id.in_(ids), 0), else_=1)) == 0)).scalars())
    assert only_it
    dispatch(engine=engine, at=dt.datetime.combine(working_day(engine, due, -9), dt.time(8),
                                                   tzinfo=TZ))
    with session_scope(engine) as s:
        assert set(s.execute(select(MSG.status).where(MSG.id.in_(only_it))).scalars()) == \
            {"cancelled"}

    # no reminder for it any more, nor in the current dashboards and lists
    planned = notified(engine, ids)
    sweep(engine, working_day(engine, due, -5))
    assert notified(engine, ids) == planned
    listed = CliRunner().invoke(app, ["plans", "list"])
    assert PLAN not in listed.output
    assert PLAN in CliRunner().invoke(app, ["plans", "list", "--all"]).output
    from danvan_workflow.dashboards import rates_by_plan, upcoming

    with session_scope(engine) as s:
        assert all(r["Kế hoạch"] != PLAN for r in upcoming(s, due - dt.timedelta(days=7)).rows)
        assert all(PLAN not in r["Kế hoạch"] for r in rates_by_plan(s, dt.date(2027, 12, 31)).rows)

    # the file comes back: restored, and reminded again
    shutil.move(cfg.parent / PLAN_FILE, cfg / "plans" / PLAN_FILE)
    res = config_service.load(cfg, engine=engine)
    assert f"Khôi phục kế hoạch {PLAN}: {n_deadlines} hạn, 1 báo cáo đã nộp" in res.report.notes
    with session_scope(engine) as s:
        assert s.execute(select(m.Plan.archived_at).where(m.Plan.code == PLAN)).scalar_one() is None
    sweep(engine, working_day(engine, due, -5))
    assert notified(engine, ids) > planned
    assert table_counts(engine)["submissions"] == 1


# --------------------------------------------------------------------------- units


def test_removed_unit_archives_and_keeps_its_reports(loaded: Engine, cfg: Path) -> None:
    engine = loaded
    ids = unit_deadline_ids(UNIT)
    with session_scope(engine) as s:
        latest = s.execute(select(m.Deadline).where(m.Deadline.id.in_(ids))
                           .order_by(m.Deadline.due_on.desc())).scalars().first()
        assert latest is not None and latest.due_on is not None
        due, ob, period = latest.due_on, latest.obligation_id, latest.period_key
        n_deadlines = count(s, m.Deadline, m.Deadline.id.in_(ids))
    same_duty = select(m.Deadline.id).where(m.Deadline.obligation_id == ob,
                                            m.Deadline.period_key == period)
    submit_first(engine, ids)
    sweep(engine, working_day(engine, due, -10))
    assert notified(engine, ids) > 0
    before = table_counts(engine)

    remove_unit(cfg, UNIT)
    out = CliRunner().invoke(app, ["config", "load", str(cfg)])
    assert out.exit_code == 0, out.output
    assert f"Lưu trữ đơn vị {UNIT}: {n_deadlines} hạn, 1 báo cáo đã nộp" in out.output
    assert f"Lưu trữ đầu mối {UNIT}.dauMoi" in out.output
    after = table_counts(engine)
    for name in FACTS:
        assert after[name] == before[name], name
    assert after["units"] == before["units"] and after["contacts"] == before["contacts"]
    with session_scope(engine) as s:
        assert s.execute(select(m.Unit.archived_at).where(m.Unit.code == UNIT)).scalar_one()
        assert count(s, m.Contact, m.Contact.unit_id == select(m.Unit.id).where(
            m.Unit.code == UNIT).scalar_subquery(), m.Contact.archived_at.is_(None)) == 0
        assert count(s, m.Deadline, m.Deadline.id.in_(ids),
                     m.Deadline.status.in_(("open", "extended"))) == n_deadlines - 1

    # a later step of the same duty (with escalation to the recipient) reminds the other
    # units, and nobody about the archived one
    planned, others = notified(engine, ids), notified(engine, same_duty)
    sweep(engine, working_day(engine, due, 3))
    assert notified(engine, ids) == planned
    assert notified(engine, same_duty) > others
    assert UNIT not in CliRunner().invoke(app, ["units", "list"]).output
    assert UNIT in CliRunner().invoke(app, ["units", "list", "--all"]).output
    # nor does a full re-materialisation give it new deadlines
    with session_scope(engine) as s:
        from danvan_workflow.services.materialise import materialise

        materialise(s, until=dt.date(2028, 12, 31))
        assert count(s, m.Deadline, m.Deadline.id.in_(ids)) == n_deadlines


# --------------------------------------------------------------------------- delete


def test_delete_plan_needs_archive_and_retyped_code_and_exports_first(
    loaded: Engine, cfg: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = loaded
    runner = CliRunner()
    exports = get_settings().home / "exports"
    with session_scope(engine) as s:
        ids = plan_deadline_ids(PLAN)
        n_deadlines = count(s, m.Deadline, m.Deadline.id.in_(ids))
    submit_first(engine, ids)

    out = runner.invoke(app, ["plans", "delete", PLAN, "--xac-nhan", PLAN])
    assert out.exit_code == 1 and "đang có trong cấu hình" in out.output
    shutil.move(cfg / "plans" / PLAN_FILE, cfg.parent / PLAN_FILE)
    config_service.load(cfg, engine=engine)
    before = table_counts(engine)

    out = runner.invoke(app, ["plans", "delete", PLAN])
    assert out.exit_code == 1 and "Traceback" not in out.output
    assert f"hạn báo cáo: {n_deadlines}" in out.output and "báo cáo đã nộp: 1" in out.output
    assert "chưa xác nhận" in out.output
    out = runner.invoke(app, ["plans", "delete", PLAN, "--xac-nhan", "19-KH"])
    assert out.exit_code == 1 and "không khớp" in out.output
    assert table_counts(engine) == before
    assert not exports.exists() or not any(exports.iterdir())

    # the export is written before anything is deleted: a failure after it deletes nothing
    real_record = archive.audit.record

    def failing_record(*args: object, **kwargs: object) -> None:
        if kwargs.get("action") == "plan.deleted":
            raise RuntimeError("mất điện")
        real_record(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(archive.audit, "record", failing_record)
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        archive.delete_plan(s, PLAN, confirm=PLAN, actor="test")
    assert len(list(exports.glob("xoa-ke-hoach-19-kh-bcd-*.json"))) == 1
    assert table_counts(engine) == before
    monkeypatch.setattr(archive.audit, "record", real_record)
    for f in exports.iterdir():
        f.unlink()

    out = runner.invoke(app, ["plans", "delete", PLAN, "--xac-nhan", PLAN])
    assert out.exit_code == 0, out.output
    [export] = list(exports.glob("xoa-ke-hoach-19-kh-bcd-*.json"))
    doc = json.loads(export.read_text(encoding="utf-8"))
    assert doc["ma"] == PLAN
    assert len(doc["bang"]["deadlines"]) == n_deadlines
    assert len(doc["bang"]["submissions"]) == 1
    assert doc["bang"]["submissions"][0]["document_number"] == "01/BC"
    after = table_counts(engine)
    assert after["plans"] == before["plans"] - 1
    assert after["deadlines"] == before["deadlines"] - n_deadlines
    assert after["submissions"] == 0
    assert after["audit_log"] == before["audit_log"] + 1
    with session_scope(engine) as s:
        entry = s.execute(select(m.AuditEntry).where(m.AuditEntry.action == "plan.deleted")
                          ).scalar_one()
        assert entry.entity_id == PLAN and str(export) in (entry.note or "")


def test_delete_unit_with_confirmation(loaded: Engine, cfg: Path) -> None:
    engine = loaded
    ids = unit_deadline_ids(UNIT)
    with session_scope(engine) as s:
        n_deadlines = count(s, m.Deadline, m.Deadline.id.in_(ids))
    submit_first(engine, ids)
    with session_scope(engine) as s, pytest.raises(UserError, match="đang có trong cấu hình"):
        archive.unit_deletion(s, UNIT)
    remove_unit(cfg, UNIT)
    config_service.load(cfg, engine=engine)
    before = table_counts(engine)
    with session_scope(engine) as s, pytest.raises(UserError, match="chưa xác nhận"):
        archive.delete_unit(s, UNIT, confirm="DP.DU.PHO", actor="test")
    assert table_counts(engine) == before

    out = CliRunner().invoke(app, ["units", "delete", UNIT, "--xac-nhan", UNIT])
    assert out.exit_code == 0, out.output
    [export] = list((get_settings().home / "exports").glob("xoa-don-vi-dp-du-pho-an-*.json"))
    doc = json.loads(export.read_text(encoding="utf-8"))
    assert len(doc["bang"]["deadlines"]) == n_deadlines
    assert len(doc["bang"]["contacts"]) == 2 and len(doc["bang"]["submissions"]) == 1
    after = table_counts(engine)
    assert after["units"] == before["units"] - 1
    assert after["contacts"] == before["contacts"] - 2
    assert after["deadlines"] == before["deadlines"] - n_deadlines
    assert after["submissions"] == 0


# --------------------------------------------------------------------------- close a year


def test_close_year_closes_exactly_that_years_open_deadlines(loaded: Engine) -> None:
    engine = loaded
    D = m.Deadline
    in_2023 = (D.due_on >= dt.date(2023, 1, 1), D.due_on <= dt.date(2023, 12, 31))
    with session_scope(engine) as s:
        first = s.execute(select(D).where(*in_2023, D.status == "open")
                          .order_by(D.due_on, D.id)).scalars().first()
        assert first is not None and first.due_on is not None
        reports.extend(s, first.id, first.due_on + dt.timedelta(days=14), "Đơn vị xin thêm thời "
                       "gian", "test")
        due = s.execute(select(func.max(D.due_on)).where(*in_2023)).scalar_one()
    submitted = submit_first(engine, select(D.id).where(*in_2023, D.status == "open"))
    sweep(engine, working_day(engine, due, 1))
    with session_scope(engine) as s:
        statuses = dict(s.execute(select(D.id, D.status)).tuples().all())
        due_on = dict(s.execute(select(D.id, D.due_on)).tuples().all())
    assert statuses[first.id] == "extended" and statuses[submitted] == "submitted_on_time"
    closing = {i for i, st in statuses.items() if st in ("open", "extended")
               and due_on[i] is not None and due_on[i].year == 2023}
    assert len(closing) > 1
    with session_scope(engine) as s:
        on_closing = count(s, m.Notification, m.Notification.deadline_id.in_(closing))
    assert on_closing > 0  # the sweep before closing did remind them

    out = CliRunner().invoke(app, ["deadlines", "close-year", "2023"])
    assert out.exit_code == 1 and "--reason" in out.output and "Traceback" not in out.output
    out = CliRunner().invoke(app, ["deadlines", "close-year", "2023", "--reason", "   "])
    assert out.exit_code == 1 and "--reason" in out.output
    with session_scope(engine) as s, pytest.raises(UserError, match="chưa kết thúc"):
        archive.close_year(s, 2023, "x", "test", today=dt.date(2023, 12, 31))
    audits = table_counts(engine)["audit_log"]

    reason = "Kết thúc năm 2023, các đơn vị không nộp"
    out = CliRunner().invoke(app, ["deadlines", "close-year", "2023", "--reason", reason])
    assert out.exit_code == 0, out.output
    assert f"Đã đóng {len(closing)} hạn" in out.output
    with session_scope(engine) as s:
        now_status = dict(s.execute(select(D.id, D.status)).tuples().all())
        assert {i for i, st in now_status.items() if st == "closed"} == closing
        assert {i: st for i, st in now_status.items() if i not in closing} == \
            {i: st for i, st in statuses.items() if i not in closing}
        entries = s.execute(select(m.AuditEntry).where(m.AuditEntry.action == "deadline.closed")
                            ).scalars().all()
        assert {int(e.entity_id or 0) for e in entries} == closing
        assert all(e.note == reason and e.after == {"status": "closed"} for e in entries)
        assert {e.before["status"] for e in entries if e.before} == {"open", "extended"}
        assert count(s, m.AuditEntry) == audits + len(closing) + 1
        # still in history and exports, with its label
        listed = list_deadlines(s, status="closed")
        assert {d.id for d in listed} == closing
        assert listed[0].as_json()["status_label"] == "Đã đóng (không nộp)"
    assert STATUS_LABELS["closed"] == "Đã đóng (không nộp)"

    # the sweep ignores them: the next overdue step plans nothing more for them
    sweep(engine, working_day(engine, due, 3))
    with session_scope(engine) as s:
        assert count(s, m.Notification, m.Notification.deadline_id.in_(closing)) == on_closing

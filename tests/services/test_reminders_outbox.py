"""Reminders through the outbox to real servers: SMTP (aiosmtpd) and a Zalo HTTP server."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from danvan_workflow.adapters.channels.base import close_http_clients
from danvan_workflow.core.vietnamese import title_with_period
from danvan_workflow.db import models as m
from danvan_workflow.services import config as config_service
from danvan_workflow.services.calendar import calendar_for
from danvan_workflow.services.outbox import dispatch
from danvan_workflow.services.reminders import plan_reminders
from danvan_workflow.timeutil import TZ
from tests.conftest import CONFIG
from tests.fakes.smtp_server import FakeSMTPServer
from tests.fakes.zalo_server import FakeZaloServer

SMTP_PASSWORD = "Mk-smtp-7Qz9-bimat"
OA_TOKEN = "oa-token-Xy12-bimat-98765"
SECRETS = (SMTP_PASSWORD, OA_TOKEN)


@pytest.fixture
def smtp() -> Iterator[FakeSMTPServer]:
    with FakeSMTPServer(credentials=("nhachan", SMTP_PASSWORD)) as server:
        yield server


@pytest.fixture
def zalo() -> Iterator[FakeZaloServer]:
    with FakeZaloServer(valid_tokens={OA_TOKEN}) as server:
        yield server
    close_http_clients()


@pytest.fixture
def loaded(engine: Engine, smtp: FakeSMTPServer, zalo: FakeZaloServer,
           monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("DANVAN_SMTP_URL", smtp.url(to="x@example.vn").replace("&to=x@example.vn",
                                                                            ""))
    monkeypatch.setenv("DANVAN_ZALO_OA_URL", f"dvzoa://{OA_TOKEN}@0?base={zalo.base_url}")
    config_service.load(CONFIG, engine=engine)
    return engine


def half_year_due_2027(engine: Engine) -> dt.date:
    with Session(engine) as s:
        return s.execute(  # type: ignore[no-any-return]
            select(func.min(m.Deadline.due_on)).join(m.Deadline.obligation)
            .join(m.Obligation.plan)
            .where(m.Plan.code == "19-KH/BCĐ", m.Deadline.period_key == "2027-H1")
        ).scalar_one()


def sweep(engine: Engine, day: dt.date) -> None:
    with Session(engine) as s, s.begin():
        plan_reminders(s, day)


def at(day: dt.date, hour: int = 8) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ)


def test_email_reminder_decodes_exactly(loaded: Engine, smtp: FakeSMTPServer) -> None:
    due = half_year_due_2027(loaded)
    assert due == dt.date(2027, 6, 16)
    with Session(loaded) as s:
        day = calendar_for(s).add_working_days(due, -10)
    sweep(loaded, day)
    stats = dispatch(engine=loaded, at=at(day))
    assert stats.sent > 0 and stats.dead == 0
    with Session(loaded) as s:
        lone = (select(m.Notification.message_id).group_by(m.Notification.message_id)
                .having(func.count() == 1).scalar_subquery())
        single = s.execute(
            select(m.OutboxMessage.idempotency_key, m.Obligation.title)
            .join(m.Notification, m.Notification.message_id == m.OutboxMessage.id)
            .join(m.Deadline, m.Deadline.id == m.Notification.deadline_id)
            .join(m.Obligation, m.Obligation.id == m.Deadline.obligation_id)
            .where(m.OutboxMessage.channel_code == "email", m.Deadline.period_key == "2027-H1",
                   m.OutboxMessage.id.in_(lone))
        ).first()
    assert single is not None
    key, title = single
    mail = next(x for x in smtp.messages if x.message["Message-ID"] == f"<{key}@danvan-workflow>")
    subject = mail.message["Subject"]
    name = title_with_period(title, "6 tháng đầu năm 2027")
    assert subject == f"Nhắc hạn: {name} — hạn Thứ Tư, 16/06/2027"
    assert name.endswith(" 6 tháng đầu năm 2027") and "6 tháng 6 tháng" not in name
    body = mail.message.get_body(preferencelist=("plain",)).get_content()
    assert f"\n{name}\n" in body
    assert "- Hạn nộp: Thứ Tư, 16/06/2027 (còn 10 ngày làm việc)" in body
    assert "- Căn cứ: Kế hoạch số 19-KH/BCĐ" in body
    # 2027 has no confirmed holiday calendar yet
    assert ("Lưu ý: lịch nghỉ năm 2027 chưa được công bố chính thức, hạn có thể thay đổi."
            in body)
    html = mail.message.get_body(preferencelist=("html",)).get_content()
    assert "Thứ Tư, 16/06/2027" in html


def test_sweep_twice_and_catch_up_plan_nothing_twice(loaded: Engine) -> None:
    due = half_year_due_2027(loaded)
    with Session(loaded) as s:
        cal = calendar_for(s)
    d10, d5 = cal.add_working_days(due, -10), cal.add_working_days(due, -5)
    sweep(loaded, d10)
    with Session(loaded) as s:
        first = s.execute(select(func.count()).select_from(m.Notification)).scalar_one()
        msgs = s.execute(select(func.count()).select_from(m.OutboxMessage)).scalar_one()
    sweep(loaded, d10)
    with Session(loaded) as s:
        assert s.execute(select(func.count()).select_from(m.Notification)).scalar_one() == first
        assert s.execute(select(func.count()).select_from(m.OutboxMessage)).scalar_one() == msgs
    # the machine was off for the next days: the sweep on d5 catches up every missed day
    sweep(loaded, d5)
    with Session(loaded) as s:
        steps = set(s.execute(select(m.Notification.step).join(m.Deadline)
                              .where(m.Deadline.due_on == due)).scalars())
    assert {-10, -5} <= steps


def test_submitted_deadline_stops_its_ladder(loaded: Engine, smtp: FakeSMTPServer) -> None:
    due = half_year_due_2027(loaded)
    with Session(loaded) as s:
        day = calendar_for(s).add_working_days(due, -2)
    sweep(loaded, day)
    with Session(loaded) as s, s.begin():
        s.execute(m.tbl(m.Deadline).update().where(m.Deadline.due_on == due)
                  .values(status="submitted_on_time"))
    stats = dispatch(engine=loaded, at=at(day))
    with Session(loaded) as s:
        live = (select(m.Notification.message_id).join(m.Deadline)
                .where(m.Deadline.due_on != due).scalar_subquery())
        stopped = s.execute(
            select(m.OutboxMessage.idempotency_key, m.OutboxMessage.status)
            .where(m.OutboxMessage.kind == "reminder", m.OutboxMessage.id.not_in(live))).all()
    sent_ids = {x.message["Message-ID"] for x in smtp.messages}
    assert stopped and {st for _, st in stopped} == {"cancelled"}
    assert not any(f"<{k}@danvan-workflow>" in sent_ids for k, _ in stopped)
    assert stats.cancelled > 0


def test_zalo_faults_retry_dead_letter_then_deliver(
    loaded: Engine, zalo: FakeZaloServer, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    due = half_year_due_2027(loaded)
    with Session(loaded) as s:
        day = calendar_for(s).add_working_days(due, -10)
    sweep(loaded, day)
    with Session(loaded) as s:
        zalo_total = s.execute(select(func.count()).select_from(m.OutboxMessage)
                               .where(m.OutboxMessage.channel_code == "zalo_oa")).scalar_one()
    assert zalo_total >= 5
    with Session(loaded) as s, s.begin():  # this test is about Zalo only
        s.execute(m.tbl(m.OutboxMessage).update().where(m.OutboxMessage.channel_code != "zalo_oa")
                  .values(status="cancelled"))
    # faults, in order: Zalo error in a 200 reply, HTTP 500, 429 with Retry-After, a hang
    zalo.zalo_error_next(1, code=-32, message="Rate limit")
    zalo.http_error_next(1, status=500)
    zalo.rate_limit_next(1, retry_after=120)
    zalo.hang_next(1)
    t0 = at(day)
    first = dispatch(engine=loaded, at=t0, timeout=0.5, batch=1, max_batches=4)
    assert first.retry == 4
    with Session(loaded) as s:
        rows = s.execute(select(m.OutboxMessage).where(m.OutboxMessage.status == "retry")
                         ).scalars().all()
        assert len(rows) == 4
        waits = sorted((r.next_attempt_at - t0).total_seconds() for r in rows)
        assert waits[-1] >= 120  # Retry-After honoured
        attempts = s.execute(select(m.DeliveryAttempt).where(m.DeliveryAttempt.result == "retry")
                             ).scalars().all()
        assert len(attempts) == 4
    zalo.release_hangs()
    # a permanent error goes straight to the dead letters and alerts the operators
    zalo.zalo_error_next(1, code=-216, message="Access token is invalid")
    dispatch(engine=loaded, at=t0, batch=1, max_batches=1)
    with Session(loaded) as s:
        dead = s.execute(select(m.OutboxMessage).where(m.OutboxMessage.status == "dead")
                         ).scalars().all()
        assert len(dead) == 1
        alerts = s.execute(select(m.OutboxMessage).where(m.OutboxMessage.kind == "alert")
                           ).scalars().all()
        assert alerts and all(f"số {dead[0].id}" in (a.subject or "") for a in alerts)
    # the fault clears: everything else is delivered, once
    later = t0 + dt.timedelta(hours=2)
    dispatch(engine=loaded, at=later, timeout=2)
    with Session(loaded) as s:
        status = dict(s.execute(select(m.OutboxMessage.status, func.count())
                                .where(m.OutboxMessage.channel_code == "zalo_oa",
                                       m.OutboxMessage.kind == "reminder")
                                .group_by(m.OutboxMessage.status)).all())
    assert status == {"sent": zalo_total - 1, "dead": 1}
    texts = [zalo.oa_text(r) for r in zalo.oa_requests()]
    assert any("6 tháng đầu năm 2027" in t for t in texts)
    # secrets never reach logs or the database
    assert not any(sec in caplog.text for sec in SECRETS)
    assert_no_secrets_in_database(loaded)


def assert_no_secrets_in_database(engine: Engine) -> None:
    with engine.connect() as conn:
        for table in m.Base.metadata.sorted_tables:
            for row in conn.execute(text(f"SELECT * FROM {table.name}")):
                dumped = repr(tuple(row))
                for sec in SECRETS:
                    assert sec not in dumped, f"secret in {table.name}"


def test_unconfigured_channel_keeps_messages(engine: Engine, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    for var in ("DANVAN_SMTP_URL", "DANVAN_ZALO_OA_URL", "DANVAN_ZALO_BOT_URL",
                "DANVAN_ZALO_ZNS_URL", "DANVAN_WEBHOOK_URL"):
        monkeypatch.delenv(var, raising=False)
    config_service.load(CONFIG, engine=engine)
    due = half_year_due_2027(engine)
    with Session(engine) as s:
        day = calendar_for(s).add_working_days(due, -10)
    sweep(engine, day)
    stats = dispatch(engine=engine, at=at(day))
    assert stats.sent == 0 and stats.unconfigured > 0
    with Session(engine) as s:
        row = s.execute(select(m.OutboxMessage).where(m.OutboxMessage.status == "unconfigured")
                        ).scalars().first()
        assert row is not None and "DANVAN_" in (row.last_error or "")


def test_escalation_tells_recipient_focal_point_and_reporter_leader(loaded: Engine) -> None:
    due = half_year_due_2027(loaded)
    with Session(loaded) as s:
        day = calendar_for(s).add_working_days(due, 3)
    sweep(loaded, day)
    with Session(loaded) as s:
        rows = s.execute(
            select(m.Contact.role, m.Contact.unit_id, m.Deadline.unit_id,
                   m.Obligation.recipient_id, m.Notification.step)
            .join(m.Notification, m.Notification.contact_id == m.Contact.id)
            .join(m.Deadline, m.Deadline.id == m.Notification.deadline_id)
            .join(m.Obligation, m.Obligation.id == m.Deadline.obligation_id)
            .where(m.Notification.escalation.is_(True), m.Deadline.due_on == due)
        ).all()
    assert rows
    assert {r[4] for r in rows} == {3}
    for role, contact_unit, reporter, recipient, _ in rows:
        assert (role, contact_unit) in (("focal_point", recipient), ("leader", reporter))
    assert {r[0] for r in rows} == {"focal_point", "leader"}


def test_digest_gathers_a_persons_items_into_one_message(loaded: Engine) -> None:
    # on the day the 6-month report is due, the quarter II window (due on its last working
    # day, 10 working days later) has its first reminder: one person, two items
    day = half_year_due_2027(loaded)
    sweep(loaded, day)
    with Session(loaded) as s:
        per_message = s.execute(
            select(m.Notification.message_id, m.Notification.contact_id,
                   m.Notification.channel_code, func.count())
            .group_by(m.Notification.message_id, m.Notification.contact_id,
                      m.Notification.channel_code)).all()
        pairs = [(c, ch) for _, c, ch, _ in per_message]
    assert len(pairs) == len(set(pairs))  # one message per person and channel
    assert any(n > 1 for *_, n in per_message)  # and some messages carry several items


def test_notify_test_cli_sends_to_a_contact(sqlite_url: str, smtp: FakeSMTPServer,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from danvan_workflow.cli.main import app

    monkeypatch.setenv("DANVAN_SMTP_URL", smtp.url().replace("&to=nguoinhan@example.vn", ""))
    config_service.load(CONFIG)
    out = CliRunner().invoke(app, ["notify", "test", "DP.BDV.dauMoi", "--channel", "email"])
    assert out.exit_code == 0, out.output
    assert "Đã gửi" in out.output
    assert any(x.message["Subject"] == "Thông báo thử từ danvan-workflow" for x in smtp.messages)
    bad = CliRunner().invoke(app, ["notify", "test", "KHONG.CO"])
    assert bad.exit_code == 1 and "không có đầu mối mã 'KHONG.CO'" in bad.output

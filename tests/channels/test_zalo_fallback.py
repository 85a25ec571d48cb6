"""Fallback chains: a contact refused by Zalo OA (-230) gets the reminder on the next channel."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from danvan_workflow.db import models as m
from danvan_workflow.db.session import engine_for
from danvan_workflow.services import config as config_service
from danvan_workflow.services.calendar import calendar_for
from danvan_workflow.services.outbox import dispatch
from danvan_workflow.services.reminders import plan_reminders
from danvan_workflow.timeutil import TZ
from tests.conftest import CONFIG
from tests.fakes.smtp_server import FakeSMTPServer
from tests.fakes.zalo_server import FakeZaloServer

TOKEN = "oa-token-fallback-SECRET-1"


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeZaloServer, FakeSMTPServer]]:
    with FakeZaloServer(valid_tokens={TOKEN}) as zalo, \
            FakeSMTPServer(credentials=("nhachan", "mk-smtp-1")) as smtp:
        # consultation messages: Zalo refuses them outside the interaction window (-230)
        monkeypatch.setenv("DANVAN_ZALO_OA_URL",
                           f"dvzoa://{TOKEN}@0?base={zalo.base_url}&type=cs")
        monkeypatch.setenv("DANVAN_ZALO_ZNS_URL",
                           f"dvzns://{TOKEN}@0?template=231456&base={zalo.base_url}")
        monkeypatch.setenv("DANVAN_SMTP_URL", smtp.url(to="x@example.vn")
                           .replace("&to=x@example.vn", ""))
        yield zalo, smtp


def chain_config(tmp_path: Path, fallback: bool) -> Path:
    cfg = tmp_path / "config"
    shutil.copytree(CONFIG, cfg)
    path = cfg / "contacts" / "tay-ninh.yaml"
    chain = "channels: [zalo_oa, zalo_zns, email]" + ("\n    fallback: true" if fallback else "")
    path.write_text(re.sub(r"channels: \[.*\]", chain, path.read_text(encoding="utf-8")),
                    encoding="utf-8")
    return cfg


def plan_half_year(engine: Engine) -> dt.datetime:
    with Session(engine) as s, s.begin():
        due = s.execute(
            select(func.min(m.Deadline.due_on)).join(m.Deadline.obligation)
            .join(m.Obligation.plan)
            .where(m.Plan.code == "19-KH/BCĐ", m.Deadline.period_key == "2027-H1")
        ).scalar_one()
        day = calendar_for(s).add_working_days(due, -10)
        plan_reminders(s, day)
    return dt.datetime.combine(day, dt.time(8), tzinfo=TZ)


def refuse_first_oa_contact(engine: Engine, zalo: FakeZaloServer) -> m.OutboxMessage:
    with Session(engine) as s:
        msg = s.execute(select(m.OutboxMessage).where(m.OutboxMessage.channel_code == "zalo_oa")
                        .order_by(m.OutboxMessage.id).limit(1)).scalar_one()
        contact = s.get(m.Contact, msg.contact_id)
        assert contact is not None and contact.zalo_user_id
        zalo.outside_window.add(contact.zalo_user_id)
        return msg


def test_oa_refusal_moves_the_reminder_to_zns(
    sqlite_url: str, tmp_path: Path, servers: tuple[FakeZaloServer, FakeSMTPServer],
) -> None:
    zalo, _smtp = servers
    engine = engine_for(sqlite_url)
    config_service.load(chain_config(tmp_path, fallback=True), engine=engine)
    t = plan_half_year(engine)
    with Session(engine) as s:
        planned = set(s.execute(select(m.OutboxMessage.channel_code)
                                .join(m.Contact, m.Contact.id == m.OutboxMessage.contact_id)
                                .where(m.Contact.code.like("TN.%"))).scalars())
    assert planned == {"zalo_oa"}  # a chain plans its first channel only
    refused = refuse_first_oa_contact(engine, zalo)

    dispatch(engine=engine, at=t)

    with Session(engine) as s:
        first = s.get(m.OutboxMessage, refused.id)
        assert first is not None and first.status == "dead"
        assert "-230" in (first.last_error or "") and "zalo_zns" in (first.last_error or "")
        [moved] = s.execute(select(m.OutboxMessage)
                            .where(m.OutboxMessage.fallback_of == refused.id)).scalars().all()
        assert moved.channel_code == "zalo_zns" and moved.status == "sent"
        [attempt] = s.execute(select(m.DeliveryAttempt)
                              .where(m.DeliveryAttempt.message_id == moved.id)).scalars().all()
        assert (attempt.channel_code, attempt.result) == ("zalo_zns", "sent")
        contact = s.get(m.Contact, refused.contact_id)
        assert contact is not None and contact.phone
        others = s.execute(select(func.count()).select_from(m.OutboxMessage).where(
            m.OutboxMessage.channel_code == "zalo_oa", m.OutboxMessage.status == "sent")
        ).scalar_one()
        alerts = s.execute(select(func.count()).select_from(m.OutboxMessage)
                           .where(m.OutboxMessage.kind == "alert")).scalar_one()
    assert [r.json["phone"] for r in zalo.zns_requests()] == ["84" + contact.phone[1:]]
    assert others == len(zalo.oa_requests()) - 1  # everyone else got it by Zalo OA
    assert alerts == 0  # the fallback delivered: no dead-letter alert
    # a second dispatch sends nothing again
    before = len(zalo.requests)
    dispatch(engine=engine, at=t)
    assert len(zalo.requests) == before


def test_refusal_without_a_next_channel_is_a_dead_letter(
    sqlite_url: str, servers: tuple[FakeZaloServer, FakeSMTPServer],
) -> None:
    zalo, _smtp = servers
    engine = engine_for(sqlite_url)
    config_service.load(CONFIG, engine=engine)  # chains end with zalo_oa: [email, zalo_oa]
    t = plan_half_year(engine)
    refused = refuse_first_oa_contact(engine, zalo)
    dispatch(engine=engine, at=t)
    with Session(engine) as s:
        first = s.get(m.OutboxMessage, refused.id)
        assert first is not None and first.status == "dead"
        assert s.execute(select(func.count()).select_from(m.OutboxMessage)
                         .where(m.OutboxMessage.fallback_of.is_not(None))).scalar_one() == 0
        alerts = s.execute(select(func.count()).select_from(m.OutboxMessage)
                           .where(m.OutboxMessage.kind == "alert")).scalar_one()
    assert alerts > 0


def test_chain_already_covered_adds_nothing(
    sqlite_url: str, tmp_path: Path, servers: tuple[FakeZaloServer, FakeSMTPServer],
) -> None:
    zalo, _smtp = servers
    engine = engine_for(sqlite_url)
    config_service.load(chain_config(tmp_path, fallback=False), engine=engine)
    t = plan_half_year(engine)
    refused = refuse_first_oa_contact(engine, zalo)
    dispatch(engine=engine, at=t)
    with Session(engine) as s:
        first = s.get(m.OutboxMessage, refused.id)
        assert first is not None and first.status == "dead"
        assert "zalo_zns" in (first.last_error or "")  # already planned there
        assert s.execute(select(func.count()).select_from(m.OutboxMessage)
                         .where(m.OutboxMessage.fallback_of.is_not(None))).scalar_one() == 0
        alerts = s.execute(select(func.count()).select_from(m.OutboxMessage)
                           .where(m.OutboxMessage.kind == "alert")).scalar_one()
    assert alerts == 0


def test_bot_chunks_are_tracked_and_a_retry_sends_only_the_rest(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from danvan_workflow.timeutil import now

    engine = engine_for(sqlite_url)
    config_service.load(CONFIG, engine=engine)
    with FakeZaloServer() as zalo:
        monkeypatch.setenv("DANVAN_ZALO_BOT_URL", f"dvzbot://123:bot-SECRET@0?base={zalo.base_url}")
        body = "Đơn vị chưa nộp báo cáo: Ban Dân vận xã Ninh Điền.\n" * 100
        with Session(engine) as s, s.begin():
            contact = s.execute(select(m.Contact).where(m.Contact.zalo_chat_id.is_not(None))
                                .limit(1)).scalar_one()
            t = now()
            msg = m.OutboxMessage(idempotency_key="bot.long", contact_id=contact.id,
                                  channel_code="zalo_bot", kind="test", planned_for=t.date(),
                                  subject="Dài", body=body, status="pending", attempts=0,
                                  next_attempt_at=t, created_at=t)
            s.add(msg)
            s.flush()
            mid, chat = msg.id, contact.zalo_chat_id
        zalo.bot_fail_after(1)
        first = dispatch(engine=engine)
        assert first.retry == 1
        with Session(engine) as s:
            row = s.get(m.OutboxMessage, mid)
            assert row is not None and row.chunks_sent == 1 and row.status == "retry"
            retry_at = row.next_attempt_at
        dispatch(engine=engine, at=retry_at + dt.timedelta(seconds=1))
        with Session(engine) as s:
            row = s.get(m.OutboxMessage, mid)
            assert row is not None and row.status == "sent" and row.chunks_sent == 3
    assert [b["text"][:6] for _, b in zalo.delivered] == ["(1/3) ", "(2/3) ", "(3/3) "]
    assert all(b["chat_id"] == chat for _, b in zalo.delivered)

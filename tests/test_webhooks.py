"""The Zalo webhook receiver, served by uvicorn on 127.0.0.1, against a real database."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from danvan_workflow.adapters.webhooks_app import create_app, oa_signature
from danvan_workflow.db import models as m
from danvan_workflow.db.session import engine_for
from danvan_workflow.services import config as config_service
from danvan_workflow.timeutil import now, today
from tests.conftest import CONFIG
from tests.fakes.asgi_server import serve_asgi

APP_ID = "4321987654"
OA_SECRET = "oa-secret-KEY-webhook-55"
BOT_SECRET = "bot-webhook-SECRET-token-66"
SENDER = "7000000001"


@pytest.fixture
def receiver(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Engine]]:
    monkeypatch.setenv("DANVAN_ZALO_APP_ID", APP_ID)
    monkeypatch.setenv("DANVAN_ZALO_OA_SECRET_KEY", OA_SECRET)
    monkeypatch.setenv("DANVAN_ZALO_BOT_WEBHOOK_SECRET", BOT_SECRET)
    engine = engine_for(sqlite_url)
    config_service.load(CONFIG, engine=engine)
    with serve_asgi(create_app(engine)) as base:
        yield base, engine


def oa_event(text: str, *, msg_id: str, sender: str = SENDER, ts: float | None = None,
             event: str = "user_send_text") -> tuple[bytes, str]:
    stamp = str(int((ts if ts is not None else time.time()) * 1000))
    body = json.dumps({
        "app_id": APP_ID, "event_name": event, "timestamp": stamp,
        "sender": {"id": sender}, "recipient": {"id": "oa-1"},
        "message": {"msg_id": msg_id, "text": text},
    }, ensure_ascii=False).encode("utf-8")
    return body, oa_signature(APP_ID, body, stamp, OA_SECRET)


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    r = urllib3.request("POST", url, body=body, headers={"Content-Type": "application/json",
                                                         **headers}, retries=False, timeout=10)
    return r.status, json.loads(r.data or b"null")


def post_oa(base: str, body: bytes, signature: str) -> tuple[int, Any]:
    return post(f"{base}/zalo/oa", body, {"X-ZEvent-Signature": signature})


def counts(engine: Engine) -> tuple[int, int, int, int]:
    with Session(engine) as s:
        def n(model: type[m.Base]) -> int:
            return int(s.execute(select(func.count()).select_from(model)).scalar_one())
        return n(m.InboundEvent), n(m.AuditEntry), n(m.ZaloLink), n(m.SubmissionClaim)


def link_code(contact: str) -> str:
    from danvan_workflow.cli.main import app

    res = CliRunner().invoke(app, ["contacts", "link-code", contact])
    assert res.exit_code == 0, res.output
    return res.output.split(": ", 1)[1].split()[0]


def test_signed_text_with_link_code_links_the_contact(receiver: tuple[str, Engine]) -> None:
    base, engine = receiver
    code = link_code("DP.BDV.lanhDao")
    with Session(engine) as s:
        stored = s.execute(select(m.LinkCode)).scalar_one()
        assert code not in stored.code_hash  # only the hash is kept
    body, sig = oa_event(f"Mã liên kết của tôi là {code.lower()}", msg_id="msg-1")
    status, reply = post_oa(base, body, "mac=" + sig)
    assert (status, reply["outcome"]) == (200, "linked")
    with Session(engine) as s:
        contact = s.execute(select(m.Contact).where(m.Contact.code == "DP.BDV.lanhDao")
                            ).scalar_one()
        link = s.get(m.ZaloLink, (contact.id, "zalo_user_id"))
        assert link is not None and link.address == SENDER
        assert s.execute(select(m.LinkCode.used_at)).scalar_one() is not None
        event = s.execute(select(m.InboundEvent)).scalar_one()
        assert (event.contact_id, event.outcome) == (contact.id, "linked")
        assert s.execute(select(func.count()).select_from(m.AuditEntry)
                         .where(m.AuditEntry.action == "inbound_linked")).scalar_one() == 1
    # the code is single-use
    body, sig = oa_event(f"{code}", msg_id="msg-2", sender="7000000002")
    assert post_oa(base, body, sig)[1]["outcome"] == "stored"


def test_unsigned_stale_or_replayed_events_change_nothing(
    receiver: tuple[str, Engine],
) -> None:
    base, engine = receiver
    code = link_code("DP.BDV.lanhDao")
    before = counts(engine)
    body, sig = oa_event(code, msg_id="msg-x")
    assert post_oa(base, body, "0" * 64)[0] == 401  # wrong signature
    assert post(f"{base}/zalo/oa", body, {})[0] == 401  # unsigned
    tampered = body.replace(SENDER.encode(), b"7000000666")
    assert post_oa(base, tampered, sig)[0] == 401  # body changed after signing
    old, old_sig = oa_event(code, msg_id="msg-old", ts=time.time() - 6 * 60)
    assert post_oa(base, old, old_sig)[0] == 401  # older than 5 minutes
    assert counts(engine) == before
    # a correctly signed event is processed once; the same event id again changes nothing
    assert post_oa(base, body, sig)[1]["outcome"] == "linked"
    after_first = counts(engine)
    again, again_sig = oa_event(code, msg_id="msg-x")  # resent: new timestamp, same id
    status, reply = post_oa(base, again, again_sig)
    assert (status, reply["outcome"]) == (200, "duplicate")
    assert counts(engine) == after_first


def test_da_nop_reply_creates_one_claim_an_operator_confirms(
    receiver: tuple[str, Engine],
) -> None:
    from danvan_workflow.cli.main import app

    base, engine = receiver
    day = today()
    with Session(engine) as s, s.begin():
        # an open deadline whose period has started, reminded to its unit's focal point
        deadline, contact = s.execute(
            select(m.Deadline, m.Contact)
            .join(m.Contact, (m.Contact.unit_id == m.Deadline.unit_id)
                  & (m.Contact.role == "focal_point"))
            .where(m.Deadline.status == "open", m.Deadline.period_start <= day,
                   m.Deadline.due_on.is_not(None), m.Contact.zalo_user_id.is_not(None))
            .order_by(m.Deadline.due_on).limit(1)).one()
        s.add(m.Notification(deadline_id=deadline.id, step=0, contact_id=contact.id,
                             channel_code="zalo_oa", due_on=deadline.due_on, planned_for=day,
                             created_at=now()))
        deadline_id, sender = deadline.id, contact.zalo_user_id
    body, sig = oa_event("Dạ, đơn vị em đã nộp báo cáo rồi ạ", msg_id="msg-dn", sender=sender)
    assert post_oa(base, body, sig)[1]["outcome"] == "claim"
    again, again_sig = oa_event("Dạ, đơn vị em đã nộp báo cáo rồi ạ", msg_id="msg-dn",
                                sender=sender)
    assert post_oa(base, again, again_sig)[1]["outcome"] == "duplicate"
    not_yet, ny_sig = oa_event("Em chưa nộp ạ", msg_id="msg-cn", sender=sender)
    assert post_oa(base, not_yet, ny_sig)[1]["outcome"] == "stored"
    with Session(engine) as s:
        [claim] = s.execute(select(m.SubmissionClaim)).scalars().all()
        assert (claim.deadline_id, claim.status) == (deadline_id, "pending")
    runner = CliRunner()
    listed = runner.invoke(app, ["claims", "list"])
    assert listed.exit_code == 0 and "đã nộp" in listed.output
    confirmed = runner.invoke(app, ["claims", "confirm", str(claim.id), "--received-on",
                                    day.strftime("%d/%m/%Y")])
    assert confirmed.exit_code == 0, confirmed.output
    assert "Đã ghi nhận báo cáo" in confirmed.output
    with Session(engine) as s:
        row = s.get(m.SubmissionClaim, claim.id)
        assert row is not None and row.status == "confirmed"
        d = s.get(m.Deadline, deadline_id)
        assert d is not None and d.status.startswith("submitted")
        assert s.execute(select(func.count()).select_from(m.Submission)
                         .where(m.Submission.deadline_id == deadline_id)).scalar_one() == 1
    twice = runner.invoke(app, ["claims", "confirm", str(claim.id)])
    assert twice.exit_code == 1


def test_bot_webhook_needs_its_secret_token_and_links_the_chat(
    receiver: tuple[str, Engine],
) -> None:
    base, engine = receiver
    code = link_code("DP.BDV.lanhDao")
    update = {"ok": True, "result": {"event_name": "message.text.received", "message": {
        "message_id": "b-1", "date": int(time.time() * 1000), "text": code,
        "chat": {"id": "c0ffee12", "chat_type": "PRIVATE"}, "from": {"id": "u-1"}}}}
    body = json.dumps(update).encode("utf-8")
    before = counts(engine)
    assert post(f"{base}/zalo/bot", body, {"X-Bot-Api-Secret-Token": "wrong"})[0] == 401
    assert post(f"{base}/zalo/bot", body, {})[0] == 401
    assert counts(engine) == before
    status, reply = post(f"{base}/zalo/bot", body, {"X-Bot-Api-Secret-Token": BOT_SECRET})
    assert (status, reply["outcome"]) == (200, "linked")
    with Session(engine) as s:
        link = s.execute(select(m.ZaloLink)).scalar_one()
        assert (link.field, link.address) == ("zalo_chat_id", "c0ffee12")
    assert post(f"{base}/zalo/bot", body,
                {"X-Bot-Api-Secret-Token": BOT_SECRET})[1]["outcome"] == "duplicate"

"""Commands and use cases behind `danvan zalo|contacts|claims`, `plans|units delete`,
`deadlines close-year` and `calendar check`: typed input, one transaction, typed result."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from danvan_workflow.cli.main import app
from danvan_workflow.commands import parse_command
from danvan_workflow.commands.archive import CloseYear, DeletePlan
from danvan_workflow.commands.calendar import CheckCalendar
from danvan_workflow.commands.zalo import (
    ConfirmClaim,
    IssueLinkCode,
    RejectClaim,
    ResetZaloToken,
)
from danvan_workflow.db import models as m
from danvan_workflow.db.session import engine_for
from danvan_workflow.errors import UserError
from danvan_workflow.services import archive, zalo_inbound, zalo_tokens
from danvan_workflow.services import config as config_service
from danvan_workflow.services.calendar_views import check_calendar
from danvan_workflow.timeutil import now

SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "small_config"


@pytest.fixture
def engine(sqlite_url: str) -> Engine:
    eng = engine_for(sqlite_url)
    config_service.load(SMALL, engine=eng)
    return eng


def _claims(engine: Engine, n: int) -> tuple[str, list[int]]:
    with Session(engine) as s, s.begin():
        contact = s.execute(select(m.Contact).order_by(m.Contact.id).limit(1)).scalar_one()
        ids = []
        for i in range(n):
            ev = m.InboundEvent(source="zalo_oa", event_id=f"e{i}", event_name="user_send_text",
                                sender_id="1", contact_id=contact.id, received_at=now(),
                                payload={})
            s.add(ev)
            s.flush()
            claim = m.SubmissionClaim(contact_id=contact.id, event_id=ev.id, text=f"đã nộp {i}",
                                      status="pending", created_at=now())
            s.add(claim)
            s.flush()
            ids.append(claim.id)
        return contact.code, ids


def _audits(engine: Engine, action: str) -> int:
    with Session(engine) as s:
        return int(s.execute(select(func.count()).select_from(m.AuditEntry)
                             .where(m.AuditEntry.action == action)).scalar_one())


def test_commands_refuse_bad_input_naming_the_field() -> None:
    with pytest.raises(UserError) as exc:
        parse_command(ConfirmClaim, {"claim_id": 1, "received_on": "31/02/2026"})
    assert exc.value.field == "received_on" and "Ngày nhận" in exc.value.render()
    assert parse_command(ConfirmClaim, {"claim_id": 1, "received_on": "05/03/2026"}
                         ).received_on == dt.date(2026, 3, 5)
    with pytest.raises(UserError) as exc:
        parse_command(IssueLinkCode, {"contact": "X", "hours": 0})
    assert exc.value.field == "hours" and "Hiệu lực (giờ)" in exc.value.render()
    with pytest.raises(UserError) as exc:
        parse_command(DeletePlan, {"code": "  "})
    assert exc.value.field == "code"
    with pytest.raises(UserError) as exc:
        parse_command(CloseYear, {"year": 2023, "lydo": "x"})
    assert exc.value.field == "lydo"
    # a token never shows in a command's text
    cmd = parse_command(ResetZaloToken, {"refresh_token": "RT-very-secret"})
    assert "RT-very-secret" not in repr(cmd) and "RT-very-secret" not in str(cmd)


def test_link_code_and_claim_use_cases_audit_and_return_results(engine: Engine) -> None:
    contact, [first, second, third] = _claims(engine, 3)
    issued = zalo_inbound.issue_link(parse_command(IssueLinkCode, {
        "contact": contact, "hours": 2, "operator": "op"}), engine=engine)
    assert issued.contact == contact and len(issued.code) == 8
    assert dt.timedelta(hours=1) < issued.expires_at - now() <= dt.timedelta(hours=2)
    assert _audits(engine, "link_code_issued") == 1
    with pytest.raises(UserError, match="không có đầu mối"):
        zalo_inbound.issue_link(IssueLinkCode(contact="KHONG-CO"), engine=engine)

    rejected = zalo_inbound.reject_submission_claim(RejectClaim(claim_id=second),
                                                    engine=engine)
    assert rejected.claim_id == second and _audits(engine, "claim_rejected") == 1
    with pytest.raises(UserError, match="đang chờ"):
        zalo_inbound.reject_submission_claim(RejectClaim(claim_id=second), engine=engine)
    # a claim without a deadline needs one: refused, nothing written
    with pytest.raises(UserError) as exc:
        zalo_inbound.confirm_submission_claim(ConfirmClaim(claim_id=first), engine=engine)
    assert exc.value.field == "deadline"
    assert _audits(engine, "claim_confirmed") == 0

    pending = zalo_inbound.claims_view(engine=engine)
    assert [r.id for r in pending.rows] == [first, third] and pending.total == 2
    assert {r.contact_code for r in pending.rows} == {contact}
    assert {r.status_label for r in pending.rows} == {"Chờ xác nhận"}
    everything = zalo_inbound.claims_view(pending_only=False, limit=2, engine=engine)
    assert [r.id for r in everything.rows] == [first, second]
    assert everything.total == 3 and everything.truncated


def test_claims_list_cli_is_one_table(engine: Engine) -> None:
    contact, _ = _claims(engine, 2)
    out = CliRunner().invoke(app, ["claims", "list", "--all"])
    assert out.exit_code == 0, out.output
    assert contact in out.output and "Chờ xác nhận" in out.output
    assert "Tổng: 2 báo nộp." in out.output
    bad = CliRunner().invoke(app, ["claims", "confirm", "1", "--received-on", "hôm qua"])
    assert bad.exit_code == 1 and "received_on" in bad.output and "Traceback" not in bad.output


def test_token_reset_use_case(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from cryptography.fernet import Fernet

    monkeypatch.setenv(zalo_tokens.ENV_SECRET_KEY, Fernet.generate_key().decode())
    assert not zalo_tokens.current_status(engine=engine).stored
    with pytest.raises(UserError, match=zalo_tokens.ENV_REFRESH_TOKEN):
        zalo_tokens.reset_refresh_token(ResetZaloToken(), engine=engine)
    done = zalo_tokens.reset_refresh_token(parse_command(ResetZaloToken, {
        "refresh_token": "RT-new", "operator": "op"}), engine=engine)
    assert done.actor == "op" and zalo_tokens.current_status(engine=engine).stored
    assert _audits(engine, "zalo_token_reset") == 1


def test_close_year_and_delete_use_cases_refuse_without_writing(engine: Engine) -> None:
    with pytest.raises(UserError) as exc:
        archive.close_past_year(CloseYear(year=2023, reason="  "), engine=engine)
    assert exc.value.field == "--reason"
    res = archive.close_past_year(CloseYear(year=2000, reason="Cũ", operator="op"),
                                  engine=engine)
    assert res.closed == 0 and _audits(engine, "deadlines.year_closed") == 1
    with Session(engine) as s:
        plan = s.execute(select(m.Plan.code).limit(1)).scalar_one()
    with pytest.raises(UserError, match="đang có trong cấu hình"):
        archive.delete_archived_plan(DeletePlan(code=plan, confirm=plan), engine=engine)


def test_calendar_check_query(engine: Engine) -> None:
    result = check_calendar(CheckCalendar(config_dir=SMALL), engine=engine)
    assert not result.all_confirmed
    assert {y.year for y in result.missing} >= {now().year}

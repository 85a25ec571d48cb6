"""Dead letters do not snowball: alerts are digested per run and never alert about alerts.

Thirty reminders go to a webhook that answers HTTP 400 (a permanent failure), and the
operator's own channels fail for good as well (a second webhook answering 400 and an
SMTP server refusing every recipient). Dispatching until nothing is due must end
quickly with at most one alert per operator, channel and dispatch run, each naming
the contacts and deadlines that failed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from danvan_workflow.adapters.channels.base import close_http_clients
from danvan_workflow.core.vietnamese import format_date_long
from danvan_workflow.db import models as m
from danvan_workflow.services import config as config_service
from danvan_workflow.services.calendar import calendar_for
from danvan_workflow.services.outbox import dispatch
from danvan_workflow.services.reminders import plan_reminders
from danvan_workflow.timeutil import TZ
from tests.fakes.smtp_server import FakeSMTPServer
from tests.fakes.webhook_server import FakeWebhookServer

REPORTERS = 30
# next year, so that the deadline is ahead of the real clock (messages are due from
# the later of their planned time and the moment they were written)
YEAR = dt.date.today().year + 1
DUE = dt.date(YEAR, 7, 15)
MAX_RUNS = 8


def _name(i: int) -> str:
    return f"Phạm Văn Thử {i:02d}"


def _unit(i: int) -> str:
    return f"Đảng ủy xã Thử Nghiệm {i:02d}"


def write_config(root: Path) -> Path:
    for sub in ("units", "contacts", "plans"):
        (root / sub).mkdir(parents=True)
    units = ["units:",
             "  - {code: TX.TU, name: Thị ủy Thử Nghiệm, kind: party_committee, "
             "level: district}",
             "  - {code: TX.BDV, name: Ban Dân vận Thị ủy Thử Nghiệm, kind: party_board, "
             "level: district, parent: TX.TU}"]
    units += [f"  - {{code: X{i:02d}, name: {_unit(i)}, kind: party_committee, "
              f"level: commune, parent: TX.TU}}" for i in range(1, REPORTERS + 1)]
    (root / "units" / "units.yaml").write_text("\n".join(units) + "\n", encoding="utf-8")
    contacts = ["contacts:",
                "  - {code: VH.vanHanh, name: Lê Thị Vận Hành, unit: TX.BDV, role: staff, "
                "email: vanhanh@example.vn, channels: [ops_hook, email]}"]
    contacts += [f"  - {{code: X{i:02d}.dauMoi, name: {_name(i)}, unit: X{i:02d}, "
                 f"role: focal_point, channels: [hook]}}" for i in range(1, REPORTERS + 1)]
    (root / "contacts" / "contacts.yaml").write_text("\n".join(contacts) + "\n",
                                                     encoding="utf-8")
    (root / "channels.yaml").write_text(
        "channels:\n"
        "  - {code: hook, kind: webhook, url: '${DV_STORM_HOOK_URL}', max_attempts: 3}\n"
        "  - {code: ops_hook, kind: webhook, url: '${DV_STORM_OPS_URL}', max_attempts: 3}\n"
        "  - {code: email, kind: email, url: '${DV_STORM_SMTP_URL}', max_attempts: 3}\n",
        encoding="utf-8")
    (root / "reminders.yaml").write_text("operators: [VH.vanHanh]\n", encoding="utf-8")
    (root / "plans" / "storm.yaml").write_text(
        "plan:\n"
        "  code: 7-KH/TN\n"
        f"  title: Kế hoạch thử nghiệm báo cáo năm {YEAR}\n"
        "  issuer: TX.TU\n"
        f"  year: {YEAR}\n"
        "obligations:\n"
        "  - code: bc-giua-nam\n"
        "    title: Báo cáo kết quả công tác dân vận 6 tháng đầu năm\n"
        "    reporter_groups: [{kind: party_committee, level: commune}]\n"
        "    recipient: TX.BDV\n"
        f"    rule: {{kind: fixed, day: 15, month: 7, year: {YEAR}, mode: by}}\n",
        encoding="utf-8")
    return root


@pytest.fixture
def servers() -> Iterator[tuple[FakeWebhookServer, FakeWebhookServer, FakeSMTPServer]]:
    with FakeWebhookServer(status=400) as hook, FakeWebhookServer(status=400) as ops, \
            FakeSMTPServer() as smtp:
        smtp.reject_next(10_000, code=550, text="Mailbox unavailable")
        yield hook, ops, smtp
    close_http_clients()


def test_dead_letters_are_digested_and_alerts_never_alert(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    servers: tuple[FakeWebhookServer, FakeWebhookServer, FakeSMTPServer],
) -> None:
    hook, ops, smtp = servers
    monkeypatch.setenv("DV_STORM_HOOK_URL", hook.base_url.replace("http://", "json://")
                       + "/nhan")
    monkeypatch.setenv("DV_STORM_OPS_URL", ops.base_url.replace("http://", "json://")
                       + "/van-hanh")
    monkeypatch.setenv("DV_STORM_SMTP_URL", smtp.url(to="x@example.vn")
                       .replace("&to=x@example.vn", ""))
    config_service.load(write_config(tmp_path / "config"), engine=engine)
    with Session(engine) as s:
        due = s.execute(select(func.min(m.Deadline.due_on))).scalar_one()
        day = calendar_for(s).add_working_days(due, -10)
    with Session(engine) as s, s.begin():
        plan_reminders(s, day)
    with Session(engine) as s:
        reminders = s.execute(select(func.count()).select_from(m.OutboxMessage)
                              .where(m.OutboxMessage.kind == "reminder")).scalar_one()
    assert reminders == REPORTERS

    at = dt.datetime.combine(day, dt.time(8), tzinfo=TZ)
    runs = 0
    for _ in range(MAX_RUNS):
        stats = dispatch(engine=engine, at=at, batch=7, timeout=5)
        if stats.claimed == 0:
            break
        runs += 1
    else:
        pytest.fail(f"still dispatching after {MAX_RUNS} runs")

    operator_channels = 2  # ops_hook, email
    with Session(engine) as s:
        msgs = s.execute(select(m.OutboxMessage)).scalars().all()
        contacts = {c.id: c for c in s.execute(select(m.Contact)).scalars()}
    alerts = [x for x in msgs if x.kind == "alert"]
    dead_reminders = [x for x in msgs if x.kind == "reminder" and x.status == "dead"]
    assert len(dead_reminders) == REPORTERS
    # bounded: at most one alert per operator and channel per run; here the reminders all
    # die in the first run, so exactly one per channel; the alerts' own deaths alert nobody
    assert 0 < len(alerts) <= 1 * operator_channels * runs
    assert len(alerts) == operator_channels
    assert {a.channel_code for a in alerts} == {"ops_hook", "email"}
    # one key per (dispatch run, operator, channel)
    assert all(re.fullmatch(rf"alert\.[0-9]{{14}}-[0-9a-f]{{8}}\.{a.contact_id}\."
                            rf"{a.channel_code}", a.idempotency_key) for a in alerts)
    assert len({a.idempotency_key.split(".")[1] for a in alerts}) == 1
    assert all(contacts[a.contact_id].code == "VH.vanHanh" for a in alerts if a.contact_id)
    assert all(a.status == "dead" for a in alerts)
    assert runs <= 3
    # no alert refers to an alert, and every alert names every failed contact and deadline
    alert_ids = {a.id for a in alerts}
    for a in alerts:
        body = a.body or ""
        assert not any(f"số {i}" in body for i in alert_ids), body
        assert all(_name(i) in body for i in range(1, REPORTERS + 1)), body
        assert all(_unit(i) in body for i in range(1, REPORTERS + 1)), body
        assert "Báo cáo kết quả công tác dân vận 6 tháng đầu năm" in body
        assert format_date_long(due) in body
        assert "HTTP 400" in body
        assert f"{REPORTERS} thông báo" in (a.subject or "")
    # the operator's channels were tried (and refused) once per alert: nothing more
    assert len(ops.requests) == 1
    assert len(hook.requests) == REPORTERS

"""Secrets never reach the database, the screen or the logs.

A webhook that echoes the request (its Authorization header carries the channel's
user:password in base64, an API key header rides along) and a Zalo Bot URL that cannot
be used (its token then used to appear in the error): after dispatching, every column
of every row of every table, everything printed (`danvan outbox show/list`,
`danvan notify test`) and everything logged is free of the secret values and of
their encoded forms. `config check` refuses secrets written into channels.yaml,
naming file and line without repeating them.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from danvan_workflow.adapters.channels.base import close_http_clients
from danvan_workflow.cli.main import app
from danvan_workflow.db import models as m
from danvan_workflow.services import config as config_service
from danvan_workflow.services.calendar import calendar_for
from danvan_workflow.services.outbox import dispatch
from danvan_workflow.services.reminders import plan_reminders
from danvan_workflow.timeutil import TZ
from tests.fakes.webhook_server import FakeWebhookServer, Fault, RecordedRequest, Reply

HOOK_USER = "hookuser"
HOOK_PASSWORD = "Mk-webhook-S3cret-99"
API_KEY = "apikey-Zq81-bimat-4455"
BOT_TOKEN = "1234567:ZbotTok-Secret-abc123"
SECRETS = (
    HOOK_PASSWORD, API_KEY, BOT_TOKEN, BOT_TOKEN.split(":")[1],
    base64.b64encode(f"{HOOK_USER}:{HOOK_PASSWORD}".encode()).decode(),
    quote(HOOK_PASSWORD, safe=""), quote(BOT_TOKEN, safe=""),
)
YEAR = dt.date.today().year + 1


class EchoServer(FakeWebhookServer):
    """Answers with the request it received: method, path, headers and body."""

    @staticmethod
    def _echo(request: RecordedRequest, status: int) -> Reply:
        return Reply(status, {"method": request.method, "path": request.path,
                              "headers": request.headers, "body": request.json})

    def reply(self, request: RecordedRequest) -> Reply:
        return self._echo(request, 200)

    def fault_reply(self, request: RecordedRequest, fault: Fault) -> Reply:
        return self._echo(request, fault.status)


def write_config(root: Path) -> Path:
    for sub in ("units", "contacts", "plans"):
        (root / sub).mkdir(parents=True)
    (root / "units" / "units.yaml").write_text(
        "units:\n"
        "  - {code: TX.TU, name: Thị ủy Thử Nghiệm, kind: party_committee, level: district}\n"
        "  - {code: TX.BDV, name: Ban Dân vận Thị ủy Thử Nghiệm, kind: party_board, "
        "level: district, parent: TX.TU}\n"
        "  - {code: X01, name: Đảng ủy xã Một, kind: party_committee, level: commune, "
        "parent: TX.TU}\n"
        "  - {code: X02, name: Đảng ủy xã Hai, kind: party_committee, level: commune, "
        "parent: TX.TU}\n", encoding="utf-8")
    (root / "contacts" / "contacts.yaml").write_text(
        "contacts:\n"
        "  - {code: VH.vanHanh, name: Lê Thị Vận Hành, unit: TX.BDV, role: staff, "
        "channels: [hook]}\n"
        "  - {code: X01.dauMoi, name: Phạm Văn Một, unit: X01, role: focal_point, "
        "channels: [hook]}\n"
        "  - {code: X02.dauMoi, name: Trần Thị Hai, unit: X02, role: focal_point, "
        "zalo_chat_id: '9988776655', channels: [bot]}\n", encoding="utf-8")
    (root / "channels.yaml").write_text(
        "channels:\n"
        "  - {code: hook, kind: webhook, url: '${DV_SEC_HOOK_URL}', max_attempts: 2}\n"
        "  - {code: bot, kind: zalo_bot, url: '${DV_SEC_BOT_URL}', max_attempts: 2}\n",
        encoding="utf-8")
    (root / "reminders.yaml").write_text("operators: [VH.vanHanh]\n", encoding="utf-8")
    (root / "plans" / "p.yaml").write_text(
        "plan:\n"
        "  code: 9-KH/TN\n"
        f"  title: Kế hoạch thử nghiệm năm {YEAR}\n"
        "  issuer: TX.TU\n"
        f"  year: {YEAR}\n"
        "obligations:\n"
        "  - code: bc\n"
        "    title: Báo cáo kết quả công tác dân vận quý III\n"
        "    reporters: [X01, X02]\n"
        "    recipient: TX.BDV\n"
        f"    rule: {{kind: fixed, day: 15, month: 10, year: {YEAR}, mode: by}}\n",
        encoding="utf-8")
    return root


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    with EchoServer() as server:
        yield server
    close_http_clients()


def assert_clean(label: str, dumped: str) -> None:
    for secret in SECRETS:
        assert secret not in dumped, f"secret {secret[:4]}… in {label}"


def dump_database(engine: Engine) -> str:
    out = []
    with engine.connect() as conn:
        for table in m.Base.metadata.sorted_tables:
            for row in conn.execute(text(f"SELECT * FROM {table.name}")):
                out.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(out)


def test_secrets_reach_neither_database_nor_output(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, echo: EchoServer,
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    hook_url = (f"json://{HOOK_USER}:{HOOK_PASSWORD}@127.0.0.1:{echo.port}/nhan"
                f"?+X-Api-Key={API_KEY}")
    monkeypatch.setenv("DV_SEC_HOOK_URL", hook_url)
    # a base that is not http(s): the plugin cannot be built (the error names the URL)
    monkeypatch.setenv("DV_SEC_BOT_URL", f"dvzbot://{BOT_TOKEN}?base=ftp://127.0.0.1:1")
    config_service.load(write_config(tmp_path / "config"), engine=engine)
    with Session(engine) as s:
        due = s.execute(select(func.min(m.Deadline.due_on))).scalar_one()
        day = calendar_for(s).add_working_days(due, -10)
    with Session(engine) as s, s.begin():
        plan_reminders(s, day)
    echo.add_faults(1, Fault("custom", status=400))  # the reminder to X01 is refused
    at = dt.datetime.combine(day, dt.time(8), tzinfo=TZ)
    for _ in range(5):
        if dispatch(engine=engine, at=at, timeout=5).claimed == 0:
            break
    # the webhook really received the credentials (and echoed them back)
    assert any((r.header("authorization") or "").startswith("Basic ") for r in echo.requests)
    assert any(r.header("x-api-key") == API_KEY for r in echo.requests)

    with Session(engine) as s:
        msgs = s.execute(select(m.OutboxMessage).order_by(m.OutboxMessage.id)).scalars().all()
        replies = s.execute(select(m.DeliveryAttempt.provider_reply)).scalars().all()
    statuses = {(x.kind, x.channel_code, x.status) for x in msgs}
    assert ("reminder", "hook", "dead") in statuses
    assert ("reminder", "bot", "dead") in statuses
    assert ("alert", "hook", "sent") in statuses
    bot = next(x for x in msgs if x.channel_code == "bot")
    assert "URL kênh gửi không hợp lệ" in (bot.last_error or "")
    assert any('"x-api-key": "****"' in (r or "") for r in replies)  # stored, masked

    runner = CliRunner()
    printed = []
    for x in msgs:
        out = runner.invoke(app, ["outbox", "show", str(x.id)])
        assert out.exit_code == 0, out.output
        printed.append(out.output)
    printed.append(runner.invoke(app, ["outbox", "list"]).output)
    # a test send to a Zalo URL without chat id: refused, and the token is not printed
    direct = runner.invoke(app, ["notify", "test", f"dvzbot://{BOT_TOKEN}"])
    assert direct.exit_code == 1
    assert "dvzbot://****" in direct.output
    printed.append(direct.output)

    assert_clean("database", dump_database(engine))
    assert_clean("output", "\n".join(printed))
    captured = capfd.readouterr()
    assert_clean("stdout/stderr", captured.out + captured.err)
    assert_clean("log", caplog.text + "\n".join(repr(r.args) for r in caplog.records))


LITERALS = [
    ("zalo-token-without-chat", f"dvzbot://{BOT_TOKEN}", "token"),
    ("zalo-token", f"dvzoa://{BOT_TOKEN}@123", "token"),
    ("password-in-url", f"json://{HOOK_USER}:{HOOK_PASSWORD}@hooks.example.vn/x", "mật khẩu"),
    ("secret-query", f"json://hooks.example.vn/x?access_token={API_KEY}",
     "tham số bí mật"),
    ("secret-header", f"json://hooks.example.vn/x?+Authorization=Bearer%20{API_KEY}",
     "tham số bí mật"),
    ("token-path", f"json://hooks.example.vn/services/T0123ABCD/{API_KEY}9Xy", "token"),
    ("nested-proxy", f"json://h/x?base=http://u:{HOOK_PASSWORD}@proxy:3128", "mật khẩu"),
]


@pytest.mark.parametrize("url, kind", [c[1:] for c in LITERALS], ids=[c[0] for c in LITERALS])
def test_literal_secret_in_channels_is_refused(tmp_path: Path, url: str, kind: str) -> None:
    root = write_config(tmp_path / "config")
    path = root / "channels.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("${DV_SEC_BOT_URL}", url),
                    encoding="utf-8")
    out = CliRunner().invoke(app, ["config", "check", str(root)])
    assert out.exit_code == 1
    assert re.search(rf"config/channels\.yaml:3: .*ghi thẳng {kind}", out.output), out.output
    assert "Traceback" not in out.output
    assert_clean("config check", out.output)


def test_references_to_environment_are_accepted(tmp_path: Path) -> None:
    out = CliRunner().invoke(app, ["config", "check", str(write_config(tmp_path / "config"))])
    assert out.exit_code == 0, out.output

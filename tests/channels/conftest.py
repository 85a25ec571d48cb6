"""Fixtures for channel tests: fake Zalo, webhook and SMTP servers on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from danvan_workflow.adapters.channels import OutgoingMessage
from danvan_workflow.adapters.channels.base import close_http_clients
from tests.fakes.smtp_server import FakeSMTPServer
from tests.fakes.webhook_server import FakeWebhookServer
from tests.fakes.zalo_server import FakeZaloServer

BOT_TOKEN = "1234567890:AbCdEf-secret_bot"
OA_TOKEN = "oa-access-token-SECRET-42"
SMTP_USER = "nhachan"
SMTP_PASSWORD = "mat-khau-SMTP-99"

SUBJECT = "Nhắc hạn báo cáo 6 tháng"
TEXT = (
    "Kính gửi đồng chí Nguyễn Văn A,\n"
    "Báo cáo sơ kết 6 tháng đầu năm phong trào thi đua \"Dân vận khéo\" "
    "hạn chót ngày 25/7/2026 (thứ Bảy)."
)
HTML = "<p>Kính gửi đồng chí <b>Nguyễn Văn A</b>,</p><p>Hạn chót: 25/7/2026.</p>"
SHORT = "Nhắc hạn: báo cáo 6 tháng, hạn 25/7/2026."


@pytest.fixture(autouse=True)
def _fresh_http_pool() -> Iterator[None]:
    yield
    close_http_clients()


@pytest.fixture
def message() -> OutgoingMessage:
    return OutgoingMessage(
        idempotency_key="rem-2026-000123-step-2",
        subject=SUBJECT,
        text=TEXT,
        html=HTML,
        short_text=SHORT,
        template_data={"ten_don_vi": "Ban Dân vận Huyện ủy", "han_chot": "25/07/2026"},
    )


@pytest.fixture
def zalo() -> Iterator[FakeZaloServer]:
    server = FakeZaloServer(valid_tokens={BOT_TOKEN, OA_TOKEN})
    with server:
        yield server


@pytest.fixture
def webhook() -> Iterator[FakeWebhookServer]:
    with FakeWebhookServer() as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[FakeSMTPServer]:
    with FakeSMTPServer(credentials=(SMTP_USER, SMTP_PASSWORD)) as server:
        yield server

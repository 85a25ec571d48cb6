"""E-mail through a real (aiosmtpd) SMTP server on 127.0.0.1."""

from __future__ import annotations

import socket

import apprise
import pytest

from danvan_workflow.adapters.channels import OutgoingMessage, send, target_url
from danvan_workflow.adapters.channels.email import message_id
from tests.channels.conftest import HTML, SMTP_PASSWORD, SMTP_USER, SUBJECT, TEXT
from tests.fakes.smtp_server import FakeSMTPServer


def test_vietnamese_subject_and_bodies_decode_exactly(
    smtp: FakeSMTPServer, message: OutgoingMessage
) -> None:
    result = send(smtp.url(to="dau.moi@example.vn"), message)

    assert result.ok, result
    [mail] = smtp.messages
    msg = mail.message
    assert mail.rcpt_tos == ["dau.moi@example.vn"]
    assert mail.mail_from == "nhac-han@danvan.vn"
    assert msg["Subject"] == SUBJECT == "Nhắc hạn báo cáo 6 tháng"
    assert b"=?utf-8?" in mail.raw  # RFC 2047 encoded on the wire
    assert msg["To"] == "dau.moi@example.vn"
    assert msg["Message-ID"] == "<rem-2026-000123-step-2@danvan-workflow>"
    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    assert plain.get_content().rstrip("\n") == TEXT
    assert html.get_content().rstrip("\n") == HTML


def test_message_id_is_deterministic(smtp: FakeSMTPServer, message: OutgoingMessage) -> None:
    assert send(smtp.url(), message).ok
    assert send(smtp.url(), message).ok
    first, second = (m.message["Message-ID"] for m in smtp.messages)
    assert first == second == message_id(message.idempotency_key)


def test_text_only_message(smtp: FakeSMTPServer) -> None:
    msg = OutgoingMessage("k1", "Thông báo", "Chỉ có văn bản")
    assert send(smtp.url(), msg).ok
    body = smtp.messages[0].message
    assert not body.is_multipart()
    assert body.get_content().rstrip("\n") == "Chỉ có văn bản"


def test_target_url_sets_recipient(smtp: FakeSMTPServer, message: OutgoingMessage) -> None:
    url = target_url("email", smtp.url(to="cu@example.vn"), "moi@example.vn")
    assert send(url, message).ok
    assert smtp.messages[0].rcpt_tos == ["moi@example.vn"]


def test_wrong_password_is_permanent_and_redacted(
    smtp: FakeSMTPServer, message: OutgoingMessage
) -> None:
    url = smtp.url().replace(SMTP_PASSWORD, "sai-mat-khau-123")
    result = send(url, message)
    assert not result.ok and result.permanent
    assert "sai-mat-khau-123" not in f"{result.error} {result.provider_reply}"


@pytest.mark.parametrize(("code", "permanent"), [(550, True), (450, False)])
def test_recipient_refused(
    smtp: FakeSMTPServer, message: OutgoingMessage, code: int, permanent: bool
) -> None:
    smtp.reject_next(1, code)
    result = send(smtp.url(), message)
    assert not result.ok
    assert result.permanent is permanent
    assert not smtp.messages


def test_connection_refused_is_retryable(message: OutgoingMessage) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"mailto://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{port}?mode=insecure&from=a@b.vn&to=c@d.vn"
    result = send(url, message, timeout=2)
    assert not result.ok and not result.permanent
    assert SMTP_PASSWORD not in (result.error or "")


def test_without_to_apprise_mails_the_sender(
    smtp: FakeSMTPServer, message: OutgoingMessage
) -> None:
    url = smtp.url().split("&to=")[0]
    assert send(url, message).ok
    assert smtp.messages[0].rcpt_tos == ["nhac-han@danvan.vn"]


def test_plain_apprise_notify_same_url(smtp: FakeSMTPServer) -> None:
    apobj = apprise.Apprise()
    assert apobj.add(smtp.url())
    assert apobj.notify(body="Nội dung nhắc hạn", title=SUBJECT)
    assert smtp.messages[0].message["Subject"] == SUBJECT


def test_message_id_escapes_unsafe_characters() -> None:
    assert message_id("abc-1.2") == "<abc-1.2@danvan-workflow>"
    assert message_id("a:b c") == "<a=3Ab=20c@danvan-workflow>"
    assert message_id("a=b") != message_id("a-b")
    assert message_id("hạn") == "<h=E1=BA=A1n@danvan-workflow>"

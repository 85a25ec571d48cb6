"""Zalo Bot / OA / ZNS plugins against the fake Zalo server."""

from __future__ import annotations

import datetime as dt
import socket
from dataclasses import replace
from typing import Any

import apprise
import pytest

from danvan_workflow.adapters.channels import OutgoingMessage, send
from danvan_workflow.adapters.channels.zalo_bot import TEXT_LIMIT, split_text
from danvan_workflow.adapters.channels.zalo_openapi import (
    UNKNOWN_CODE_ATTEMPTS,
    ZALO_ERROR_CODES,
    seconds_until_local,
)
from danvan_workflow.adapters.channels.zalo_zns import normalize_phone, tracking_id
from danvan_workflow.timeutil import TZ
from tests.channels.conftest import BOT_TOKEN, OA_TOKEN, SHORT
from tests.fakes.zalo_server import FakeZaloServer


def bot_url(server: FakeZaloServer, token: str = BOT_TOKEN, chat: str = "chat.A1b2") -> str:
    return f"dvzbot://{token}@{chat}?base={server.base_url}"


def oa_url(server: FakeZaloServer, token: str = OA_TOKEN, user: str = "5551234") -> str:
    return f"dvzoa://{token}@{user}?base={server.base_url}"


def zns_url(server: FakeZaloServer, token: str = OA_TOKEN, phone: str = "0912345678") -> str:
    return f"dvzns://{token}@{phone}?template=231456&base={server.base_url}"


def refused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------- requests


def test_bot_sends_chat_text(zalo: FakeZaloServer, message: OutgoingMessage) -> None:
    result = send(bot_url(zalo), message)

    assert result.ok, result
    [request] = zalo.bot_requests()
    assert request.method == "POST"
    assert request.path == f"/bot{BOT_TOKEN}/sendMessage"
    assert request.json == {"chat_id": "chat.A1b2", "text": SHORT}
    assert (request.header("content-type") or "").startswith("application/json")
    assert BOT_TOKEN not in (result.provider_reply or "")


def test_bot_splits_long_text(zalo: FakeZaloServer) -> None:
    line = "Đơn vị chưa nộp báo cáo: Ban Dân vận xã Ninh Điền.\n"
    long_text = line * 100  # ~5,000 characters
    msg = OutgoingMessage("k-long", "Tiêu đề", long_text, short_text="")

    assert send(bot_url(zalo), msg).ok

    texts = [r.json["text"] for r in zalo.bot_requests()]
    assert len(texts) == 3
    assert all(len(t) <= TEXT_LIMIT for t in texts)
    assert [t[:6] for t in texts] == ["(1/3) ", "(2/3) ", "(3/3) "]
    assert "\n".join(t[6:] for t in texts) == long_text.strip()


def test_bot_retry_sends_only_undelivered_chunks(zalo: FakeZaloServer) -> None:
    long_text = "Đơn vị chưa nộp báo cáo: Ban Dân vận xã Ninh Điền.\n" * 100
    msg = OutgoingMessage("k-chunks", "Tiêu đề", long_text)
    zalo.bot_fail_after(1)
    first = send(bot_url(zalo), msg)
    assert not first.ok and not first.permanent and first.parts_sent == 1
    again = send(bot_url(zalo), replace(msg, parts_done=first.parts_sent or 0))
    assert again.ok and again.parts_sent == 3
    delivered = [body["text"][:6] for _, body in zalo.delivered]
    assert delivered == ["(1/3) ", "(2/3) ", "(3/3) "]  # each chunk exactly once


def test_oa_sends_consultation_message(zalo: FakeZaloServer, message: OutgoingMessage) -> None:
    result = send(oa_url(zalo) + "&type=cs", message)

    assert result.ok, result
    [request] = zalo.oa_requests()
    assert request.path == "/v3.0/oa/message/cs"
    assert request.header("access_token") == OA_TOKEN
    assert request.json == {"recipient": {"user_id": "5551234"}, "message": {"text": SHORT}}


def test_oa_reminder_is_a_transaction_message_unless_the_person_wrote_lately(
        zalo: FakeZaloServer, message: OutgoingMessage) -> None:
    """`type=auto` (the default): a proactive notice goes as a transaction (template)
    message, which the interaction window does not bind; a consultation message only
    when the person wrote to the OA inside the free window."""
    zalo.outside_window.add("5551234")  # no recent interaction: cs would get -230
    assert send(oa_url(zalo), message).ok
    [request] = zalo.oa_requests()
    assert request.path == "/v3.0/oa/message/transaction"
    payload = request.json["message"]["attachment"]["payload"]
    assert payload["template_type"] == "transaction_event" and payload["language"] == "VI"
    assert payload["elements"][0] == {"type": "header", "align": "left",
                                      "content": message.subject}
    assert zalo.oa_text(request) == SHORT
    zalo.outside_window.clear()
    assert send(oa_url(zalo), replace(message, recent_interaction=True)).ok
    assert zalo.oa_requests()[-1].path == "/v3.0/oa/message/cs"
    # forced consultation outside the window: -230, permanent for this recipient
    zalo.outside_window.add("5551234")
    refused = send(oa_url(zalo) + "&type=cs", message)
    assert not refused.ok and refused.permanent and "-230" in (refused.error or "")
    # a person who blocked the message type: -244, permanent
    zalo.blocked.add("5551234")
    blocked = send(oa_url(zalo), message)
    assert not blocked.ok and blocked.permanent and "-244" in (blocked.error or "")


def test_oa_truncates_to_2000_characters(zalo: FakeZaloServer) -> None:
    msg = OutgoingMessage("k", "s", "ạ" * 2500)
    assert send(oa_url(zalo) + "&type=cs", msg).ok
    text = zalo.oa_text(zalo.oa_requests()[0])
    assert len(text) == 2000
    assert text.endswith("…")


def test_zns_sends_template(zalo: FakeZaloServer, message: OutgoingMessage) -> None:
    url = zns_url(zalo, phone="091.234.5678").replace("template=", ":nam=2026&template=")

    result = send(url, message)

    assert result.ok, result
    [request] = zalo.zns_requests()
    assert request.header("access_token") == OA_TOKEN
    assert request.json == {
        "phone": "84912345678",
        "template_id": "231456",
        "template_data": {
            "nam": "2026",
            "ten_don_vi": "Ban Dân vận Huyện ủy",
            "han_chot": "25/07/2026",
        },
        "tracking_id": "rem-2026-000123-step-2",
    }


# ------------------------------------------------------------------ classification


@pytest.mark.parametrize(
    ("code", "permanent", "has_wait", "refused"),
    [
        (-32, False, True, False),  # rate limit per minute
        (-211, False, True, False),  # OA out of quota
        (-223, True, False, False),  # OA not granted this API: permanent, not a quota
        (-244, True, False, True),  # user blocked this message type
        (-230, True, False, True),  # outside the interaction window
        (-216, True, False, False),  # invalid access token
        (-124, True, False, False),  # invalid access token (ZNS)
        (-213, True, False, True),  # user not a follower
        (-108, True, False, True),  # invalid phone
        (-100, False, True, False),  # ZNS: unknown error, retry later
        (-144, False, False, False),  # no public source: bounded retries
        (-201, False, False, False),  # disputed meaning: bounded retries
        (-99999, False, False, False),  # unknown: bounded retries
    ],
)
def test_zalo_error_codes(
    zalo: FakeZaloServer, message: OutgoingMessage, code: int, permanent: bool, has_wait: bool,
    refused: bool,
) -> None:
    for url in (oa_url(zalo), zns_url(zalo)):
        zalo.zalo_error_next(1, code, "lỗi giả lập")
        result = send(url, message)
        assert not result.ok
        assert result.permanent is permanent
        assert (result.retry_after is not None and result.retry_after > 0) is has_wait
        assert result.recipient_refused is refused
        assert str(code) in (result.error or "")
        known = code in ZALO_ERROR_CODES
        assert (result.attempt_cap == UNKNOWN_CODE_ATTEMPTS) is (not known)


def test_every_classified_code_cites_a_source() -> None:
    import inspect

    from danvan_workflow.adapters.channels import zalo_openapi

    lines = inspect.getsource(zalo_openapi).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("ZALO_ERROR_CODES"))
    end = next(i for i in range(start, len(lines)) if lines[i] == "}")
    block = lines[start:end]
    for code in ZALO_ERROR_CODES:
        at = next(i for i, line in enumerate(block) if f"{code}: ZaloCode(" in line)
        # the source tag is on the entry's lines or in the comment just above it
        around = " ".join(block[max(0, at - 2): at + 3])
        assert "[" in around and "]" in around, code
    for unsourced in (-115, -133, -144, -201):
        assert unsourced not in ZALO_ERROR_CODES


def test_bot_error_codes(zalo: FakeZaloServer, message: OutgoingMessage) -> None:
    bad_token = send(bot_url(zalo, token="999:wrong-token-value"), message)
    assert not bad_token.ok and bad_token.permanent
    assert "wrong-token-value" not in (bad_token.error or "") + (bad_token.provider_reply or "")

    zalo.zalo_error_next(1, 429, "Too Many Requests")
    limited = send(bot_url(zalo), message)
    assert not limited.ok and not limited.permanent and limited.retry_after == 60.0

    zalo.zalo_error_next(1, 403, "Forbidden: bot was blocked by the user")
    blocked = send(bot_url(zalo), message)
    assert blocked.permanent


@pytest.mark.parametrize("kind", ["bot", "oa", "zns"])
def test_http_faults(zalo: FakeZaloServer, message: OutgoingMessage, kind: str) -> None:
    url = {"bot": bot_url, "oa": oa_url, "zns": zns_url}[kind](zalo)

    zalo.http_error_next(1, 500)
    server_error = send(url, message)
    assert not server_error.ok and not server_error.permanent

    zalo.rate_limit_next(1, retry_after=7)
    limited = send(url, message)
    assert not limited.ok and not limited.permanent
    assert limited.retry_after == 7.0

    zalo.http_error_next(1, 404)
    not_found = send(url, message)
    assert not not_found.ok and not_found.permanent

    assert send(url, message).ok  # faults are consumed


def test_hanging_server_is_retryable(zalo: FakeZaloServer, message: OutgoingMessage) -> None:
    zalo.hang_next(1)
    result = send(oa_url(zalo), message, timeout=0.5)
    assert not result.ok and not result.permanent
    assert result.error and "ReadTimeout" in result.error
    assert zalo.hanging.acquire(blocking=False)  # the server did hang on that request


def test_connection_refused_is_retryable(message: OutgoingMessage) -> None:
    url = f"dvzoa://{OA_TOKEN}@123?base=http://127.0.0.1:{refused_port()}"
    result = send(url, message, timeout=2)
    assert not result.ok and not result.permanent
    assert OA_TOKEN not in (result.error or "")


def test_errors_and_replies_are_redacted(zalo: FakeZaloServer, message: OutgoingMessage) -> None:
    zalo.zalo_error_next(1, -216, f"token {OA_TOKEN} is invalid")
    result = send(oa_url(zalo), message)
    assert result.permanent
    text = f"{result.error} {result.provider_reply}"
    assert OA_TOKEN not in text
    assert "****" in text


def test_invalid_urls_are_permanent(message: OutgoingMessage) -> None:
    missing_template = send(f"dvzns://{OA_TOKEN}@0912345678", message)
    assert missing_template.permanent
    assert OA_TOKEN not in (missing_template.error or "")
    assert send(f"dvzns://{OA_TOKEN}@12ab?template=1", message).permanent
    assert send("nosuchscheme://x@y", message).permanent


# ------------------------------------------------------------------- plain Apprise


def test_plain_apprise_notify(zalo: FakeZaloServer) -> None:
    apobj = apprise.Apprise()
    assert apobj.add(bot_url(zalo))
    assert apobj.add(oa_url(zalo))
    assert apobj.add(zns_url(zalo) + "&:nam=2026")

    assert apobj.notify(body='{"ten": "Trần Thị B"}', title="Nhắc hạn")

    assert zalo.bot_requests()[0].json["text"] == 'Nhắc hạn\r\n{"ten": "Trần Thị B"}'
    assert zalo.oa_text(zalo.oa_requests()[0]).startswith("Nhắc hạn")
    assert zalo.zns_requests()[0].json["template_data"] == {"nam": "2026", "ten": "Trần Thị B"}


def test_plain_apprise_reports_failure(zalo: FakeZaloServer) -> None:
    plugin: Any = apprise.Apprise.instantiate(oa_url(zalo))
    assert plugin is not None
    zalo.zalo_error_next(1, -213, "user not follow")
    assert plugin.notify("Xin chào") is False
    assert plugin.last_result is not None and plugin.last_result.permanent


def test_privacy_url_hides_token(zalo: FakeZaloServer) -> None:
    plugin: Any = apprise.Apprise.instantiate(bot_url(zalo))
    assert plugin is not None
    assert BOT_TOKEN not in plugin.url(privacy=True)
    again: Any = apprise.Apprise.instantiate(plugin.url())
    assert again is not None and again.token == BOT_TOKEN and again.chat_id == "chat.A1b2"


# ----------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0912345678", "84912345678"),
        ("+84 912 345 678", "84912345678"),
        ("84912345678", "84912345678"),
        ("0084.912.345.678", "84912345678"),
        ("(028) 3823-4567", "842838234567"),
    ],
)
def test_normalize_phone(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "abc", "0912-ABC", "091"])
def test_normalize_phone_rejects(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_phone(raw)


def test_tracking_id_is_deterministic_and_short() -> None:
    assert tracking_id("rem-1") == "rem-1"
    long_key = "nhắc hạn/" + "x" * 100
    assert tracking_id(long_key) == tracking_id(long_key)
    assert len(tracking_id(long_key)) <= 48


def test_split_text_keeps_short_text() -> None:
    assert split_text("ngắn") == ["ngắn"]
    assert split_text("") == [""]
    assert [len(c) for c in split_text("x" * 4500)] == [2000, 2000, 500]


def test_seconds_until_local() -> None:
    at_23 = dt.datetime(2026, 7, 1, 23, 0, tzinfo=TZ)
    assert seconds_until_local(6, at_23) == 7 * 3600
    at_5 = dt.datetime(2026, 7, 1, 5, 30, tzinfo=TZ)
    assert seconds_until_local(6, at_5) == 1800

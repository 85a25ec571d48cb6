"""Webhook (json:// / jsons://) against the fake webhook server."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor

import apprise

from danvan_workflow.adapters.channels import OutgoingMessage, send
from tests.channels.conftest import SUBJECT, TEXT
from tests.fakes.webhook_server import FakeWebhookServer


def hook_url(server: FakeWebhookServer, extra: str = "") -> str:
    return f"json://127.0.0.1:{server.port}/danvan/nhac-han?+X-Api-Key=khoa-bi-mat-77{extra}"


def test_payload_and_idempotency_key(webhook: FakeWebhookServer, message: OutgoingMessage) -> None:
    result = send(hook_url(webhook), message)

    assert result.ok, result
    [request] = webhook.requests
    assert request.path == "/danvan/nhac-han"
    assert request.header("Idempotency-Key") == "rem-2026-000123-step-2"
    assert request.header("X-Api-Key") == "khoa-bi-mat-77"
    assert request.json == {
        "version": "1.0",
        "title": SUBJECT,
        "message": TEXT,
        "attachments": [],
        "type": "info",
    }


def test_payload_remapping(webhook: FakeWebhookServer, message: OutgoingMessage) -> None:
    assert send(hook_url(webhook, "&:message=noi_dung&:version=&:nguon=danvan"), message).ok
    assert webhook.requests[0].json == {
        "title": SUBJECT,
        "noi_dung": TEXT,
        "attachments": [],
        "type": "info",
        "nguon": "danvan",
    }


def test_status_classification(webhook: FakeWebhookServer, message: OutgoingMessage) -> None:
    url = hook_url(webhook)
    webhook.http_error_next(1, 503)
    assert send(url, message).retryable
    webhook.rate_limit_next(1, retry_after=12)
    limited = send(url, message)
    assert limited.retryable and limited.retry_after == 12.0
    webhook.http_error_next(1, 422)
    rejected = send(url, message)
    assert rejected.permanent
    assert "khoa-bi-mat-77" not in f"{rejected.error} {rejected.provider_reply}"
    assert send(url, message).ok


def test_hang_and_refused_are_retryable(
    webhook: FakeWebhookServer, message: OutgoingMessage
) -> None:
    webhook.hang_next(1)
    assert send(hook_url(webhook), message, timeout=0.5).retryable
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert send(f"json://127.0.0.1:{port}/x", message, timeout=2).retryable


def test_concurrent_sends_share_the_pool(webhook: FakeWebhookServer) -> None:
    messages = [OutgoingMessage(f"k-{i}", "Tiêu đề", f"Nội dung {i}") for i in range(200)]
    url = hook_url(webhook)
    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(lambda m: send(url, m), messages))
    assert all(r.ok for r in results)
    keys = sorted(r.header("Idempotency-Key") or "" for r in webhook.requests)
    assert keys == sorted(m.idempotency_key for m in messages)


def test_plain_apprise_notify_same_url(webhook: FakeWebhookServer) -> None:
    apobj = apprise.Apprise()
    assert apobj.add(hook_url(webhook))
    assert apobj.notify(body="Nội dung", title=SUBJECT)
    [request] = webhook.requests
    assert request.json["title"] == SUBJECT
    assert request.header("X-Api-Key") == "khoa-bi-mat-77"

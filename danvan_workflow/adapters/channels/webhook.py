"""Webhook channel: Apprise ``json://`` / ``jsons://`` URLs.

URL syntax is Apprise's own (``json://user:pass@host:port/path?+Header=value&:key=value
&-param=value&method=POST``); Apprise parses it. The transport is ours so that it
can use the pooled HTTP client and report a detailed ``SendResult``; the payload
is Apprise's JSON payload::

    {"version": "1.0", "title": subject, "message": text, "attachments": [], "type": "info"}

(remapped by ``:key=value`` entries exactly as Apprise does), sent with an
``Idempotency-Key: <key>`` header so that receivers can drop duplicates.
"""

from __future__ import annotations

from typing import Any

from apprise.plugins.custom_json import NotifyJSON

from danvan_workflow.adapters.channels.base import (
    USER_AGENT,
    OutgoingMessage,
    SendResult,
    TransportError,
    classify_http_status,
    http_request,
    transport_failure,
)

IDEMPOTENCY_HEADER = "Idempotency-Key"


def handles(plugin: object) -> bool:
    return isinstance(plugin, NotifyJSON)


def secrets(plugin: Any) -> list[str]:
    found = [plugin.password] if plugin.password else []
    return found + [str(v) for v in plugin.headers.values() if v]


def build_payload(plugin: Any, message: OutgoingMessage) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "version": plugin.json_version,
        "title": message.subject,
        "message": message.text,
        "attachments": [],
        "type": "info",
    }
    # Same remapping rules as apprise.plugins.custom_json.NotifyJSON.send().
    for key, value in plugin.payload_extras.items():
        if key in payload:
            if not value:
                del payload[key]
            else:
                payload[value] = payload.pop(key)
        else:
            payload[key] = value
    return payload


def endpoint(plugin: Any) -> str:
    url = f"{'https' if plugin.secure else 'http'}://{plugin.host}"
    if isinstance(plugin.port, int):
        url += f":{plugin.port}"
    return url + (plugin.fullpath or "")


def deliver(plugin: Any, message: OutgoingMessage, *, timeout: float) -> SendResult:
    headers = {"User-Agent": USER_AGENT, **plugin.headers}
    headers[IDEMPOTENCY_HEADER] = message.idempotency_key
    auth = (plugin.user, plugin.password or "") if plugin.user else None
    try:
        reply = http_request(
            endpoint(plugin),
            payload=build_payload(plugin, message),
            headers=headers,
            method=plugin.method,
            params=plugin.params,
            auth=auth,
            timeout=timeout,
            verify=plugin.verify_certificate,
        )
    except TransportError as exc:
        return transport_failure(exc)
    status_result = classify_http_status(reply)
    if status_result is not None:
        return status_result
    return SendResult.success(reply.short)

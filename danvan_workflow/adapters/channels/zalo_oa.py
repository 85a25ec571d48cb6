"""Zalo Official Account plugin: ``dvzoa://{access_token}@{user_id}[?base=...&type=...]``.

Two message types (header ``access_token: <token>``; docs/operations.md cites sources):

* consultation — POST ``{base}/v3.0/oa/message/cs``, body ``{"recipient": {"user_id":
  ...}, "message": {"text": ...}}`` (text truncated to 2,000 characters). Zalo delivers
  it only inside the interaction window after the person last wrote to the OA
  (48 hours free, up to 7 days); outside it answers -230 / -232;
* transaction (template) — POST ``{base}/v3.0/oa/message/transaction``, body
  ``{"recipient": {"user_id": ...}, "message": {"attachment": {"type": "template",
  "payload": {"template_type": "transaction_event", "language": "VI", "elements":
  [header, text]}}}}``: a notice that is not a reply, which is what a reminder is.

``type=auto`` (the default) sends a consultation message when the outbox says the
person wrote to the OA within the free window (`OutgoingMessage.recent_interaction`),
a transaction message otherwise; ``type=cs`` / ``type=transaction`` force one. Zalo's
OpenAPI reports errors as HTTP 200 with a non-zero ``"error"`` and a ``"message"``;
their classification, shared with ZNS, is in ``zalo_openapi.py``.
"""

from __future__ import annotations

from typing import Any

from apprise.common import OverflowMode

from danvan_workflow.adapters.channels.base import (
    NotifyBase,
    OutgoingMessage,
    SendResult,
    gettext_lazy,
)
from danvan_workflow.adapters.channels.zalo_openapi import (
    TEXT_LIMIT,
    ZaloOpenApiPlugin,
    truncate,
)

MESSAGE_TYPES = ("auto", "cs", "transaction")
HEADER_LIMIT = 100
TRANSACTION_TEXT_LIMIT = 1000


class NotifyDanvanZaloOA(ZaloOpenApiPlugin):
    """Zalo OA message to a follower: consultation or transaction (see the module doc)."""

    service_name = "Zalo OA (danvan)"
    service_url = "https://oa.zalo.me/"
    protocol = "dvzoa"
    secure_protocol = "dvzoa"
    setup_url = "https://developers.zalo.me/docs/official-account/"
    default_base_url = "https://openapi.zalo.me"
    target_label = "user id"

    title_maxlen = 0
    body_maxlen = TEXT_LIMIT
    overflow_mode = OverflowMode.TRUNCATE

    templates = ("{schema}://{access_token}@{user_id}",)
    template_tokens = dict(
        NotifyBase.template_tokens,
        **{
            "access_token": {
                "name": gettext_lazy("Access Token"),
                "type": "string",
                "private": True,
                "required": True,
            },
            "user_id": {"name": gettext_lazy("User ID"), "type": "string", "required": True,
                        "map_to": "target"},
        },
    )
    template_args = dict(
        NotifyBase.template_args,
        **{"base": {"name": gettext_lazy("Base URL"), "type": "string"},
           "oauth": {"name": gettext_lazy("OAuth Base URL"), "type": "string"},
           "type": {"name": gettext_lazy("Message Type"), "type": "choice:string",
                    "values": MESSAGE_TYPES, "default": "auto"}},
    )

    def __init__(self, type: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.message_type = (type or "auto").strip().lower()
        if self.message_type not in MESSAGE_TYPES:
            raise TypeError(f"unknown Zalo OA message type {type!r}")

    def extra_params(self) -> dict[str, str]:
        params = super().extra_params()
        if self.message_type != "auto":
            params["type"] = self.message_type
        return params

    @staticmethod
    def parse_url(url: str) -> dict[str, Any] | None:
        results = ZaloOpenApiPlugin.parse_url(url)
        if results and results["qsd"].get("type"):
            results["type"] = results["qsd"]["type"]
        return results

    @property
    def user_id(self) -> str:
        return self.target

    def deliver(self, message: OutgoingMessage, *, timeout: float) -> SendResult:
        kind = self.message_type
        if kind == "auto":
            kind = "cs" if message.recent_interaction else "transaction"
        if kind == "cs":
            payload: dict[str, Any] = {
                "recipient": {"user_id": self.target},
                "message": {"text": truncate(message.chat_text)},
            }
            return self.post("/v3.0/oa/message/cs", payload, timeout)
        elements = [{"type": "header", "align": "left",
                     "content": truncate(message.subject or "Thông báo", HEADER_LIMIT)},
                    {"type": "text", "align": "left",
                     "content": truncate(message.chat_text, TRANSACTION_TEXT_LIMIT)}]
        payload = {"recipient": {"user_id": self.target},
                   "message": {"attachment": {"type": "template", "payload": {
                       "template_type": "transaction_event", "language": "VI",
                       "elements": elements}}}}
        return self.post("/v3.0/oa/message/transaction", payload, timeout)

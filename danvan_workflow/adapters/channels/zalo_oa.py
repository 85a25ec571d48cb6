"""Zalo Official Account plugin: ``dvzoa://{access_token}@{user_id}[?base=...]``.

POST ``{base}/v3.0/oa/message/cs`` with header ``access_token: <token>`` and body
``{"recipient": {"user_id": ...}, "message": {"text": ...}}`` (a consultation
message; the text is truncated to 2,000 characters). Zalo's OpenAPI reports
errors as HTTP 200 with a non-zero ``"error"`` and a ``"message"``; their
classification, shared with ZNS, is in ``zalo_openapi.py``.
"""

from __future__ import annotations

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


class NotifyDanvanZaloOA(ZaloOpenApiPlugin):
    """Zalo OA consultation (``cs``) text message to a follower."""

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
           "oauth": {"name": gettext_lazy("OAuth Base URL"), "type": "string"}},
    )

    @property
    def user_id(self) -> str:
        return self.target

    def deliver(self, message: OutgoingMessage, *, timeout: float) -> SendResult:
        payload = {
            "recipient": {"user_id": self.target},
            "message": {"text": truncate(message.chat_text)},
        }
        return self.post("/v3.0/oa/message/cs", payload, timeout)

"""Zalo Notification Service plugin:
``dvzns://{access_token}@{phone}?template={template_id}[&base=...][&:param=value...]``.

POST ``{base}/message/template`` with header ``access_token`` and body
``{"phone": "84...", "template_id": ..., "template_data": {...}, "tracking_id": ...}``.
Errors come back as HTTP 200 with a non-zero ``"error"`` (see ``zalo_openapi``).

``template_data`` is the URL's fixed ``:name=value`` entries overlaid with the
message's ``template_data``. Through plain Apprise (``notify(body=...)``) a body
that is a JSON object is used as template data; any other body is sent in the
parameter named by ``?body_param=`` when given.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from danvan_workflow.adapters.channels.base import (
    NotifyBase,
    OutgoingMessage,
    SendResult,
    gettext_lazy,
)
from danvan_workflow.adapters.channels.zalo_openapi import ZaloOpenApiPlugin

TRACKING_ID_LIMIT = 48
_TRACKING_SAFE = re.compile(r"^[A-Za-z0-9._:-]+$")


def normalize_phone(phone: str) -> str:
    """Vietnamese phone number to Zalo's international form: ``0912345678`` -> ``84912345678``.

    Spaces, dots, dashes, parentheses and a leading ``+`` are dropped. Raises
    ``ValueError`` when the result is not 9 to 15 digits.
    """
    digits = re.sub(r"[\s().\-]", "", phone)
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    if digits.startswith("0"):
        digits = "84" + digits[1:]
    if not digits.isdigit() or not 9 <= len(digits) <= 15:
        raise ValueError(f"invalid phone number: {phone!r}")
    return digits


def tracking_id(idempotency_key: str) -> str:
    """ZNS tracking id from an idempotency key (kept when short and plain, else hashed)."""
    if len(idempotency_key) <= TRACKING_ID_LIMIT and _TRACKING_SAFE.match(idempotency_key):
        return idempotency_key
    return hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:40]


class NotifyDanvanZaloZNS(ZaloOpenApiPlugin):
    """Zalo ZNS template message to a phone number."""

    service_name = "Zalo ZNS (danvan)"
    service_url = "https://zalo.cloud/zns"
    protocol = "dvzns"
    secure_protocol = "dvzns"
    setup_url = "https://developers.zalo.me/docs/zalo-notification-service/"
    default_base_url = "https://business.openapi.zalo.me"
    target_label = "phone number"
    # The title is not merged into the body (a JSON body is template data).

    templates = ("{schema}://{access_token}@{phone}",)
    template_tokens = dict(
        NotifyBase.template_tokens,
        **{
            "access_token": {
                "name": gettext_lazy("Access Token"),
                "type": "string",
                "private": True,
                "required": True,
            },
            "phone": {"name": gettext_lazy("Phone No"), "type": "string", "required": True,
                      "map_to": "target"},
        },
    )
    template_args = dict(
        NotifyBase.template_args,
        **{
            "base": {"name": gettext_lazy("Base URL"), "type": "string"},
            "oauth": {"name": gettext_lazy("OAuth Base URL"), "type": "string"},
            "template": {"name": gettext_lazy("Template ID"), "type": "string", "required": True},
            "body_param": {"name": gettext_lazy("Body Parameter"), "type": "string"},
            "mode": {"name": gettext_lazy("Mode"), "type": "string"},
        },
    )
    template_kwargs = {"fixed_data": {"name": gettext_lazy("Template Data"), "prefix": ":"}}

    def __init__(
        self,
        template: str | None = None,
        fixed_data: dict[str, str] | None = None,
        body_param: str | None = None,
        mode: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not template:
            msg = "dvzns:// needs ?template={template_id}"
            self.logger.warning(msg)
            raise TypeError(msg)
        try:
            self.phone = normalize_phone(self.target)
        except ValueError as exc:
            self.logger.warning("dvzns:// %s", exc)
            raise TypeError(str(exc)) from None
        self.template_id = template
        self.fixed_data = dict(fixed_data or {})
        self.body_param = body_param or None
        self.mode = mode or None

    def message_from_notify(self, body: str, title: str) -> OutgoingMessage:
        data: dict[str, str] = {}
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            data = {str(k): str(v) for k, v in parsed.items()}
        elif self.body_param:
            data = {self.body_param: body}
        message = super().message_from_notify(body, title)
        return OutgoingMessage(
            idempotency_key=message.idempotency_key,
            subject=title,
            text=body,
            short_text=body,
            template_data=data,
        )

    def deliver(self, message: OutgoingMessage, *, timeout: float) -> SendResult:
        data = {**self.fixed_data, **message.template_data}
        if self.body_param and self.body_param not in data:
            data[self.body_param] = message.chat_text
        payload: dict[str, Any] = {
            "phone": self.phone,
            "template_id": self.template_id,
            "template_data": data,
            "tracking_id": tracking_id(message.idempotency_key),
        }
        if self.mode:
            payload["mode"] = self.mode
        return self.post("/message/template", payload, timeout)

    def extra_params(self) -> dict[str, str]:
        params = {**super().extra_params(), "template": self.template_id}
        if self.body_param:
            params["body_param"] = self.body_param
        if self.mode:
            params["mode"] = self.mode
        params.update({f":{k}": v for k, v in self.fixed_data.items()})
        return params

    @staticmethod
    def parse_url(url: str) -> dict[str, Any] | None:
        results: dict[str, Any] | None = ZaloOpenApiPlugin.parse_url(url)
        if not results:
            return results
        qsd = results["qsd"]
        if qsd.get("template"):
            results["template"] = qsd["template"]
        if qsd.get("body_param"):
            results["body_param"] = qsd["body_param"]
        if qsd.get("mode"):
            results["mode"] = qsd["mode"]
        results["fixed_data"] = dict(results.get("qsd:") or {})
        return results

"""Zalo Bot API plugin: ``dvzbot://{token}@{chat_id}[?base=...]``.

POST ``{base}/bot{token}/sendMessage`` with JSON ``{"chat_id": ..., "text": ...}``.
Replies are Telegram-like: ``{"ok": true, "result": {...}}`` or
``{"ok": false, "error_code": N, "description": "..."}``. A text longer than
2,000 characters is split into several messages (at line breaks when possible),
numbered ``(1/3) ...``; a retry sends only the chunks not yet delivered.

The scheme is ``dvzbot`` (not ``zalo``) so that it cannot clash with a future
built-in Apprise plugin.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from apprise.common import OverflowMode
from apprise.url import PrivacyMode

from danvan_workflow.adapters.channels.base import (
    DeliveringPlugin,
    HttpReply,
    NotifyBase,
    OutgoingMessage,
    SendResult,
    TransportError,
    classify_http_status,
    gettext_lazy,
    http_request,
    parse_retry_after,
    transport_failure,
)

TEXT_LIMIT = 2000
DEFAULT_RATE_LIMIT_WAIT = 60.0

# Bot API error codes (HTTP-like, as in the Telegram Bot API it mirrors).
PERMANENT_BOT_CODES = frozenset({400, 401, 403, 404})


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split ``text`` into chunks of at most ``limit`` characters, preferring line breaks."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut <= limit // 2:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut <= limit // 2:
            cut = limit
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if not chunks:
        return [rest]
    if rest.strip():
        chunks.append(rest.rstrip())
    return chunks


def numbered_chunks(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """``text`` as one message, or as chunks numbered ``(1/3) ...`` when too long."""
    if len(text) <= limit:
        return [text]
    parts = split_text(text, limit - len("(99/99) "))
    return [f"({i}/{len(parts)}) {part}" for i, part in enumerate(parts, 1)]


def classify_bot_reply(reply: HttpReply) -> SendResult:
    data = reply.json()
    if isinstance(data, dict) and "ok" in data:
        if data.get("ok") is True and 200 <= reply.status < 300:
            return SendResult.success(reply.short)
        code = data.get("error_code")
        description = str(data.get("description") or "")
        error = f"Zalo Bot lỗi {code}: {description}".strip()
        if code == 429 or reply.status == 429:
            params = data.get("parameters")
            wait = None
            if isinstance(params, dict) and isinstance(params.get("retry_after"), int | float):
                wait = float(params["retry_after"])
            wait = wait or parse_retry_after(reply.headers.get("Retry-After"))
            return SendResult.retry(
                error, retry_after=wait or DEFAULT_RATE_LIMIT_WAIT, reply=reply.short
            )
        if isinstance(code, int) and code in PERMANENT_BOT_CODES:
            return SendResult.fail(error, reply=reply.short)
        if isinstance(code, int) and 400 <= code < 500 and code not in (408, 425):
            return SendResult.fail(error, reply=reply.short)
        return SendResult.retry(error, reply=reply.short)
    status_result = classify_http_status(reply)
    if status_result is not None:
        return status_result
    return SendResult.retry("Zalo Bot trả lời không đúng định dạng", reply=reply.short)


class NotifyDanvanZaloBot(DeliveringPlugin):
    """Zalo Bot (bot-api.zaloplatforms.com) text messages."""

    service_name = "Zalo Bot (danvan)"
    service_url = "https://bot.zapps.me/"
    protocol = "dvzbot"
    secure_protocol = "dvzbot"
    setup_url = "https://bot.zapps.me/docs/"
    default_base_url = "https://bot-api.zaloplatforms.com"

    # Apprise merges the title into the body (title_maxlen = 0) and splits long bodies.
    title_maxlen = 0
    body_maxlen = TEXT_LIMIT
    overflow_mode = OverflowMode.SPLIT

    templates = ("{schema}://{token}@{chat_id}",)
    template_tokens = dict(
        NotifyBase.template_tokens,
        **{
            "token": {"name": gettext_lazy("Bot Token"), "type": "string", "private": True,
                      "required": True},
            "chat_id": {"name": gettext_lazy("Chat ID"), "type": "string", "required": True},
        },
    )
    template_args = dict(
        NotifyBase.template_args,
        **{"base": {"name": gettext_lazy("Base URL"), "type": "string"}},
    )

    def __init__(
        self, token: str | None = None, chat_id: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if not token or not chat_id:
            msg = "dvzbot:// needs a bot token and a chat id"
            self.logger.warning(msg)
            raise TypeError(msg)
        self.token = token
        self.chat_id = chat_id

    def secrets(self) -> list[str]:
        return [self.token, *self.token.split(":")]

    def deliver(self, message: OutgoingMessage, *, timeout: float) -> SendResult:
        """Send the text, in numbered chunks when long; ``message.parts_done`` chunks
        were delivered by an earlier attempt and are skipped. The result's
        ``parts_sent`` counts the chunks delivered so far (kept by the dispatcher)."""
        url = f"{self.base_url}/bot{self.token}/sendMessage"
        chunks = numbered_chunks(message.chat_text)
        done = min(message.parts_done, len(chunks))
        result = SendResult.success()
        for chunk in chunks[done:]:
            try:
                reply = http_request(
                    url,
                    payload={"chat_id": self.chat_id, "text": chunk},
                    timeout=timeout,
                    verify=self.verify_certificate,
                )
            except TransportError as exc:
                result = transport_failure(exc).redacted(self.secrets())
            else:
                result = classify_bot_reply(reply).redacted(self.secrets())
            if not result.ok:
                return replace(result, parts_sent=done) if len(chunks) > 1 else result
            done += 1
        return replace(result, parts_sent=done) if len(chunks) > 1 else result

    def url(self, privacy: bool = False, *args: Any, **kwargs: Any) -> str:
        params = self.base_param(self.url_parameters(*args, privacy=privacy, **kwargs))
        token = self.pprint(self.token, privacy, mode=PrivacyMode.Secret, safe=":")
        return "{schema}://{token}@{chat_id}/?{params}".format(
            schema=self.protocol,
            token=token,
            chat_id=self.quote(self.chat_id, safe=""),
            params=self.urlencode(params),
        )

    def __len__(self) -> int:
        return 1

    @staticmethod
    def parse_url(url: str) -> dict[str, Any] | None:
        results: dict[str, Any] | None = NotifyBase.parse_url(url, verify_host=False)
        if not results:
            return results
        user = NotifyBase.unquote(results.get("user") or "")
        password = NotifyBase.unquote(results.get("password") or "")
        results["token"] = f"{user}:{password}" if password else user
        results["chat_id"] = NotifyBase.unquote(results.get("host") or "")
        # The token is not an HTTP credential: keep it out of URLBase.user/password.
        results["user"] = None
        results["password"] = None
        if results["qsd"].get("base"):
            results["base"] = results["qsd"]["base"]
        return results

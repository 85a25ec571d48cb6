"""A fake SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it receives.

Messages are parsed with ``email.policy.default`` so ``msg["Subject"]`` is the
decoded text. Optional AUTH (``credentials=("user", "pass")``, allowed without
TLS) and programmable refusals: ``reject_next(n, code=550)`` refuses the next
``n`` recipients (RCPT TO) with that SMTP code.
"""

from __future__ import annotations

import email
import logging
import socket
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

# aiosmtpd logs a deprecation warning of its own on every AUTH; keep test logs clean.
logging.getLogger("mail.log").setLevel(logging.ERROR)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage


class _Handler:
    def __init__(self, owner: FakeSMTPServer) -> None:
        self.owner = owner

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        refusal = self.owner._take_refusal()
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        parsed = email.message_from_bytes(raw, policy=default)
        assert isinstance(parsed, EmailMessage)
        with self.owner._lock:
            self.owner.messages.append(
                ReceivedMail(str(envelope.mail_from), list(envelope.rcpt_tos), raw, parsed)
            )
        return "250 Message accepted"


class FakeSMTPServer:
    def __init__(self, credentials: tuple[str, str] | None = None) -> None:
        self.messages: list[ReceivedMail] = []
        self.credentials = credentials
        self._lock = threading.Lock()
        self._refusals: list[str] = []
        self.port = free_port()
        kwargs: dict[str, Any] = {}
        if credentials is not None:
            kwargs = {
                "authenticator": self._authenticate,
                # AUTH is advertised and checked but not enforced: aiosmtpd warns
                # when it must require AUTH without TLS.
                "auth_required": False,
                "auth_require_tls": False,
            }
        self.controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, **kwargs
        )

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and self.credentials == (
            auth_data.login.decode("utf-8"),
            auth_data.password.decode("utf-8"),
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    def _take_refusal(self) -> str | None:
        with self._lock:
            return self._refusals.pop(0) if self._refusals else None

    def reject_next(self, n: int = 1, code: int = 550, text: str = "Mailbox unavailable") -> None:
        with self._lock:
            self._refusals.extend([f"{code} {text}"] * n)

    def url(self, *, to: str = "nguoinhan@example.vn", sender: str = "nhac-han@danvan.vn") -> str:
        """An Apprise mailto:// URL pointing at this server (plain SMTP, no TLS)."""
        auth = ""
        if self.credentials:
            auth = f"{self.credentials[0]}:{self.credentials[1]}@"
        return f"mailto://{auth}127.0.0.1:{self.port}?mode=insecure&from={sender}&to={to}"

    def start(self) -> Self:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

"""E-mail channel: Apprise ``mailto://`` / ``mailtos://`` URLs, sent with smtplib.

Apprise parses the URL (user, password, host, port, ``to=``, ``from=``, ``smtp=``,
``mode=starttls|ssl|insecure``, ``cc=``, ``bcc=``, ``+Header=value``, and its
built-in provider templates such as Gmail). We build and send the message
ourselves because Apprise 1.13 always adds its own random ``Message-ID`` after
the custom ``+Header`` values (a ``+Message-ID=`` argument yields two
Message-ID headers), and it cannot send a text body with an HTML alternative.

The message has a deterministic ``Message-ID: <{key}@danvan-workflow>``, a
UTF-8 subject encoded per RFC 2047, a plain-text part and, when given, an HTML
alternative (both UTF-8 in base64, so no 8BITMIME is needed). All recipients get
one message.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime, formataddr
from typing import Any

from apprise.plugins.email import NotifyEmail
from apprise.plugins.email.common import SecureMailMode

from danvan_workflow.adapters.channels.base import APP_ID, OutgoingMessage, SendResult
from danvan_workflow.timeutil import now

MESSAGE_ID_DOMAIN = APP_ID
# RFC 5322 dot-atom-text characters, minus "=" which we use as an escape.
_ATEXT = re.compile(r"[A-Za-z0-9!#$%&'*+/?^_`{|}~.\-]")


def handles(plugin: object) -> bool:
    return isinstance(plugin, NotifyEmail)


def secrets(plugin: Any) -> list[str]:
    found = [plugin.password] if plugin.password else []
    return found + [str(v) for v in plugin.headers.values() if v]


def message_id(idempotency_key: str) -> str:
    """``<{key}@danvan-workflow>``; characters not allowed in a msg-id become ``=XX``."""
    local = "".join(
        ch if _ATEXT.fullmatch(ch) else "".join(f"={b:02X}" for b in ch.encode("utf-8"))
        for ch in idempotency_key
    )
    local = re.sub(r"\.{2,}", lambda m: "=2E" * len(m.group()), local.strip(".")) or "=00"
    return f"<{local}@{MESSAGE_ID_DOMAIN}>"


NO_FOLD = default.clone(max_line_length=998)


def build_message(plugin: Any, message: OutgoingMessage) -> EmailMessage:
    """The MIME message for ``plugin`` (a parsed Apprise NotifyEmail) and ``message``."""
    # policy.default (LF) so base64 parts decode to the exact text; smtplib writes CRLF.
    # No header folding: Python 3.11 drops the space between two folded encoded-words
    # ("dân chủ" arrives as "dânchủ"), so a Vietnamese subject stays one encoded-word.
    msg = EmailMessage(policy=NO_FOLD)
    from_name, from_addr = plugin.from_addr
    msg["From"] = formataddr((from_name or "", from_addr)) if from_name else from_addr
    msg["To"] = ", ".join(
        formataddr((name, addr)) if name else addr for name, addr in plugin.targets
    )
    if plugin.cc:
        msg["Cc"] = ", ".join(sorted(plugin.cc))
    if plugin.reply_to:
        msg["Reply-To"] = ", ".join(sorted(plugin.reply_to))
    msg["Subject"] = message.subject
    msg["Message-ID"] = message_id(message.idempotency_key)
    msg["Date"] = format_datetime(now())
    msg["X-Application"] = APP_ID
    for name, value in plugin.headers.items():
        if name.lower() not in {"message-id", "subject", "from", "to", "date"}:
            msg[name] = value
    msg.set_content(message.text, charset="utf-8", cte="base64")
    if message.html:
        msg.add_alternative(message.html, subtype="html", charset="utf-8", cte="base64")
    return msg


def _smtp_error(exc: smtplib.SMTPResponseException) -> SendResult:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(
        exc.smtp_error, bytes
    ) else str(exc.smtp_error)
    reply = f"SMTP {exc.smtp_code}: {text}"[:300]
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return SendResult.fail("Máy chủ thư từ chối đăng nhập", reply=reply)
    if exc.smtp_code >= 500:
        return SendResult.fail(f"Máy chủ thư từ chối thư (SMTP {exc.smtp_code})", reply=reply)
    return SendResult.retry(f"Máy chủ thư tạm thời từ chối (SMTP {exc.smtp_code})", reply=reply)


def deliver(plugin: Any, message: OutgoingMessage, *, timeout: float) -> SendResult:
    if not plugin.targets:
        return SendResult.fail("Không có địa chỉ thư người nhận (thiếu to=)")
    msg = build_message(plugin, message)
    recipients = [addr for _, addr in plugin.targets] + sorted(plugin.cc) + sorted(plugin.bcc)
    context = ssl.create_default_context()
    if not plugin.verify_certificate:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    client: smtplib.SMTP | None = None
    try:
        if plugin.secure_mode == SecureMailMode.SSL:
            client = smtplib.SMTP_SSL(
                plugin.smtp_host, plugin.port, timeout=timeout, context=context
            )
        else:
            client = smtplib.SMTP(plugin.smtp_host, plugin.port, timeout=timeout)
        if plugin.secure_mode == SecureMailMode.STARTTLS:
            client.starttls(context=context)
        if plugin.user and plugin.password:
            client.login(plugin.user, plugin.password)
        refused = client.send_message(msg, from_addr=plugin.from_addr[1], to_addrs=recipients)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = sorted({code for code, _ in exc.recipients.values()})
        reply = "; ".join(
            f"{addr}: {code} {text.decode('utf-8', 'replace')}"
            for addr, (code, text) in exc.recipients.items()
        )[:300]
        if all(code >= 500 for code in codes):
            return SendResult.fail("Địa chỉ người nhận bị từ chối", reply=reply)
        return SendResult.retry("Địa chỉ người nhận tạm thời bị từ chối", reply=reply)
    except smtplib.SMTPResponseException as exc:
        return _smtp_error(exc)
    except (smtplib.SMTPException, OSError) as exc:
        kind = "Hết thời gian chờ máy chủ thư" if isinstance(
            exc, socket.timeout | TimeoutError
        ) else "Lỗi kết nối máy chủ thư"
        return SendResult.retry(f"{kind} ({type(exc).__name__}: {exc})")
    finally:
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()
    if refused:
        reply = "; ".join(f"{addr}: {code}" for addr, (code, _) in refused.items())
        return SendResult.retry("Một số người nhận bị từ chối", reply=reply)
    return SendResult.success(f"SMTP 250: đã gửi tới {len(recipients)} người nhận")

"""Uniform sending interface for every channel.

The dispatcher calls :func:`send` (from a thread pool) with an Apprise URL and an
:class:`OutgoingMessage`; it gets a :class:`SendResult` telling whether the
message went out, and if not, whether and when to retry.

Apprise's ``notify()`` only returns a bool, so the actual transport is done here:

- ``dvzbot://`` / ``dvzoa://`` / ``dvzns://``: our Apprise plugins; their
  :meth:`DeliveringPlugin.deliver` returns a ``SendResult``;
- ``json://`` / ``jsons://``: Apprise's URL parsing, transport in ``webhook.py``;
- ``mailto://`` / ``mailtos://``: Apprise's URL parsing, transport in ``email.py``.

All HTTP goes through one pooled, thread-safe urllib3 ``PoolManager`` (keep-alive),
so that high message rates do not open a connection per message.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import json
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

import urllib3
from apprise import AppriseAsset, NotifyType
from apprise.locale import gettext_lazy as _gettext_lazy
from apprise.plugins.base import NotifyBase as _NotifyBase

from danvan_workflow.adapters.channels.redact import redact, redact_url, secret_forms

APP_ID = "danvan-workflow"
# Shown as the default e-mail sender name and in Apprise's X-Application header.
APP_DESC = "Hệ thống nhắc hạn báo cáo"
USER_AGENT = f"{APP_ID}/1"

# Longest provider reply kept in a SendResult.
REPLY_LIMIT = 300

ASSET = AppriseAsset(app_id=APP_DESC, app_desc=APP_DESC)

# Apprise's NotifyBase is only partly annotated (untyped helpers, attributes declared
# as None). Our plugins subclass it through ``Any`` so that mypy checks our code
# without flagging Apprise's own members.
NotifyBase: Any = _NotifyBase
gettext_lazy: Any = _gettext_lazy


@dataclass(frozen=True)
class OutgoingMessage:
    """One rendered message for one recipient.

    ``text`` is the full plain-text body (e-mail, webhook); ``short_text`` the
    chat version (Zalo; falls back to ``text`` when empty); ``template_data``
    the named parameters of a ZNS template.
    """

    idempotency_key: str
    subject: str
    text: str
    html: str | None = None
    short_text: str = ""
    template_data: dict[str, str] = field(default_factory=dict)
    # parts of a multi-part chat message delivered by earlier attempts (skipped now)
    parts_done: int = 0
    # the recipient wrote to us (OA) inside Zalo's free consultation window: a
    # consultation message reaches them; otherwise only a transaction message does
    recent_interaction: bool = False

    @property
    def chat_text(self) -> str:
        return self.short_text or self.text


@dataclass(frozen=True)
class SendResult:
    """Outcome of one send attempt. ``error``/``provider_reply`` are always redacted."""

    ok: bool
    permanent: bool = False  # permanent failure: don't retry
    retry_after: float | None = None  # seconds, from Retry-After or Zalo rate-limit codes
    provider_reply: str | None = None  # short, secrets redacted
    error: str | None = None  # redacted
    # the channel refuses this recipient for good (e.g. Zalo -230 outside the interaction
    # window): the dispatcher may take the next channel of the contact's fallback chain
    recipient_refused: bool = False
    # fewer attempts than the channel's max_attempts (e.g. an undocumented provider code)
    attempt_cap: int | None = None
    # parts of a multi-part message delivered so far (Zalo Bot chunks), None otherwise
    parts_sent: int | None = None

    @property
    def retryable(self) -> bool:
        return not self.ok and not self.permanent

    @classmethod
    def success(cls, reply: str | None = None) -> SendResult:
        return cls(ok=True, provider_reply=reply)

    @classmethod
    def retry(
        cls, error: str, *, retry_after: float | None = None, reply: str | None = None,
        attempt_cap: int | None = None,
    ) -> SendResult:
        return cls(ok=False, retry_after=retry_after, provider_reply=reply, error=error,
                   attempt_cap=attempt_cap)

    @classmethod
    def fail(cls, error: str, *, reply: str | None = None) -> SendResult:
        """A permanent failure."""
        return cls(ok=False, permanent=True, provider_reply=reply, error=error)

    def redacted(self, secrets: Iterable[str | None]) -> SendResult:
        keep = [s for s in secrets if s]
        return replace(
            self,
            provider_reply=redact(self.provider_reply, keep, limit=REPLY_LIMIT),
            error=redact(self.error, keep),
        )


# --------------------------------------------------------------------------- HTTP

# urllib3 (already required by Apprise through requests) rather than httpx: its
# pool is a per-host queue, so 64+ threads sharing it stay cheap (~0.4 ms CPU per
# request), while httpx's pool bookkeeping grows with the number of connections.
TransportError = (urllib3.exceptions.HTTPError, OSError)

_pools: dict[bool, urllib3.PoolManager] = {}
_pools_lock = threading.Lock()
POOL_SIZE = 256  # connections kept per host


def _ca_certs() -> str | None:
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with requests
        return None
    return str(certifi.where())


def http_pool(verify: bool = True) -> urllib3.PoolManager:
    """The process-wide, thread-safe connection pool (one per verification mode)."""
    pool = _pools.get(verify)
    if pool is None:
        with _pools_lock:
            pool = _pools.get(verify)
            if pool is None:
                pool = urllib3.PoolManager(
                    num_pools=64,
                    maxsize=POOL_SIZE,
                    block=False,
                    retries=False,
                    cert_reqs="CERT_REQUIRED" if verify else "CERT_NONE",
                    ca_certs=_ca_certs() if verify else None,
                    headers={"User-Agent": USER_AGENT},
                )
                _pools[verify] = pool
    return pool


def close_http_clients() -> None:
    """Close the pooled connections (tests, shutdown). Pools are recreated on demand."""
    with _pools_lock:
        for pool in _pools.values():
            pool.clear()
        _pools.clear()


@dataclass(frozen=True)
class HttpReply:
    status: int
    headers: Mapping[str, str]  # case-insensitive (urllib3 HTTPHeaderDict)
    text: str

    def json(self) -> Any:
        """The parsed JSON body, or None when the body is not JSON."""
        try:
            return json.loads(self.text)
        except ValueError:
            return None

    @property
    def short(self) -> str:
        # cut to REPLY_LIMIT only once redacted (SendResult.redacted): a secret cut in two
        # here would no longer be recognised
        return f"HTTP {self.status}: {self.text[:REPLY_LIMIT * 8]}"


def http_request(
    url: str,
    *,
    payload: Any,
    timeout: float,
    headers: Mapping[str, str] | None = None,
    method: str = "POST",
    params: Mapping[str, str] | None = None,
    auth: tuple[str, str] | None = None,
    verify: bool = True,
) -> HttpReply:
    """Send ``payload`` as JSON through the shared pool.

    Raises one of ``TransportError`` (urllib3 errors, OSError) on network problems.
    """
    all_headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    if auth is not None:
        all_headers.update(urllib3.util.make_headers(basic_auth=f"{auth[0]}:{auth[1]}"))
    if params:
        url += ("&" if "?" in url else "?") + urlencode(dict(params))
    response = http_pool(verify).request(
        method,
        url,
        body=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        headers=all_headers,
        timeout=urllib3.Timeout(connect=timeout, read=timeout),
        redirect=False,
        retries=False,
    )
    return HttpReply(response.status, response.headers, response.data.decode("utf-8", "replace"))


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def transport_failure(exc: Exception) -> SendResult:
    """Network-level failure: always retryable."""
    timed_out = isinstance(exc, urllib3.exceptions.TimeoutError | TimeoutError) and not (
        isinstance(exc, urllib3.exceptions.NewConnectionError)
    )
    if timed_out:
        return SendResult.retry(f"Hết thời gian chờ máy chủ ({type(exc).__name__})")
    return SendResult.retry(f"Lỗi kết nối ({type(exc).__name__}: {exc})")


def classify_http_status(reply: HttpReply) -> SendResult | None:
    """Generic HTTP classification; ``None`` for 2xx (the caller inspects the body)."""
    status = reply.status
    if 200 <= status < 300:
        return None
    retry_after = parse_retry_after(reply.headers.get("Retry-After"))
    if status == 429:
        return SendResult.retry(
            "Máy chủ báo gửi quá nhanh (HTTP 429)", retry_after=retry_after, reply=reply.short
        )
    if status >= 500 or status in (408, 425):
        return SendResult.retry(
            f"Máy chủ tạm thời lỗi (HTTP {status})", retry_after=retry_after, reply=reply.short
        )
    return SendResult.fail(f"Máy chủ từ chối yêu cầu (HTTP {status})", reply=reply.short)


# ------------------------------------------------------------------- plugin base


class DeliveringPlugin(NotifyBase):  # type: ignore[misc]
    """An Apprise plugin whose transport returns a detailed :class:`SendResult`.

    ``send()`` (used by plain Apprise) wraps :meth:`deliver` and keeps the last
    result in ``last_result``; the dispatcher calls :meth:`deliver` directly.
    ``?base=http://host:port`` overrides the provider's base URL.
    """

    # Our own dispatcher applies per-channel rates; Apprise's throttle is off.
    request_rate_per_sec = 0
    default_base_url = ""

    def __init__(self, base: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        base_url = (base or self.default_base_url).strip().rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            msg = f"{self.service_name}: base must be an http(s) URL"
            self.logger.warning(msg)
            raise TypeError(msg)
        self.base_url = base_url
        self.last_result: SendResult | None = None

    # To be implemented by each plugin ------------------------------------------------
    def deliver(self, message: OutgoingMessage, *, timeout: float) -> SendResult:
        raise NotImplementedError

    def secrets(self) -> list[str]:
        """Secret values to redact from errors and replies."""
        return []

    def message_from_notify(self, body: str, title: str) -> OutgoingMessage:
        return OutgoingMessage(
            idempotency_key=uuid.uuid4().hex, subject=title, text=body, short_text=body
        )

    # Apprise entry point -------------------------------------------------------------
    def send(
        self,
        body: str,
        title: str = "",
        notify_type: NotifyType = NotifyType.INFO,
        **kwargs: Any,
    ) -> bool:
        self.throttle()
        timeout = max(float(self.socket_connect_timeout), float(self.socket_read_timeout))
        result = self.deliver(self.message_from_notify(body, title), timeout=timeout)
        self.last_result = result
        if result.ok:
            self.logger.info("Sent %s notification.", self.service_name)
        else:
            self.logger.warning(
                "Failed to send %s notification: %s", self.service_name, result.error
            )
        return result.ok

    def base_param(self, params: dict[str, str]) -> dict[str, str]:
        if self.base_url != self.default_base_url:
            params["base"] = self.base_url
        return params


# --------------------------------------------------------------------- dispatch


@dataclass(frozen=True)
class Transport:
    """Delivery for an Apprise plugin that is not a :class:`DeliveringPlugin`: Apprise
    parses the URL, the channel module (``email.py``, ``webhook.py``) sends."""

    handles: Callable[[Any], bool]
    secrets: Callable[[Any], list[str]]
    deliver: Callable[..., SendResult]  # (plugin, message, *, timeout) -> SendResult


# Filled by ``registry.register_plugins()`` (run when the package is imported): this
# module knows no channel module, the registry knows them all.
_transports: list[Transport] = []
_transports_lock = threading.Lock()


def register_transport(transport: Transport) -> None:
    """Add a transport (idempotent); the first one that ``handles`` a plugin sends."""
    with _transports_lock:
        if transport not in _transports:
            _transports.append(transport)


@functools.lru_cache(maxsize=1024)
def _instantiate(url: str) -> Any:
    """Parse an Apprise URL into a plugin instance (cached: instances are only read)."""
    import apprise

    return apprise.Apprise.instantiate(url, asset=ASSET, suppress_exceptions=True)


def send(url: str, message: OutgoingMessage, *, timeout: float = 10.0) -> SendResult:
    """Send ``message`` through the channel described by the Apprise ``url``.

    ``url`` must already be expanded (see ``registry.expand_env``) and targeted
    (``registry.target_url``). Never raises for delivery problems: every failure
    is a ``SendResult`` whose texts are redacted. The channels are those registered
    by ``registry.register_plugins()``, which importing the package runs.
    """
    secrets = secret_forms(url)
    try:
        result = _dispatch(url, message, timeout, secrets)
    except Exception as exc:  # a bug or an unexpected library error: retry later
        result = SendResult.retry(f"Lỗi không mong đợi khi gửi ({type(exc).__name__}: {exc})")
    return result.redacted(secrets)


def _dispatch(url: str, message: OutgoingMessage, timeout: float, secrets: list[str]) -> SendResult:
    plugin = _instantiate(url)
    if plugin is None:
        return SendResult.fail(f"URL kênh gửi không hợp lệ: {redact_url(url)}")
    if isinstance(plugin, DeliveringPlugin):
        secrets += plugin.secrets()
        return plugin.deliver(message, timeout=timeout)
    for transport in _transports:
        if transport.handles(plugin):
            secrets += transport.secrets(plugin)
            return transport.deliver(plugin, message, timeout=timeout)
    return SendResult.fail(f"Loại kênh gửi chưa được hỗ trợ: {redact_url(url)}")

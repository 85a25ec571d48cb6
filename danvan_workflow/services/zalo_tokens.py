"""Zalo OA / ZNS access tokens: obtained, refreshed and stored durably, never shown.

Zalo's access token lives about 25 hours; the refresh token is single-use (each refresh
returns a new one and the old one stops working) and lasts about 3 months. Sources:
``zaloplatform/zalo-java-sdk`` (``GetAccessTokenByRefreshToken.java``), the hexasync.vn
article on refreshing OA tokens, ``hoangnd25/monorepo`` (see docs/operations.md).

So:

- the app id and app secret come from the environment only (``DANVAN_ZALO_APP_ID``,
  ``DANVAN_ZALO_APP_SECRET``); ``DANVAN_ZALO_REFRESH_TOKEN`` bootstraps the store when the
  database holds no token yet (or after ``danvan zalo token reset``);
- the rotating refresh token and the access token are stored in ``zalo_tokens``,
  encrypted with Fernet under ``DANVAN_SECRET_KEY`` (comma-separated keys: the first
  encrypts, all decrypt, so keys can be rotated);
- a refresh runs under a lock on the token row (PostgreSQL ``SELECT ... FOR UPDATE``;
  SQLite takes the database write lock with ``BEGIN IMMEDIATE``), re-reads the row and
  only then spends the refresh token: two workers never spend the same one;
- the access token is refreshed when less than a tenth of its lifetime (at most
  15 minutes) is left, and at once when Zalo refuses it (``stale=``);
- a refresh that Zalo refuses (the stored refresh token is no longer valid) is
  permanent: it is recorded, the operators are alerted once, and nothing retries it
  until an operator stores a new refresh token (``danvan zalo token reset``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import urllib3
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from danvan_workflow.adapters.channels.base import (
    SendResult,
    TransportError,
    http_pool,
)
from danvan_workflow.adapters.channels.redact import redact_text
from danvan_workflow.commands.zalo import ResetZaloToken
from danvan_workflow.db import models as m
from danvan_workflow.db.session import get_engine, session_scope
from danvan_workflow.db.sql import insert_ignore
from danvan_workflow.errors import UserError
from danvan_workflow.services.unit_of_work import unit_of_work
from danvan_workflow.timeutil import now

log = logging.getLogger("danvan_workflow.zalo_tokens")

ENV_APP_ID = "DANVAN_ZALO_APP_ID"
ENV_APP_SECRET = "DANVAN_ZALO_APP_SECRET"
ENV_REFRESH_TOKEN = "DANVAN_ZALO_REFRESH_TOKEN"
ENV_OAUTH_BASE = "DANVAN_ZALO_OAUTH_BASE"
ENV_SECRET_KEY = "DANVAN_SECRET_KEY"
DEFAULT_OAUTH_BASE = "https://oauth.zaloapp.com"
REFRESH_PATH = "/v4/oa/access_token"
TOKEN_NAME = "oa"  # OA and ZNS share the app's tokens
MAX_MARGIN = dt.timedelta(minutes=15)
REFRESH_TOKEN_LIFETIME = dt.timedelta(days=90)  # "about 3 months" (sources above)
TEMPORARY_WAIT = 60.0  # seconds before a message retries after a temporary refresh failure
FAILED_WAIT = 3600.0  # ... after a permanent one (until an operator stores a new token)


class TokenUnavailable(Exception):
    """No usable access token. The message is Vietnamese and holds no secret."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent

    def result(self) -> SendResult:
        wait = FAILED_WAIT if self.permanent else TEMPORARY_WAIT
        return SendResult.retry(str(self), retry_after=wait)


@dataclass(frozen=True)
class Credentials:
    app_id: str
    app_secret: str
    oauth_base: str


def credentials(oauth_base: str | None = None) -> Credentials:
    app_id, secret = os.environ.get(ENV_APP_ID, ""), os.environ.get(ENV_APP_SECRET, "")
    if not app_id or not secret:
        raise TokenUnavailable(f"Chưa đặt biến môi trường {ENV_APP_ID} và {ENV_APP_SECRET} "
                               "(ứng dụng Zalo)", permanent=True)
    base = oauth_base or os.environ.get(ENV_OAUTH_BASE) or DEFAULT_OAUTH_BASE
    return Credentials(app_id, secret, base.rstrip("/"))


def cipher() -> MultiFernet:
    raw = os.environ.get(ENV_SECRET_KEY, "")
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    if not keys:
        raise TokenUnavailable(f"Chưa đặt biến môi trường {ENV_SECRET_KEY} (khóa mã hóa "
                               "token)", permanent=True)
    try:
        return MultiFernet([Fernet(k.encode("ascii")) for k in keys])
    except (ValueError, UnicodeEncodeError):
        raise TokenUnavailable(f"Biến môi trường {ENV_SECRET_KEY} không phải khóa Fernet hợp "
                               "lệ (tạo bằng: python -c \"from cryptography.fernet import "
                               "Fernet; print(Fernet.generate_key().decode())\")",
                               permanent=True) from None


def _encrypt(value: str) -> str:
    return cipher().encrypt(value.encode("utf-8")).decode("ascii")


def _decrypt(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return cipher().decrypt(value.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise TokenUnavailable(f"Không giải mã được token Zalo đã lưu: {ENV_SECRET_KEY} đã "
                               "đổi? Hãy đặt lại khóa cũ hoặc chạy danvan zalo token reset",
                               permanent=True) from None


# --- the process cache ----------------------------------------------------------------


@dataclass(frozen=True)
class _Cached:
    value: str
    expires_at: dt.datetime
    obtained_at: dt.datetime


_cache: dict[str, _Cached] = {}
_process_lock = threading.Lock()  # one refreshing thread per process; others wait


def _due(expires_at: dt.datetime | None, obtained_at: dt.datetime | None,
         at: dt.datetime) -> bool:
    """True when the access token should be refreshed now."""
    if expires_at is None:
        return True
    lifetime = expires_at - (obtained_at or expires_at)
    margin = min(MAX_MARGIN, lifetime / 10) if lifetime > dt.timedelta(0) else dt.timedelta(0)
    return expires_at - at <= margin


def forget_cache() -> None:
    _cache.clear()


def access_token(*, engine: Engine | None = None, stale: str | None = None,
                 oauth_base: str | None = None, timeout: float = 10.0) -> str:
    """A valid access token; ``stale`` is one Zalo just refused (never returned again).

    Raises :class:`TokenUnavailable`.
    """
    engine = engine or get_engine()
    key = str(engine.url)
    cached = _cache.get(key)
    if cached and cached.value != stale and not _due(cached.expires_at, cached.obtained_at,
                                                     now()):
        return cached.value
    with _process_lock:
        cached = _cache.get(key)
        if cached and cached.value != stale and not _due(cached.expires_at,
                                                         cached.obtained_at, now()):
            return cached.value
        fresh = _refresh_locked(engine, stale, credentials(oauth_base), timeout)
        _cache[key] = fresh
        return fresh.value


def _lock_row(session: Session) -> m.ZaloToken | None:
    """The token row, locked until the end of the transaction (bootstrapped if missing)."""
    T = m.ZaloToken
    q = select(T).where(T.name == TOKEN_NAME)
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    row = session.execute(q).scalar_one_or_none()
    if row is not None:
        return row
    bootstrap = os.environ.get(ENV_REFRESH_TOKEN, "")
    if not bootstrap:
        return None
    session.execute(insert_ignore(session)(m.tbl(T)).values(
        name=TOKEN_NAME, refresh_token=_encrypt(bootstrap), generation=0, updated_at=now(),
    ).on_conflict_do_nothing(index_elements=["name"]))
    return session.execute(q.execution_options(populate_existing=True)).scalar_one_or_none()


def _refresh_locked(engine: Engine, stale: str | None, cred: Credentials,
                    timeout: float) -> _Cached:
    failure: TokenUnavailable | None = None
    with session_scope(engine) as s:
        row = _lock_row(s)
        if row is None:
            raise TokenUnavailable(f"Chưa có token Zalo: đặt biến môi trường {ENV_REFRESH_TOKEN} "
                                   "(refresh token lấy khi cấp quyền cho ứng dụng)",
                                   permanent=True)
        if row.failed_at is not None:
            raise TokenUnavailable("Không gia hạn được token Zalo (đã báo người vận hành); "
                                   "chạy danvan zalo token reset với refresh token mới",
                                   permanent=True)
        current = _decrypt(row.access_token)
        at = now()
        if current and current != stale and not _due(row.access_expires_at, row.refreshed_at,
                                                      at):
            # another worker refreshed while we waited for the lock
            assert row.access_expires_at is not None
            return _Cached(current, row.access_expires_at, row.refreshed_at or at)
        refresh = _decrypt(row.refresh_token)
        assert refresh is not None
        secrets = [refresh, cred.app_secret, current]
        try:
            reply = _post_refresh(cred, refresh, timeout)
        except TransportError as exc:
            raise TokenUnavailable(f"Lỗi kết nối máy chủ cấp token Zalo ({type(exc).__name__})",
                                   permanent=False) from None
        status, data = reply
        got = data.get("access_token") if isinstance(data, dict) else None
        new_refresh = data.get("refresh_token") if isinstance(data, dict) else None
        if status == 200 and got and new_refresh:
            try:
                lifetime = float(data.get("expires_in") or 0)
            except (TypeError, ValueError):
                lifetime = 0.0
            expires = at + dt.timedelta(seconds=lifetime or 3600)
            row.access_token = _encrypt(str(got))
            row.refresh_token = _encrypt(str(new_refresh))
            row.access_expires_at = expires
            row.refreshed_at = at
            row.generation += 1
            row.last_error = None
            row.updated_at = at
            log.info("Zalo access token refreshed (generation %s)", row.generation)
            return _Cached(str(got), expires, at)
        detail = redact_text(_describe(status, data), secrets)
        if status >= 500 or status == 429:
            raise TokenUnavailable(f"Máy chủ cấp token Zalo tạm thời lỗi: {detail}",
                                   permanent=False)
        # the refresh token (or the app id / secret) was refused: permanent
        row.failed_at = at
        row.last_error = detail
        row.updated_at = at
        alert_refresh_failed(s, row.generation, detail)
        failure = TokenUnavailable(f"Zalo từ chối gia hạn token: {detail}", permanent=True)
    raise failure


def _post_refresh(cred: Credentials, refresh: str, timeout: float) -> tuple[int, Any]:
    """POST {oauth}/v4/oa/access_token (form app_id, grant_type, refresh_token; header
    secret_key) -- the request documented by the sources in the module docstring."""
    response = http_pool(True).request(
        "POST", cred.oauth_base + REFRESH_PATH,
        body=urlencode({"app_id": cred.app_id, "grant_type": "refresh_token",
                        "refresh_token": refresh}).encode("ascii"),
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "secret_key": cred.app_secret},
        timeout=urllib3.Timeout(connect=timeout, read=timeout), redirect=False, retries=False,
    )
    try:
        data = json.loads(response.data.decode("utf-8", "replace"))
    except ValueError:
        data = None
    return response.status, data


def _describe(status: int, data: Any) -> str:
    if isinstance(data, dict):
        code = data.get("error")
        text = data.get("error_description") or data.get("error_name") or data.get("message")
        return f"HTTP {status}, mã {code}: {text}"[:300]
    return f"HTTP {status}"


# --- operator alert --------------------------------------------------------------------

ALERT_SUBJECT = "Cảnh báo: không gia hạn được token Zalo"


def alert_refresh_failed(session: Session, generation: int, detail: str) -> int:
    """Alert the operators once per failed token generation, on their non-Zalo-OA channels."""
    from danvan_workflow.services.reminders import load_policy

    ops = load_policy(session).operators
    C, CC, CH = m.Contact, m.ContactChannel, m.Channel
    targets = session.execute(
        select(C.id, CC.channel_code).join(CC, CC.contact_id == C.id)
        .join(CH, CH.code == CC.channel_code)
        .where(C.code.in_(ops), CH.kind.not_in(("zalo_oa", "zalo_zns")))
    ).all()
    body = (
        "Hệ thống không gia hạn được token truy cập Zalo (Official Account và ZNS).\n"
        f"Lỗi: {detail}\n"
        "Tin nhắn Zalo OA và ZNS đang tạm dừng; các kênh khác vẫn gửi bình thường.\n"
        "Cách xử lý:\n"
        "1. Vào trang Zalo for Developers, cấp lại quyền cho ứng dụng với Official Account "
        "để nhận refresh token mới.\n"
        f"2. Đặt biến môi trường {ENV_REFRESH_TOKEN} bằng refresh token mới.\n"
        "3. Chạy lệnh: danvan zalo token reset\n"
        "4. Kiểm tra bằng lệnh: danvan zalo token status\n"
    )
    t = now()
    rows = [dict(idempotency_key=f"zalo-token.{generation}.{cid}.{chan}", contact_id=cid,
                 channel_code=chan, kind="alert", planned_for=t.date(), subject=ALERT_SUBJECT,
                 body=body, status="pending", attempts=0, next_attempt_at=t, created_at=t)
            for cid, chan in targets]
    if not rows:
        log.warning("Zalo token refresh failed and no operator channel to alert")
        return 0
    return m.rowcount(session.execute(
        insert_ignore(session)(m.tbl(m.OutboxMessage)).values(rows)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])))


# --- operator commands -----------------------------------------------------------------


@dataclass(frozen=True)
class TokenStatus:
    stored: bool
    generation: int = 0
    access_expires_at: dt.datetime | None = None
    refreshed_at: dt.datetime | None = None
    refresh_expires_about: dt.datetime | None = None
    failed_at: dt.datetime | None = None
    last_error: str | None = None


def status(session: Session) -> TokenStatus:
    row = session.get(m.ZaloToken, TOKEN_NAME)
    if row is None:
        return TokenStatus(stored=False)
    since = row.refreshed_at or row.updated_at
    return TokenStatus(True, row.generation, row.access_expires_at, row.refreshed_at,
                       since + REFRESH_TOKEN_LIFETIME, row.failed_at, row.last_error)


def reset(session: Session, refresh_token: str, *, actor: str) -> None:
    """Store a new refresh token (after re-authorising the app), clearing a failure."""
    from danvan_workflow.services.audit import record

    if not refresh_token.strip():
        raise UserError(f"chưa đặt biến môi trường {ENV_REFRESH_TOKEN}")
    try:
        enc = _encrypt(refresh_token.strip())
    except TokenUnavailable as exc:
        raise UserError(str(exc)) from None
    T = m.ZaloToken
    q = select(T).where(T.name == TOKEN_NAME)
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    row = session.execute(q).scalar_one_or_none()
    if row is None:
        row = T(name=TOKEN_NAME, refresh_token=enc, generation=0, updated_at=now())
        session.add(row)
    else:
        row.refresh_token = enc
        row.access_token = None
        row.access_expires_at = None
        row.failed_at = None
        row.last_error = None
        row.updated_at = now()
    record(session, actor=actor, action="zalo_token_reset", entity="zalo_tokens",
           entity_id=TOKEN_NAME, note="đã lưu refresh token mới")
    forget_cache()


# --- use cases (each owns its unit of work) ----------------------------------------------


def current_status(*, engine: Engine | None = None) -> TokenStatus:
    """`danvan zalo token status`: the stored token's dates (never the token)."""
    with unit_of_work(engine=engine) as s:
        return status(s)


@dataclass(frozen=True)
class TokenReset:
    actor: str


def reset_refresh_token(cmd: ResetZaloToken, *, engine: Engine | None = None) -> TokenReset:
    """Store the operator's new refresh token, clearing a failure; audited."""
    with unit_of_work(engine=engine) as s:
        reset(s, cmd.refresh_token.get_secret_value(), actor=cmd.operator)
    forget_cache()
    return TokenReset(cmd.operator)

"""Zalo OpenAPI (OA and ZNS) shared code: the plugin base and the error codes.

Zalo's OpenAPI reports errors as HTTP 200 with a non-zero ``"error"`` and a
``"message"``; this module holds the classification of those codes and
:class:`ZaloOpenApiPlugin`, the ``scheme://{access_token}@{target}`` parsing and
token handling that ``zalo_oa.py`` and ``zalo_zns.py`` build on. It is shared code
like ``base.py``: the channel modules import it, never each other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from apprise.url import PrivacyMode

from danvan_workflow.adapters.channels.base import (
    DeliveringPlugin,
    HttpReply,
    NotifyBase,
    SendResult,
    TransportError,
    classify_http_status,
    http_request,
    transport_failure,
)
from danvan_workflow.timeutil import TZ

TEXT_LIMIT = 2000
# ``dvzoa://managed@USER``: the access token comes from the token store
# (services/zalo_tokens.py), refreshed automatically; any other value is a fixed token.
MANAGED_TOKEN = "managed"
RATE_LIMIT_WAIT = 60.0
QUOTA_WAIT = 3600.0


def seconds_until_local(hour: int, now: dt.datetime | None = None) -> float:
    """Seconds from ``now`` until the next ``hour``:00 in Asia/Ho_Chi_Minh."""
    current = (now or dt.datetime.now(TZ)).astimezone(TZ)
    target = current.replace(hour=hour, minute=0, second=0, microsecond=0)
    if target <= current:
        target += dt.timedelta(days=1)
    return (target - current).total_seconds()


def _fixed(seconds: float) -> Callable[[], float]:
    return lambda: seconds


# Zalo OpenAPI (OA + ZNS) error codes with a publicly documented meaning. Every entry
# names its source (see docs/operations.md and /work/shared/reference/zalo.md):
#   [hoangnd25]  github.com/hoangnd25/monorepo, wip/zalo-platform-integration.md (third party)
#   [caresoft]   doc.caresoft.vn, Zalo id error table (third party)
#   [fix230]     github.com/khoicodedao/Poto_platform, docs/FIX_ERROR_230.md; Zalo OA
#                support article 64000261136 (zalooa.freshdesk.com)
#   [zalo.cloud] zalo.cloud ZNS guideline "handle-error-code" (official)
#   [kata]       github.com/KataChannel/katastarterkit, external/README_ZALO_ZNS.md (third party)
# A code not listed here has no source: it is retried UNKNOWN_CODE_ATTEMPTS times at
# most, then dead-lettered (the operators are alerted). -115, -133 and -144 were once
# listed as quota / night codes; no public source confirms them, so they are unknown.
# -201 is disputed ("invalid field" [hoangnd25], "invalid access token" [caresoft]) and
# is treated as unknown too.
UNKNOWN_CODE_ATTEMPTS = 3


@dataclass(frozen=True)
class ZaloCode:
    meaning: str  # Vietnamese, shown to operators
    wait: Callable[[], float] | None = None  # None: permanent; else retry after that long
    refused: bool = False  # this recipient cannot be reached on this channel
    token: bool = False  # the access token is invalid or expired (refresh, retry once)


ZALO_ERROR_CODES: dict[int, ZaloCode] = {
    # --- OA Open API v3 (also returned by ZNS for shared account problems)
    -32: ZaloCode("vượt giới hạn số yêu cầu mỗi phút", _fixed(RATE_LIMIT_WAIT)),  # [hoangnd25]
    -211: ZaloCode("OA hết hạn mức gửi", _fixed(QUOTA_WAIT)),  # [hoangnd25]
    -213: ZaloCode("người nhận chưa quan tâm (follow) OA", refused=True),  # [hoangnd25]
    -216: ZaloCode("access token không hợp lệ", token=True),  # [hoangnd25]
    -218: ZaloCode("người nhận đã nhận quá số tin cho phép", _fixed(QUOTA_WAIT)),  # [hoangnd25]
    -220: ZaloCode("access token đã hết hạn", token=True),  # [hoangnd25]
    # permanent: the OA has not been granted this API (not a quota) [hoangnd25]
    -223: ZaloCode("OA chưa được cấp quyền dùng API này"),
    -227: ZaloCode("tài khoản người nhận bị khóa hoặc không hoạt động 45 ngày",
                   refused=True),  # [hoangnd25]
    # outside the interaction window of consultation messages [hoangnd25] [fix230]
    -230: ZaloCode("người nhận không tương tác với OA trong thời gian cho phép", refused=True),
    -232: ZaloCode("người nhận chưa tương tác với OA trong thời gian cho phép",
                   refused=True),  # [hoangnd25] [fix230]
    # promotion messages are refused at night [hoangnd25]; the night's end (06:00) is
    # an assumption: no source gives the hours
    -234: ZaloCode("không được gửi loại tin này ban đêm", lambda: seconds_until_local(6)),
    -244: ZaloCode("người nhận đã chặn loại tin này", refused=True),  # [hoangnd25]
    # --- ZNS
    -100: ZaloCode("lỗi không xác định, thử lại sau", _fixed(RATE_LIMIT_WAIT)),  # [zalo.cloud]
    -108: ZaloCode("số điện thoại không hợp lệ", refused=True),  # [zalo.cloud]
    -109: ZaloCode("template id không hợp lệ"),  # [zalo.cloud]
    -111: ZaloCode("dữ liệu template rỗng"),  # [zalo.cloud]
    -112: ZaloCode("dữ liệu template không hợp lệ"),  # [zalo.cloud]
    -118: ZaloCode("tài khoản Zalo không tồn tại", refused=True),  # [kata]
    -124: ZaloCode("access token không hợp lệ", token=True),  # [kata]
    -131: ZaloCode("template chưa được duyệt"),  # [kata]
}

TOKEN_CODES = frozenset(c for c, v in ZALO_ERROR_CODES.items() if v.token)


def classify_zalo_error(code: int, message: str, reply: HttpReply, service: str) -> SendResult:
    known = ZALO_ERROR_CODES.get(code)
    if known is None:
        detail = f"{service} lỗi {code} (mã lỗi chưa có tài liệu): {message}".strip()
        return SendResult.retry(detail, reply=reply.short, attempt_cap=UNKNOWN_CODE_ATTEMPTS)
    detail = f"{service} lỗi {code} ({known.meaning}): {message}".strip()
    if known.wait is None:
        return replace(SendResult.fail(detail, reply=reply.short),
                       recipient_refused=known.refused)
    return SendResult.retry(detail, retry_after=known.wait(), reply=reply.short)


def reply_code(reply: HttpReply) -> int | None:
    """The ``error`` code of an OpenAPI reply (None when not a 2xx JSON reply)."""
    if not 200 <= reply.status < 300:
        return None
    data = reply.json()
    if not isinstance(data, dict):
        return None
    try:
        return int(data["error"])
    except (KeyError, TypeError, ValueError):
        return None


def classify_openapi_reply(reply: HttpReply, service: str) -> SendResult:
    """Classify an OA / ZNS reply: HTTP status first, then ``error``."""
    status_result = classify_http_status(reply)
    if status_result is not None:
        return status_result
    data = reply.json()
    if not isinstance(data, dict) or "error" not in data:
        return SendResult.retry(f"{service} trả lời không đúng định dạng", reply=reply.short)
    try:
        code = int(data["error"])
    except (TypeError, ValueError):
        return SendResult.retry(f"{service} trả lời không đúng định dạng", reply=reply.short)
    if code == 0:
        return SendResult.success(reply.short)
    return classify_zalo_error(code, str(data.get("message") or ""), reply, service)


def truncate(text: str, limit: int = TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class ZaloOpenApiPlugin(DeliveringPlugin):
    """Shared parsing for ``scheme://{access_token}@{target}`` OpenAPI plugins."""

    target_label = "target"

    def __init__(
        self, access_token: str | None = None, target: str | None = None,
        oauth: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if not access_token or not target:
            msg = f"{self.protocol}:// needs an access token and a {self.target_label}"
            self.logger.warning(msg)
            raise TypeError(msg)
        self.access_token = access_token
        self.target = target
        self.oauth_base = oauth or None

    @property
    def managed(self) -> bool:
        """``managed`` as the token: use the app's stored, auto-refreshed token."""
        return self.access_token == MANAGED_TOKEN

    def secrets(self) -> list[str]:
        return [] if self.managed else [self.access_token]

    def _post(self, path: str, payload: dict[str, Any], timeout: float,
              token: str) -> tuple[SendResult, int | None]:
        secrets = [*self.secrets(), token]
        try:
            reply = http_request(
                f"{self.base_url}{path}",
                payload=payload,
                headers={"access_token": token},
                timeout=timeout,
                verify=self.verify_certificate,
            )
        except TransportError as exc:
            return transport_failure(exc).redacted(secrets), None
        result = classify_openapi_reply(reply, self.service_name).redacted(secrets)
        return result, reply_code(reply)

    def post(self, path: str, payload: dict[str, Any], timeout: float) -> SendResult:
        if not self.managed:
            return self._post(path, payload, timeout, self.access_token)[0]
        from danvan_workflow.services import zalo_tokens

        try:
            token = zalo_tokens.access_token(oauth_base=self.oauth_base, timeout=timeout)
            result, code = self._post(path, payload, timeout, token)
            if code not in TOKEN_CODES:
                return result
            # expired or revoked early: refresh (unless another worker already did) and
            # send once more
            token = zalo_tokens.access_token(oauth_base=self.oauth_base, stale=token,
                                             timeout=timeout)
            result, code = self._post(path, payload, timeout, token)
        except zalo_tokens.TokenUnavailable as exc:
            return exc.result()
        if code in TOKEN_CODES:  # refused twice in a row: retry later, a bounded number
            return replace(result, permanent=False, attempt_cap=UNKNOWN_CODE_ATTEMPTS)
        return result

    def extra_params(self) -> dict[str, str]:
        return {"oauth": self.oauth_base} if self.oauth_base else {}

    def url(self, privacy: bool = False, *args: Any, **kwargs: Any) -> str:
        params = self.base_param(self.url_parameters(*args, privacy=privacy, **kwargs))
        params.update(self.extra_params())
        token = self.pprint(self.access_token, privacy, mode=PrivacyMode.Secret, safe="")
        return "{schema}://{token}@{target}/?{params}".format(
            schema=self.protocol,
            token=token,
            target=self.quote(self.target, safe=""),
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
        results["access_token"] = f"{user}:{password}" if password else user
        results["target"] = NotifyBase.unquote(results.get("host") or "")
        results["user"] = None
        results["password"] = None
        if results["qsd"].get("base"):
            results["base"] = results["qsd"]["base"]
        if results["qsd"].get("oauth"):
            results["oauth"] = results["qsd"]["oauth"]
        return results

"""Zalo Official Account plugin: ``dvzoa://{access_token}@{user_id}[?base=...]``.

POST ``{base}/v3.0/oa/message/cs`` with header ``access_token: <token>`` and body
``{"recipient": {"user_id": ...}, "message": {"text": ...}}`` (a consultation
message; the text is truncated to 2,000 characters). Zalo's OpenAPI reports
errors as HTTP 200 with a non-zero ``"error"`` and a ``"message"``; this module
also holds the classification of those codes, shared with ZNS.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
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
    transport_failure,
)
from danvan_workflow.timeutil import TZ

TEXT_LIMIT = 2000
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


# Zalo OpenAPI (OA + ZNS) error codes with a known meaning. Codes not listed
# here are treated as temporary (retry with the dispatcher's backoff).
# Value: None = permanent; a callable = retryable after that many seconds.
ZALO_ERROR_CODES: dict[int, tuple[str, Callable[[], float] | None]] = {
    # --- rate limits and quotas (retry later)
    -32: ("vượt giới hạn số yêu cầu mỗi phút", _fixed(RATE_LIMIT_WAIT)),
    -211: ("OA hết hạn mức gửi", _fixed(QUOTA_WAIT)),
    -218: ("người nhận đã nhận quá số tin cho phép", _fixed(QUOTA_WAIT)),
    -223: ("OA hết hạn mức gửi trong ngày", lambda: seconds_until_local(0)),
    -115: ("hết hạn mức hoặc số dư ZNS", _fixed(QUOTA_WAIT)),
    -133: ("không được gửi ZNS ban đêm (22h-6h)", lambda: seconds_until_local(6)),
    -144: ("OA hết hạn mức ZNS trong ngày", lambda: seconds_until_local(0)),
    # --- permanent: configuration or recipient problems
    -201: ("tham số không hợp lệ", None),
    -204: ("OA đã bị xóa", None),
    -205: ("OA không tồn tại", None),
    -210: ("tham số vượt giới hạn", None),
    -212: ("OA chưa đăng ký API này", None),
    -213: ("người nhận chưa quan tâm (follow) OA", None),
    -215: ("app id không hợp lệ", None),
    -216: ("access token không hợp lệ", None),
    -217: ("người nhận đã chặn tin nhắn", None),
    -219: ("ứng dụng đã bị gỡ", None),
    -220: ("access token đã hết hạn hoặc không hợp lệ", None),
    -221: ("OA chưa được xác thực", None),
    -224: ("OA chưa mua gói dịch vụ", None),
    -227: ("tài khoản người nhận bị khóa hoặc không hoạt động", None),
    -230: ("người nhận không tương tác với OA trong 7 ngày", None),
    -232: ("người nhận chưa tương tác với OA", None),
    -108: ("số điện thoại không hợp lệ", None),
    -109: ("template id không hợp lệ", None),
    -111: ("dữ liệu template rỗng", None),
    -112: ("dữ liệu template không hợp lệ", None),
    -114: ("người nhận không nhận được ZNS", None),
    -117: ("OA hoặc ứng dụng chưa được cấp quyền template", None),
    -118: ("tài khoản Zalo không tồn tại hoặc bị vô hiệu hóa", None),
    -119: ("tài khoản không thể nhận ZNS", None),
    -124: ("access token không hợp lệ", None),
    -131: ("template chưa được duyệt", None),
    -135: ("OA chưa được cấp quyền gửi ZNS", None),
    -139: ("người nhận từ chối loại tin này", None),
}


def classify_zalo_error(code: int, message: str, reply: HttpReply, service: str) -> SendResult:
    known = ZALO_ERROR_CODES.get(code)
    detail = f"{service} lỗi {code}: {message}".strip()
    if known is None:
        return SendResult.retry(detail, reply=reply.short)
    meaning, wait = known
    detail = f"{service} lỗi {code} ({meaning}): {message}".strip()
    if wait is None:
        return SendResult.fail(detail, reply=reply.short)
    return SendResult.retry(detail, retry_after=wait(), reply=reply.short)


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
        self, access_token: str | None = None, target: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if not access_token or not target:
            msg = f"{self.protocol}:// needs an access token and a {self.target_label}"
            self.logger.warning(msg)
            raise TypeError(msg)
        self.access_token = access_token
        self.target = target

    def secrets(self) -> list[str]:
        return [self.access_token]

    def post(self, path: str, payload: dict[str, Any], timeout: float) -> SendResult:
        try:
            reply = http_request(
                f"{self.base_url}{path}",
                payload=payload,
                headers={"access_token": self.access_token},
                timeout=timeout,
                verify=self.verify_certificate,
            )
        except TransportError as exc:
            return transport_failure(exc).redacted(self.secrets())
        return classify_openapi_reply(reply, self.service_name).redacted(self.secrets())

    def extra_params(self) -> dict[str, str]:
        return {}

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
        return results


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
        **{"base": {"name": gettext_lazy("Base URL"), "type": "string"}},
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

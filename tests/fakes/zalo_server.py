"""A fake Zalo server (Bot API, OA consultation messages, ZNS) on 127.0.0.1.

Endpoints:

- ``POST /bot{token}/sendMessage``  -> ``{"ok": true, "result": {...}}``
- ``POST /v3.0/oa/message/cs``      -> ``{"error": 0, "message": "Success", "data": {...}}``
- ``POST /v3.0/oa/message/transaction`` -> the same; the body must be a template
  attachment (``template_type`` ``transaction_*``, ``language``, a ``header`` element),
  else -201
- ``POST /message/template``        -> ``{"error": 0, "message": "Success", "data": {...}}``

When ``valid_tokens`` is given, other tokens are refused the way Zalo does
(Bot: HTTP 401 ``error_code`` 401; OA: error -216; ZNS: error -124).

Token lifecycle (``oauth=OAuthConfig(...)``): ``POST /v4/oa/access_token`` (form
``app_id``, ``grant_type=refresh_token``, ``refresh_token``; header ``secret_key``)
issues access tokens that expire after ``token_lifetime`` seconds and a new
single-use refresh token; a refresh token used twice is refused (and recorded in
``reused_refresh_tokens``). An expired or unknown access token gets -216 (OA) or
-124 (ZNS).

Interaction window: a consultation (cs) message to a user in ``outside_window`` gets
-230; a transaction message is not bound to the window. ``blocked`` users refuse
every OA message with -244 (they blocked the message type).

Faults (besides the HTTP ones of ``FakeHTTPServer``):
``zalo_error_next(n, code, message)`` makes the next ``n`` replies a Zalo error:
``{"ok": false, "error_code": code, "description": message}`` on the Bot API,
HTTP 200 ``{"error": code, "message": message}`` on OA / ZNS.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.webhook_server import FakeHTTPServer, Fault, RecordedRequest, Reply

BOT_PREFIX = "/bot"
OA_PATH = "/v3.0/oa/message/cs"
OA_TRANSACTION_PATH = "/v3.0/oa/message/transaction"
ZNS_PATH = "/message/template"
OAUTH_PATH = "/v4/oa/access_token"


@dataclass
class OAuthConfig:
    app_id: str
    app_secret: str
    first_refresh_token: str
    token_lifetime: float = 2.0  # seconds


class FakeZaloServer(FakeHTTPServer):
    def __init__(self, valid_tokens: Iterable[str] | None = None,
                 oauth: OAuthConfig | None = None) -> None:
        super().__init__()
        self.valid_tokens = set(valid_tokens) if valid_tokens is not None else None
        self._ids = itertools.count(1)
        self.oauth = oauth
        self._tok_lock = threading.Lock()
        self.refresh_tokens: set[str] = {oauth.first_refresh_token} if oauth else set()
        self.spent_refresh_tokens: list[str] = []
        self.reused_refresh_tokens: list[str] = []
        self.access_tokens: dict[str, float] = {}  # token -> monotonic expiry
        self.expired_refusals = 0
        self.outside_window: set[str] = set()
        self.blocked: set[str] = set()
        self.delivered: list[tuple[str, Any]] = []  # (path, JSON body) of accepted messages
        self.per_second: Counter[int] = Counter()  # accepted messages per wall-clock second
        self._bot_fail_after: int | None = None

    # faults -------------------------------------------------------------------------
    def zalo_error_next(self, n: int = 1, code: int = -32, message: str = "error") -> None:
        self.add_faults(n, Fault("custom", status=code, body=message))

    def fault_reply(self, request: RecordedRequest, fault: Fault) -> Reply:
        code, message = fault.status, str(fault.body)
        if request.path.startswith(BOT_PREFIX):
            status = code if 400 <= code < 600 else 200
            return Reply(status, {"ok": False, "error_code": code, "description": message})
        return Reply(200, {"error": code, "message": message})

    # requests by endpoint -------------------------------------------------------------
    def bot_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.startswith(BOT_PREFIX)]

    def oa_requests(self) -> list[RecordedRequest]:
        """Every OA message request, consultation or transaction."""
        return [r for r in self.requests if r.path in (OA_PATH, OA_TRANSACTION_PATH)]

    @staticmethod
    def oa_text(request: RecordedRequest) -> str:
        """The text a person reads: a consultation's text, a transaction's text element."""
        message = request.json["message"]
        if "text" in message:
            return str(message["text"])
        elements = message["attachment"]["payload"]["elements"]
        return "\n".join(str(e["content"]) for e in elements if e["type"] == "text")

    def zns_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == ZNS_PATH]

    # normal replies -------------------------------------------------------------------
    def _token_ok(self, token: str | None) -> bool:
        """As Zalo: with OAuth, only a token this server issued and that has not expired
        (an expired one counts in `expired_refusals`); without it, `valid_tokens`."""
        if self.oauth is not None:
            with self._tok_lock:
                expiry = self.access_tokens.get(token or "")
                if expiry is not None and expiry > time.monotonic():
                    return True
                if expiry is not None:
                    self.expired_refusals += 1
                    return False
            return self.valid_tokens is not None and token in self.valid_tokens
        return self.valid_tokens is None or token in self.valid_tokens

    def bot_fail_after(self, ok: int) -> None:
        """Accept ``ok`` more Bot messages, then answer the next one with HTTP 500."""
        self._bot_fail_after = ok

    def expire_access_tokens(self) -> None:
        with self._tok_lock:
            for token in self.access_tokens:
                self.access_tokens[token] = 0.0

    def revoke_refresh_tokens(self) -> None:
        with self._tok_lock:
            self.refresh_tokens.clear()

    def _oauth(self, request: RecordedRequest) -> Reply:
        form = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8")).items()}
        cfg = self.oauth
        if cfg is None:
            return Reply(404, {"error": 404})
        if (request.header("secret_key") != cfg.app_secret or form.get("app_id") != cfg.app_id
                or form.get("grant_type") != "refresh_token"):
            return Reply(200, {"error": -14002, "error_name": "Invalid app"})
        old = form.get("refresh_token", "")
        with self._tok_lock:
            if old not in self.refresh_tokens:
                if old in self.spent_refresh_tokens:
                    self.reused_refresh_tokens.append(old)
                return Reply(200, {"error": -14014, "error_name": "Invalid refresh token"})
            self.refresh_tokens.discard(old)
            self.spent_refresh_tokens.append(old)
            n = len(self.spent_refresh_tokens)
            access, refresh = f"AT-{n}-secret", f"RT-{n}-secret"
            self.refresh_tokens.add(refresh)
            self.access_tokens[access] = time.monotonic() + cfg.token_lifetime
        return Reply(200, {"access_token": access, "refresh_token": refresh,
                           "expires_in": str(cfg.token_lifetime)})

    def _accepted(self, request: RecordedRequest) -> None:
        with self._tok_lock:
            self.delivered.append((request.path, request.json))
            self.per_second[int(time.time())] += 1

    def reply(self, request: RecordedRequest) -> Reply:
        body: Any = request.json if isinstance(request.json, dict) else {}
        n = next(self._ids)
        if request.path == OAUTH_PATH:
            return self._oauth(request)
        if request.path.startswith(BOT_PREFIX) and request.path.endswith("/sendMessage"):
            token = request.path[len(BOT_PREFIX) : -len("/sendMessage")]
            if not self._token_ok(token):
                return Reply(
                    401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
                )
            if not body.get("chat_id") or not body.get("text"):
                return Reply(
                    400, {"ok": False, "error_code": 400, "description": "Bad Request"}
                )
            with self._tok_lock:
                if self._bot_fail_after is not None:
                    if self._bot_fail_after == 0:
                        self._bot_fail_after = None
                        return Reply(500, {"ok": False, "error_code": 500,
                                           "description": "Internal error"})
                    self._bot_fail_after -= 1
            result = {"message_id": f"m{n}", "date": 1700000000 + n}
            self._accepted(request)
            return Reply(200, {"ok": True, "result": result})
        if request.path in (OA_PATH, OA_TRANSACTION_PATH):
            if not self._token_ok(request.header("access_token")):
                return Reply(200, {"error": -216, "message": "Access token is invalid"})
            user_id = (body.get("recipient") or {}).get("user_id")
            if request.path == OA_TRANSACTION_PATH and not _transaction_ok(body):
                return Reply(200, {"error": -201, "message": "Invalid field"})
            if user_id in self.blocked:
                return Reply(200, {"error": -244, "message": "User has blocked this type "
                                   "of message"})
            if request.path == OA_PATH and user_id in self.outside_window:
                return Reply(200, {"error": -230, "message": "User has not interacted with "
                                   "the OA in the past 7 days"})
            data = {"message_id": f"oa{n}", "user_id": user_id}
            self._accepted(request)
            return Reply(200, {"error": 0, "message": "Success", "data": data})
        if request.path == ZNS_PATH:
            if not self._token_ok(request.header("access_token")):
                return Reply(200, {"error": -124, "message": "Access token invalid"})
            phone = str(body.get("phone") or "")
            if not phone.startswith("84") or not phone.isdigit():
                return Reply(200, {"error": -108, "message": "Phone number invalid"})
            data = {
                "msg_id": f"zns{n}",
                "sent_time": str(1700000000000 + n),
                "quota": {"dailyQuota": "500", "remainingQuota": str(500 - n)},
            }
            self._accepted(request)
            return Reply(200, {"error": 0, "message": "Success", "data": data})
        return Reply(404, {"error": 404, "message": "Not Found"})


def _transaction_ok(body: dict[str, Any]) -> bool:
    """A transaction message's shape: a template attachment with a header element."""
    try:
        payload = body["message"]["attachment"]["payload"]
        return (body["message"]["attachment"]["type"] == "template"
                and str(payload["template_type"]).startswith("transaction_")
                and payload["language"] in ("VI", "EN")
                and any(e.get("type") == "header" and e.get("content")
                        for e in payload["elements"]))
    except (KeyError, TypeError):
        return False

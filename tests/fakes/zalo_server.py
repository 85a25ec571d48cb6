"""A fake Zalo server (Bot API, OA consultation messages, ZNS) on 127.0.0.1.

Endpoints:

- ``POST /bot{token}/sendMessage``  -> ``{"ok": true, "result": {...}}``
- ``POST /v3.0/oa/message/cs``      -> ``{"error": 0, "message": "Success", "data": {...}}``
- ``POST /message/template``        -> ``{"error": 0, "message": "Success", "data": {...}}``

When ``valid_tokens`` is given, other tokens are refused the way Zalo does
(Bot: HTTP 401 ``error_code`` 401; OA: error -216; ZNS: error -124).

Faults (besides the HTTP ones of ``FakeHTTPServer``):
``zalo_error_next(n, code, message)`` makes the next ``n`` replies a Zalo error:
``{"ok": false, "error_code": code, "description": message}`` on the Bot API,
HTTP 200 ``{"error": code, "message": message}`` on OA / ZNS.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from tests.fakes.webhook_server import FakeHTTPServer, Fault, RecordedRequest, Reply

BOT_PREFIX = "/bot"
OA_PATH = "/v3.0/oa/message/cs"
ZNS_PATH = "/message/template"


class FakeZaloServer(FakeHTTPServer):
    def __init__(self, valid_tokens: Iterable[str] | None = None) -> None:
        super().__init__()
        self.valid_tokens = set(valid_tokens) if valid_tokens is not None else None
        self._ids = itertools.count(1)

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
        return [r for r in self.requests if r.path == OA_PATH]

    def zns_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == ZNS_PATH]

    # normal replies -------------------------------------------------------------------
    def _token_ok(self, token: str | None) -> bool:
        return self.valid_tokens is None or token in self.valid_tokens

    def reply(self, request: RecordedRequest) -> Reply:
        body: Any = request.json if isinstance(request.json, dict) else {}
        n = next(self._ids)
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
            result = {"message_id": f"m{n}", "date": 1700000000 + n}
            return Reply(200, {"ok": True, "result": result})
        if request.path == OA_PATH:
            if not self._token_ok(request.header("access_token")):
                return Reply(200, {"error": -216, "message": "Access token is invalid"})
            user_id = (body.get("recipient") or {}).get("user_id")
            data = {"message_id": f"oa{n}", "user_id": user_id}
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
            return Reply(200, {"error": 0, "message": "Success", "data": data})
        return Reply(404, {"error": 404, "message": "Not Found"})

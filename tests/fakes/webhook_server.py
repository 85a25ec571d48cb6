"""A real HTTP server on 127.0.0.1 recording JSON posts, with programmable faults.

``FakeHTTPServer`` is the shared base (also used by ``zalo_server``): a
``ThreadingHTTPServer`` with daemon threads, HTTP/1.1 keep-alive, a large
listen backlog, a recorded-request list and a fault queue:

- ``http_error_next(n, status=500)``: the next ``n`` requests get that status;
- ``rate_limit_next(n, retry_after=7)``: HTTP 429 with ``Retry-After``;
- ``hang_next(n)``: the handler blocks until :meth:`release_hangs` (or ``stop``),
  so a client with a short timeout sees a timeout without the test sleeping.

``FakeWebhookServer(delay=0.05)`` answers every request after a fixed delay
(benchmarks: a receiver that takes 50 ms).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

# Upper bound for a hanging handler if nobody releases it (safety net only).
HANG_LIMIT_SECONDS = 60.0


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    json: Any

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Fault:
    kind: str  # "status" | "hang" | "custom"
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any  # JSON-serialisable, or bytes
    headers: dict[str, str] = field(default_factory=dict)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    allow_reuse_address = True

    def __init__(self, owner: FakeHTTPServer) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out close their socket; a late write then fails. Ignore.
        return


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body are separate writes: without TCP_NODELAY, Nagle + delayed ACK
    # add ~40 ms to every keep-alive response.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            parsed = json.loads(body.decode("utf-8")) if body else None
        except ValueError:
            parsed = None
        request = RecordedRequest(
            method=self.command,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            json=parsed,
        )
        reply = self.server.owner._respond(request)
        if reply is None:  # hung and released: drop the connection
            self.close_connection = True
            return
        payload = (
            reply.body
            if isinstance(reply.body, bytes)
            else json.dumps(reply.body, ensure_ascii=False).encode("utf-8")
        )
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    do_POST = _handle
    do_PUT = _handle
    do_GET = _handle
    do_PATCH = _handle
    do_DELETE = _handle


class FakeHTTPServer:
    """Base fake server. Subclasses override :meth:`reply` for the normal answer."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._faults: deque[Fault] = deque()
        self._release = threading.Event()
        self.hanging = threading.Semaphore(0)  # released once per request that hangs
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    # lifecycle ----------------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release_hangs()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # faults -------------------------------------------------------------------------
    def add_faults(self, n: int, fault: Fault) -> None:
        with self._lock:
            self._faults.extend(Fault(**vars(fault)) for _ in range(n))

    def http_error_next(self, n: int = 1, status: int = 500, body: Any = None) -> None:
        self.add_faults(n, Fault("status", status=status, body=body or {"error": status}))

    def rate_limit_next(self, n: int = 1, retry_after: str | int = 7) -> None:
        self.add_faults(
            n,
            Fault(
                "status",
                status=429,
                headers={"Retry-After": str(retry_after)},
                body={"error": 429, "message": "Too Many Requests"},
            ),
        )

    def hang_next(self, n: int = 1) -> None:
        self.add_faults(n, Fault("hang"))

    def release_hangs(self) -> None:
        self._release.set()

    # request handling ---------------------------------------------------------------
    def _respond(self, request: RecordedRequest) -> Reply | None:
        with self._lock:
            self.requests.append(request)
            fault = self._faults.popleft() if self._faults else None
        if fault is None:
            return self.reply(request)
        if fault.kind == "hang":
            self.hanging.release()
            self._release.wait(HANG_LIMIT_SECONDS)
            return None
        if fault.kind == "custom":
            return self.fault_reply(request, fault)
        return Reply(fault.status, fault.body, fault.headers)

    def fault_reply(self, request: RecordedRequest, fault: Fault) -> Reply:
        return Reply(fault.status, fault.body, fault.headers)

    def reply(self, request: RecordedRequest) -> Reply:
        return Reply(200, {"ok": True})


class FakeWebhookServer(FakeHTTPServer):
    """Records JSON posts (with headers); answers 200 after ``delay`` seconds."""

    def __init__(self, delay: float = 0.0, status: int = 200) -> None:
        super().__init__()
        self.delay = delay
        self.status = status

    def reply(self, request: RecordedRequest) -> Reply:
        if self.delay:
            time.sleep(self.delay)  # simulated receiver latency, not test timing
        return Reply(self.status, {"ok": True})

    def posts(self) -> list[Any]:
        return [r.json for r in self.requests]

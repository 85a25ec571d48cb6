"""The inbound webhook receiver (Starlette): Zalo OA events and Zalo Bot updates.

``POST /zalo/oa``: the ``X-ZEvent-Signature`` header must equal
``sha256(app_id + raw_body + timestamp + oa_secret_key)`` in hex (an optional ``mac=``
prefix is accepted), where ``app_id`` and ``timestamp`` (milliseconds) come from the
JSON body and the OA secret key -- the OA's, not the app secret -- from
``DANVAN_ZALO_OA_SECRET_KEY``; ``app_id`` must be ``DANVAN_ZALO_APP_ID``. Sources: Zalo
OA webhook client code collected in docs/operations.md (hainh.me "Zalo API PHP webhook"
tutorial; public verifiers that strip ``mac=``).

``POST /zalo/bot``: the ``X-Bot-Api-Secret-Token`` header must equal
``DANVAN_ZALO_BOT_WEBHOOK_SECRET`` (the secret set when the webhook was registered).

Both refuse an event older (or newer) than 5 minutes, and an event id already stored
changes nothing (answered 200 ``duplicate``, so Zalo does not resend it). Refusals are
401 and never echo a secret. Processing is a few row writes, well inside Zalo's 2 s.

``GET /lich/<unit>.ics?token=…``: a unit's calendar feed (services/feeds.py), 404 for
any wrong token or unit.

Start it with ``danvan http serve`` (127.0.0.1:8787 by default) behind a TLS reverse
proxy; see docs/operations.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from danvan_workflow.db.session import get_engine, session_scope
from danvan_workflow.services.feeds import serve_feed
from danvan_workflow.services.inbound import Event, handle_event

log = logging.getLogger("danvan_workflow.webhooks")

ENV_APP_ID = "DANVAN_ZALO_APP_ID"
ENV_OA_SECRET = "DANVAN_ZALO_OA_SECRET_KEY"
ENV_BOT_SECRET = "DANVAN_ZALO_BOT_WEBHOOK_SECRET"
MAX_AGE_SECONDS = 300.0
MAX_BODY = 256 * 1024


def oa_signature(app_id: str, raw_body: bytes, timestamp: str, secret: str) -> str:
    data = app_id.encode("utf-8") + raw_body + timestamp.encode("utf-8") + secret.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def _refuse(reason: str, status: int = 401) -> JSONResponse:
    return JSONResponse({"ok": False, "error": reason}, status_code=status)


def _epoch_seconds(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number / 1000.0 if number > 1e11 else number  # milliseconds or seconds


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _fresh(ts: float | None, clock: Callable[[], float]) -> bool:
    return ts is not None and abs(clock() - ts) <= MAX_AGE_SECONDS


def create_app(engine: Engine | None = None,
               clock: Callable[[], float] = time.time) -> Starlette:
    def store(event: Event) -> str:
        with session_scope(engine or get_engine()) as s:
            return handle_event(s, event)

    async def read_json(request: Request) -> tuple[bytes, dict[str, Any] | None]:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            return raw, None
        try:
            data = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return raw, None
        return raw, data if isinstance(data, dict) else None

    async def zalo_oa(request: Request) -> JSONResponse:
        app_id, secret = os.environ.get(ENV_APP_ID, ""), os.environ.get(ENV_OA_SECRET, "")
        if not app_id or not secret:
            log.error("OA webhook refused: %s / %s not set", ENV_APP_ID, ENV_OA_SECRET)
            return _refuse("not configured", 503)
        raw, data = await read_json(request)
        if data is None:
            return _refuse("invalid body", 400)
        given = request.headers.get("X-ZEvent-Signature", "").strip()
        if given.lower().startswith("mac="):
            given = given[4:].strip()
        body_app, timestamp = str(data.get("app_id") or ""), str(data.get("timestamp") or "")
        expected = oa_signature(body_app, raw, timestamp, secret)
        if not given or body_app != app_id or not hmac.compare_digest(given.lower(), expected):
            return _refuse("bad signature")
        if not _fresh(_epoch_seconds(timestamp), clock):
            return _refuse("stale event")
        message, sender = _obj(data.get("message")), _obj(data.get("sender"))
        event_id = str(message.get("msg_id") or "") or hashlib.sha256(raw).hexdigest()
        event = Event(source="zalo_oa", event_id=event_id,
                      event_name=str(data.get("event_name") or ""),
                      sender=str(sender.get("id") or "") or None,
                      text=str(message.get("text") or "") or None, payload=data)
        outcome = await run_in_threadpool(store, event)
        return JSONResponse({"ok": True, "outcome": outcome})

    async def zalo_bot(request: Request) -> JSONResponse:
        secret = os.environ.get(ENV_BOT_SECRET, "")
        if not secret:
            log.error("Bot webhook refused: %s not set", ENV_BOT_SECRET)
            return _refuse("not configured", 503)
        given = request.headers.get("X-Bot-Api-Secret-Token", "")
        if not given or not hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8")):
            return _refuse("bad secret token")
        raw, data = await read_json(request)
        if data is None:
            return _refuse("invalid body", 400)
        inner = _obj(data.get("result")) or data
        message = _obj(inner.get("message"))
        chat = _obj(message.get("chat"))
        if not _fresh(_epoch_seconds(message.get("date")), clock):
            return _refuse("stale event")
        event_id = str(message.get("message_id") or "") or hashlib.sha256(raw).hexdigest()
        event = Event(source="zalo_bot", event_id=event_id,
                      event_name=str(inner.get("event_name") or "message"),
                      sender=str(chat.get("id") or "") or None,
                      text=str(message.get("text") or "") or None, payload=data)
        outcome = await run_in_threadpool(store, event)
        return JSONResponse({"ok": True, "outcome": outcome})

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    async def unit_calendar(request: Request) -> Response:
        unit = str(request.path_params["unit"])
        body = await run_in_threadpool(serve_feed, unit, request.query_params.get("token", ""))
        if body is None:
            return Response("Not Found", status_code=404, media_type="text/plain")
        return Response(body, media_type="text/calendar; charset=utf-8",
                        headers={"Cache-Control": "no-store"})

    return Starlette(routes=[
        Route("/zalo/oa", zalo_oa, methods=["POST"]),
        Route("/zalo/bot", zalo_bot, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/lich/{unit}.ics", unit_calendar, methods=["GET"]),
    ])

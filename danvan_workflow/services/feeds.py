"""A unit's calendar address: the .ics the engine's HTTP service serves to subscribers.

`GET /lich/<unit>.ics?token=<token>` (adapters/webhooks_app.py) answers the unit's feed
(`queries.view_unit_feed`: dated deadlines still awaiting a report) when the token is
the one derived from `DANVAN_FEED_SECRET` (core/feed_tokens.py); anything else is the
same 404, so an address cannot be guessed nor a unit code probed. Without the secret
the feed is off. The base of the printed address is `DANVAN_HTTP_PUBLIC_URL` (the
reverse proxy's), else the service's own 127.0.0.1 address.
"""

from __future__ import annotations

import os
from urllib.parse import quote

from danvan_workflow.adapters.exporters.ics import to_ics
from danvan_workflow.core.feed_tokens import feed_token, token_matches
from danvan_workflow.errors import UserError
from danvan_workflow.services.queries import resolve_unit, view_unit_feed
from danvan_workflow.services.unit_of_work import unit_of_work

ENV_SECRET = "DANVAN_FEED_SECRET"
ENV_PUBLIC_URL = "DANVAN_HTTP_PUBLIC_URL"
DEFAULT_BASE = "http://127.0.0.1:8787"
MIN_SECRET = 16


def _secret() -> str | None:
    secret = os.environ.get(ENV_SECRET, "")
    return secret if len(secret) >= MIN_SECRET else None


def feed_url(unit: str) -> str:
    """The subscription address of `unit`'s calendar."""
    secret = _secret()
    if secret is None:
        raise UserError(f"chưa bật lịch theo địa chỉ: đặt biến môi trường {ENV_SECRET} "
                        f"(ít nhất {MIN_SECRET} ký tự, giữ bí mật)", field=ENV_SECRET)
    with unit_of_work() as s:
        code = resolve_unit(s, unit, field="--unit").code
    base = os.environ.get(ENV_PUBLIC_URL, DEFAULT_BASE).rstrip("/")
    return f"{base}/lich/{quote(code, safe='')}.ics?token={feed_token(secret, code)}"


def serve_feed(unit: str, token: str) -> bytes | None:
    """The feed's bytes, or None (feed off, wrong token, unknown unit: the same answer)."""
    secret = _secret()
    if secret is None or not token or not token_matches(secret, unit, token):
        return None
    try:
        return to_ics(view_unit_feed(unit))
    except UserError:
        return None

"""The unguessable token in a unit's calendar address (pure).

`token = base64url(HMAC-SHA256(secret, unit_code))[:26]` (about 156 bits): one token per
unit, derived, so nothing is stored; changing the secret revokes every address at once.
Compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

LENGTH = 26


def feed_token(secret: str, unit_code: str) -> str:
    mac = hmac.new(secret.encode("utf-8"), unit_code.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii")[:LENGTH]


def token_matches(secret: str, unit_code: str, token: str) -> bool:
    return hmac.compare_digest(feed_token(secret, unit_code).encode(), token.encode())

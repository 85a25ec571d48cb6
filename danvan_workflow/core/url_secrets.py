"""Which parts of a channel URL are secrets (pure text analysis, no I/O).

Shared by the configuration loader (a channel URL in a YAML file must name a
``${ENV}`` variable instead of spelling a secret out) and the channel adapters'
redaction (``adapters/channels/redact.py``).
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

# Schemes whose user/password part is a bearer token (it is masked entirely).
TOKEN_USER_SCHEMES = frozenset({"dvzbot", "dvzoa", "dvzns"})

# A query key is sensitive when its lower-cased name contains one of these.
SENSITIVE_KEY_PARTS = (
    "token",
    "secret",
    "password",
    "passwd",
    "pass",
    "key",
    "auth",
    "signature",
    "credential",
)

_TOKENISH = re.compile(r"[A-Za-z0-9_\-.:~+=]{20,}")
_BOT_SEGMENT = re.compile(r"^bot\d+:[A-Za-z0-9_\-]+$")


def is_sensitive_key(key: str) -> bool:
    """A query key (or Apprise ``+Header``) whose value is a secret."""
    lowered = key.lower()
    if lowered.startswith("+"):  # Apprise custom HTTP / e-mail header
        return True
    return any(part in lowered for part in SENSITIVE_KEY_PARTS)


def looks_like_token(text: str) -> bool:
    """A long run of letters and digits: an API token or webhook key, not a path word."""
    if _BOT_SEGMENT.match(text):
        return True
    if not _TOKENISH.fullmatch(text):
        return False
    classes = sum(bool(re.search(p, text)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]"))
    return classes >= 2 and bool(re.search(r"[0-9]", text))


def literal_secret(url: str) -> str | None:
    """What kind of secret `url` spells out instead of naming a ``${ENV}`` variable:
    'mật khẩu' (password in the URL), 'token' (Zalo token, token-like user or path
    segment), 'tham số bí mật' (a secret query parameter or header); None if none.
    The value itself is never returned."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    netloc = parts.netloc
    if scheme in TOKEN_USER_SCHEMES and netloc:
        token = netloc.rpartition("@")[0] if "@" in netloc else netloc
        if token and "${" not in token:
            return "token"
    elif "@" in netloc:
        userinfo = netloc.rpartition("@")[0]
        user, sep, password = userinfo.partition(":")
        if sep and password and "${" not in password:
            return "mật khẩu"
        if user and "${" not in user and looks_like_token(unquote(user)):
            return "token"
    for segment in parts.path.split("/"):
        if segment and "${" not in segment and looks_like_token(unquote(segment)):
            return "token"
    for item in parts.query.split("&"):
        key, sep, value = item.partition("=")
        if not (sep and value) or "${" in value:
            continue
        if "://" in unquote(value) and (nested := literal_secret(unquote(value))):
            return nested
        if is_sensitive_key(unquote(key)) or looks_like_token(unquote(value)):
            return "tham số bí mật"
    return None

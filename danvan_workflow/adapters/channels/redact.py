"""Redaction of channel URLs and provider replies.

Apprise's own ``url(privacy=True)`` masks passwords but leaves custom header
values (``+Authorization=...``) and unknown query parameters in clear, and it
needs a parsed plugin. These helpers work on the raw URL text instead, so they
also cover URLs that fail to parse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, unquote, urlsplit, urlunsplit

MASK = "****"

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

_ENV_REF = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")
# Shortest secret value that redact_text will replace (avoid masking "a", "1").
MIN_SECRET_LENGTH = 4


def _is_sensitive_key(key: str) -> bool:
    lowered = key.lower()
    if lowered.startswith("+"):  # Apprise custom HTTP / e-mail header
        return True
    return any(part in lowered for part in SENSITIVE_KEY_PARTS)


def _mask_value(value: str) -> str:
    """Mask a value, but keep an unresolved ``${NAME}`` reference readable."""
    if _ENV_REF.match(unquote(value)):
        return value
    return MASK


def _redact_query(query: str) -> str:
    parts: list[str] = []
    for item in query.split("&"):
        if not item:
            continue
        key, sep, value = item.partition("=")
        raw_key = unquote(key)
        if sep and _is_sensitive_key(raw_key):
            parts.append(f"{key}={_mask_value(value)}")
        elif sep and "://" in unquote(value):
            # A nested URL (e.g. ?base=http://user:pass@proxy): redact it too.
            parts.append(f"{key}={quote(redact_url(unquote(value)), safe=':/@*${}')}")
        else:
            parts.append(item)
    return "&".join(parts)


def redact_url(url: str) -> str:
    """Return ``url`` with passwords, tokens, secret query values and header values masked.

    - ``scheme://user:password@host`` -> ``scheme://user:****@host``
    - Zalo schemes (``dvzbot``, ``dvzoa``, ``dvzns``): the whole user/password part
      is a token -> ``dvzbot://****@chat_id``
    - query values of keys containing token/secret/password/pass/key/auth/... -> ``****``
    - Apprise custom headers ``+Name=value`` -> ``+Name=****``
    - unresolved ``${NAME}`` references are kept (they are not secrets).
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    scheme = parts.scheme.lower()
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        if scheme in TOKEN_USER_SCHEMES:
            userinfo = _mask_value(userinfo)
        elif ":" in userinfo:
            user, _, password = userinfo.partition(":")
            userinfo = f"{user}:{_mask_value(password)}"
        netloc = f"{userinfo}@{hostport}"
    query = _redact_query(parts.query) if parts.query else parts.query
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _variants(secret: str) -> set[str]:
    """A secret as it may appear in text: raw, percent-encoded, percent-decoded."""
    return {secret, quote(secret, safe=""), quote(secret), unquote(secret)}


def redact_text(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every occurrence of any known secret value in ``text`` by ``****``.

    Secrets shorter than ``MIN_SECRET_LENGTH`` characters are ignored so that
    trivial values do not mangle the text. Longer secrets are replaced first.
    """
    values: set[str] = set()
    for secret in secrets:
        if secret and len(secret) >= MIN_SECRET_LENGTH:
            values |= {v for v in _variants(secret) if len(v) >= MIN_SECRET_LENGTH}
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, MASK)
    return text


def url_secrets(url: str) -> list[str]:
    """Secret values carried by ``url`` (password, token, sensitive query values, headers)."""
    found: list[str] = []
    try:
        parts = urlsplit(url)
    except ValueError:
        return found
    if "@" in parts.netloc:
        userinfo = parts.netloc.rpartition("@")[0]
        if parts.scheme.lower() in TOKEN_USER_SCHEMES:
            found.append(unquote(userinfo))
            found.extend(unquote(p) for p in userinfo.split(":"))
        elif ":" in userinfo:
            found.append(unquote(userinfo.partition(":")[2]))
    for item in parts.query.split("&"):
        key, sep, value = item.partition("=")
        if sep and value and _is_sensitive_key(unquote(key)):
            found.append(unquote(value))
    return [s for s in found if s]

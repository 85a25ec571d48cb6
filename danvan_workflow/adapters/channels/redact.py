"""Redaction of channel URLs and provider replies.

Apprise's own ``url(privacy=True)`` masks passwords but leaves custom header
values (``+Authorization=...``) and unknown query parameters in clear, and it
needs a parsed plugin. These helpers work on the raw URL text instead, so they
also cover URLs that fail to parse.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import threading
from collections.abc import Iterable
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from danvan_workflow.core.url_secrets import TOKEN_USER_SCHEMES
from danvan_workflow.core.url_secrets import is_sensitive_key as _is_sensitive_key

MASK = "****"

_ENV_REF = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")
# Shortest secret value that redact_text will replace (avoid masking "a", "1").
MIN_SECRET_LENGTH = 4


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
    elif scheme in TOKEN_USER_SCHEMES and netloc:
        netloc = _mask_value(netloc)  # dvzbot://TOKEN (no chat id): the netloc is the token
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
    if "@" in parts.netloc or (parts.scheme.lower() in TOKEN_USER_SCHEMES and parts.netloc):
        # dvzbot://TOKEN without '@chat': the whole netloc is the token
        userinfo = (parts.netloc.rpartition("@")[0] if "@" in parts.netloc
                    else parts.netloc)
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


# --------------------------------------------------------------------------- stored text

# Everything a provider reply or an error may carry that must not be stored or printed:
# the patterns below, the secrets of the URL in use, and the resolved value of every
# ${ENV} reference of the configured channels (`remember_channel_secrets`).

_HEADER = re.compile(
    r"(?i)(\b(?:proxy-)?authorization\b[\"']?\s*[:=]\s*[\"']?)([^\"'\r\n,;}&]+)")
_SCHEME_CRED = re.compile(r"(?i)\b(basic|bearer|digest)(\s+)([A-Za-z0-9+/=._~\-]{4,})")
_FIELD = re.compile(
    r"(?i)([\"']?\b[\w\-]*(?:token|secret|password|passwd|pwd|api[_\-]?key|apikey|"
    r"client[_\-]?secret|credential|signature)[\w\-]*[\"']?)"
    r"(\s*[:=]\s*)"
    r"(\"(?:[^\"\\]|\\.)*\"|'[^']*'|[^\s&,;}\]\"')<>]+)")
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)([^\s/@:?#\"'<>]*):([^\s/@?#\"'<>]+)@")
_ZALO_URL = re.compile(r"(?i)\b(dvzbot|dvzoa|dvzns)://([^\s/?#\"'<>]*)")
_BOT_PATH = re.compile(r"(/bot)([A-Za-z0-9:_\-]{8,})(?=[/?\s\"']|$)")

_known_lock = threading.Lock()
_known: set[str] = set()


def _mask_field(match: re.Match[str]) -> str:
    key, sep, value = match.group(1), match.group(2), match.group(3)
    if _ENV_REF.match(value.strip("\"'")):
        return match.group(0)
    if value[:1] in ("'", '"'):
        return f"{key}{sep}{value[0]}{MASK}{value[0]}"
    return f"{key}{sep}{MASK}"


def _mask_zalo(match: re.Match[str]) -> str:
    netloc = match.group(2)
    if not netloc or _ENV_REF.match(netloc.rpartition("@")[0] or netloc):
        return match.group(0)
    host = netloc.rpartition("@")[2] if "@" in netloc else ""
    return f"{match.group(1)}://{MASK}" + (f"@{host}" if "@" in netloc else "")


def redact_patterns(text: str) -> str:
    """Mask what looks like a credential whatever its value: Authorization and
    Proxy-Authorization headers, Basic/Bearer values, token/secret/password/api key
    fields (JSON, query strings, ``key: value``), passwords in URLs, Zalo tokens in
    ``dvz*://`` URLs and in ``/bot<token>/`` paths."""
    text = _HEADER.sub(lambda mt: f"{mt.group(1)}{MASK}", text)
    text = _SCHEME_CRED.sub(lambda mt: f"{mt.group(1)}{mt.group(2)}{MASK}", text)
    text = _FIELD.sub(_mask_field, text)
    text = _URL_USERINFO.sub(lambda mt: f"{mt.group(1)}{mt.group(2)}:{MASK}@", text)
    text = _ZALO_URL.sub(_mask_zalo, text)
    return _BOT_PATH.sub(lambda mt: f"{mt.group(1)}{MASK}", text)


def secret_forms(url: str) -> list[str]:
    """``url_secrets`` plus the forms they travel in: ``user:password`` and its base64
    (an HTTP Basic header), the user/password of a nested URL."""
    found = url_secrets(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return found
    if "@" in parts.netloc:
        userinfo = unquote(parts.netloc.rpartition("@")[0])
        if ":" in userinfo:
            found.append(userinfo)
            found.append(base64.b64encode(userinfo.encode("utf-8")).decode("ascii"))
    for item in parts.query.split("&"):
        value = unquote(item.partition("=")[2])
        if "://" in value:
            found += secret_forms(value)
    return [s for s in found if s]


def channel_secrets(url_templates: Iterable[str], environ: dict[str, str] | None = None
                    ) -> list[str]:
    """The resolved values of every ``${NAME}`` in the channels' URLs, and the secrets
    those values carry (password, token, ``user:password`` and its base64)."""
    env = os.environ if environ is None else environ
    out: list[str] = []
    for url in url_templates:
        for name in re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", url or ""):
            value = env.get(name, "")
            if value:
                out.append(value)
                out += secret_forms(value)
        out += [s for s in secret_forms(url or "") if "${" not in s]
    return [s for s in out if s and len(s) >= MIN_SECRET_LENGTH]


def remember_channel_secrets(url_templates: Iterable[str]) -> None:
    """Add the channels' secrets to those `redact` always masks (this process)."""
    values = channel_secrets(url_templates)
    with _known_lock:
        _known.update(values)


def known_secrets() -> list[str]:
    with _known_lock:
        return list(_known)


def redact(text: str | None, secrets: Iterable[str | None] = (), *,
           limit: int | None = None) -> str | None:
    """The one redaction applied before a provider reply or an error is stored or printed.

    Masks the given secret values, the remembered channel secrets and every pattern of
    `redact_patterns`; cuts to `limit` characters after masking (never before: a secret
    cut in two would no longer be recognised).
    """
    if text is None:
        return None
    out = redact_patterns(redact_text(text, [*secrets, *known_secrets()]))
    return out[:limit] if limit is not None else out


# --------------------------------------------------------------------------- logs


class RedactingFilter(logging.Filter):
    """Masks secrets in the records of the libraries we drive (Apprise prints channel
    URLs with custom header values in clear; urllib3 prints request paths, and a Zalo
    Bot path carries the token)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        masked = redact(message) or ""
        if masked != message:
            record.msg, record.args = masked, None
        return True


_LOGGERS = ("apprise", "urllib3.connectionpool", "urllib3.poolmanager", "urllib3.util.retry")
_filter = RedactingFilter()


def install_log_redaction() -> None:
    """Mask secrets in what Apprise and urllib3 log (idempotent)."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _filter not in logger.filters:
            logger.addFilter(_filter)

"""Channel URL helpers: plugin registration, ``${ENV}`` expansion, per-recipient URLs.

Typical use by the dispatcher::

    url = target_url(channel.kind, expand_env(channel.url), address)
    result = send(url, message)

``expand_env`` runs first (a whole URL may come from one variable), then
``target_url`` puts the recipient's address into the URL.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from danvan_workflow.adapters.channels import email as email_channel
from danvan_workflow.adapters.channels import webhook
from danvan_workflow.adapters.channels.base import Transport, register_transport
from danvan_workflow.adapters.channels.redact import install_log_redaction
from danvan_workflow.adapters.channels.zalo_bot import NotifyDanvanZaloBot
from danvan_workflow.adapters.channels.zalo_oa import NotifyDanvanZaloOA
from danvan_workflow.adapters.channels.zalo_zns import NotifyDanvanZaloZNS
from danvan_workflow.errors import UserError

CHANNEL_KINDS = ("email", "zalo_bot", "zalo_oa", "zalo_zns", "webhook")

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_registered_lock = threading.Lock()


class MissingCredential(UserError):
    """A ``${NAME}`` reference whose environment variable is not set."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"Chưa đặt biến môi trường {name} (thông tin xác thực của kênh gửi)",
            field=name,
        )


def register_plugins() -> None:
    """Register the ``dvzbot://``, ``dvzoa://`` and ``dvzns://`` plugins with Apprise,
    and the e-mail and webhook transports with ``base.send``.

    Idempotent and cheap; importing ``danvan_workflow.adapters.channels`` calls it,
    after which plain ``apprise.Apprise().add("dvzbot://...")`` works.
    """
    from apprise.manager_plugins import NotificationManager

    install_log_redaction()
    # json:// and mailto:// are Apprise's own plugins; our modules do their transport
    register_transport(Transport(webhook.handles, webhook.secrets, webhook.deliver))
    register_transport(Transport(email_channel.handles, email_channel.secrets,
                                 email_channel.deliver))
    manager_cls: Any = NotificationManager  # untyped in Apprise
    manager = manager_cls()
    with _registered_lock:
        for plugin in (NotifyDanvanZaloBot, NotifyDanvanZaloOA, NotifyDanvanZaloZNS):
            schema = plugin.protocol
            if schema in manager and manager[schema] is plugin:
                continue
            manager.add(plugin, schemas=[schema], force=True)


def env_names(url: str) -> list[str]:
    """The ``${NAME}`` references in ``url``, in order."""
    return _ENV_REF.findall(url)


def expand_env(url: str, environ: Mapping[str, str] | None = None) -> str:
    """Replace every ``${NAME}`` by ``os.environ[NAME]`` (values are inserted verbatim).

    Raises :class:`MissingCredential` naming the first unset (or empty) variable;
    the message never contains a value.
    """
    env = os.environ if environ is None else environ

    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        value = env.get(name)
        if not value:
            raise MissingCredential(name)
        return value

    return _ENV_REF.sub(lookup, url)


def _replace_host(url: str, address: str) -> str:
    """Put ``address`` after the credentials: ``scheme://cred@OLD?q`` -> ``scheme://cred@NEW?q``.

    A netloc without ``@`` is taken to be credentials only (``dvzbot://TOKEN``).
    """
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else parts.netloc
    netloc = f"{userinfo}@{quote(address, safe='')}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _set_query(url: str, key: str, value: str) -> str:
    """Replace (or add) one query parameter, keeping every other one byte for byte."""
    parts = urlsplit(url)
    kept = [
        item
        for item in parts.query.split("&")
        if item and unquote(item.partition("=")[0]).lower() != key
    ]
    kept.append(f"{key}={quote(value, safe='@')}")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(kept), parts.fragment))


def target_url(channel_kind: str, base_url: str, contact: str) -> str:
    """The per-recipient URL for a channel's base URL and a contact's address.

    ============  ==================================  ====================================
    kind          base URL                            result
    ============  ==================================  ====================================
    email         ``mailtos://u:p@host?from=..``      adds/replaces ``to=<contact email>``
    zalo_bot      ``dvzbot://TOKEN[@any]``            ``dvzbot://TOKEN@<chat id>``
    zalo_oa       ``dvzoa://TOKEN[@any]``             ``dvzoa://TOKEN@<user id>``
    zalo_zns      ``dvzns://TOKEN[@any]?template=..`` ``dvzns://TOKEN@<phone>?template=..``
    webhook       ``json://host/path``                unchanged (``contact`` ignored)
    ============  ==================================  ====================================

    Query parameters (``base=``, ``template=``, headers...) are kept. For ZNS the
    phone number is stripped of spaces, dots, dashes and ``+``; the plugin turns
    ``09..`` into ``849..``.
    """
    address = contact.strip()
    if channel_kind == "webhook":
        return base_url
    if not address:
        raise ValueError(f"empty address for channel kind {channel_kind!r}")
    if channel_kind == "email":
        return _set_query(base_url, "to", address)
    if channel_kind in ("zalo_bot", "zalo_oa"):
        return _replace_host(base_url, address)
    if channel_kind == "zalo_zns":
        return _replace_host(base_url, re.sub(r"[\s().+\-]", "", address))
    raise ValueError(f"unknown channel kind {channel_kind!r}; expected one of {CHANNEL_KINDS}")

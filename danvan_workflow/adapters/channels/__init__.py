"""Notification channels: Apprise URLs for e-mail, Zalo Bot / OA / ZNS and webhooks.

Importing this package registers the ``dvzbot://``, ``dvzoa://`` and ``dvzns://``
Apprise plugins. The dispatcher uses :func:`send`; see ``base.py``.
"""

from __future__ import annotations

from danvan_workflow.adapters.channels.base import OutgoingMessage, SendResult, send
from danvan_workflow.adapters.channels.redact import redact_text, redact_url
from danvan_workflow.adapters.channels.registry import (
    MissingCredential,
    expand_env,
    register_plugins,
    target_url,
)

register_plugins()

__all__ = [
    "MissingCredential",
    "OutgoingMessage",
    "SendResult",
    "expand_env",
    "redact_text",
    "redact_url",
    "register_plugins",
    "send",
    "target_url",
]

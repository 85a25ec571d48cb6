"""Commands about notifications: a test message to a contact."""

from __future__ import annotations

from pydantic import Field

from danvan_workflow.commands.base import Command
from danvan_workflow.commands.common import OPERATOR


class SendTestNotification(Command):
    contact: str = Field(title="Mã đầu mối", description="Ví dụ: DP.BDV.dauMoi")
    channel: str | None = Field(None, title="Kênh",
                                description="email, zalo_oa... Để trống: mọi kênh của đầu mối")
    operator: str = OPERATOR

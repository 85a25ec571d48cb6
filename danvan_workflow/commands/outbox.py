"""Commands about the outbox: send what is due now, put messages back in the queue."""

from __future__ import annotations

from pydantic import Field

from danvan_workflow.commands.base import Command


class DispatchNow(Command):
    batch: int | None = Field(None, ge=1, le=5000, title="Số thông báo mỗi lượt")


class RetryMessages(Command):
    message_ids: list[int] = Field(default_factory=list, title="Số thông báo",
                                   description="Để trống: mọi thông báo không gửi được")

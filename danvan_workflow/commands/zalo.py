"""Commands of `danvan zalo` and `danvan contacts` / `danvan claims`: the Zalo token,
link codes and "đã nộp" claims. No command shows a token (`SecretStr`)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from danvan_workflow.commands.base import Command, OptionalDay
from danvan_workflow.commands.common import OPERATOR


class ResetZaloToken(Command):
    """Store a new refresh token (after the app was re-authorised on Zalo)."""

    refresh_token: SecretStr = Field(SecretStr(""), title="Refresh token Zalo")
    operator: str = OPERATOR


class IssueLinkCode(Command):
    """A one-time code a contact sends to the OA or bot to link their Zalo account."""

    contact: str = Field(min_length=1, title="Mã đầu mối")
    hours: int = Field(72, ge=1, le=24 * 90, title="Hiệu lực (giờ)")
    operator: str = OPERATOR


class ConfirmClaim(Command):
    """Record the submission a "đã nộp" claim stands for."""

    claim_id: int | None = Field(None, ge=1, le=2**31 - 1, title="Số báo nộp",
                                 description="Để trống thì chọn trong danh sách đang chờ")
    deadline: int | None = Field(None, ge=1, le=2**31 - 1, title="Số hạn báo cáo",
                                 description="Khi báo nộp chưa gắn với hạn nào")
    received_on: OptionalDay = Field(None, title="Ngày nhận")
    document_number: str | None = Field(None, title="Số văn bản")
    operator: str = OPERATOR


class RejectClaim(Command):
    """Reject a "đã nộp" claim (nothing is recorded)."""

    claim_id: int | None = Field(None, ge=1, le=2**31 - 1, title="Số báo nộp",
                                 description="Để trống thì chọn trong danh sách đang chờ")
    operator: str = OPERATOR

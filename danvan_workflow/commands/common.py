"""Fields shared by several commands."""

from __future__ import annotations

from pydantic import Field

OPERATOR = Field("prefect-ui", title="Người thực hiện",
                 description="Tên người thao tác (ghi vào nhật ký)")

"""Fields shared by several commands."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import BeforeValidator, Field

OPERATOR = Field("prefect-ui", title="Người thực hiện",
                 description="Tên người thao tác (ghi vào nhật ký)")


def one_of(choices: type[StrEnum] | Mapping[str, str]) -> BeforeValidator:
    """Refuse a value outside `choices`, listing each choice with its Vietnamese label.

    `choices` is an enum whose members have a `label`, or a mapping value -> label.
    """
    labels = (dict(choices) if isinstance(choices, Mapping)
              else {c.value: getattr(c, "label", c.value) for c in choices})

    def check(value: Any) -> Any:
        if isinstance(value, str) and value not in labels:
            allowed = ", ".join(f"{k} ({v})" for k, v in labels.items())
            raise ValueError(f"giá trị '{value}' không hợp lệ; chọn một trong: {allowed}")
        return value

    return BeforeValidator(check)

"""Vietnamese messages for pydantic validation errors."""

from __future__ import annotations

from typing import Any

_BY_TYPE = {
    "missing": "thiếu trường bắt buộc",
    "extra_forbidden": "trường không có trong mẫu cấu hình (gõ sai tên?)",
    "date_parsing": "ngày không hợp lệ, cần dạng YYYY-MM-DD (ví dụ 2026-11-20)",
    "date_from_datetime_parsing": "ngày không hợp lệ, cần dạng YYYY-MM-DD (ví dụ 2026-11-20)",
    "date_from_datetime_inexact": "ngày không được kèm giờ",
    "date_type": "cần một ngày dạng YYYY-MM-DD",
    "time_parsing": "giờ không hợp lệ, cần dạng HH:MM",
    "int_parsing": "cần một số nguyên",
    "int_type": "cần một số nguyên",
    "float_parsing": "cần một số",
    "decimal_parsing": "cần một số",
    "bool_parsing": "cần true hoặc false",
    "bool_type": "cần true hoặc false",
    "string_type": "cần một chuỗi văn bản",
    "list_type": "cần một danh sách",
    "dict_type": "cần một mục có các trường (mapping)",
    "model_type": "cần một mục có các trường (mapping)",
    "string_too_short": "không được để trống",
    "string_pattern_mismatch": "không đúng định dạng",
    "union_tag_invalid": "loại (kind) không hợp lệ",
    "union_tag_not_found": "thiếu trường 'kind'",
}


def vi_message(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace(" or ", " hoặc ")
        return f"giá trị {err.get('input')!r} không hợp lệ; chọn một trong: {expected}"
    if kind == "string_too_long":
        return f"quá dài (tối đa {ctx.get('max_length')} ký tự)"
    if kind in ("greater_than", "greater_than_equal"):
        bound = ctx.get("gt", ctx.get("ge"))
        rel = "lớn hơn" if "gt" in ctx else "lớn hơn hoặc bằng"
        return f"giá trị {err.get('input')!r} phải {rel} {bound}"
    if kind in ("less_than", "less_than_equal"):
        bound = ctx.get("lt", ctx.get("le"))
        rel = "nhỏ hơn" if "lt" in ctx else "nhỏ hơn hoặc bằng"
        return f"giá trị {err.get('input')!r} phải {rel} {bound}"
    if kind == "value_error":
        msg = str(ctx.get("error", err.get("msg", "")))
        return msg.removeprefix("Value error, ")
    if kind in _BY_TYPE:
        base = _BY_TYPE[kind]
        if kind.startswith("date") and err.get("input") is not None:
            return f"{base}; nhận được {err.get('input')!r}"
        return base
    return str(err.get("msg", "giá trị không hợp lệ"))


def field_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out

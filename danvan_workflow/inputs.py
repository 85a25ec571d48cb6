"""Parsing what users type (CLI options, form fields, files) into values, with field names."""

from __future__ import annotations

import datetime as dt
from typing import Any

from danvan_workflow.errors import UserError

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


def as_date(value: Any, field: str) -> dt.date | None:
    """A date from a date, or text as YYYY-MM-DD or DD/MM/YYYY; empty gives None."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        raise UserError(f"ngày '{value}' không được kèm giờ", field=field)
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        for fmt in DATE_FORMATS:
            try:
                return dt.datetime.strptime(value.strip(), fmt).date()
            except ValueError:
                continue
    raise UserError(f"ngày '{value}' không hợp lệ; dùng dạng YYYY-MM-DD hoặc DD/MM/YYYY",
                    field=field)

"""Parsing what users type (CLI options, form fields, files) into values, with field names."""

from __future__ import annotations

import datetime as dt
from typing import Any

from danvan_workflow.errors import UserError

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
# what the engine can plan for (the working-day calendar, periods, the database's instants)
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2099, 12, 31)


def as_date(value: Any, field: str) -> dt.date | None:
    """A date from a date, or text as YYYY-MM-DD or DD/MM/YYYY; empty gives None."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        raise UserError(f"ngày '{value}' không được kèm giờ", field=field)
    if isinstance(value, dt.date):
        return _in_range(value, field)
    if isinstance(value, str):
        for fmt in DATE_FORMATS:
            try:
                return _in_range(dt.datetime.strptime(value.strip(), fmt).date(), field)
            except ValueError:
                continue
    raise UserError(f"ngày '{value}' không hợp lệ; dùng dạng YYYY-MM-DD hoặc DD/MM/YYYY",
                    field=field)


def _in_range(day: dt.date, field: str) -> dt.date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise UserError(f"ngày {day:%d/%m/%Y} nằm ngoài khoảng {FIRST_DAY:%d/%m/%Y}–"
                        f"{LAST_DAY:%d/%m/%Y}", field=field)
    return day

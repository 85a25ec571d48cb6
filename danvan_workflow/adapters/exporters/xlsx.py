"""Excel (.xlsx) exports as offices expect them (openpyxl): one sheet per table, a bold
header row that stays in view, filters on it, column widths that fit, real dates
(dd/mm/yyyy) and numbers, not text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

MAX_WIDTH = 60


@dataclass(frozen=True)
class Sheet:
    title: str  # at most 31 characters (Excel's limit)
    columns: Sequence[str]
    rows: Sequence[Sequence[object]]


def _width(values: list[object]) -> int:
    longest = max((len(v.strftime("%d/%m/%Y")) if isinstance(v, dt.date) else len(str(v))
                   for v in values if v is not None), default=8)
    return min(MAX_WIDTH, max(8, longest + 2))


def write_workbook(path: Path, sheets: Sequence[Sheet]) -> Path:
    wb = Workbook()
    for n, sheet in enumerate(sheets):
        ws = wb.active if n == 0 else wb.create_sheet()
        assert ws is not None
        ws.title = sheet.title[:31]
        ws.append(list(sheet.columns))
        for row in sheet.rows:
            ws.append([v.isoformat() if isinstance(v, dt.datetime) else v for v in row])
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for i, name in enumerate(sheet.columns, start=1):
            letter = get_column_letter(i)
            column = [r[i - 1] for r in sheet.rows]
            ws.column_dimensions[letter].width = _width([name, *column])
            if any(isinstance(v, dt.date) for v in column):
                for cell in ws[letter][1:]:
                    cell.number_format = "dd/mm/yyyy"
        ws.freeze_panes = "A2"
        if sheet.rows:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{len(sheet.rows) + 1}"
    wb.save(path)
    return path

"""Units and focal points from an Excel workbook (the shipped template), into config/.

Offices keep their lists in Excel. The template (`write_template`) has two sheets,
"Đơn vị" and "Đầu mối", with Vietnamese headers, a drop-down list on every column
whose values are fixed (kind, level, sector, role, yes/no) and a "Hướng dẫn" sheet.

`read_workbook` checks every row and reports every problem at once as
"<sheet>:<row>:<column>: <what>" (row and column as Excel shows them, e.g.
"Đơn vị:12:C"); only a workbook without problems becomes YAML text for
`config/units/<name>.yaml` and `config/contacts/<name>.yaml`, which the normal
configuration load then applies in one transaction (services/workbook_import.py).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML

from danvan_workflow.configuration.schema import ContactIn, UnitIn
from danvan_workflow.core.vietnamese import nfc

UNITS_SHEET = "Đơn vị"
CONTACTS_SHEET = "Đầu mối"
GUIDE_SHEET = "Hướng dẫn"
MAX_ROWS = 20_000

KINDS = {
    "Cấp ủy đảng": "party_committee", "Ban của cấp ủy": "party_board",
    "Tổ chức cơ sở đảng": "base_party_org", "Cơ quan nhà nước": "state_agency",
    "Hội đồng nhân dân": "people_council", "Mặt trận Tổ quốc": "front",
    "Tổ chức chính trị - xã hội": "mass_organisation", "Doanh nghiệp": "enterprise",
    "Trường học": "school", "Lực lượng vũ trang": "armed_forces",
    "Ban Chỉ đạo": "steering_committee", "Văn phòng": "office",
}
LEVELS = {"Trung ương": "central", "Tỉnh": "province", "Huyện": "district", "Xã": "commune",
          "Cơ sở": "base"}
SECTORS = {"Cơ quan": "agency", "Doanh nghiệp": "enterprise", "Trường học": "school"}
ROLES = {"Đầu mối": "focal_point", "Lãnh đạo": "leader", "Cán bộ": "staff"}
YES_NO = {"Có": True, "Không": False}


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    required: bool = False
    choices: dict[str, Any] | None = None  # label shown -> value stored
    width: int = 20


UNIT_COLUMNS = [
    Column("Mã đơn vị", "code", True, width=22),
    Column("Tên đơn vị", "name", True, width=45),
    Column("Loại đơn vị", "kind", True, KINDS, 26),
    Column("Cấp", "level", True, LEVELS, 12),
    Column("Khối", "sector", False, SECTORS, 14),
    Column("Mã đơn vị cấp trên", "parent", False, width=22),
    Column("Giả định (chưa đối chiếu)", "assumed", False, YES_NO, 14),
    Column("Ghi chú", "note", False, width=40),
]
CONTACT_COLUMNS = [
    Column("Mã đầu mối", "code", True, width=24),
    Column("Họ tên", "name", True, width=30),
    Column("Mã đơn vị", "unit", True, width=22),
    Column("Vai trò", "role", True, ROLES, 14),
    Column("Email", "email", False, width=30),
    Column("Điện thoại", "phone", False, width=16),
    Column("Zalo OA user_id", "zalo_user_id", False, width=20),
    Column("Zalo Bot chat_id", "zalo_chat_id", False, width=20),
    Column("Kênh gửi (cách nhau dấu phẩy)", "channels", False, width=28),
    Column("Gửi lần lượt theo thứ tự kênh", "fallback", False, YES_NO, 16),
]
SHEETS = {UNITS_SHEET: UNIT_COLUMNS, CONTACTS_SHEET: CONTACT_COLUMNS}
FIELD_WORDS = {"max_length": "quá dài", "min_length": "không được để trống",
               "string_pattern_mismatch": "không đúng dạng"}


def write_template(path: Path) -> None:
    """The empty template: headers, drop-down lists, column widths, a guide sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    first = True
    for title, columns in SHEETS.items():
        ws = wb.active if first else wb.create_sheet()
        first = False
        assert ws is not None
        ws.title = title
        for i, col in enumerate(columns, start=1):
            cell = ws.cell(row=1, column=i, value=col.header + (" *" if col.required else ""))
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            letter = get_column_letter(i)
            ws.column_dimensions[letter].width = col.width
            if col.choices:
                dv = DataValidation(type="list", formula1='"' + ",".join(col.choices) + '"',
                                    allow_blank=not col.required, showErrorMessage=True,
                                    errorTitle="Giá trị không có trong danh sách",
                                    error="Chọn một giá trị trong danh sách.")
                dv.add(f"{letter}2:{letter}{MAX_ROWS}")
                ws.add_data_validation(dv)
        ws.freeze_panes = "A2"
    guide = wb.create_sheet(GUIDE_SHEET)
    lines = [
        "Mẫu danh sách đơn vị và đầu mối (danvan-workflow)",
        "",
        "Cột có dấu * là bắt buộc. Mỗi dòng một đơn vị (trang “Đơn vị”) hoặc một người "
        "(trang “Đầu mối”). Các cột có danh sách: chọn trong danh sách.",
        "Mã đơn vị, mã đầu mối: chữ không dấu, số và các dấu . _ - / (ví dụ DP.BDV, "
        "DP.BDV.dauMoi); mỗi mã chỉ một lần.",
        "Mã đơn vị cấp trên: mã của một đơn vị trong trang này hoặc đã có trong cấu hình.",
        "Kênh gửi: email, zalo_oa, zalo_bot, zalo_zns… như trong config/channels.yaml.",
        "Nạp vào: danvan units import <tệp.xlsx>. Tệp có lỗi thì không có gì được ghi; "
        "mỗi lỗi ghi rõ trang:dòng:cột.",
    ]
    for i, text in enumerate(lines, start=1):
        guide.cell(row=i, column=1, value=text)
    guide.column_dimensions["A"].width = 110
    wb.save(path)


@dataclass
class WorkbookData:
    units: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    # (sheet, row, column letter) of each code, for the cross-row checks
    unit_rows: dict[str, tuple[int, str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def problem(self, sheet: str, row: int, column: str, text: str) -> None:
        self.problems.append(nfc(f"{sheet}:{row}:{column}: {text}"))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone number or an id typed as a number
    text = nfc(str(value)).strip()
    return text or None


def _letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(i))


def _read_sheet(wb: Any, sheet: str, columns: list[Column], out: WorkbookData
                ) -> Iterable[tuple[int, dict[str, Any]]]:
    if sheet not in wb.sheetnames:
        out.problem(sheet, 1, "A", "thiếu trang này (dùng đúng tệp mẫu)")
        return
    ws = wb[sheet]
    headers = [_text(c.value) for c in next(ws.iter_rows(min_row=1, max_row=1))]
    found_before = len(out.problems)
    for i, col in enumerate(columns, start=1):
        got = (headers[i - 1] or "").rstrip(" *") if i <= len(headers) else ""
        if got != col.header:
            out.problem(sheet, 1, _letter(i), f"tiêu đề cột phải là “{col.header}” "
                                             "(dùng đúng tệp mẫu, không chèn hay xóa cột)")
    if len(out.problems) > found_before:
        return  # not the template's columns: the rows cannot be read
    for r, row in enumerate(ws.iter_rows(min_row=2, max_col=len(columns), values_only=True),
                            start=2):
        if r > MAX_ROWS:
            out.problem(sheet, r, "A", f"quá {MAX_ROWS - 1} dòng")
            return
        cells = [_text(v) for v in row]
        if not any(cells):
            continue
        values: dict[str, Any] = {}
        found_before = len(out.problems)
        for i, (col, text) in enumerate(zip(columns, cells, strict=False), start=1):
            where = _letter(i)
            if text is None:
                if col.required:
                    out.problem(sheet, r, where, f"“{col.header}” không được để trống")
                continue
            if col.choices is not None:
                if text not in col.choices:
                    out.problem(sheet, r, where, f"“{text}” không có trong danh sách "
                                                 f"({', '.join(col.choices)})")
                    continue
                values[col.field] = col.choices[text]
            elif col.field == "channels":
                values[col.field] = [x.strip() for x in text.split(",") if x.strip()]
            else:
                values[col.field] = text
        if len(out.problems) == found_before:  # a row with a bad cell is reported once
            yield r, values


def _check(model: type[UnitIn] | type[ContactIn], values: dict[str, Any], sheet: str,
           row: int, columns: list[Column], out: WorkbookData) -> bool:
    try:
        model.model_validate(values)
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else ""
            i = next((n for n, c in enumerate(columns, start=1) if c.field == name), 1)
            word = FIELD_WORDS.get(str(err["type"]))
            if name == "code" and err["type"] == "value_error":
                word = "chỉ gồm chữ không dấu, số và các dấu . _ - /"
            out.problem(sheet, row, _letter(i), f"“{columns[i - 1].header}” "
                                                f"{word or 'không hợp lệ'}")
        return False
    return True


def read_workbook(path: Path, known_units: set[str], known_contacts: set[str],
                  channels: set[str]) -> WorkbookData:
    """Every row checked; `problems` lists each one as sheet:row:column (nothing else is
    trustworthy when it is not empty). `known_*`: codes defined in other config files."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    out = WorkbookData()
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        out.problems.append(nfc(f"{path.name}: không mở được tệp Excel (.xlsx) — "
                                f"{type(exc).__name__}"))
        return out
    seen_units: dict[str, int] = {}
    parents: list[tuple[int, str]] = []
    for r, values in _read_sheet(wb, UNITS_SHEET, UNIT_COLUMNS, out):
        if "code" not in values:
            continue  # reported above
        code = str(values["code"])
        if code in seen_units:
            out.problem(UNITS_SHEET, r, "A", f"mã “{code}” trùng với dòng {seen_units[code]}")
            continue
        if code in known_units:
            out.problem(UNITS_SHEET, r, "A", f"mã “{code}” đã có trong cấu hình (tệp khác)")
            continue
        if _check(UnitIn, values, UNITS_SHEET, r, UNIT_COLUMNS, out):
            seen_units[code] = r
            out.units.append(values)
            if values.get("parent"):
                parents.append((r, values["parent"]))
    for r, parent in parents:
        if parent not in seen_units and parent not in known_units:
            out.problem(UNITS_SHEET, r, "F", f"không có đơn vị cấp trên mã “{parent}”")
    seen_contacts: dict[str, int] = {}
    for r, values in _read_sheet(wb, CONTACTS_SHEET, CONTACT_COLUMNS, out):
        if "code" not in values:
            continue
        code = str(values["code"])
        if code in seen_contacts:
            out.problem(CONTACTS_SHEET, r, "A", f"mã “{code}” trùng với dòng "
                                                f"{seen_contacts[code]}")
            continue
        if code in known_contacts:
            out.problem(CONTACTS_SHEET, r, "A", f"mã “{code}” đã có trong cấu hình (tệp khác)")
            continue
        if not _check(ContactIn, values, CONTACTS_SHEET, r, CONTACT_COLUMNS, out):
            continue
        seen_contacts[code] = r
        if values["unit"] not in seen_units and values["unit"] not in known_units:
            out.problem(CONTACTS_SHEET, r, "C", f"không có đơn vị mã “{values['unit']}”")
        unknown = [c for c in values.get("channels", []) if c not in channels]
        if unknown:
            out.problem(CONTACTS_SHEET, r, "I", f"không có kênh “{', '.join(unknown)}” "
                                                f"(có: {', '.join(sorted(channels))})")
        out.contacts.append(values)
    wb.close()
    return out


def to_yaml(key: str, rows: list[dict[str, Any]], source: str) -> str:
    """A units or contacts file, with a header saying where it came from."""
    y = YAML(typ="rt")
    y.width = 4096
    buf = io.StringIO()
    y.dump({key: rows}, buf)
    return nfc(f"# Nạp từ tệp Excel {source} (danvan units import); sửa trong tệp Excel rồi "
               f"nạp lại.\n") + buf.getvalue()
